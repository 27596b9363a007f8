"""An HTTP answer's head read without the email parser: ``http.client`` hands the header lines
to ``email.parser``, which builds a MIME message for every answer and was about a tenth of the
provider process's CPU in a large ``pulumi up`` (py-spy, benchmarks/RESULTS.md section 8).

Everything else stays ``http.client``'s: the status line, the body (length, chunks, the end of
the connection), and the same limits on what a server may send (65,536 bytes a line, 100
header lines), so a hostile server gets no more room than the standard library gives it.
"""

from __future__ import annotations

import http.client
from typing import Any

MAX_LINE = 65536  # http.client's _MAXLINE
MAX_HEADERS = 100  # http.client's _MAXHEADERS
BLANK_LINES = (b"\r\n", b"\n", b"")


class Headers:
    """Header fields in the order received; names compared without case. The part of
    ``http.client.HTTPMessage`` that ``HTTPResponse`` and this package use."""

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        self._fields = fields
        self._first: dict[str, str] = {}
        for name, value in fields:
            self._first.setdefault(name.lower(), value)

    def get(self, name: str, default: Any = None) -> Any:
        return self._first.get(name.lower(), default)

    def get_all(self, name: str, default: Any = None) -> list[str] | Any:
        wanted = name.lower()
        found = [value for field, value in self._fields if field.lower() == wanted]
        return found or default

    def items(self) -> list[tuple[str, str]]:
        return list(self._fields)


def read_headers(fp: Any) -> Headers:
    """The header lines up to the blank one, as ``http.client`` reads them (same limits);
    a line that starts with a space or a tab continues the one before (obsolete folding)."""
    fields: list[tuple[str, str]] = []
    for count in range(MAX_HEADERS + 1):
        line = fp.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise http.client.LineTooLong("header line")
        if line in BLANK_LINES:
            return Headers(fields)
        if count == MAX_HEADERS:
            break
        text = line.decode("iso-8859-1").rstrip("\r\n")
        if text[:1] in (" ", "\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, f"{value} {text.strip()}")
            continue
        name, colon, value = text.partition(":")
        if not colon:
            continue  # a line with no colon is no field (the email parser drops it too)
        if not name or name != name.strip() or not name.isprintable():
            # RFC 9112 section 5.1: no whitespace between a field name and its colon; read
            # otherwise, "Content-Length :" would frame the body unlike any other parser.
            raise http.client.HTTPException(f"a malformed header field name {name[:40]!r}")
        fields.append((name, value.strip()))
    raise http.client.HTTPException(f"got more than {MAX_HEADERS} headers")


class Response(http.client.HTTPResponse):
    """``http.client.HTTPResponse`` with its head read by :func:`read_headers`.

    ``begin`` is the standard library's (Python 3.11, ``Lib/http/client.py``), the header
    parsing aside: the attributes it sets are the ones the rest of the class reads."""

    def begin(self) -> None:
        if self.headers is not None:
            return  # already begun
        while True:  # skip any 100 Continue, its headers with it
            version, status, reason = self._read_status()
            if status != http.client.CONTINUE:
                break
            read_headers(self.fp)
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        self.headers = self.msg = read_headers(self.fp)
        encoding = self.headers.get("transfer-encoding")
        self.chunked = bool(encoding) and encoding.lower() == "chunked"
        self.chunk_left = None
        self.will_close = self._check_close()
        self.length = _length(self.headers.get("content-length"), self.chunked)
        if status in (http.client.NO_CONTENT, http.client.NOT_MODIFIED) or 100 <= status < 200:
            self.length = 0
        if self._method == "HEAD":
            self.length = 0
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True  # no length given: the body ends with the connection


def _length(declared: str | None, chunked: bool) -> int | None:
    """Content-Length as http.client reads it: ignored when chunked, nonsense, or negative."""
    if not declared or chunked:
        return None
    try:
        length = int(declared)
    except ValueError:
        return None
    return length if length >= 0 else None
