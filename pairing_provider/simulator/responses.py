"""One HTTP connection of the simulated PCE: read, dispatch, inject faults, write.

Every response carries ``Request-ID`` (a fresh uuid) and ``Content-Length`` so HTTP/1.1
keep-alive works. API requests go through fault injection first ("before" faults answer here,
ahead of auth, like a failing proxy would), then :class:`~.api.PceApi`; "after" faults
replace (or patch, ``merge_body``) the answer the API gave. The request log records the
method, path with query, status sent and parsed JSON body (see :mod:`.requestlog`).
"""

from __future__ import annotations

import socket
import ssl
import time
import uuid
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import urls
from .api import PceApi
from .control import ControlApi, is_loopback
from .faults import Fault
from .framing import BadRequest, Request, Response, decode_json, read_body
from .models import PCEState

STREAM_PIECE = 64 * 1024
DRIP_MAX_SECONDS = 60.0  # a dripping answer gives up (and closes) after this long
DRIP_PIECE_SECONDS = 0.05  # how often a dripping answer writes

__all__ = ["PCERequestHandler", "is_loopback"]


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
        server: Any = self.server  # a SimulatorHTTPServer (no import: it imports us)
        state: PCEState = server.state
        return state

    @property
    def base_url(self) -> str:
        server: Any = self.server
        url: str = server.base_url
        return url

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
            if not urls.is_control(urlsplit(self.path).path):
                self.state.log_request(self.command, self.path, exc.status, None)
            self._send(Response(exc.status, [{"token": "bad_request", "message": str(exc)}]))
            return
        if urls.is_control(request.path):
            server: Any = self.server
            control = ControlApi(self.state, server.served_names)
            self._send(control.respond(request, self.client_address[0]))
        else:
            self._serve_api(request)

    def _read_request(self) -> Request:
        split = urlsplit(self.path)
        query = {
            name: values[0]
            for name, values in parse_qs(split.query, keep_blank_values=True).items()
        }
        json_ok, body = decode_json(read_body(self.rfile, self.headers))
        return Request(self.command, self.path, split.path, query, self.headers, json_ok, body)

    def _serve_api(self, request: Request) -> None:
        fault = self.state.take_fault(request.method, request.path, request.target)
        if fault is not None and fault.when == "before":
            self._send_fault(request, fault, None)
            return
        response = PceApi(self.state, self.base_url).respond(request)
        if fault is not None:  # "after": the PCE did the work, then the answer went wrong
            self._send_fault(request, fault, response)
            return
        # Logged before sending, so a test reading the log after its call sees the entry.
        self.state.log_request(request.method, request.target, response.status, request.json_body)
        self._send(response)

    # ----------------------------------------------------------------- faults

    def _send_fault(self, request: Request, fault: Fault, real: Response | None) -> None:
        if fault.delay:
            time.sleep(fault.delay)
        if fault.drop_connection:
            self.state.log_request(request.method, request.target, 0, request.json_body)
            self._drop_connection()
            return
        response = _fault_response(fault, real)
        self.state.log_request(request.method, request.target, response.status, request.json_body)
        self._send(response)

    def _drop_connection(self) -> None:
        """Close the socket without a byte of response, as a dying proxy would."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # the client may already be gone

    # ----------------------------------------------------------------- output

    def _send(self, response: Response) -> None:
        payload = response.payload()
        size = response.stream_bytes if response.stream_bytes is not None else len(payload)
        self.send_response(response.status)
        self.send_header("Request-ID", self._request_id or str(uuid.uuid4()))
        if response.body is not None and response.raw is None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(size))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if getattr(self, "command", None) == "HEAD":
            return
        try:
            self._write_body(response, payload)
        except OSError:
            self.close_connection = True  # the client hung up mid-body: routine here

    def _write_body(self, response: Response, payload: bytes) -> None:
        if response.stream_bytes is not None:
            pieces = _filler(response.stream_bytes)
        else:
            pieces = iter([payload])
        if response.drip_bytes_per_second is None:
            for piece in pieces:
                self.wfile.write(piece)
        else:
            self._drip(pieces, response.drip_bytes_per_second)

    def _drip(self, pieces: Iterator[bytes], rate: float) -> None:
        """Write the body at about ``rate`` bytes per second, for DRIP_MAX_SECONDS at most."""
        step = max(1, int(rate * DRIP_PIECE_SECONDS))
        deadline = time.monotonic() + DRIP_MAX_SECONDS
        for piece in pieces:
            for offset in range(0, len(piece), step):
                if time.monotonic() > deadline:
                    self.close_connection = True  # gave up: the client sees a short body
                    return
                self.wfile.write(piece[offset : offset + step])
                self.wfile.flush()
                time.sleep(min(step, len(piece) - offset) / rate)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (bad request line, unknown method) as JSON too."""
        self.close_connection = True
        self._request_id = str(uuid.uuid4())
        text = message or HTTPStatus(code).phrase
        self._send(Response(code, [{"token": HTTPStatus(code).name.lower(), "message": text}]))


def _filler(size: int) -> Iterator[bytes]:
    """``size`` bytes of a JSON-looking filler, piece by piece, never all in memory."""
    piece = b" " * STREAM_PIECE
    remaining = size
    while remaining > 0:
        yield piece[: min(remaining, STREAM_PIECE)]
        remaining -= STREAM_PIECE


def _fault_response(fault: Fault, real: Response | None) -> Response:
    """The answer a fault gives instead of (or on top of) the real one."""
    headers = fault.response_headers()
    rate = fault.drip_bytes_per_second
    if fault.merge_body is not None and real is not None:
        body = real.body
        if isinstance(body, dict):
            body = {**body, **fault.merge_body}
        return Response(real.status, body, {**real.headers, **headers}, None, None, rate)
    if fault.raw_body is not None:
        raw = fault.raw_body.encode()
        return Response(fault.status, None, headers, raw, None, rate)
    if fault.body_bytes is not None:
        return Response(fault.status, None, headers, None, fault.body_bytes, rate)
    return Response(fault.status, fault.response_body(), headers, None, None, rate)
