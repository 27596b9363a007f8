"""A client of a running simulator's control API (``/_simulator/``), with its API key.

For a simulator in another process (``python -m pairing_provider.simulator``), where the
in-process conveniences of :class:`~.server.Simulator` cannot reach: tests, benchmarks and
scripts read the request log, inject faults or reset through this. Standard library only, as
is the rest of the simulator's serving side.
"""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.request
from typing import Any

from .urls import CONTROL_PREFIX


class ControlError(Exception):
    """The control API refused a call: its status and what it said."""

    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        self.status = status
        super().__init__(f"{method} {path}: HTTP {status}: {body[:500]}")


class ControlClient:
    """``ControlClient(url, username, secret)``: ``url`` is the simulator's base URL (its first
    printed line); ``cafile`` the certificate it printed second, with ``--tls``."""

    def __init__(
        self,
        url: str,
        username: str,
        secret: str,
        *,
        cafile: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"the simulator's URL must be http:// or https://, not {url[:80]!r}")
        self.url = url.rstrip("/")
        pair = f"{username}:{secret}".encode("latin-1")
        self._authorization = "Basic " + base64.b64encode(pair).decode("ascii")
        self._context = ssl.create_default_context(cafile=cafile) if cafile else None
        self.timeout = timeout

    def requests(self) -> list[dict[str, Any]]:
        """The API request log: ``{"method", "path", "status", "body"}`` in order."""
        log: list[dict[str, Any]] = self._call("GET", "/requests")
        return log

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    def reset(self, seed_defaults: bool | None = None) -> None:
        body = None if seed_defaults is None else {"seed_defaults": seed_defaults}
        self._call("POST", "/reset", body)

    def add_fault(self, **fields: Any) -> dict[str, Any]:
        fault: dict[str, Any] = self._call("POST", "/faults", fields)
        return fault

    def faults(self) -> list[dict[str, Any]]:
        faults: list[dict[str, Any]] = self._call("GET", "/faults")
        return faults

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = self._call("GET", "/settings")
        return settings

    def update_settings(self, **changes: Any) -> dict[str, Any]:
        settings: dict[str, Any] = self._call("PUT", "/settings", changes)
        return settings

    def pairing_keys(self) -> list[dict[str, Any]]:
        """Every issued key: ``{"profile_href", "activation_code", "generated_at", "revoked"}``."""
        keys: list[dict[str, Any]] = self._call("GET", "/pairing_keys")
        return keys

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        url = self.url + CONTROL_PREFIX + path  # http(s): checked in __init__
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
        request.add_header("Authorization", self._authorization)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(  # noqa: S310 - the URL is the simulator's, http(s)
                request, timeout=self.timeout, context=self._context
            ) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            text = exc.read().decode("utf-8", "replace")
            raise ControlError(method, CONTROL_PREFIX + path, exc.code, text) from None
        return json.loads(payload) if payload else None
