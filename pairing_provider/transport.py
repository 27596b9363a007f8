"""One HTTP exchange with the PCE: within a hard time limit, its answer read whole under a size
cap, over a kept-alive connection (``connections.py``).

Answers come back as ``requests.Response`` objects and failures as requests' exceptions (the
layers above read them as they did when requests' session sent everything), but the exchange
itself is the standard library's ``http.client``: requests' session and urllib3's pool cost
about 0.6 ms of CPU per request more (``connections.py``). Nothing follows redirects here: the
session's redirect layer decides, and paces each one.
"""

from __future__ import annotations

import base64
import http.client
import json as jsonlib
import ssl
import threading
import zlib
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import SplitResult, urlencode, urlsplit

import requests
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers, requote_uri

from pairing_provider.connections import DEFAULT_PORTS, Pool, Route, proxy_for
from pairing_provider.connections import tls_context as new_tls_context
from pairing_provider.deadlines import Watch
from pairing_provider.errors import BodyTooLarge, DeadlinePassed

__all__ = ["MAX_BODY_BYTES", "BodyTooLarge", "DeadlinePassed", "Transport"]

# Far above any real answer (a profile reads as about 1.5 KB, so a 500-item listing page is
# under 1 MiB and 64 MiB holds an asynchronous collection of some 40,000 profiles), and low
# enough that a hostile or broken server cannot exhaust the provider's memory.
MAX_BODY_BYTES = 64 * 1024 * 1024
CHUNK_BYTES = 64 * 1024
USER_AGENT = "pairing_provider (Python http.client)"
Hook = Callable[[requests.Response], None]


class Transport:
    """Sends requests to one PCE with its credentials; shared by every thread of a client.

    ``proxy``: every https request goes through it (``CONNECT``), whatever ``HTTPS_PROXY`` or
    ``NO_PROXY`` say; without it, those apply to https as requests reads them (never to plain
    http, where a proxy would read the API key in clear). ``verify`` and ``cert`` are
    requests' arguments of those names."""

    def __init__(
        self,
        *,
        auth: tuple[str, str],
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxy: str | None = None,
        use_environment_proxies: bool = False,
    ) -> None:
        self._authorization = _basic_authorization(*auth)
        self._verify, self._cert = verify, cert
        self._proxy, self._use_environment = proxy, use_environment_proxies
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None  # made at the first https request
        self._routes: dict[tuple[str, str, int], Route] = {}
        self._pool = Pool()
        self.hooks: list[Hook] = []  # called with each answer (tests)

    def close(self) -> None:
        self._pool.close()

    def exchange(
        self,
        method: str,
        url: str,
        *,
        seconds: float,
        timeout: float,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """One request and its whole answer within ``timeout`` seconds (connecting included),
        and never past ``seconds`` from now, the time left to the operation. A redirect's body
        is not read (the caller does not use it).

        Raises ``DeadlinePassed`` when the operation's time ran out, ``ReadTimeout`` when the
        request's did, ``BodyTooLarge`` past the size cap, and requests' ``ConnectionError``
        family for the rest (``ConnectFailed`` when nothing was sent)."""
        url = requote_uri(_with_params(url, params))
        parts = urlsplit(url)
        route = self.route(parts)
        body = None if json is None else jsonlib.dumps(json, allow_nan=False).encode()
        head = self._headers(body is not None, headers)
        tls = self._tls_context() if route.tls else None
        limit = min(seconds, timeout)
        connection = self._pool.take(route, tls, limit)
        with Watch(limit) as watch:
            connection.watch = watch
            if connection.outer is not None:
                watch.attach(connection.outer)
            try:
                connection.request(method, _target(parts), body, head)
                response = _response(connection.getresponse(), method, url)
            except BodyTooLarge:
                connection.close()
                raise
            except (OSError, http.client.HTTPException, requests.RequestException) as exc:
                connection.close()
                if not watch.fired:
                    raise _failure(exc) from None
                raise _cut(connection.ready, timeout, seconds) from exc
        # Given back only once the watch is over: it can no longer cut a socket that another
        # thread has taken from the pool meanwhile.
        if watch.fired or connection.sock is None or response.is_redirect:
            connection.close()  # cut, closed by the server, or a body left unread
        else:
            self._pool.give_back(connection)
        for hook in self.hooks:
            hook(response)
        return response

    def route(self, parts: SplitResult) -> Route:
        """Where requests to this URL go (the proxy is chosen once per origin). Raises
        ValueError for a proxy of a scheme other than http or https."""
        scheme, host = parts.scheme, parts.hostname or ""
        port = parts.port or DEFAULT_PORTS.get(scheme, 80)
        key = (scheme, host, port)
        route = self._routes.get(key)
        if route is None:
            proxy = proxy_for(
                parts.geturl(), explicit=self._proxy, use_environment=self._use_environment
            )
            route = self._routes[key] = Route(scheme == "https", host, port, proxy)
        return route

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is not None:
            return self._tls
        with self._lock:
            if self._tls is None:
                self._tls = new_tls_context(
                    self._verify, self._cert, use_environment=self._use_environment
                )
            return self._tls

    def _headers(self, has_body: bool, extra: Mapping[str, str] | None) -> dict[str, str]:
        head = {
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            "Authorization": self._authorization,
        }
        if has_body:
            head["Content-Type"] = "application/json"
        for name, value in (extra or {}).items():
            if value is not None:
                head[name] = value
        return head


def _basic_authorization(username: str, password: str) -> str:
    """The Authorization header requests' ``auth=(username, password)`` sends."""

    def encoded(text: str) -> bytes:
        try:
            return text.encode("latin-1")
        except UnicodeEncodeError:
            return text.encode("utf-8")

    token = base64.b64encode(encoded(username) + b":" + encoded(password)).decode("ascii")
    return f"Basic {token}"


def _with_params(url: str, params: Mapping[str, Any] | None) -> str:
    if not params:
        return url
    query = urlencode([(k, v) for k, v in params.items() if v is not None], doseq=True)
    return f"{url}{'&' if '?' in url else '?'}{query}" if query else url


def _target(parts: SplitResult) -> str:
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _cut(sent: bool, timeout: float, seconds: float) -> requests.RequestException:
    """What a watch that fired means: the request's own timeout or the operation's deadline,
    and whether the request could have left (not while the connection was being made)."""
    if timeout < seconds:
        why = f"no complete answer within the {timeout:g}s request timeout"
        return requests.exceptions.ReadTimeout(why) if sent else _connect_timeout(why)
    return DeadlinePassed(f"no complete answer within {seconds:.3g}s", sent=sent)


def _connect_timeout(why: str) -> requests.RequestException:
    return requests.exceptions.ConnectTimeout(f"{why}, while connecting")


def _failure(exc: BaseException) -> requests.RequestException:
    """What the session layers know how to read: requests' classes for a lost exchange."""
    if isinstance(exc, requests.RequestException):
        return exc  # raised while connecting (connections.py)
    if isinstance(exc, ssl.SSLError):  # a TLS alert read late (TLS 1.3 client certificates)
        return requests.exceptions.SSLError(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, TimeoutError):
        return requests.exceptions.ReadTimeout(f"no answer in time ({exc})")
    return requests.exceptions.ConnectionError(f"{type(exc).__name__}: {exc}")


def _response(answer: http.client.HTTPResponse, method: str, url: str) -> requests.Response:
    response = requests.Response()
    response.status_code = answer.status
    response.reason = answer.reason
    response.url = url
    headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()
    for name, value in answer.msg.items():  # repeated headers joined, as requests does
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    response.headers = headers
    response.encoding = get_encoding_from_headers(headers)
    request = requests.PreparedRequest()
    request.method, request.url = method, url
    response.request = request
    # What requests itself does once it has read a body: .json() and .text then use it.
    response._content = b"" if response.is_redirect else _body(answer)
    response._content_consumed = True  # type: ignore[attr-defined]
    return response


def _body(answer: http.client.HTTPResponse) -> bytes:
    """The whole body, decoded (a gzip bomb counts in full), refused past the cap without
    being held whole."""
    if answer.length is not None and answer.length > MAX_BODY_BYTES:
        raise BodyTooLarge(f"Content-Length {answer.length} is past the {MAX_BODY_BYTES} byte cap")
    decoder = _decoder(answer.getheader("Content-Encoding", ""))
    if answer.length is not None and decoder is None:
        return answer.read()  # one read of the declared length
    chunks, size = [], 0
    while chunk := answer.read(CHUNK_BYTES):
        if decoder is not None:
            try:
                chunk = decoder.decompress(chunk, MAX_BODY_BYTES + 1 - size)
            except zlib.error as exc:
                why = f"a bad compressed body: {exc}"
                raise requests.exceptions.ContentDecodingError(why) from None
            if decoder.unconsumed_tail:
                size = MAX_BODY_BYTES + 1
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge(f"the body is past the {MAX_BODY_BYTES} byte cap")
        chunks.append(chunk)
    return b"".join(chunks)


def _decoder(encoding: str) -> Any:
    """A decoder for the encodings requests decodes (we ask for none: ``identity``)."""
    encoding = encoding.strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    return None
