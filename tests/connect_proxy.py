"""A loopback HTTP proxy that only tunnels (CONNECT), for tests: it records every CONNECT
target and ``Proxy-Authorization`` it gets, asks for a password when given one (407), can
be told to stall (accept, then never answer) to test deadlines through a proxy, and can speak
https itself (``tls=(certificate, key)``: TLS to the proxy, the PCE's TLS inside it)."""

from __future__ import annotations

import base64
import select
import socket
import socketserver
import ssl
import threading
from pathlib import Path
from types import TracebackType


class ConnectProxy:
    def __init__(
        self,
        credentials: tuple[str, str] | None = None,
        *,
        stall: bool = False,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        self.credentials = credentials
        self.stall = stall
        self.targets: list[str] = []
        self.authorizations: list[str | None] = []
        self._server = _Server(("127.0.0.1", 0), _Tunnel)
        self._server.proxy = self
        self._server.tls = None
        if tls is not None:
            self._server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._server.tls.load_cert_chain(*tls)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, userinfo: str = "") -> str:
        scheme = "http" if self._server.tls is None else "https"
        return f"{scheme}://{userinfo + '@' if userinfo else ''}127.0.0.1:{self.port}"

    def __enter__(self) -> ConnectProxy:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def expected_authorization(self) -> str | None:
        if self.credentials is None:
            return None
        token = base64.b64encode(":".join(self.credentials).encode()).decode()
        return f"Basic {token}"


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    proxy: ConnectProxy
    tls: ssl.SSLContext | None

    def get_request(self) -> tuple[socket.socket, object]:
        sock, address = super().get_request()
        if self.tls is not None:
            sock.settimeout(10)
            sock = self.tls.wrap_socket(sock, server_side=True)
        return sock, address


class _Tunnel(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        proxy = self.server.proxy
        head = self.rfile.readline(65536).decode("latin-1").split()
        headers = {}
        while (line := self.rfile.readline(65536).decode("latin-1").strip()) != "":
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if len(head) != 3 or head[0] != "CONNECT":
            self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        proxy.targets.append(head[1])
        proxy.authorizations.append(headers.get("proxy-authorization"))
        if proxy.stall:
            self.rfile.read()  # until the client hangs up
            return
        wanted = proxy.expected_authorization()
        if wanted is not None and headers.get("proxy-authorization") != wanted:
            self.wfile.write(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n'
            )
            return
        host, _, port = head[1].rpartition(":")
        with socket.create_connection((host.strip("[]"), int(port)), timeout=10) as upstream:
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self.wfile.flush()
            _pipe(self.connection, upstream)


def _pipe(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    sockets = [client, upstream]
    while True:
        # Bytes a TLS socket has already decrypted are not seen by select.
        pending = [s for s in sockets if isinstance(s, ssl.SSLSocket) and s.pending()]
        readable = pending or select.select(sockets, [], [], 10)[0]
        if not readable:
            return
        for sock in readable:
            data = sock.recv(65536)
            if not data:
                return
            (upstream if sock is client else client).sendall(data)
