"""The client against a server that misbehaves in ways a PCE simulator should not.

A small loopback HTTP server answers each request from a script the test sets; every
behaviour is bounded (a drip stops after a few seconds, a big body after its size), so a
client bug shows as a failed assertion, never as a hung test.
"""

from __future__ import annotations

import base64
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import pytest

from pairing_provider.client import PCEClient
from pairing_provider.config import Settings
from pairing_provider.errors import (
    JobFailedError,
    OperationTimeoutError,
    PCEError,
    UnexpectedResponseError,
)
from pairing_provider.redaction import redact
from pairing_provider.transport import MAX_BODY_BYTES

USER, SECRET = "api_hostile", "hostile-secret-5b1e"
Behaviour = Callable[["Handler"], None]
ServerT = TypeVar("ServerT", bound="HostileServer")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header, from a clock ``pce_offset`` seconds off ours."""
        offset: float = self.server.pce_offset  # type: ignore[attr-defined]
        return formatdate(time.time() + offset, usegmt=True)

    def do_GET(self) -> None:
        server: HostileServer = self.server  # type: ignore[assignment]
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        server.seen.append((self.command, self.path, self.headers.get("Authorization")))
        server.behaviour(self)

    do_POST = do_PUT = do_DELETE = do_GET

    def answer(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        payload = (
            b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
        )
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Request-ID", "req-hostile-1")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: list[tuple[str, str, str | None]] = []
        self.behaviour: Behaviour = lambda handler: handler.answer(200, [])
        self.pce_offset = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def serving(server: ServerT) -> Iterator[ServerT]:
    """``server`` answering on a thread of its own until the test ends (a fixture's body)."""
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    yield from serving(HostileServer())


def client_of(server: HostileServer, **settings: Any) -> PCEClient:
    values = {"max_retries": 0, "operation_timeout": 10, **settings}
    return PCEClient(
        Settings(pce_host=server.url, api_key_username=USER, api_key_secret=SECRET, **values),
        sleep=lambda seconds: None,
    )


def drip(handler: Handler, *, headers_first: bool) -> None:
    """One byte every 0.1 s for at most 5 s: far past the test's 1 s deadline."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n"
    body = b"[" + b" " * 48 + b"]"
    prefix, dripped = (head, body) if headers_first else (b"", head + body)
    try:
        handler.wfile.write(prefix)
        handler.wfile.flush()
        for byte in dripped:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(0.1)
    except OSError:
        pass  # the client hung up: what the test wants


@pytest.mark.parametrize("headers_first", [True, False], ids=["body", "headers"])
def test_a_dripping_server_cannot_hold_a_read_past_the_deadline(
    hostile: HostileServer, headers_first: bool
) -> None:
    hostile.behaviour = lambda handler: drip(handler, headers_first=headers_first)
    client = client_of(hostile, operation_timeout=1, request_timeout=30)
    started = time.monotonic()
    with pytest.raises(OperationTimeoutError, match="1s operation timeout passed"):
        with client.operation():
            client.list_labels()
    assert time.monotonic() - started < 1.8  # the whole answer would take ~13 s
    assert len(hostile.seen) == 1


def test_a_body_past_the_cap_fails_without_being_read(hostile: HostileServer) -> None:
    def huge(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(100 * 1024 * 1024))
        handler.end_headers()
        handler.wfile.write(b"[" + b" " * 65536)  # the rest never comes; nobody should wait

    hostile.behaviour = huge
    with pytest.raises(UnexpectedResponseError, match="byte cap") as caught:
        client_of(hostile).list_labels()
    assert caught.value.path == "/orgs/1/labels"


def test_a_streamed_body_past_the_cap_is_cut(hostile: HostileServer) -> None:
    def endless(handler: Handler) -> None:  # no Content-Length: read until the cap, then stop
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b" " * (1024 * 1024)
        try:
            for _ in range(MAX_BODY_BYTES // len(chunk) + 8):
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass

    hostile.behaviour = endless
    with pytest.raises(UnexpectedResponseError, match=r"past the .* byte cap"):
        client_of(hostile).list_labels()


def test_redirects_count_against_the_pacer(hostile: HostileServer) -> None:
    hostile.behaviour = lambda handler: handler.answer(302, None, {"Location": handler.path})
    waits: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    client = PCEClient(
        Settings(
            pce_host=hostile.url,
            api_key_username=USER,
            api_key_secret=SECRET,
            max_retries=0,
            max_requests_per_minute=3,
            rate_window=60,
        ),
        sleep=sleep,
        clock=lambda: now[0],
    )
    with pytest.raises(UnexpectedResponseError, match="more than 5 redirects"):
        client.list_labels()
    assert len(hostile.seen) == 6  # the request and 5 redirects, no more
    assert waits == [60.0]  # the 4th send waited for the window: redirects are paced


def test_a_redirect_to_another_host_is_not_followed(hostile: HostileServer) -> None:
    other = HostileServer()
    threading.Thread(target=other.serve_forever, args=(0.02,), daemon=True).start()
    try:
        target = f"{other.url}/api/v2/orgs/1/labels"
        hostile.behaviour = lambda handler: handler.answer(302, None, {"Location": target})
        with pytest.raises(UnexpectedResponseError) as caught:
            client_of(hostile).list_labels()
        assert target in str(caught.value)
        assert "another host" in str(caught.value)
        assert other.seen == []  # the API key never went there
    finally:
        other.shutdown()
        other.server_close()


def test_a_redirect_of_a_write_is_not_followed(hostile: HostileServer) -> None:
    hostile.behaviour = lambda handler: handler.answer(307, None, {"Location": handler.path})
    with pytest.raises(UnexpectedResponseError, match="a redirect; not followed"):
        client_of(hostile).update_pairing_profile("/orgs/1/pairing_profiles/1", {"name": "x"})
    assert len(hostile.seen) == 1


@pytest.mark.parametrize(
    ("body", "call", "what"),
    [
        (b"", "list", "not JSON"),
        (b"<html>oops</html>", "list", "not JSON"),
        (b'"a string"', "list", "a string where a list is due"),
        (b'{"href": "/orgs/1/labels/1"}', "list", "an object where a list is due"),
        (b"[1, 2]", "list", "item 0 is not an object"),
        (b"[]", "get", "a list where an object is due"),
        (b'{"href": "/orgs/1/pairing_profiles/8"}', "get", "another object"),
        (b'{"activation": "x"}', "key", "no activation_code"),
    ],
)
def test_a_body_of_the_wrong_shape_is_a_typed_error(
    hostile: HostileServer, body: bytes, call: str, what: str
) -> None:
    hostile.behaviour = lambda handler: handler.answer(200, body)
    client = client_of(hostile)
    actions = {
        "list": client.list_pairing_profiles,
        "get": lambda: client.get_pairing_profile("/orgs/1/pairing_profiles/7"),
        "key": lambda: client.generate_pairing_key("/orgs/1/pairing_profiles/7"),
    }
    with pytest.raises(UnexpectedResponseError) as caught:
        actions[call]()
    error = caught.value
    assert what in str(error)
    assert error.status == 200 and error.request_id == "req-hostile-1"
    assert error.method in str(error) and error.path in str(error)


def test_an_error_body_echoing_the_request_headers_is_redacted(
    hostile: HostileServer, caplog: pytest.LogCaptureFixture
) -> None:
    def echo(handler: Handler) -> None:
        handler.answer(500, f"Bad gateway. Request was: {handler.headers}".encode())

    hostile.behaviour = echo
    caplog.set_level("DEBUG", logger="pairing_provider")
    token = base64.b64encode(f"{USER}:{SECRET}".encode()).decode()
    with pytest.raises(PCEError) as caught:
        client_of(hostile).list_labels()
    assert hostile.seen[0][2] == f"Basic {token}"  # what the server did get
    message = str(caught.value) + repr(caught.value.errors)
    assert token not in message and SECRET not in message
    assert "Basic [redacted]" in message
    # Log lines too, whoever formats them: the token and the secret as arguments.
    logging.getLogger("pairing_provider").warning("the PCE said: Basic %s, %s", token, SECRET)
    assert token not in caplog.text and SECRET not in caplog.text
    assert "the PCE said" in caplog.text


def test_a_job_location_on_another_host_is_refused(hostile: HostileServer) -> None:
    elsewhere = "https://evil.example.com:8443/api/v2/orgs/1/jobs/0c1d"

    def big_then_async(handler: Handler) -> None:
        if handler.headers.get("Prefer") == "respond-async":
            handler.answer(202, None, {"Location": elsewhere, "Retry-After": "0"})
        else:
            handler.answer(200, [], {"X-Total-Count": "600"})

    hostile.behaviour = big_then_async
    with pytest.raises(UnexpectedResponseError) as caught:
        client_of(hostile).list_labels()
    assert elsewhere in str(caught.value) and "another host" in str(caught.value)
    assert [path for _, path, _ in hostile.seen] == ["/api/v2/orgs/1/labels"] * 2


def async_server(hostile: HostileServer, location: str, result_href: str) -> None:
    label = {"href": "/orgs/1/labels/1", "key": "env", "value": "prod"}

    def serve(handler: Handler) -> None:
        if handler.path.startswith("/api/v2/orgs/1/jobs/"):
            handler.answer(200, {"status": "done", "result": {"href": result_href}})
        elif handler.path.startswith("/api/v2/orgs/1/datafiles/"):
            handler.answer(200, [label])
        elif handler.headers.get("Prefer") == "respond-async":
            handler.answer(202, None, {"Location": location, "Retry-After": "0"})
        else:
            handler.answer(200, [], {"X-Total-Count": "600"})

    hostile.behaviour = serve


@pytest.mark.parametrize("absolute", [True, False], ids=["absolute-url", "path"])
def test_a_job_location_on_the_pce_itself_is_followed(
    hostile: HostileServer, absolute: bool
) -> None:
    job = "/orgs/1/jobs/5d9e2c1a-7f1b-4c1e-9a55-0123456789ab"
    location = f"{hostile.url}/api/v2{job}" if absolute else job
    async_server(hostile, location, "/orgs/1/datafiles/ab12")
    assert [label["value"] for label in client_of(hostile).list_labels()] == ["prod"]
    assert [path for _, path, _ in hostile.seen][2:] == [
        f"/api/v2{job}",
        "/api/v2/orgs/1/datafiles/ab12",
    ]


@pytest.mark.parametrize(
    "result_href",
    [
        "https://evil.example.com/api/v2/orgs/1/datafiles/ab12",
        "/orgs/1/labels/1",
        "/orgs/2/datafiles/ab",
    ],
)
def test_a_job_result_href_elsewhere_is_refused(hostile: HostileServer, result_href: str) -> None:
    async_server(hostile, "/orgs/1/jobs/5d9e", result_href)
    with pytest.raises(UnexpectedResponseError, match=r"job result\.href"):
        client_of(hostile).list_labels()
    assert not any("datafiles" in path for _, path, _ in hostile.seen)


@pytest.mark.parametrize("retry_after", ["999999", "inf", "1e308"])
def test_retry_after_on_a_job_never_sleeps_past_the_deadline(
    hostile: HostileServer, retry_after: str
) -> None:
    def slow_job(handler: Handler) -> None:
        if handler.headers.get("Prefer") == "respond-async":
            handler.answer(202, None, {"Location": "/orgs/1/jobs/5d9e", "Retry-After": retry_after})
        else:
            handler.answer(200, [], {"X-Total-Count": "600"})

    hostile.behaviour = slow_job
    slept: list[float] = []
    client = PCEClient(
        Settings(pce_host=hostile.url, api_key_username=USER, api_key_secret=SECRET),
        sleep=slept.append,
    )
    with pytest.raises(JobFailedError, match="past the 300s operation timeout"):
        client.list_labels()
    assert slept == []
    assert len(hostile.seen) == 2  # the listing and the job start; no poll


def test_an_absurd_job_wait_ends_the_refresh_listing_at_once(hostile: HostileServer) -> None:
    """The refresh reader lists under a lock every other read waits for: a job asking to be
    polled in 999999 s must end that listing at once (the read then GETs its profile), not
    hold every read for eleven days."""
    profile = "/orgs/1/pairing_profiles/7"

    def serve(handler: Handler) -> None:
        if handler.path == f"/api/v2{profile}":
            handler.answer(200, {"href": profile, "name": "web"})
        elif handler.headers.get("Prefer") == "respond-async":
            handler.answer(202, None, {"Location": "/orgs/1/jobs/5d9e", "Retry-After": "999999"})
        else:
            handler.answer(200, [{"href": profile}], {"X-Total-Count": "600"})

    hostile.behaviour = serve
    slept: list[float] = []
    client = PCEClient(
        Settings(pce_host=hostile.url, api_key_username=USER, api_key_secret=SECRET),
        sleep=slept.append,
    )
    assert client.profiles.get(profile) == {"href": profile, "name": "web"}  # a lone read
    started = time.monotonic()
    with client.operation():
        assert client.profiles.get(profile) == {"href": profile, "name": "web"}  # a burst
    assert time.monotonic() - started < 1.0
    assert slept == []
    listing = "/api/v2/orgs/1/pairing_profiles"
    assert [path for _, path, _ in hostile.seen] == [
        f"/api/v2{profile}",
        listing,
        listing,  # the job start, answered with the absurd wait: no poll follows
        f"/api/v2{profile}",
    ]


def test_no_env_proxy_ever_sees_plain_http(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = socket.socket()
    proxy.bind(("127.0.0.1", 0))
    proxy.listen(1)
    proxy.settimeout(0.2)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.getsockname()[1]}")
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{proxy.getsockname()[1]}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    try:
        assert client_of(hostile).list_labels() == []
        with pytest.raises(TimeoutError):
            proxy.accept()  # nobody connected to the proxy
    finally:
        proxy.close()
    assert len(hostile.seen) == 1


def test_redaction_keeps_plain_words_readable() -> None:
    text = "Basic authentication failed; header was Authorization: Bearer eyJhbGciOi.J9x"
    assert redact(text) == (
        "Basic authentication failed; header was Authorization: Bearer [redacted]"
    )


def test_a_server_dripping_its_tls_handshake_cannot_hold_a_connect_past_the_deadline() -> None:
    """An https PCE that answers the ClientHello one byte every 0.1 s (a TLS record header
    promising 16 KiB, then filler): each byte resets a socket timeout, the deadline holds."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(4096)  # the ClientHello
            record = b"\x16\x03\x03\x40\x00" + b"\x02" * 60  # handshake, 16 KiB promised
            for byte in record:
                if stop.is_set():
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return  # the client hung up: what the test wants
                time.sleep(0.1)

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    settings = Settings(
        pce_host=f"https://127.0.0.1:{port}",
        api_key_username=USER,
        api_key_secret=SECRET,
        max_retries=0,
        operation_timeout=1,
        request_timeout=30,
        insecure=True,
    )
    client = PCEClient(settings, sleep=lambda seconds: None)
    started = time.monotonic()
    try:
        with pytest.raises(OperationTimeoutError, match="1s operation timeout passed"):
            with client.operation():
                client.list_labels()
        assert time.monotonic() - started < 1.8  # the whole record would take ~6.5 s
    finally:
        stop.set()
        listener.close()
        server.join(timeout=5)
