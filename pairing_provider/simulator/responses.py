"""HTTP side of the simulator: turns requests into :class:`PCEState` calls and JSON answers.

Every response carries ``Request-ID`` (a fresh uuid) and ``Content-Length`` so HTTP/1.1
keep-alive works. API requests go through, in order: fault injection ("before" faults
answer here, ahead of auth, like a failing proxy would), basic auth (401), rate limit (429,
counting every authenticated request), org check (403), routing (404/405), the model (406
and friends), then "after" faults replace the answer. The request log records
the method, path with query, status sent and parsed JSON body: never headers (they hold
the API secret) and never response bodies (they hold activation codes).
"""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import sys
import time
import traceback
import uuid
from dataclasses import dataclass, field
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import urls
from .models import ApiError, Fault, PCEState, format_seconds, invalid

MAX_BODY = 10 * 1024 * 1024


class BadRequest(Exception):
    """A request the HTTP layer cannot even read (bad framing): answered, then closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Request:
    method: str
    target: str  # path and query string, as sent: what the request log shows
    path: str
    query: dict[str, str]
    headers: Message
    json_ok: bool  # the body was present and valid JSON
    json_body: Any  # the decoded body, or None


@dataclass
class Response:
    status: int
    body: Any = None  # JSON-serialisable; None means an empty body
    headers: dict[str, str] = field(default_factory=dict)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def decode_json(raw: bytes) -> tuple[bool, Any]:
    """(True, value) for a JSON body; (False, None) for an empty or malformed one."""
    if not raw.strip():
        return False, None
    try:
        return True, json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError):
        return False, None


def is_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def _error(exc: ApiError) -> Response:
    return Response(exc.status, exc.body, dict(exc.headers))


class PCERequestHandler(BaseHTTPRequestHandler):
    """One connection of the simulated PCE (HTTP/1.1, keep-alive)."""

    protocol_version = "HTTP/1.1"
    server_version = "IllumioPCESimulator/1.0"
    sys_version = ""
    timeout = 60.0  # idle keep-alive connections are closed after this many seconds
    # Headers and body go out in separate writes; with Nagle on, delayed ACKs would add
    # ~40 ms to every keep-alive request.
    disable_nagle_algorithm = True
    _request_id = ""

    @property
    def state(self) -> PCEState:
        return self.server.state  # type: ignore[attr-defined]

    def setup(self) -> None:
        super().setup()
        # TLS handshakes happen here, in the connection's own thread, not in accept().
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)

    # ----------------------------------------------------------------- dispatch

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _dispatch(self) -> None:
        self._request_id = str(uuid.uuid4())
        try:
            request = self._read_request()
        except BadRequest as exc:
            self.close_connection = True
            self._send(Response(exc.status, [{"token": "bad_request", "message": str(exc)}]))
            return
        if urls.is_control(request.path):
            self._send(self._control_response(request))
        else:
            self._serve_api(request)

    def _read_request(self) -> Request:
        split = urlsplit(self.path)
        query = {
            name: values[0]
            for name, values in parse_qs(split.query, keep_blank_values=True).items()
        }
        json_ok, body = decode_json(self._read_body())
        return Request(self.command, self.path, split.path, query, self.headers, json_ok, body)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            size = int(length)
        except ValueError:
            raise BadRequest(400, f"Bad Content-Length {length!r}") from None
        if not 0 <= size <= MAX_BODY:
            raise BadRequest(413, f"Request body of {size} bytes is too large")
        return self.rfile.read(size)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(65537)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BadRequest(400, "Bad chunked encoding") from None
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass  # trailers: read and ignored
                return b"".join(chunks)
            total += size
            if total > MAX_BODY:
                raise BadRequest(413, "Request body is too large")
            chunks.append(self.rfile.read(size))
            self.rfile.readline()  # the CRLF after each chunk

    # ----------------------------------------------------------------- the API

    def _serve_api(self, request: Request) -> None:
        fault = self.state.take_fault(request.method, request.path, request.target)
        if fault is not None and fault.when == "before":
            self._send_fault(request, fault)
            return
        response = self._api_response(request)
        if fault is not None:  # "after": the PCE did the work, then the answer got lost
            self._send_fault(request, fault)
            return
        # Logged before sending, so a test reading the log after its call sees the entry.
        self.state.log_request(request.method, request.target, response.status, request.json_body)
        self._send(response)

    def _api_response(self, request: Request) -> Response:
        try:
            api_key = self.state.authenticate(request.headers.get("Authorization"))
            self.state.throttle(api_key)
            self._check_org(request.path)
            return self._route(urls.API_ROUTES, request.path[len(urls.API_PREFIX) :], request)
        except ApiError as exc:
            return _error(exc)
        except Exception:  # a simulator bug must still answer, never hang the client
            traceback.print_exc(file=sys.stderr)
            return Response(
                500,
                [
                    {
                        "token": "internal_server_error",
                        "message": "The PCE simulator failed; see its stderr",
                    }
                ],
            )

    def _check_org(self, path: str) -> None:
        if path != urls.API_PREFIX and not path.startswith(urls.API_PREFIX + "/"):
            raise ApiError(404, "not_found", f"No such resource: {path}")
        org = urls.ORG_PREFIX.match(path[len(urls.API_PREFIX) :])
        if org:
            self.state.check_org(int(org["org_id"]))

    def _route(self, routes: tuple[urls.Route, ...], path: str, request: Request) -> Response:
        found = urls.resolve(routes, path)
        if found is None:
            raise ApiError(404, "not_found", f"No such resource: {request.path}")
        route, params = found
        name = route.methods.get(request.method)
        if name is None:
            raise ApiError(
                405,
                "method_not_allowed",
                f"{request.method} is not allowed on {request.path}",
                {"Allow": ", ".join(route.methods)},
            )
        result: Response = getattr(self, name)(request, **params)
        return result

    @staticmethod
    def _json(request: Request) -> Any:
        if not request.json_ok:
            raise invalid("The request body must be a JSON document")
        return request.json_body

    def _collection(self, kind: str, request: Request, org_id: int) -> Response:
        if "respond-async" in request.headers.get("Prefer", "").lower():
            job = self.state.start_job(kind, org_id, request.query)
            headers = {
                "Location": job.href,
                "Retry-After": format_seconds(self.state.async_retry_after),
            }
            return Response(202, None, headers)
        items, total = self.state.list_collection(kind, org_id, request.query)
        return Response(200, items, {"X-Total-Count": str(total)})

    def list_pairing_profiles(self, request: Request, org_id: int) -> Response:
        return self._collection("pairing_profiles", request, org_id)

    def create_pairing_profile(self, request: Request, org_id: int) -> Response:
        return Response(201, self.state.create_profile(org_id, self._json(request)))

    def get_pairing_profile(self, request: Request, org_id: int, profile_id: int) -> Response:
        return Response(200, self.state.get_profile(org_id, profile_id))

    def update_pairing_profile(self, request: Request, org_id: int, profile_id: int) -> Response:
        self.state.update_profile(org_id, profile_id, self._json(request))
        return Response(204)

    def delete_pairing_profile(self, request: Request, org_id: int, profile_id: int) -> Response:
        self.state.delete_profile(org_id, profile_id)
        return Response(204)

    def create_pairing_key(self, request: Request, org_id: int, profile_id: int) -> Response:
        body = request.json_body if request.json_ok else None
        return Response(200, self.state.generate_pairing_key(org_id, profile_id, body))

    def revoke_pairing_keys(self, request: Request, org_id: int, profile_id: int) -> Response:
        self.state.revoke_pairing_keys(org_id, profile_id)
        return Response(204)

    def list_labels(self, request: Request, org_id: int) -> Response:
        return self._collection("labels", request, org_id)

    def create_label(self, request: Request, org_id: int) -> Response:
        return Response(201, self.state.create_label(org_id, self._json(request)))

    def get_label(self, request: Request, org_id: int, label_id: int) -> Response:
        return Response(200, self.state.get_label(org_id, label_id))

    def get_job(self, request: Request, org_id: int, job_uuid: str) -> Response:
        return Response(200, self.state.poll_job(org_id, job_uuid))

    def delete_job(self, request: Request, org_id: int, job_uuid: str) -> Response:
        self.state.delete_job(org_id, job_uuid)
        return Response(204)

    def get_datafile(self, request: Request, org_id: int, datafile_uuid: str) -> Response:
        return Response(200, self.state.get_datafile(org_id, datafile_uuid))

    # ----------------------------------------------------------------- faults

    def _send_fault(self, request: Request, fault: Fault) -> None:
        if fault.delay:
            time.sleep(fault.delay)
        if fault.drop_connection:
            self.state.log_request(request.method, request.target, 0, request.json_body)
            self._drop_connection()
            return
        retry_after = fault.retry_after_header()
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        response = Response(fault.status, fault.response_body(), headers)
        self.state.log_request(request.method, request.target, response.status, request.json_body)
        self._send(response)

    def _drop_connection(self) -> None:
        """Close the socket without a byte of response, as a dying proxy would."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # the client may already be gone

    # ----------------------------------------------------------------- control API

    def _control_response(self, request: Request) -> Response:
        """Test-only endpoints: no auth, no rate limit, no request log; loopback only."""
        try:
            if not is_loopback(self.client_address[0]):
                raise ApiError(403, "forbidden", "The control API answers loopback clients only")
            return self._route(urls.CONTROL_ROUTES, request.path, request)
        except ApiError as exc:
            return _error(exc)

    def control_get_requests(self, request: Request) -> Response:
        return Response(200, self.state.requests())

    def control_clear_requests(self, request: Request) -> Response:
        self.state.clear_requests()
        return Response(204)

    def control_reset(self, request: Request) -> Response:
        self.state.reset()
        return Response(204)

    def control_list_faults(self, request: Request) -> Response:
        return Response(200, self.state.list_faults())

    def control_add_fault(self, request: Request) -> Response:
        if not request.json_ok:
            raise ApiError(400, "invalid_fault", "The fault must be a JSON object")
        try:
            return Response(201, self.state.add_fault(request.json_body))
        except (ValueError, TypeError) as exc:
            raise ApiError(400, "invalid_fault", str(exc)) from None

    def control_clear_faults(self, request: Request) -> Response:
        self.state.clear_faults()
        return Response(204)

    def control_pairing_keys(self, request: Request) -> Response:
        return Response(200, self.state.pairing_keys())

    # ----------------------------------------------------------------- output

    def _send(self, response: Response) -> None:
        payload = b"" if response.body is None else json.dumps(response.body).encode()
        self.send_response(response.status)
        self.send_header("Request-ID", self._request_id or str(uuid.uuid4()))
        if response.body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if getattr(self, "command", None) != "HEAD":
            self.wfile.write(payload)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (bad request line, unknown method) as JSON too."""
        self.close_connection = True
        self._request_id = str(uuid.uuid4())
        text = message or HTTPStatus(code).phrase
        self._send(Response(code, [{"token": HTTPStatus(code).name.lower(), "message": text}]))
