"""Prove that ``tests/engine.py`` plays the engine's side of the protocol faithfully.

Uses the throwaway ``tests/fixtures_engine/echo_provider.py``, which reports in its results what
it actually received in the ``python -m pulumi.dynamic`` child process. One child serves the
whole module (start-up costs ~0.35 s), configured once before any provider is used, because
the SDK server configures each provider only on first use.

The second half proves that the test kit's engine (``pairing_provider.testing``), running real
Pulumi programs with its gRPC provider channel to the same process, chains the calls as the
engine does (docs/pulumi-engine.md), with ``tests/fixtures_engine/recording_provider.py``,
which logs every call it receives, and ``Engine.requests``, which shows what went on the wire.
"""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from pulumi.runtime import rpc

_REPO_ROOT = Path(__file__).resolve().parents[1]
if str(_REPO_ROOT) not in sys.path:  # pytest's rootdir-less import mode only adds tests/
    sys.path.insert(0, str(_REPO_ROOT))

import pulumi  # noqa: E402

from pairing_provider.testing import UNKNOWN as KIT_UNKNOWN  # noqa: E402
from pairing_provider.testing import RunResult, StackError  # noqa: E402
from pairing_provider.testing import Stack as KitStack  # noqa: E402
from pairing_provider.testing.channels import over_grpc_process  # noqa: E402
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
from tests.fixtures_engine.recording_provider import (  # noqa: E402
    GONE_VARIABLE,
    LOG_VARIABLE,
    UNKNOWN_TEXT,
    RecordingProvider,
)
from tests.fixtures_engine.thing import Thing  # noqa: E402

SECRET_VALUE = "s3cr3t-api-key-value"
CONFIG = {"illumio:pceHost": "pce.example.com", "illumio:apiSecret": SECRET_VALUE}
UNKNOWN_TYPE = "pulumi.output.Unknown"


@pytest.fixture(scope="module")
def provider_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The files the recording provider writes its calls to and reads gone ids from."""
    folder = tmp_path_factory.mktemp("recording")
    files = {LOG_VARIABLE: folder / "calls.jsonl", GONE_VARIABLE: folder / "gone.txt"}
    for path in files.values():
        path.touch()
    return files


@pytest.fixture(scope="module")
def configured(provider_files: dict[str, Path]) -> Iterator[tuple[Engine, ConfigureResult]]:
    """One dynamic-provider process for the module, configured before first use."""
    env = {name: str(path) for name, path in provider_files.items()}
    with Engine(env=env, record_requests=True) as engine:
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


@pytest.mark.newer_sdk
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


@pytest.mark.newer_sdk
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


# -- the engine's sequences (the kit's engine over gRPC), seen from the provider's side -------

KIND = "pulumi-python:dynamic/test:Thing"
U = UNKNOWN_TEXT
Program = Callable[[], None]


@pytest.fixture
def stack(engine: Engine, provider_files: dict[str, Path]) -> KitStack:
    """An empty kit stack whose providers run in the shared process, over gRPC; the call log,
    the gone list and the recorded requests emptied."""
    for path in provider_files.values():
        path.write_text("")
    engine.requests.clear()
    return KitStack(lambda: None, project="proj", stack="dev", channels=over_grpc_process(engine))


@pytest.fixture
def calls(provider_files: dict[str, Path]) -> Callable[[], list[dict[str, Any]]]:
    """Read and empty the recording provider's log: the calls since the last read."""

    def take() -> list[dict[str, Any]]:
        log = provider_files[LOG_VARIABLE]
        lines = log.read_text().splitlines()
        log.write_text("")
        return [json.loads(line) for line in lines]

    return take


def seen(name: str, resource: Thing, keys: list[str]) -> None:
    """Export what the program sees of ``resource``: its id and the outputs ``keys``."""
    pulumi.export(f"{name}.id", resource.id)
    for key in keys:
        pulumi.export(f"{name}.{key}", getattr(resource, key))


def thing(**inputs: Any) -> Program:
    """A one-resource program: resource ``a`` with these inputs (``opts`` as resource options)."""
    opts = inputs.pop("opts", None)

    def program() -> None:
        seen("a", Thing("a", inputs, opts), [*inputs, "serial"])

    return program


def pair(a_inputs: dict[str, Any]) -> Program:
    """Resource ``a``, and ``b`` whose input ``parent`` is ``a``'s id and ``size`` a's size."""

    def program() -> None:
        a = Thing("a", a_inputs)
        seen("a", a, [])
        size = getattr(a, "size", None)  # None (dropped) when a has no size
        b_inputs = {"name": "b", "parent": a.id, "size": size, "serial": a.serial}
        seen("b", Thing("b", b_inputs), [])

    return program


def up(stack: KitStack, program: Program) -> RunResult:
    stack.program = program
    return stack.up()


def preview(stack: KitStack, program: Program) -> RunResult:
    stack.program = program
    return stack.preview()


def op(result: RunResult, name: str) -> str:
    return next(step.op for step in result.steps if step.name == name)


def names(stack: KitStack) -> list[str]:
    return [state.name for state in stack.state.values()]


def sent(engine: Engine, method: str) -> list[Any]:
    return [request for name, request in engine.requests if name == method]


def test_preview_check_diff_only_and_what_the_program_sees(
    stack: KitStack, calls: Callable[[], list[dict[str, Any]]]
) -> None:
    created = preview(stack, thing(name="a", kind="x"))
    assert calls() == [{"method": "check", "olds": {}, "news": {"name": "a", "kind": "x"}}]
    assert (op(created, "a"), created.outputs["a.id"], created.outputs["a.name"]) == (
        "create",
        KIT_UNKNOWN,
        "a",
    )
    assert created.outputs["a.serial"] is KIT_UNKNOWN  # an output no input has
    assert stack.state == {}

    up(stack, thing(name="a", kind="x", size=1))
    calls()
    old = stack.resource("a")
    assert old.outputs == {"name": "a", "kind": "x", "size": 1.0, "serial": old.outputs["serial"]}

    updated = preview(stack, thing(name="a", kind="x", size=2))
    assert calls() == [
        {"method": "check", "olds": old.inputs, "news": {"name": "a", "kind": "x", "size": 2}},
        {"method": "diff", "id": old.id, "olds": old.outputs, "news": {**old.inputs, "size": 2}},
    ]
    assert (op(updated, "a"), updated.outputs["a.id"], updated.outputs["a.size"]) == (
        "update",
        old.id,
        2.0,
    )
    assert updated.outputs["a.serial"] is KIT_UNKNOWN

    replaced = preview(stack, thing(name="a", kind="y", size=1))
    assert [(c["method"], c["olds"]) for c in calls()] == [
        ("check", old.inputs),
        ("diff", old.outputs),
        ("check", {}),  # the second Check before a replacement: no olds
    ]
    assert (op(replaced, "a"), replaced.outputs["a.id"], replaced.outputs["a.kind"]) == (
        "replace",
        KIT_UNKNOWN,
        "y",
    )
    assert (replaced.outputs["a.name"], replaced.outputs["a.size"]) == ("a", 1.0)
    assert stack.resource("a") == old  # a preview changes nothing


def test_preview_dependent_sees_old_id_on_update_and_unknown_on_replace(
    stack: KitStack, calls: Callable[[], list[dict[str, Any]]]
) -> None:
    up(stack, pair({"name": "a", "kind": "x", "size": 1}))
    a_id = stack.resource("a").id
    calls()

    plan = preview(stack, pair({"name": "a", "kind": "x", "size": 2, "note": "n"}))
    assert (op(plan, "a"), op(plan, "b")) == ("update", "update")
    b_check = calls()[2]
    # The engine knows a's id and inputs during an update's preview, not its other outputs.
    assert b_check["news"] == {"name": "b", "parent": a_id, "size": 2.0, "serial": U}

    plan = preview(stack, pair({"name": "a", "kind": "y", "size": 1}))
    assert (op(plan, "a"), op(plan, "b")) == ("replace", "update")
    b_check = calls()[3]
    assert b_check["news"] == {"name": "b", "parent": U, "size": 1.0, "serial": U}


def test_up_create_then_update_with_old_outputs_and_old_inputs(
    stack: KitStack, engine: Engine, calls: Callable[[], list[dict[str, Any]]]
) -> None:
    first = up(stack, thing(name="a", size=1))
    assert calls() == [
        {"method": "check", "olds": {}, "news": {"name": "a", "size": 1}},
        {"method": "create", "props": {"name": "a", "size": 1}},
    ]
    assert op(first, "a") == "create" and first.outputs["a.id"].startswith("a-")
    old = stack.resource("a")
    assert (old.id, old.inputs) == (first.outputs["a.id"], {"name": "a", "size": 1.0})

    second = up(stack, thing(name="a", size=2))
    assert [c["method"] for c in calls()] == ["check", "diff", "update"]
    [update] = sent(engine, "Update")
    assert engine.decode(update.olds) == old.outputs  # old outputs, serial included
    assert engine.decode(update.old_inputs) == old.inputs
    assert engine.decode(update.news) == {"name": "a", "size": 2.0}
    assert (op(second, "a"), second.outputs["a.id"], second.outputs["a.serial"]) == (
        "update",
        old.id,
        old.outputs["serial"],
    )
    assert stack.resource("a").outputs["size"] == 2.0

    assert op(up(stack, thing(name="a", size=2)), "a") == "same"
    assert [c["method"] for c in calls()] == ["check", "diff"]


def test_up_replacement_creates_updates_dependents_then_deletes_the_old(
    stack: KitStack, engine: Engine, calls: Callable[[], list[dict[str, Any]]]
) -> None:
    up(stack, pair({"name": "a", "kind": "x", "size": 1}))
    old_a, old_b = stack.resource("a"), stack.resource("b")
    calls()

    result = up(stack, pair({"name": "a", "kind": "y", "size": 1}))
    log = calls()
    assert [
        (c["method"], c.get("news", {}).get("name") or c.get("props", {}).get("name")) for c in log
    ] == [
        ("check", "a"),
        ("diff", "a"),
        ("check", "a"),
        ("create", "a"),
        ("check", "b"),
        ("diff", "b"),
        ("update", "b"),
        ("delete", "a"),  # create-before-delete: the old one goes last
    ]
    new_a = stack.resource("a")
    assert log[4]["news"]["parent"] == new_a.id != old_a.id
    assert log[7] == {"method": "delete", "id": old_a.id, "props": old_a.outputs}
    [delete] = sent(engine, "Delete")
    assert engine.decode(delete.old_inputs) == old_a.inputs
    assert result.changes == {"a": "replace", "b": "update"}
    assert names(stack) == ["a", "b"] and stack.resource("b").id == old_b.id


def test_delete_before_replace_deletes_first(
    stack: KitStack, calls: Callable[[], list[dict[str, Any]]]
) -> None:
    up(stack, thing(name="a", kind="x"))
    old = stack.resource("a")
    calls()
    up(stack, thing(name="a", kind="y", dbr=True))
    assert [c["method"] for c in calls()] == ["check", "diff", "check", "delete", "create"]
    # The resource option wins over the provider's answer.
    calls()
    options = pulumi.ResourceOptions(delete_before_replace=False)
    up(stack, thing(name="a", kind="z", dbr=True, opts=options))
    assert [c["method"] for c in calls()] == ["check", "diff", "check", "create", "delete"]
    assert stack.resource("a").id != old.id


def test_diff_unknown_lets_the_engine_compare_inputs(
    stack: KitStack, calls: Callable[[], list[dict[str, Any]]]
) -> None:
    up(stack, thing(name="a", diff="unknown", size=1))
    assert op(up(stack, thing(name="a", diff="unknown", size=1)), "a") == "same"
    assert op(up(stack, thing(name="a", diff="unknown", size=2)), "a") == "update"


def test_refresh_reads_with_old_outputs_and_inputs_then_diffs_for_display(
    stack: KitStack,
    engine: Engine,
    provider_files: dict[str, Path],
    calls: Callable[[], list[dict[str, Any]]],
) -> None:
    def program() -> None:
        Thing("a", {"name": "a", "read_inputs": True})
        Thing("b", {"name": "b"}, pulumi.ResourceOptions(depends_on=[]))
        Thing("c", {"name": "c"})

    up(stack, program)
    a, b, c = (stack.resource(n) for n in "abc")
    provider_files[GONE_VARIABLE].write_text(c.id)
    calls()
    engine.requests.clear()

    refreshed = stack.refresh()
    log = calls()
    assert sorted((x["method"], x["id"]) for x in log) == sorted(
        [("read", a.id), ("diff", a.id), ("read", b.id), ("diff", b.id), ("read", c.id)]
    )
    read_a = next(x for x in log if x["method"] == "read" and x["id"] == a.id)
    diff_a = next(x for x in log if x["method"] == "diff" and x["id"] == a.id)
    assert read_a["props"] == a.outputs
    [request_a] = [r for r in sent(engine, "Read") if r.id == a.id]
    assert engine.decode(request_a.inputs) == a.inputs
    # Diff for display: the refreshed state as the olds, the old inputs as the news.
    assert diff_a["olds"] == {**a.outputs, "refreshed": True}
    assert diff_a["news"] == a.inputs
    [display_a] = [r for r in sent(engine, "Diff") if r.id == a.id]
    assert engine.decode(display_a.old_inputs) == {**a.inputs, "from_read": True}
    # ReadResult.inputs become the inputs; without them the old inputs stay; gone is dropped.
    assert stack.resource("a").inputs == {**a.inputs, "from_read": True}
    assert stack.resource("b").inputs == b.inputs
    assert sorted(names(stack)) == ["a", "b"]
    assert refreshed.changes == {"a": "update", "b": "update", "c": "delete"}


def test_get_reads_with_only_the_provider_also_in_preview(
    stack: KitStack, engine: Engine, calls: Callable[[], list[dict[str, Any]]]
) -> None:
    def program() -> None:
        found = Thing("found", {"refreshed": None}, pulumi.ResourceOptions(id="thing-7"))  # a get
        seen("found", found, ["refreshed"])

    for operation in (preview, up):
        engine.requests.clear()
        result = operation(stack, program)
        assert calls() == [{"method": "read", "id": "thing-7", "props": {}}]
        [read] = sent(engine, "Read")
        just_provider = {"__provider": serialized(RecordingProvider())}
        assert rpc.deserialize_properties(read.properties) == just_provider
        assert rpc.deserialize_properties(read.inputs) == just_provider
        assert (op(result, "found"), result.outputs["found.id"]) == ("read", "thing-7")
        assert result.outputs["found.refreshed"] is True
    assert stack.destroy().resources == []
    assert calls() == []  # a resource read with get is never deleted


def test_destroy_deletes_in_reverse_dependency_order_with_old_outputs(
    stack: KitStack, engine: Engine, calls: Callable[[], list[dict[str, Any]]]
) -> None:
    up(stack, pair({"name": "a", "size": 1}))
    a, b = stack.resource("a"), stack.resource("b")
    calls()
    engine.requests.clear()
    assert stack.destroy().changes == {"b": "delete", "a": "delete"}
    assert calls() == [
        {"method": "delete", "id": b.id, "props": b.outputs},
        {"method": "delete", "id": a.id, "props": a.outputs},
    ]
    assert [engine.decode(d.old_inputs) for d in sent(engine, "Delete")] == [b.inputs, a.inputs]
    assert stack.state == {}


def test_up_deletes_what_the_program_no_longer_declares(
    stack: KitStack, calls: Callable[[], list[dict[str, Any]]]
) -> None:
    up(stack, pair({"name": "a"}))
    a, b = stack.resource("a"), stack.resource("b")
    calls()
    result = up(stack, thing(name="a"))
    assert [c["method"] for c in calls()] == ["check", "diff", "delete"]
    assert result.changes == {"b": "delete"} and names(stack) == ["a"]

    up(stack, pair({"name": "a"}))
    a, b = stack.resource("a"), stack.resource("b")
    calls()
    assert [s.name for s in up(stack, lambda: None).steps] == ["b", "a"]  # dependents first
    assert [(c["method"], c["id"]) for c in calls()] == [("delete", b.id), ("delete", a.id)]
    assert stack.state == {}


def test_protect_refuses_replacement_and_destroy(
    stack: KitStack, calls: Callable[[], list[dict[str, Any]]]
) -> None:
    def program(kind: str) -> Program:
        return thing(name="a", kind=kind, opts=pulumi.ResourceOptions(protect=True))

    up(stack, program("x"))
    calls()
    with pytest.raises(StackError, match="unable to replace"):
        up(stack, program("y"))
    with pytest.raises(StackError, match="cannot be deleted"):
        stack.destroy()
    assert [c["method"] for c in calls()] == ["check", "diff"]


PAIR_PROGRAM = Path(__file__).resolve().parent / "fixtures_engine" / "pair_program.py"


def pair_program(stack: KitStack, *, preview: bool, kind: str, size: int) -> RunResult:
    stack.set_config("kind", kind)
    stack.set_config("size", str(size))
    return stack.preview() if preview else stack.up()


def ops(result: RunResult) -> tuple[str, str]:
    by_name = {step.name: step.op for step in result.steps}
    return by_name["a"], by_name["b"]


def test_a_real_program_previews_and_updates_through_the_sequences(
    stack: KitStack, calls: Callable[[], list[dict[str, Any]]]
) -> None:
    """The kit's engine (pairing_provider.testing) runs the program, over gRPC to the provider
    process, as the engine runs it."""
    stack.program = lambda: runpy.run_path(str(PAIR_PROGRAM), run_name="__main__")
    first = pair_program(stack, preview=False, kind="x", size=1)
    a, b = stack.resource("a"), stack.resource("b")
    assert ops(first) == ("create", "create")
    assert b.inputs["parent"] == a.id and b.inputs["parent_serial"] == a.outputs["serial"]
    assert first.outputs == {"a_id": a.id, "b_parent": a.id}
    calls()

    update = pair_program(stack, preview=True, kind="x", size=2)
    b_check = [c for c in calls() if c["method"] == "check"][1]
    # a's id and inputs are known during its update's preview; its other outputs are not.
    assert b_check["news"] == {"name": "b", "parent": a.id, "size": 2.0, "parent_serial": U}
    assert ops(update) == ("update", "update")
    assert update.outputs == {"a_id": a.id, "b_parent": a.id}

    replace = pair_program(stack, preview=True, kind="y", size=1)
    b_check = [c for c in calls() if c["method"] == "check"][2]  # after a's second Check
    assert b_check["news"]["parent"] == U
    assert ops(replace) == ("replace", "update")
    assert replace.outputs == {"a_id": KIT_UNKNOWN, "b_parent": KIT_UNKNOWN}
    assert stack.resource("a") == a  # previews change nothing

    done = pair_program(stack, preview=False, kind="y", size=1)
    assert [c["method"] for c in calls()] == [
        "check",
        "diff",
        "check",
        "create",
        "check",
        "diff",
        "update",
        "delete",
    ]
    assert done.changes == {"a": "replace", "b": "update"}  # and the old a deleted: above
    assert done.outputs["a_id"] == stack.resource("a").id != a.id
