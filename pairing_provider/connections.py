"""Connections to the PCE: the standard library's HTTP/1.1 connection, set up the way requests
sets its up (the same CA bundle and environment variables, the same choice of proxy), reached
through a ``CONNECT`` tunnel when a proxy is in the way, and kept alive in a pool.

Why not requests' own session and urllib3's pools: their layers cost about 0.6 ms of CPU per
request more than ``http.client`` (benchmarks/RESULTS.md, "HTTP exchange"), more than the
whole of a no-op provider call, and a pulumi up spends one to two requests per resource.
"""

from __future__ import annotations

import base64
import collections
import http.client
import os
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import requests
from requests.utils import DEFAULT_CA_BUNDLE_PATH, get_environ_proxies, select_proxy
from urllib3.util.ssltransport import SSLTransport

from pairing_provider.deadlines import Watch
from pairing_provider.errors import ConnectFailed
from pairing_provider.response_head import Response

# Kept-alive connections per destination: one for each call under way (the dynamic provider
# server runs 4 at once, the native one up to 64: native/server.py, WORKERS). Past it, a
# connection is made for one request and closed: a TCP (and TLS) handshake each time.
MAX_IDLE = 64
# An idle connection older than this is closed, not reused: a server (nginx keeps one 75 s by
# default) or a NAT between may drop it without a word, and a request sent on it would wait
# its whole timeout for nothing.
MAX_IDLE_SECONDS = 50.0
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Proxy:
    """An HTTP proxy reached with ``CONNECT``; ``tls``: the proxy itself speaks https."""

    host: str
    port: int
    tls: bool
    authorization: str | None  # the Proxy-Authorization header, from the URL's user:password

    @classmethod
    def parse(cls, url: str) -> Proxy:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        if parts.scheme not in DEFAULT_PORTS:
            raise ValueError(
                f"a {parts.scheme}:// proxy is not supported: use an http:// or https:// one "
                "(the value is not shown)"
            )
        tls = parts.scheme == "https"
        authorization = None
        if parts.username is not None:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            authorization = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        try:
            port = parts.port or DEFAULT_PORTS["https" if tls else "http"]
        except ValueError:  # its text would quote the URL, which may hold a password
            raise ValueError("has an invalid port (the value is not shown)") from None
        return cls(parts.hostname or "", port, tls, authorization)

    def __repr__(self) -> str:  # never the credentials
        return f"Proxy({self.host}:{self.port})"


@dataclass(frozen=True)
class Route:
    """Where a connection goes: an origin, directly or through a proxy."""

    tls: bool
    host: str
    port: int
    proxy: Proxy | None


def proxy_for(url: str, *, explicit: str | None, use_environment: bool) -> Proxy | None:
    """The proxy for ``url``: the explicit one (https only, whatever the environment says), or
    the one requests would pick from ``HTTPS_PROXY``/``ALL_PROXY``/``NO_PROXY``."""
    if explicit is not None:
        return Proxy.parse(explicit) if url.startswith("https://") else None
    if not use_environment:
        return None
    chosen = select_proxy(url, get_environ_proxies(url))
    return Proxy.parse(chosen) if chosen else None


def tls_context(
    verify: bool | str, cert: str | tuple[str, str] | None, *, use_environment: bool
) -> ssl.SSLContext:
    """A client TLS context as requests builds it: certifi's bundle, or
    ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` from the environment, unless a CA file (or
    directory) is given; no verification at all only when ``verify`` is False."""
    context = ssl.create_default_context()  # hostname check, TLS 1.2 at least
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["http/1.1"])
    if verify is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        bundle = verify if isinstance(verify, str) else _environment_bundle(use_environment)
        if os.path.isdir(bundle):
            context.load_verify_locations(capath=bundle)
        else:
            context.load_verify_locations(cafile=bundle)
    if cert is not None:
        certificate, key = cert if isinstance(cert, tuple) else (cert, None)
        context.load_cert_chain(certificate, key)
    return context


def _environment_bundle(use_environment: bool) -> str:
    if use_environment:
        named = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if named:
            return named
    return DEFAULT_CA_BUNDLE_PATH


class Connection(http.client.HTTPConnection):
    """One kept-alive connection to the PCE, opened on its first request.

    ``sock`` is what requests are written to and answers read from (a TLS layer over a TLS
    proxy included); ``outer`` is the real socket beneath, which the deadline watch cuts."""

    response_class = Response  # the head read without the email parser (response_head.py)

    def __init__(self, route: Route, tls: ssl.SSLContext | None, connect_timeout: float) -> None:
        super().__init__(route.host, route.port, timeout=connect_timeout)
        self.route = route
        self._tls = tls
        self.outer: socket.socket | None = None
        self.watch: Watch | None = None
        self.idle_since = time.monotonic()  # when it was last given back to the pool
        self.ready = False  # connected (tunnel and TLS included)

    def connect(self) -> None:
        route, proxy = self.route, self.route.proxy
        target = (proxy.host, proxy.port) if proxy else (route.host, route.port)
        try:
            self._use(socket.create_connection(target, self.timeout))
        except OSError as exc:
            what = self._failed(target, exc)
            if proxy is not None:
                raise requests.exceptions.ProxyError(f"the proxy: {what}") from None
            if isinstance(exc, TimeoutError):
                raise requests.exceptions.ConnectTimeout(what) from None
            raise ConnectFailed(what) from None
        assert self.outer is not None
        self.outer.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Blocking from now on: the exchange's watch is the one timer (deadlines.py). A socket
        # with a timeout polls before every read and write, each a system call that also
        # hands the GIL to another thread.
        self.outer.settimeout(None)
        if proxy is not None:
            self._tunnel_through(proxy)
        if self._tls is not None:
            self._start_tls(self._tls, route.host)
        self.ready = True  # from here on a request may leave

    def _use(self, sock: socket.socket) -> None:
        self.sock = self.outer = sock
        if self.watch is not None:
            self.watch.attach(sock)

    def _tunnel_through(self, proxy: Proxy) -> None:
        try:
            if proxy.tls:
                # Verified as the PCE is (requests does the same for an https proxy).
                self._start_tls(self._tls or ssl.create_default_context(), proxy.host)
            authority = _authority(self.route.host, self.route.port)
            lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}"]
            if proxy.authorization:
                lines.append(f"Proxy-Authorization: {proxy.authorization}")
            self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            answer = http.client.HTTPResponse(self.sock, method="CONNECT")
            answer.begin()
        except (OSError, http.client.HTTPException) as exc:
            what = self._failed((proxy.host, proxy.port), exc)
            raise requests.exceptions.ProxyError(f"the proxy: {what}") from None
        if answer.status != 200:
            raise requests.exceptions.ProxyError(
                f"the proxy {proxy.host}:{proxy.port} refused the tunnel to "
                f"{self.route.host}:{self.route.port}: {answer.status} {answer.reason}"
            )

    def _start_tls(self, context: ssl.SSLContext, hostname: str) -> None:
        try:
            if isinstance(self.sock, ssl.SSLSocket):  # TLS inside a TLS proxy's tunnel
                self.sock = SSLTransport(self.sock, context, server_hostname=hostname)
            else:
                # The handshake after the watch has the TLS socket: the plain one it wraps is
                # detached (its descriptor handed over), so cutting that would cut nothing.
                tls = context.wrap_socket(
                    self.sock, server_hostname=hostname, do_handshake_on_connect=False
                )
                self._use(tls)
                tls.do_handshake()
        except ssl.SSLError as exc:
            raise requests.exceptions.SSLError(f"{type(exc).__name__}: {exc}") from None
        except OSError as exc:  # the server hung up during the handshake
            raise ConnectFailed(self._failed((hostname, self.port), exc)) from None

    @staticmethod
    def _failed(target: tuple[str, int], exc: BaseException) -> str:
        return f"no connection to {target[0]}:{target[1]} ({type(exc).__name__}: {exc})"

    def looks_alive(self) -> bool:
        """An idle connection the server has not closed: nothing to read on it (a readable
        idle socket is an end of file, or bytes nobody asked for)."""
        if self.outer is None:
            return False
        try:
            readable, _, _ = select.select([self.outer], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable


def _authority(host: str, port: int) -> str:
    """``host:port`` as a request line or a Host header writes it (an IPv6 address in
    brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class Pool:
    """Idle connections by route, at most ``MAX_IDLE`` of each; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: dict[Route, collections.deque[Connection]] = {}

    def take(self, route: Route, tls: ssl.SSLContext | None, connect_timeout: float) -> Connection:
        """An idle connection still open, or a new one (opened on its first request)."""
        while True:
            with self._lock:
                idle = self._idle.get(route)
                connection = idle.pop() if idle else None
            if connection is None:
                return Connection(route, tls, connect_timeout)
            fresh = time.monotonic() - connection.idle_since < MAX_IDLE_SECONDS
            if fresh and connection.looks_alive():
                return connection
            connection.close()

    def give_back(self, connection: Connection) -> None:
        connection.watch = None
        connection.idle_since = time.monotonic()
        with self._lock:
            idle = self._idle.setdefault(connection.route, collections.deque())
            if len(idle) < MAX_IDLE:
                idle.append(connection)
                return
        connection.close()

    def close(self) -> None:
        with self._lock:
            connections = [c for idle in self._idle.values() for c in idle]
            self._idle.clear()
        for connection in connections:
            connection.close()
