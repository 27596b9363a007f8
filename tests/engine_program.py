"""Run a real Pulumi program (e.g. ``examples/fleet/__main__.py``) through the engine sequences.

The program runs in this process on the Pulumi SDK, exactly as ``pulumi preview`` or ``pulumi
up`` would run it, except that the resource monitor it talks to is :class:`StackMonitor`: each
``RegisterResource`` (a ``pulumi.dynamic.Resource``) and ``ReadResource`` (``Resource.get``)
the SDK sends is played by a :class:`tests.engine_stack.Run` against the real provider process
of a :class:`tests.engine_stack.Stack`. The answer goes back to the SDK as the engine's would, so
the program sees what it would see: in a preview an unknown id for a create or replacement, the
old id for an update, unknown outputs where the engine has none, and the resources that depend
on them get those unknowns in their own Check and Diff::

    stack = Stack(engine)
    run_program(stack, FLEET, preview=False, config={"pairing-provider:rotation": "1"})
    plan = run_program(stack, FLEET, preview=True, config={"pairing-provider:rotation": "2"})
    assert plan.op("prod-key") == "replace" and plan.op("prod") == "same"

Not modelled: the engine's secret marking of ``additional_secret_outputs`` (the monitor hands
outputs back unmarked; tests read ``RecordingMonitor`` requests for that), component resources,
explicit provider resources, invokes.
"""

from __future__ import annotations

import base64
import runpy
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dill
import pulumi
from pulumi.dynamic import ResourceProvider
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.stack import get_root_resource, run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from tests.engine import PROVIDER_KEY, UNKNOWN, is_unknown, unknowns_to_sentinel
from tests.engine_stack import Run, RunResult, Stack, Step, with_provider, without_secrets

__all__ = ["ProgramResult", "StackMonitor", "run_program"]

ROOT_TYPE = "pulumi:pulumi:Stack"


@dataclass
class ProgramResult(RunResult):
    """A run's steps and deletes, plus the program's exports as the engine would show them
    (:data:`tests.engine.UNKNOWN` for a value not known in a preview)."""

    exports: dict[str, Any] = field(default_factory=dict)


def _provider(text: str) -> ResourceProvider:
    # The pickled provider the SDK put into the inputs: our own test state, as the dynamic
    # server un-pickles it.
    provider: ResourceProvider = dill.loads(base64.b64decode(text))  # noqa: S301
    return provider


class _NoMocks(pulumi.runtime.Mocks):
    """StackMonitor answers every registration itself; nothing may reach these."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        raise AssertionError(f"unexpected mock registration of {args.typ} {args.name}")

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        raise NotImplementedError(f"no invoke is modelled: {args.token}")


class StackMonitor(MockMonitor):
    """The resource monitor the SDK talks to, with a :class:`Run` behind it.

    The SDK sends registrations from several threads, each only once the outputs it depends
    on are resolved; one lock keeps them in that order for the run.
    """

    def __init__(self, run: Run) -> None:
        super().__init__(_NoMocks())
        self.run = run
        self._lock = threading.Lock()
        self._steps: dict[str, Step] = {}

    def _inputs(self, struct: Any) -> dict[str, Any]:
        decoded = rpc.deserialize_properties(struct, keep_unknowns=True)
        plain: dict[str, Any] = without_secrets(unknowns_to_sentinel(decoded))
        return plain

    def _answer(self, step: Step, provider: ResourceProvider) -> tuple[str, Any]:
        """The id (empty when unknown: the SDK then marks it unknown) and the outputs, with
        ``__provider`` as the dynamic server adds it to every result."""
        self._steps[step.urn] = step
        outputs = with_provider(step.outputs, provider)
        struct = _sync_await(rpc.serialize_properties(outputs, {}))
        return ("" if is_unknown(step.id) else step.id), struct

    def RegisterResource(self, request: Any) -> Any:
        if request.type == ROOT_TYPE:
            return super().RegisterResource(request)
        inputs = self._inputs(request.object)
        provider = _provider(inputs.pop(PROVIDER_KEY))
        with self._lock:
            depends_on = [self._steps[urn] for urn in request.dependencies if urn in self._steps]
            step = self.run.resource(
                request.type,
                request.name,
                provider,
                inputs,
                depends_on=depends_on,
                protect=request.protect,
                delete_before_replace=(
                    request.deleteBeforeReplace if request.deleteBeforeReplaceDefined else None
                ),
                retain_on_delete=request.retainOnDelete,
            )
            id_, obj = self._answer(step, provider)
        return resource_pb2.RegisterResourceResponse(urn=step.urn, id=id_, object=obj)

    def ReadResource(self, request: Any) -> Any:
        props = self._inputs(request.properties)
        provider = _provider(props[PROVIDER_KEY])
        with self._lock:
            step = self.run.get(request.type, request.name, provider, request.id)
            _, obj = self._answer(step, provider)
        return resource_pb2.ReadResourceResponse(urn=step.urn, properties=obj)


async def _exports() -> dict[str, Any]:
    root = get_root_resource()
    outputs: dict[str, Any] = getattr(root, "outputs", {}) if root is not None else {}
    shown = {}
    for name, value in outputs.items():
        output = pulumi.Output.from_input(value)
        known = await output.is_known()
        shown[name] = await output.future() if known else UNKNOWN
    return shown


def run_program(
    stack: Stack,
    program: Path,
    *,
    preview: bool,
    config: Mapping[str, str] | None = None,
    secret_keys: Iterable[str] = (),
) -> ProgramResult:
    """``pulumi preview`` (``preview=True``) or ``pulumi up`` of ``program`` on ``stack``.

    ``program`` is a ``__main__.py`` to run as the Pulumi language host does. ``config`` is
    the stack config with namespaced keys (``{"pairing-provider:rotation": "2"}``); the
    provider process keeps the config its ``Engine`` was configured with.
    """
    run = Run(stack, preview=preview)
    monitor = StackMonitor(run)
    pulumi.runtime.set_mocks(
        monitor.mocks, project=stack.project, stack=stack.stack, preview=preview, monitor=monitor
    )
    pulumi.runtime.set_all_config(dict(config or {}), secret_keys=list(secret_keys))

    def body() -> None:
        runpy.run_path(str(program), run_name="__main__")

    try:
        _sync_await(run_pulumi_func(body))
        exports = _sync_await(_exports())
    finally:
        pulumi.runtime.set_all_config({}, secret_keys=[])
    result = run.finish()
    return ProgramResult(steps=result.steps, deleted=result.deleted, exports=exports)
