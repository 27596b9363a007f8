"""Shared fixtures: one in-process PCE simulator per test session, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from pairing_provider.budget_file import separate_budget_dir
from pairing_provider.client import PCEClient, reset_connections
from pairing_provider.config import Settings
from pairing_provider.simulator import Simulator
from tests.engine import Engine
from tests.fixtures_engine.process_reset import ProcessResetProvider

API_USER = "api_1a2b3c4d5e6f"
API_SECRET = "sim-secret-0c9f5e2d7b"  # a test credential; scanned for in outputs and logs


@pytest.fixture(scope="session", autouse=True)
def budget_dir() -> Iterator[Path]:
    """Budget files of every provider the session runs, in process or not: a temporary
    directory, never the user's cache (autouse: set before any provider process starts)."""
    with separate_budget_dir() as directory:
        yield directory


@pytest.fixture(scope="session")
def simulator_server() -> Iterator[Simulator]:
    with Simulator(api_key_username=API_USER, api_key_secret=API_SECRET, org_id=1) as sim:
        yield sim


@pytest.fixture
def simulator(simulator_server: Simulator, budget_dir: Path) -> Simulator:
    simulator_server.reset()
    for budget_file in budget_dir.iterdir():  # its rate window is empty again: so are they
        budget_file.unlink()
    # Providers run in-process under set_mocks keep process-wide caches (label listing,
    # refresh snapshot) keyed by connection settings: a reset simulator must not meet them.
    reset_connections()
    return simulator_server


@pytest.fixture(scope="session")
def shared_engine(simulator_server: Simulator) -> Iterator[Engine]:
    """One provider process for the session (per xdist worker), configured for the simulator."""
    with Engine() as running:
        running.configure(stack_config(simulator_server), secret_keys={"illumio:apiKeySecret"})
        yield running


@pytest.fixture
def engine(
    simulator: Simulator, shared_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    """A provider process as the engine starts it, configured for the simulator.

    Shared by the tests, and emptied before each one of every process-wide client, pacer and
    cache (the label listing, the refresh snapshot) by a Check inside it
    (tests/fixtures_engine/process_reset.py), so a test meets what a fresh process would hold.

    Every request the provider sends is audited, including those a test clears from the log:
    no PUT may carry ``ven_type`` (the PCE's PUT schema has none: a real PCE answers 406).
    """
    shared_engine.check(ProcessResetProvider(), {}, {})
    seen = len(shared_engine.stderr_text())
    clear = simulator.clear_requests

    def audited_clear() -> None:
        assert_no_put_carries_ven_type(simulator.requests())
        clear()

    monkeypatch.setattr(simulator, "clear_requests", audited_clear)
    yield shared_engine
    assert_no_put_carries_ven_type(simulator.requests())
    assert API_SECRET not in shared_engine.stderr_text()[seen:]


def assert_no_put_carries_ven_type(requests_seen: list[dict[str, Any]]) -> None:
    offending = [
        r["path"]
        for r in requests_seen
        if r["method"] == "PUT" and isinstance(r.get("body"), dict) and "ven_type" in r["body"]
    ]
    assert offending == [], f"PUT with ven_type sent to {offending}"


@pytest.fixture
def settings(simulator: Simulator) -> Settings:
    return Settings(
        pce_host=simulator.url,
        api_key_username=API_USER,
        api_key_secret=API_SECRET,
        request_timeout=5,
        max_retries=3,
        operation_timeout=30,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[PCEClient]:
    pce = PCEClient(settings)
    yield pce
    pce.close()


def stack_config(simulator: Simulator, **overrides: str) -> dict[str, str]:
    """The ``illumio:*`` stack config a Pulumi program would hand the provider."""
    config = {
        "illumio:pceHost": simulator.url,
        "illumio:apiKeyUsername": API_USER,
        "illumio:apiKeySecret": API_SECRET,
        "illumio:requestTimeout": "5",
        "illumio:maxRetries": "3",
    }
    config.update({f"illumio:{key}": value for key, value in overrides.items()})
    return config


def issued_codes(simulator: Simulator) -> list[str]:
    """Activation codes the simulator issued, from its control API."""
    response = requests.get(f"{simulator.url}/_simulator/pairing_keys", timeout=5)
    response.raise_for_status()
    return [key["activation_code"] for key in response.json()]
