"""Shared fixtures: one in-process PCE simulator per test session, reset before each test."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pairing_provider.budget_file import separate_budget_dir
from pairing_provider.client import PCEClient, reset_connections
from pairing_provider.config import Settings
from pairing_provider.simulator import Simulator
from pairing_provider.testing import RunResult, Stack, Step
from pairing_provider.testing.channels import ChannelFactory, over_grpc_process
from pairing_provider.testing.stack import Program
from tests.credentials import API_SECRET, API_USER
from tests.engine import Engine
from tests.fixtures_engine.process_reset import ProcessResetProvider


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
def audited(simulator: Simulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    """The simulator, every request sent to it audited, including those a test clears from the
    log: no PUT may carry ``ven_type`` (the PCE's PUT schema has none: a real PCE answers 406)."""
    clear = simulator.clear_requests

    def audited_clear() -> None:
        assert_no_put_carries_ven_type(simulator.requests())
        clear()

    monkeypatch.setattr(simulator, "clear_requests", audited_clear)
    yield simulator
    assert_no_put_carries_ven_type(simulator.requests())


@pytest.fixture
def engine(audited: Simulator, shared_engine: Engine) -> Iterator[Engine]:
    """A provider process as the engine starts it, configured for the simulator.

    Shared by the tests, and emptied before each one of every process-wide client, pacer and
    cache (the label listing, the refresh snapshot) by a Check inside it
    (tests/fixtures_engine/process_reset.py), so a test meets what a fresh process would hold.
    The simulator's requests are audited (the ``audited`` fixture).
    """
    shared_engine.check(ProcessResetProvider(), {}, {})
    seen = len(shared_engine.stderr_text())
    yield shared_engine
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


def kit_stack(
    simulator: Simulator,
    program: Program,
    *,
    project: str = "proj",
    config: dict[str, str] | None = None,
    channels: ChannelFactory | None = None,
) -> Stack:
    """A test-kit stack of ``program`` whose providers talk to the session's simulator
    (in-process, or through ``channels``)."""
    return Stack(
        program,
        config={**stack_config(simulator), **(config or {})},
        secrets=("illumio:apiKeySecret",),
        project=project,
        request_log=simulator.requests,
        channels=channels,
    )


@pytest.fixture
def kit(audited: Simulator) -> Stack:
    """An empty test-kit stack on the simulator, its providers in this process (give it a
    program with :func:`run`)."""
    return kit_stack(audited, lambda: None)


@pytest.fixture
def grpc_kit(engine: Engine, simulator: Simulator) -> Stack:
    """An empty test-kit stack whose providers run in the shared provider process, called over
    gRPC as the engine calls them: a provider's error arrives as the engine prints it."""
    return kit_stack(simulator, lambda: None, channels=over_grpc_process(engine))


def run(stack: Stack, program: Program, *, preview: bool = False) -> RunResult:
    """``pulumi up`` (or ``preview``) of ``stack`` with its program edited to ``program``."""
    stack.program = program
    return stack.preview() if preview else stack.up()


def step(result: RunResult, name: str) -> Step:
    """The step of the resource called ``name`` in this run."""
    [found] = [candidate for candidate in result.steps if candidate.name == name]
    return found


def names(stack: Stack) -> list[str]:
    """The names of the resources in the stack's state, in order."""
    return [state.name for state in stack.state.values()]


def issued_codes(simulator: Simulator) -> list[str]:
    """Activation codes the simulator issued, from its control API."""
    return [key["activation_code"] for key in simulator.control_client().pairing_keys()]


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll ``condition`` until it holds; fail the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


# The native plugin's fixtures, here so that one plugin process serves every module of a
# worker (imported into each test module, a session fixture is one per module); its asserts
# rewritten as a test module's are.
pytest.register_assert_rewrite("tests.native_driver")
from tests.native_driver import plugin_fixture, shared_plugin_fixture  # noqa: E402, F401
