"""The simulator's HTTP server and the in-process :class:`Simulator` context manager."""

from __future__ import annotations

import os
import socket
import socketserver
import ssl
import sys
import tempfile
import threading
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from .control import served_names
from .control_client import ControlClient
from .models import PCEState
from .requestlog import DEFAULT_LIMIT
from .responses import PCERequestHandler
from .settings import Settings


class SimulatorHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP(S) server that knows its :class:`PCEState` and its open connections."""

    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        state: PCEState,
        ssl_context: ssl.SSLContext | None = None,
        verbose: bool = False,
    ) -> None:
        self.state = state
        self.ssl_context = ssl_context
        self.verbose = verbose
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, PCERequestHandler)
        # Bound to every interface: print a loopback URL, one a client here can reach and the
        # self-signed certificate covers.
        name = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.server_name, self.server_name)  # noqa: S104
        host = f"[{name}]" if ":" in name else name
        scheme = "https" if ssl_context is not None else "http"
        self.base_url = f"{scheme}://{host}:{self.server_port}"
        # The host given is also the name the TLS certificate is made for (tls.py).
        self.served_names = served_names([address[0], self.server_name])

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn) that can stall for
        # seconds on machines without DNS; the simulator never needs the name.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        if self.ssl_context is not None:
            # The handshake is deferred to the handler thread, so a slow or broken client
            # cannot block the accept loop.
            sock = self.ssl_context.wrap_socket(
                sock, server_side=True, do_handshake_on_connect=False
            )
        return sock, address

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Wake handler threads parked on idle keep-alive connections so they end."""
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the client

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up, time out or fail the TLS handshake are routine here.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class Simulator:
    """An Illumio PCE simulator serving in a background thread of this process.

    ``with Simulator(...) as sim:`` starts it; ``sim.url`` is the base URL (the API is under
    ``sim.url + "/api/v2"``), ``sim.state`` the :class:`PCEState` behind it.
    """

    def __init__(
        self,
        api_key_username: str = "api_x",
        api_key_secret: str = "s3cr3t",  # noqa: S107 - a simulator's well-known test key
        org_id: int = 1,
        port: int = 0,
        host: str = "127.0.0.1",
        rate_limit: int | None = None,
        data_file: str | os.PathLike[str] | None = None,
        tls: bool = False,
        async_retry_after: float = 0,
        *,
        rate_window: float = 60.0,
        clock: Callable[[], float] | None = None,
        verbose: bool = False,
        release: str = "current",
        seed_defaults: bool = False,
        location: str = "path",
        location_host: str | None = None,
        request_log_limit: int = DEFAULT_LIMIT,
        client_ca: str | os.PathLike[str] | None = None,
    ) -> None:
        """``release``, ``seed_defaults``, ``location``, ``location_host``: see
        :class:`~.settings.Settings` (a reset returns to these). ``client_ca`` (with ``tls``):
        a PEM bundle; every client must present a certificate it signed, as a PCE set up for
        client certificates asks."""
        if client_ca is not None and not tls:
            raise ValueError("client_ca needs tls=True: a client certificate is a TLS matter")
        settings = Settings(
            release=release,
            location=location,
            location_host=location_host,
            async_retry_after=async_retry_after,
            seed_defaults=seed_defaults,
        )
        self.state = PCEState(
            api_key_username=api_key_username,
            api_key_secret=api_key_secret,
            org_id=org_id,
            rate_limit=rate_limit,
            rate_window=rate_window,
            data_file=data_file,
            clock=clock,
            settings=settings,
            request_log_limit=request_log_limit,
        )
        self.host = host
        self.port = port
        self.tls = tls
        self.client_ca = client_ca
        self.verbose = verbose
        self.url: str | None = None
        self.cert_path: str | None = None
        self._server: SimulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._tls_dir: tempfile.TemporaryDirectory[str] | None = None

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> Simulator:
        if self._server is not None:
            raise RuntimeError("the simulator is already running")
        self.state.hold_data_file()  # again after a stop: a restart takes the file back
        try:
            context = self._tls_context() if self.tls else None
            self._server = SimulatorHTTPServer(
                (self.host, self.port), self.state, context, self.verbose
            )
        except BaseException:
            self.state.release_data_file()
            raise
        self.port = self._server.server_port
        self.url = self._server.base_url
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},  # stop() waits at most this long
            name=f"pce-simulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def _tls_context(self) -> ssl.SSLContext:
        # Imported here: only --tls needs the cryptography package (extra "simulator-tls").
        try:
            from .tls import write_self_signed
        except ImportError as exc:
            raise RuntimeError(
                "--tls needs the cryptography package: "
                "pip install 'pairing_provider[simulator-tls]'"
            ) from exc
        self._tls_dir = tempfile.TemporaryDirectory(prefix="pce-simulator-tls-")
        cert_path, key_path = write_self_signed(Path(self._tls_dir.name), self.host)
        self.cert_path = str(cert_path)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert_path, key_path)
        if self.client_ca is not None:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cafile=self.client_ca)
        return context

    def stop(self) -> None:
        """Stop serving, close open connections and remove the TLS files. Idempotent."""
        server, self._server = self._server, None
        if server is None:
            self.state.release_data_file()
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._tls_dir is not None:
            self._tls_dir.cleanup()
            self._tls_dir = None
        self.state.release_data_file()  # after the last request that could write it

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ----------------------------------------------------------------- conveniences

    @property
    def api_url(self) -> str:
        """The API base URL, ``<url>/api/v2``."""
        if self.url is None:
            raise RuntimeError("the simulator has not been started")
        return self.url + "/api/v2"

    @property
    def auth(self) -> tuple[str, str]:
        """The (API key id, secret) pair the simulator accepts."""
        return self.state.api_key_username, self.state.api_key_secret

    @property
    def org_id(self) -> int:
        return self.state.org_id

    def control_client(self) -> ControlClient:
        """A client of this simulator's control API over HTTP, with its API key."""
        return ControlClient(
            self.api_url.removesuffix("/api/v2"), *self.auth, cafile=self.cert_path
        )

    # ----------------------------------------------------------------- control, in process

    def requests(self) -> list[dict[str, Any]]:
        """The API request log: ``{"method", "path", "status", "body"}`` in order."""
        return self.state.requests()

    def clear_requests(self) -> None:
        self.state.clear_requests()

    def reset(self, seed_defaults: bool | None = None) -> None:
        """Back to a fresh PCE (with its default profiles unless ``seed_defaults`` says no)."""
        self.state.reset(seed_defaults)

    def settings(self) -> dict[str, Any]:
        return self.state.settings.to_dict()

    def update_settings(self, **changes: Any) -> dict[str, Any]:
        """Change settings (as ``PUT /_simulator/settings``); ValueError if bad."""
        return self.state.update_settings(changes)

    def add_fault(self, **fields: Any) -> dict[str, Any]:
        """Inject a fault (fields as for ``POST /_simulator/faults``); ValueError if bad."""
        return self.state.add_fault(fields)

    def clear_faults(self) -> None:
        self.state.clear_faults()

    def faults(self) -> list[dict[str, Any]]:
        return self.state.list_faults()

    def pairing_keys(self) -> list[dict[str, Any]]:
        """Every issued key: ``{"profile_href", "activation_code", "generated_at", "revoked"}``."""
        return self.state.pairing_keys()
