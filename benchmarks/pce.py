"""The two sides every benchmark talks to: the PCE simulator, and a provider process.

The simulator runs in a process of its own. On a real PCE the server is another machine; in the
benchmark process it would share a GIL with the very clients being timed (8 gRPC client threads
in the throughput run), and its work would be billed to whichever client is measured.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Final, Self

import requests

from pairing_provider.budget_file import BUDGET_DIR_ENV
from pairing_provider.simulator import ControlClient
from tests.engine import REPO_ROOT, Engine

API_USER: Final[str] = "api_benchmark0001"
API_SECRET: Final[str] = "benchmark-secret-7f3a"  # noqa: S105 - the simulator's throwaway key
UNPACED: Final[str] = "1000000"
"""``maxRequestsPerMinute`` that switches pacing off (the settings' maximum)."""


class SimulatorProcess:
    """``python -m pairing_provider.simulator`` as a child process, with its control API."""

    def __init__(self, *, rate_limit: int | None = None, rate_window: float = 60.0) -> None:
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.url = ""
        self._proc: subprocess.Popen[str] | None = None
        self._control: ControlClient | None = None

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v2"

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise RuntimeError("the PCE simulator is not running")
        return self._proc.pid

    def start(self) -> Self:
        command = [sys.executable, "-m", "pairing_provider.simulator", "--port", "0"]
        if self.rate_limit is not None:
            command += [
                "--rate-limit",
                str(self.rate_limit),
                "--rate-window",
                str(self.rate_window),
            ]
        # The key comes through the environment, so the secret stays out of ``ps``.
        env = {
            **os.environ,
            "ILLUMIO_API_KEY_USERNAME": API_USER,
            "ILLUMIO_API_KEY_SECRET": API_SECRET,
        }
        self._proc = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        assert self._proc.stdout is not None
        self.url = self._proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            self.stop()
            raise RuntimeError("the PCE simulator did not start")
        self._control = ControlClient(self.url, API_USER, API_SECRET)
        return self

    def stop(self) -> None:
        if self._proc is None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=10)
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._proc = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def control(self) -> ControlClient:
        if self._control is None:
            raise RuntimeError("the PCE simulator is not running")
        return self._control

    def requests(self) -> list[dict[str, Any]]:
        """The API request log: ``{"method", "path", "status", "body"}`` in order."""
        return self.control.requests()

    def clear_requests(self) -> None:
        self.control.clear_requests()

    def reset(self) -> None:
        """Forget every object, the log and the rate-limit window."""
        self.control.reset()


class BareClient:
    """The same HTTP calls with a plain ``requests.Session``: what any client pays at least."""

    def __init__(self, pce: SimulatorProcess) -> None:
        self.api_url = pce.api_url
        self.session = requests.Session()
        self.session.auth = (API_USER, API_SECRET)
        self.session.headers.update({"Accept": "application/json"})

    def call(self, method: str, href: str, body: Any = None) -> Any:
        """One request; the decoded JSON body, or None for an empty answer (204)."""
        response = self.session.request(method, self.api_url + href, json=body, timeout=30)
        response.raise_for_status()
        return response.json() if response.content else None

    def create_profile(self, body: Mapping[str, Any]) -> str:
        return str(self.call("POST", "/orgs/1/pairing_profiles", dict(body))["href"])

    def close(self) -> None:
        self.session.close()


def stack_config(pce: SimulatorProcess, **overrides: str) -> dict[str, str]:
    """The ``illumio:*`` stack config a program would hand the provider."""
    config = {
        "illumio:pceHost": pce.url,
        "illumio:apiKeyUsername": API_USER,
        "illumio:apiKeySecret": API_SECRET,
    }
    config.update({f"illumio:{key}": value for key, value in overrides.items()})
    return config


@contextmanager
def provider_process(
    pce: SimulatorProcess, *, budget_dir: str | None = None, **overrides: str
) -> Iterator[Engine]:
    """A configured ``python -m pulumi.dynamic``, the process the engine runs providers in.

    A fresh one per measurement: the process keeps caches (the refresh snapshot, the pacer's
    window) that would otherwise carry over from one measurement to the next. For the same
    reason it gets an empty budget directory of its own, unless ``budget_dir`` is given: the
    budget file would carry the window over too (section 10 hands it over on purpose).
    """
    with (
        tempfile.TemporaryDirectory(prefix="benchmark-budget-") as fresh,
        Engine(call_timeout=600, env={BUDGET_DIR_ENV: budget_dir or fresh}) as engine,
    ):
        engine.configure(stack_config(pce, **overrides), secret_keys={"illumio:apiKeySecret"})
        yield engine


def seed_profiles(bare: BareClient, prefix: str, count: int) -> list[str]:
    """Create ``count`` profiles directly, as if made before the stack existed."""
    return [
        bare.create_profile({"name": f"{prefix}{i:05d}", "enabled": True}) for i in range(count)
    ]
