"""The exchange on the wire (``transport.py``, ``connections.py``): kept-alive connections, a
connection the server closed while idle, chunked and compressed answers, against a loopback
server that counts the connections it accepts."""

from __future__ import annotations

import gzip
import json
import socket
import time
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from pairing_provider import connections
from pairing_provider.client import PCEClient
from pairing_provider.config import Settings
from pairing_provider.errors import PCEConnectionError, UnexpectedResponseError
from pairing_provider.transport import MAX_BODY_BYTES
from tests.test_hostile_server import Handler, HostileServer, client_of, serving


class CountingServer(HostileServer):
    """Counts the TCP connections it accepts."""

    def __init__(self) -> None:
        super().__init__()
        self.connections = 0

    def get_request(self) -> tuple[socket.socket, Any]:
        self.connections += 1
        return super().get_request()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the client hangs up on a bad answer on purpose here: no traceback on stderr


@pytest.fixture
def counting() -> Iterator[CountingServer]:
    yield from serving(CountingServer())


def test_requests_one_after_another_reuse_one_connection(counting: CountingServer) -> None:
    client = client_of(counting)
    for _ in range(10):
        assert client.list_labels() == []
    assert len(counting.seen) == 10
    assert counting.connections == 1


def test_a_connection_the_server_closed_while_idle_is_replaced_without_an_error(
    counting: CountingServer,
) -> None:
    """The server answers, then hangs up on the idle connection (a keep-alive timeout): the
    next request goes on a new connection, once, with no retry."""

    def answer_then_hang_up(handler: Handler) -> None:
        handler.answer(200, [])
        handler.wfile.flush()
        handler.close_connection = True  # no "Connection: close" said: the client is not told

    counting.behaviour = answer_then_hang_up
    client = client_of(counting)
    assert client.list_labels() == []
    time.sleep(0.1)  # the server's close reaches the client's idle socket
    assert client.list_labels() == []
    assert len(counting.seen) == 2
    assert counting.connections == 2


def test_a_chunked_answer_is_read_whole(counting: CountingServer) -> None:
    labels = [{"href": f"/orgs/1/labels/{i}", "key": "env", "value": f"v{i}"} for i in range(50)]
    payload = json.dumps(labels).encode()

    def chunked(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for start in range(0, len(payload), 100):
            piece = payload[start : start + 100]
            handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        handler.wfile.write(b"0\r\n\r\n")

    counting.behaviour = chunked
    client = client_of(counting)
    assert [label["value"] for label in client.list_labels()] == [f"v{i}" for i in range(50)]
    assert client.list_labels() != []  # and the connection was left ready for the next one
    assert counting.connections == 1


def compressed(handler: Handler, body: bytes, encoding: str) -> None:
    handler.answer(200, body, headers={"Content-Encoding": encoding})


@pytest.mark.parametrize(
    ("encoding", "compress"), [("gzip", gzip.compress), ("deflate", zlib.compress)]
)
def test_a_compressed_answer_nobody_asked_for_is_decoded(
    counting: CountingServer, encoding: str, compress: Any
) -> None:
    body = compress(json.dumps([{"href": "/orgs/1/labels/1", "key": "env", "value": "x"}]).encode())
    counting.behaviour = lambda handler: compressed(handler, body, encoding)
    assert client_of(counting).list_labels()[0]["value"] == "x"


def test_a_gzip_bomb_is_refused_at_the_cap_of_what_it_decodes_to(counting: CountingServer) -> None:
    packer = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip, fast
    megabyte = b" " * (1 << 20)
    parts = [packer.compress(megabyte) for _ in range(MAX_BODY_BYTES // len(megabyte) + 1)]
    bomb = b"".join(parts) + packer.flush()  # about 300 KB, 65 MiB decoded
    counting.behaviour = lambda handler: compressed(handler, bomb, "gzip")
    with pytest.raises(UnexpectedResponseError, match="byte cap"):
        client_of(counting).list_labels()


def test_every_request_asks_for_json_uncompressed_with_its_credentials(
    counting: CountingServer,
) -> None:
    heard: list[dict[str, str]] = []

    def record(handler: Handler) -> None:
        heard.append(dict(handler.headers.items()))
        handler.answer(201, {"href": "/orgs/1/labels/9", "key": "env", "value": "x"})

    counting.behaviour = record
    client_of(counting).create_label({"key": "env", "value": "x"})
    [head] = heard
    assert head["Accept"] == "application/json"
    assert head["Accept-Encoding"] == "identity"
    assert head["Content-Type"] == "application/json"
    assert head["Authorization"].startswith("Basic ")


def test_a_request_past_its_timeout_is_cut_and_a_get_is_sent_again(
    counting: CountingServer,
) -> None:
    """``requestTimeout`` bounds the whole exchange (not each read): the first answer comes
    too late and its GET is sent again; the operation goes on within its own deadline."""

    def late_once(handler: Handler) -> None:
        if len(counting.seen) == 1:
            time.sleep(1.0)  # the client has hung up by then
        try:
            handler.answer(200, [])
        except OSError:
            pass

    counting.behaviour = late_once
    client = client_of(counting, request_timeout=0.3, max_retries=1)
    started = time.monotonic()
    assert client.list_labels() == []
    assert time.monotonic() - started < 1.0  # cut at 0.3 s, then the retry's backoff
    assert len(counting.seen) == 2


def raw_answer(handler: Handler, head: bytes, body: bytes = b"[]") -> None:
    handler.wfile.write(b"HTTP/1.1 200 OK\r\n" + head + b"Content-Length: 2\r\n\r\n" + body)


def test_header_fields_are_read_as_http_client_reads_them(counting: CountingServer) -> None:
    """Names without case, repeated fields joined, a folded line continued, a line with no
    colon dropped; and the answer's body after them."""
    seen: list[Any] = []
    head = (
        b"request-id: r-1\r\nX-Seen: one\r\nx-seen: two\r\nX-Folded: first\r\n\t second\r\n"
        b"no colon here\r\n"
    )
    counting.behaviour = lambda handler: raw_answer(handler, head)
    client = client_of(counting)
    client._session.hooks.append(seen.append)
    assert client.list_labels() == []
    [answer] = seen
    assert answer.headers["Request-ID"] == "r-1"
    assert answer.headers["x-seen"] == "one, two"
    assert answer.headers["X-Folded"] == "first second"
    assert "no colon here" not in str(dict(answer.headers))


@pytest.mark.parametrize(
    ("head", "why"),
    [
        (b"".join(b"X-%d: v\r\n" % i for i in range(101)), "more than 100 headers"),
        (b"X-Long: " + b"a" * 70_000 + b"\r\n", "LineTooLong"),
    ],
)
def test_a_head_past_http_client_s_limits_is_refused(
    counting: CountingServer, head: bytes, why: str
) -> None:
    counting.behaviour = lambda handler: raw_answer(handler, head)
    with pytest.raises(PCEConnectionError, match=why):
        client_of(counting).list_labels()


def test_a_connection_idle_too_long_is_not_reused(
    counting: CountingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection a NAT may have dropped without a word is closed, not sent on."""
    monkeypatch.setattr(connections, "MAX_IDLE_SECONDS", 0.2)
    client = client_of(counting)
    client.list_labels()
    client.list_labels()  # at once: the same connection
    time.sleep(0.3)
    client.list_labels()  # idle past the limit: a new one
    assert counting.connections == 2


def test_a_corrupt_compressed_answer_is_an_error_of_the_answer(counting: CountingServer) -> None:
    counting.behaviour = lambda handler: compressed(handler, b"not-gzip!!", "gzip")
    with pytest.raises(PCEConnectionError, match="ContentDecodingError"):
        client_of(counting).list_labels()


def test_whitespace_before_a_header_colon_is_refused_as_rfc_9112_says(
    counting: CountingServer,
) -> None:
    counting.behaviour = lambda handler: raw_answer(handler, b"Transfer-Encoding : chunked\r\n")
    with pytest.raises(PCEConnectionError, match="malformed header field name"):
        client_of(counting).list_labels()


def test_a_request_cut_while_connecting_was_not_sent() -> None:
    """A PCE that accepts the connection and never answers the TLS handshake: the request
    timeout cuts it, and the failure says nothing left (a POST may be sent again)."""
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        settings = Settings(
            pce_host=f"https://127.0.0.1:{listener.getsockname()[1]}",
            api_key_username="api_x",
            api_key_secret="s3cret-value",
            max_retries=0,
            operation_timeout=10,
            request_timeout=0.3,
            insecure=True,
        )
        client = PCEClient(settings, sleep=lambda seconds: None)
        with pytest.raises(PCEConnectionError, match="ConnectTimeout") as cut:
            client.list_labels()
        assert cut.value.maybe_processed is False
    finally:
        listener.close()
