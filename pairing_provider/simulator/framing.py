"""HTTP framing: reading a request body within limits, decoding JSON, the message records.

Hostile input is answered, never crashes a handler: a body over :data:`MAX_BODY` (by
Content-Length or by the sum of its chunks) is a 413; a malformed chunk size (negative,
not hex, too long) a 400; JSON nested deeper than :data:`MAX_JSON_DEPTH` is treated as
malformed (the API then answers 406), never a RecursionError.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from email.message import Message
from io import BufferedIOBase
from typing import Any

MAX_BODY = 10 * 1024 * 1024
MAX_JSON_DEPTH = 64
MAX_LINE = 65536
# A chunk size is 1 to 8 hex digits (a chunk is at most MAX_BODY anyway), then extensions.
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,8})[ \t]*(?:;[^\r\n]*)?\r?\n")


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
    body: Any = None  # JSON-serialisable; None means an empty body (unless raw/stream)
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # sent verbatim instead of ``body`` (faults: non-JSON bodies)
    stream_bytes: int | None = None  # a filler body of this size, written piece by piece
    drip_bytes_per_second: float | None = None  # write the body this slowly

    def payload(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return b"" if self.body is None else json.dumps(self.body).encode()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _depth(value: Any) -> int:
    """Nesting depth of decoded JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def decode_json(raw: bytes) -> tuple[bool, Any]:
    """(True, value) for a JSON body; (False, None) for an empty, malformed or too deep one."""
    if not raw.strip():
        return False, None
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False, None
    if _depth(value) > MAX_JSON_DEPTH:
        return False, None
    return True, value


def read_body(rfile: BufferedIOBase, headers: Message) -> bytes:
    """The request body, by chunked framing or Content-Length, at most MAX_BODY bytes."""
    if "chunked" in headers.get("Transfer-Encoding", "").lower():
        return _read_chunked(rfile)
    length = headers.get("Content-Length")
    if not length:
        return b""
    if not (length.isascii() and length.isdigit() and len(length) <= 12):
        raise BadRequest(400, f"Bad Content-Length {length[:32]!r}")
    size = int(length)
    if size > MAX_BODY:
        raise BadRequest(413, f"Request body of {size} bytes is too large")
    return rfile.read(size)


def _read_chunked(rfile: BufferedIOBase) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        match = _CHUNK_SIZE.fullmatch(rfile.readline(MAX_LINE))
        if match is None:
            raise BadRequest(400, "Bad chunked encoding: a chunk size must be hex digits")
        size = int(match[1], 16)
        if size == 0:
            _skip_trailers(rfile)
            return b"".join(chunks)
        total += size
        if total > MAX_BODY:
            raise BadRequest(413, "Request body is too large")
        chunk = rfile.read(size)
        if len(chunk) != size or rfile.readline(3) not in (b"\r\n", b"\n"):
            raise BadRequest(400, "Bad chunked encoding: chunk shorter than its size")
        chunks.append(chunk)


def _skip_trailers(rfile: BufferedIOBase) -> None:
    for _ in range(100):  # bounded: a client cannot keep the handler reading forever
        if rfile.readline(MAX_LINE) in (b"\r\n", b"\n", b""):
            return
    raise BadRequest(400, "Too many trailer lines")
