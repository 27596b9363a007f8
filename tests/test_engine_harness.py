"""Prove that ``tests/engine.py`` plays the engine's side of the protocol faithfully.

Uses the throwaway ``tests/fixtures_engine/echo_provider.py``, which reports in its results what
it actually received in the ``python -m pulumi.dynamic`` child process. One child serves the
whole module (start-up costs ~0.35 s), configured once before any provider is used, because
the SDK server configures each provider only on first use.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

_REPO_ROOT = Path(__file__).resolve().parents[1]
if str(_REPO_ROOT) not in sys.path:  # pytest's rootdir-less import mode only adds tests/
    sys.path.insert(0, str(_REPO_ROOT))

from tests.engine import (  # noqa: E402
    DEFAULT_URN,
    UNKNOWN,
    ConfigureResult,
    Engine,
    EngineError,
    is_secret,
    is_unknown,
    pickled_bytes,
    secret,
    serialized,
    unwrap,
)
from tests.fixtures_engine.echo_provider import EchoProvider  # noqa: E402

SECRET_VALUE = "s3cr3t-api-key-value"
CONFIG = {"illumio:pceHost": "pce.example.com", "illumio:apiSecret": SECRET_VALUE}
UNKNOWN_TYPE = "pulumi.output.Unknown"


@pytest.fixture(scope="module")
def configured() -> Iterator[tuple[Engine, ConfigureResult]]:
    """One dynamic-provider process for the module, configured before first use."""
    with Engine() as engine:
        result = engine.configure(CONFIG, secret_keys={"illumio:apiSecret"})
        yield engine, result


@pytest.fixture
def engine(configured: tuple[Engine, ConfigureResult]) -> Engine:
    """The shared, configured engine."""
    return configured[0]


@pytest.fixture
def provider() -> EchoProvider:
    """A fresh provider instance (stateless, so it serializes identically every time)."""
    return EchoProvider()


def test_serialized_provider_is_a_small_pickle_by_reference(provider: EchoProvider) -> None:
    text = serialized(provider)
    assert Engine.serialized(provider) == text
    raw = pickled_bytes(text)
    assert b"tests.fixtures_engine.echo_provider" in raw
    assert b"EchoProvider" in raw
    assert len(text) < 200  # by reference: no code travels


def test_serialized_matches_what_dynamic_resource_registers(provider: EchoProvider) -> None:
    """A real ``pulumi.dynamic.Resource`` (under SDK mocks, in a clean process) registers the
    same ``__provider`` string, wrapped as a secret that the engine strips for the provider."""
    script = textwrap.dedent(
        """
        import json
        import pulumi
        from pulumi.dynamic import Resource
        from tests.fixtures_engine.echo_provider import EchoProvider

        class Mocks(pulumi.runtime.Mocks):
            def new_resource(self, args):
                print(json.dumps({"type": args.typ, "provider": args.inputs["__provider"]}))
                return "id", args.inputs

            def call(self, args):
                return {}

        pulumi.runtime.set_mocks(Mocks(), preview=False)

        class PairingProfile(Resource, module="illumio", name="PairingProfile"):
            pass

        @pulumi.runtime.test
        def run():
            return PairingProfile(EchoProvider(), "name", {"name": "web"}).urn

        run()
        """
    )
    env = {**os.environ, "PYTHONPATH": str(_REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=_REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    registered = json.loads(done.stdout.strip().splitlines()[-1])
    assert registered["type"] == DEFAULT_URN.split("::")[2]
    assert is_secret(registered["provider"])
    assert unwrap(registered["provider"]) == serialized(provider)


def test_configure_announces_no_secret_or_preview_support(
    configured: tuple[Engine, ConfigureResult],
) -> None:
    _engine, result = configured
    assert result == ConfigureResult(
        accept_secrets=False, supports_preview=False, accept_resources=False, accept_outputs=False
    )


def test_configure_reaches_req_config_with_secrets_unwrapped(
    engine: Engine, provider: EchoProvider
) -> None:
    _rid, outs = engine.create(provider, {"name": "cfg"})
    assert outs["config_host"] == "pce.example.com"
    assert outs["config_secret_type"] == "builtins.str"  # unwrapped, not a signature dict
    assert outs["config_secret_len"] == float(len(SECRET_VALUE))
    # An unqualified key resolves against the project ("project" unless PULUMI_PROJECT is set).
    assert "config_unqualified_host" not in outs  # None is dropped on the wire


def test_create_returns_id_and_outs_with_numbers_as_floats(
    engine: Engine, provider: EchoProvider
) -> None:
    rid, outs = engine.create(provider, {"name": "web", "count": 3, "ratio": 1.5, "on": True})
    assert rid == "echo-web"
    assert outs["count"] == 3.0
    assert isinstance(outs["count"], float)
    assert outs["ratio"] == 1.5
    assert outs["on"] is True
    assert outs["seen_types"]["count"] == "builtins.float"  # the provider got 3.0, not 3
    assert "__provider" not in outs
    assert "echo-create name='web'" in engine.stderr_text()


def test_create_drops_unknowns_and_passes_secret_markers_verbatim(
    engine: Engine, provider: EchoProvider
) -> None:
    _rid, outs = engine.create(
        provider,
        {"name": "x", "later": UNKNOWN, "items": [1, UNKNOWN], "pw": secret("p"), "gone": None},
    )
    assert "later" not in outs["seen_types"]  # unknown -> None -> key dropped
    assert "gone" not in outs["seen_types"]
    assert outs["items"] == [1.0, None]
    assert outs["seen_types"]["pw"] == "builtins.dict"  # the raw signature dict
    assert is_secret(outs["pw"])
    assert unwrap(outs["pw"]) == "p"


def test_check_returns_normalised_inputs_and_failures(
    engine: Engine, provider: EchoProvider
) -> None:
    ok = engine.check(provider, {}, {"name": "  Web  ", "count": 2})
    assert ok.failures == []
    assert ok.inputs["name"] == "web"
    assert ok.inputs["count"] == 2.0
    bad = engine.check(provider, {"name": "old"}, {"count": 2})
    assert bad.failures == [("name", "name is required")]


def test_check_receives_unknowns_as_pulumi_unknown(engine: Engine, provider: EchoProvider) -> None:
    result = engine.check(
        provider,
        {},
        {"name": "web", "later": UNKNOWN, "items": [1, UNKNOWN], "obj": {"k": UNKNOWN}},
    )
    assert result.inputs["seen_types"]["later"] == UNKNOWN_TYPE
    # Unknowns echoed back come back as the sentinel, at any depth.
    assert result.inputs["later"] == UNKNOWN
    assert result.inputs["items"] == [1.0, UNKNOWN]
    assert result.inputs["obj"] == {"k": UNKNOWN}
    assert is_unknown(result.inputs["later"])


def test_diff_reports_explicit_changes_and_replaces(engine: Engine, provider: EchoProvider) -> None:
    changed = engine.diff(provider, "echo-a", {"name": "a", "count": 1}, {"name": "b", "count": 1})
    assert changed.changes is True
    assert changed.replaces == ["name"]
    assert changed.delete_before_replace is True
    assert changed.stables == []  # the SDK server never forwards stables
    same = engine.diff(provider, "echo-a", {"name": "a"}, {"name": "a"})
    assert same.changes is False
    assert same.replaces == []


def test_diff_receives_unknowns(engine: Engine, provider: EchoProvider) -> None:
    result = engine.diff(provider, "echo-a", {"name": "a"}, {"name": UNKNOWN})
    assert result.changes is None  # the echo provider answers DIFF_UNKNOWN when it sees Unknown


def test_read_refresh_get_and_gone(engine: Engine, provider: EchoProvider) -> None:
    refreshed = engine.read(provider, "echo-web", {"name": "web", "n": 1}, {"name": "web"})
    assert refreshed.id == "echo-web"
    assert refreshed.outs == {"name": "web", "n": 1.0, "refreshed": True}
    assert refreshed.inputs == {"name": "web"}
    got = engine.read(provider, "echo-web", {}, {"name": "web"})  # `get`: inputs only
    assert got.outs["refreshed"] is True
    gone = engine.read(provider, "gone", {"name": "web"})
    assert gone == ("", {}, None)


def test_update_returns_new_outs(engine: Engine, provider: EchoProvider) -> None:
    outs = engine.update(provider, "echo-a", {"name": "a", "count": 1}, {"name": "b", "count": 2})
    assert outs == {"name": "b", "count": 2.0, "previous_name": "a"}


def test_delete_reaches_provider(engine: Engine, provider: EchoProvider) -> None:
    assert engine.delete(provider, "echo-a", {"name": "a"}) is None
    with pytest.raises(EngineError) as caught:
        engine.delete(provider, "undeletable", {"name": "a"})
    assert "field 'id' is protected" in caught.value.last_line


def test_provider_exception_surfaces_as_engine_error(
    engine: Engine, provider: EchoProvider
) -> None:
    with pytest.raises(EngineError) as caught:
        engine.check(provider, {}, {"name": "x", "explode": "boom"})
    err = caught.value
    assert err.method == "Check"
    assert err.code == grpc.StatusCode.UNKNOWN
    assert err.last_line == "ValueError: field 'explode' is not allowed (got 'boom')"
    assert "Traceback" in err.details


def test_secret_config_value_not_in_child_output(engine: Engine) -> None:
    assert SECRET_VALUE not in engine.stderr_text()
    assert SECRET_VALUE not in engine.stdout_text()


def test_engine_starts_fast_and_cleans_up() -> None:
    started = time.monotonic()
    with Engine() as engine:
        elapsed = time.monotonic() - started
        pid = engine.pid
        assert pid is not None
        assert engine.port is not None
    assert elapsed < 10
    assert engine.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert engine.stderr_text() == ""  # still readable after close
