"""One HTTP exchange with a hard time limit and a size limit, over a pooled session.

``requests`` timeouts bound each socket operation, not an exchange: a server that sends one
byte a second (headers or body) keeps a read going for as long as it likes. So every exchange
here is watched by the process's one deadline thread, which shuts the connection's socket down
when the time left to the operation runs out, whatever phase the exchange is in (TLS handshake
included); the blocked read then fails at once.
Bodies are read in chunks and refused past ``MAX_BODY_BYTES`` without being held whole.
"""

from __future__ import annotations

import math
import socket
import threading
import time
from collections.abc import Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

from pairing_provider.errors import BodyTooLarge, DeadlinePassed

__all__ = ["MAX_BODY_BYTES", "BodyTooLarge", "DeadlinePassed", "exchange", "new_session"]

# Far above any real answer (a profile reads as about 1.5 KB, so a 500-item listing page is
# under 1 MiB and 64 MiB holds an asynchronous collection of some 40,000 profiles), and low
# enough that a hostile or broken server cannot exhaust the provider's memory.
MAX_BODY_BYTES = 64 * 1024 * 1024
CHUNK_BYTES = 64 * 1024


class _Watch:
    """One exchange's deadline, and the connection to cut when it passes."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + max(0.0, seconds)
        self._lock = threading.Lock()
        self._connection: HTTPConnection | None = None
        self._finished = False
        self.fired = False

    def __enter__(self) -> _Watch:
        _current.watch = self
        _watchdog.watch(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _current.watch = None
        with self._lock:
            self._finished = True
        _watchdog.forget(self)

    def attach(self, connection: HTTPConnection) -> None:
        with self._lock:
            self._connection = connection
            fired = self.fired
        if fired:
            _shut(connection)

    def fire(self) -> None:
        with self._lock:
            if self._finished:
                return
            self.fired = True
            connection = self._connection
        if connection is not None:
            _shut(connection)


class _Watchdog:
    """One thread for the whole process that fires every watch whose deadline has passed.

    A thread per exchange (a ``threading.Timer``) cost a thread start and stop per request,
    about an eighth of the provider's CPU in a large ``pulumi up``. Here an exchange only adds
    itself to a set and removes itself; the thread sleeps until the earliest deadline of the
    set and is woken only when a new exchange's deadline comes sooner than that.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._watches: set[_Watch] = set()
        self._wake_at = math.inf  # when the thread looks next, on time.monotonic()
        self._thread: threading.Thread | None = None

    def watch(self, watch: _Watch) -> None:
        with self._changed:
            self._watches.add(watch)
            if self._thread is None or not self._thread.is_alive():  # first use, or a fork
                self._thread = threading.Thread(
                    target=self._run, name="pairing-provider-deadlines", daemon=True
                )
                self._thread.start()
            if watch.deadline < self._wake_at:
                self._wake_at = watch.deadline
                self._changed.notify()

    def forget(self, watch: _Watch) -> None:
        # No wake-up: the thread finds the set changed when it next looks, and sleeps again.
        with self._changed:
            self._watches.discard(watch)

    def _run(self) -> None:
        with self._changed:
            while True:
                now = time.monotonic()
                due = [watch for watch in self._watches if watch.deadline <= now]
                for watch in due:
                    self._watches.discard(watch)
                    watch.fire()
                self._wake_at = min((watch.deadline for watch in self._watches), default=math.inf)
                wait = None if self._wake_at == math.inf else self._wake_at - now
                self._changed.wait(timeout=wait)


_watchdog = _Watchdog()


def _shut(connection: HTTPConnection) -> None:
    sock = getattr(connection, "sock", None)
    if sock is None:
        return
    try:
        # The plain socket's shutdown, also for TLS: it unblocks a read in another thread
        # without touching the TLS object that thread is using.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


_current = threading.local()  # the watch of the exchange running on this thread


class _Watched(HTTPConnection):
    """A connection that tells the running exchange's watch which socket to cut."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        watch = getattr(_current, "watch", None)
        if watch is not None:
            watch.attach(self)
        super().request(*args, **kwargs)


class _WatchedHTTPConnection(_Watched):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    """An adapter whose connections register with the running exchange's watchdog."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _watch_pools(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        manager: PoolManager = super().proxy_manager_for(proxy, **proxy_kwargs)
        _watch_pools(manager)
        return manager


def _watch_pools(manager: PoolManager) -> None:
    manager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


def new_session(
    *,
    use_environment_proxies: bool,
    proxy: str | None = None,
    cert: str | tuple[str, str] | None = None,
) -> requests.Session:
    """A pooled session: no redirects followed by requests itself (the caller paces them).

    ``proxy``: every https request goes through it (CONNECT), whatever ``HTTPS_PROXY`` or
    ``NO_PROXY`` say; ``cert``: the TLS client certificate (requests' ``cert``)."""
    session = requests.Session()
    session.headers.update({"Accept": "application/json"})
    # Over plain http an environment proxy would read the API key in clear: never use one.
    session.trust_env = use_environment_proxies
    if proxy is not None:
        session.proxies = {"https": proxy}
    session.cert = cert
    # A connection kept for each call under way: the dynamic provider server runs 4 at once,
    # the native one up to 64 (native/server.py, WORKERS). Past the pool's size a connection
    # is made for one request and dropped: a TCP (and TLS) handshake each time.
    adapter = _WatchedAdapter(pool_connections=1, pool_maxsize=64, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def exchange(
    session: requests.Session, method: str, url: str, *, seconds: float, **kwargs: Any
) -> requests.Response:
    """One request and its whole answer, within ``seconds`` from now, body read and capped.

    Raises ``DeadlinePassed`` when the time ran out, ``BodyTooLarge`` past the size cap, or
    what requests raises. A redirect's body is not read (the caller does not use it).
    """
    with _Watch(seconds) as watch:
        try:
            response = _send(session, method, url, **kwargs)
            if response.is_redirect:
                response.close()
            else:
                _read_body(response)
        except requests.RequestException as exc:
            if watch.fired:
                raise DeadlinePassed(f"no complete answer within {seconds:.3g}s") from exc
            raise
        if watch.fired:  # finished in the same instant: the connection may be cut, drop it
            response.close()
    return response


def _send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    timeout: tuple[float, float],
    verify: bool | str = True,
    json: Any = None,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> requests.Response:
    """What ``session.request(..., stream=True, allow_redirects=False)`` sends, for about a
    tenth less CPU: the request is prepared from the session's headers, cookies, auth and hooks
    directly, where ``Session.prepare_request`` first copies and merges cookie jars and setting
    dicts on every call (8% of the provider process's CPU in an ``up``, sampled with py-spy)."""
    prepared = requests.PreparedRequest()
    prepared.prepare_method(method)
    prepared.prepare_url(url, params)
    merged = {**session.headers, **(headers or {})}
    prepared.prepare_headers({name: value for name, value in merged.items() if value is not None})
    prepared.prepare_cookies(session.cookies)
    prepared.prepare_body(None, None, json)
    prepared.prepare_auth(session.auth, url)
    prepared.prepare_hooks(session.hooks)
    # Environment proxies and CA bundle variables, as session.request applies them; the
    # session's own proxy given as the request's, so that an environment one cannot win.
    settings = session.merge_environment_settings(
        prepared.url, dict(session.proxies), True, verify, None
    )
    return session.send(prepared, allow_redirects=False, timeout=timeout, **settings)


def _read_body(response: requests.Response) -> None:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        response.close()
        raise BodyTooLarge(f"Content-Length {declared} is past the {MAX_BODY_BYTES} byte cap")
    chunks, size = [], 0
    for chunk in response.iter_content(CHUNK_BYTES):  # decoded: a gzip bomb counts in full
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            response.close()
            raise BodyTooLarge(f"the body is past the {MAX_BODY_BYTES} byte cap")
        chunks.append(chunk)
    # What requests itself does once it has read a body: .json() and .text then use it.
    response._content = b"".join(chunks)
    response._content_consumed = True  # type: ignore[attr-defined]
