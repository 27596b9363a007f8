"""Shared fixtures: one in-process PCE simulator per test session, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from pairing_provider.client import PCEClient, reset_connections
from pairing_provider.config import Settings
from pairing_provider.simulator import Simulator
from tests.engine import Engine

API_USER = "api_1a2b3c4d5e6f"
API_SECRET = "sim-secret-0c9f5e2d7b"  # a test credential; scanned for in outputs and logs


@pytest.fixture(scope="session")
def simulator_server() -> Iterator[Simulator]:
    with Simulator(api_key_username=API_USER, api_key_secret=API_SECRET, org_id=1) as sim:
        yield sim


@pytest.fixture
def simulator(simulator_server: Simulator) -> Simulator:
    simulator_server.reset()
    # Providers run in-process under set_mocks keep process-wide caches (label listing,
    # refresh snapshot) keyed by connection settings: a reset simulator must not meet them.
    reset_connections()
    return simulator_server


@pytest.fixture
def engine(simulator: Simulator) -> Iterator[Engine]:
    """A provider process as the engine starts it, configured for the simulator.

    A fresh one per test: the process keeps caches (the label listing, the refresh snapshot)
    that must not carry over a simulator reset.
    """
    with Engine() as running:
        running.configure(stack_config(simulator), secret_keys={"illumio:apiKeySecret"})
        yield running
    assert API_SECRET not in running.stderr_text()


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
