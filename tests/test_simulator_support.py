"""Helpers and fixtures of the simulator tests (a plugin of the test_simulator* modules).

Everything goes over real HTTP with ``requests``; time comes from a :class:`FakeClock`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from pairing_provider.simulator import Simulator

USER = "api_1a2b3c4d"
SECRET = "very-secret-key-material"
T0 = 1700000000.123  # 2023-11-14T22:13:20.123Z
TIMEOUT = 10  # a hung simulator must fail a test, not hang the run


def call(method: str, url: str, **kwargs: Any) -> requests.Response:
    """One request on a fresh connection, with a timeout."""
    timeout = kwargs.pop("timeout", TIMEOUT)
    return requests.request(method, url, timeout=timeout, **kwargs)


def control(method: str, url: str, **kwargs: Any) -> requests.Response:
    """A control API request (``/_simulator/...``), with the API key it requires."""
    return call(method, url, auth=(USER, SECRET), **kwargs)


class Session(requests.Session):
    """A keep-alive session that always sends the API key and has a default timeout."""

    def __init__(self) -> None:
        super().__init__()
        self.auth = (USER, SECRET)

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return super().request(method, url, *args, **kwargs)


class FakeClock:
    """A settable clock: pins timestamps and drives the rate limiter without sleeping."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[Simulator]:
    with Simulator(api_key_username=USER, api_key_secret=SECRET, clock=clock) as simulator:
        yield simulator


@pytest.fixture
def session(sim: Simulator) -> Iterator[requests.Session]:
    with Session() as session:
        yield session


def api(sim: Simulator, path: str) -> str:
    return f"{sim.url}/api/v2{path}"


def create(session: requests.Session, sim: Simulator, **fields: Any) -> dict[str, Any]:
    body = {"enabled": True, **fields}
    response = session.post(api(sim, "/orgs/1/pairing_profiles"), json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def label(session: requests.Session, sim: Simulator, key: str, value: str) -> str:
    response = session.post(api(sim, "/orgs/1/labels"), json={"key": key, "value": value})
    assert response.status_code == 201, response.text
    href: str = response.json()["href"]
    return href


def assert_refused(response: requests.Response, status: int, token: str, *words: str) -> None:
    """The PCE's refusal shape: a JSON array of token/message objects."""
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body, list) and body
    assert all(set(item) == {"token", "message"} for item in body)
    assert body[0]["token"] == token
    text = " ".join(item["message"] for item in body)
    for word in words:
        assert word in text, (word, text)


def seed(sim: Simulator, count: int, **fields: Any) -> None:
    """Many profiles, straight into the model: fast, and not in the request log."""
    for index in range(count):
        sim.state.create_profile(1, {"enabled": True, "name": f"seed-{index:04d}", **fields})


def _start_cli(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "ILLUMIO_API_KEY_USERNAME": USER, "ILLUMIO_API_KEY_SECRET": SECRET}
    return subprocess.Popen(
        [sys.executable, "-m", "pairing_provider.simulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def _stop_cli(process: subprocess.Popen[str]) -> int:
    process.terminate()
    try:
        return process.wait(timeout=10)
    finally:
        if process.stdout:
            process.stdout.close()
