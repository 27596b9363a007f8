"""The engine's side of one ``pulumi up`` or ``pulumi preview``, played in-process.

A ``pulumi.runtime.MockMonitor`` receives what the Pulumi SDK registers (the same requests a
real engine gets) and hands each dynamic resource to its real provider, un-pickled from
``__provider`` and configured with the whole stack config, as the engine's
``python -m pulumi.dynamic`` process does:

- every resource: Check(olds = old inputs, news), then, with a prior state, Diff(old outputs);
- ``up``: Create, Update or (Check again, Create, Delete) for a replacement; Delete of what the
  program no longer declares, at the end, in reverse order;
- ``preview``: no Create/Update/Delete; the program sees the checked inputs as the outputs,
  with the old id for an update and an unknown id for a create or a replacement;
- ``Resource.get``: Read(id, the get's inputs);
- ``refresh`` (no program): Read(id, old outputs) of each resource; ``destroy`` (no program):
  Delete(old outputs), newest first. Both with the config saved by the last ``up``.

Values cross as they cross gRPC (``serialize_properties``/``deserialize_properties``: integers
become floats, ``None`` is dropped). The provider gets secret inputs unwrapped (the dynamic
server accepts no secrets); outputs named in the registration's ``additionalSecretOutputs``
(what the SDK sends for ``ResourceOptions(additional_secret_outputs=...)``) and outputs of
secret inputs come back secret. Resources of other providers are echoed (outputs = inputs), as
Pulumi's own unit-test mocks do.
"""

from __future__ import annotations

import asyncio
import base64
import threading
from dataclasses import dataclass, field, replace
from typing import Any

import dill  # type: ignore[import-untyped]
from google.protobuf import empty_pb2, struct_pb2  # type: ignore[import-untyped]
from pulumi.dynamic import CheckResult, Config, ConfigureRequest, ResourceProvider
from pulumi.output import Unknown as SdkUnknown
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks
from pulumi.runtime.proto import resource_pb2

from pairing_provider.testing.values import ResourceState

PROVIDER_KEY = "__provider"
STACK_TYPE = "pulumi:pulumi:Stack"
SECRET = {rpc._special_sig_key: rpc._special_secret_sig}


class StackError(Exception):
    """The engine refused a resource: a check failure, or an invoke no provider serves."""


@dataclass
class Step:
    """What one run did (or, in a preview, would do) to one resource."""

    name: str
    type: str
    op: str  # create, update, replace, delete, same, read
    replaces: list[str] = field(default_factory=list)


def to_grpc(values: dict[str, Any]) -> struct_pb2.Struct:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(values, {}))
    finally:
        loop.close()


def from_grpc(struct: struct_pb2.Struct) -> dict[str, Any]:
    values = rpc.deserialize_properties(struct, True)
    assert isinstance(values, dict)
    return values


def over_grpc(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` as they arrive on the other side of a gRPC call."""
    return from_grpc(to_grpc(values))


def unwrap_secrets(values: dict[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
    """Plain values, and the top-level names that held a secret anywhere inside."""
    plain, secret = {}, set()
    for name, value in values.items():
        plain[name], held = _unwrap(value)
        if held:
            secret.add(name)
    return plain, frozenset(secret)


def _unwrap(value: Any) -> tuple[Any, bool]:
    if rpc.is_rpc_secret(value):
        return _unwrap(rpc.unwrap_rpc_secret(value))[0], True
    if isinstance(value, dict):
        pairs = {key: _unwrap(item) for key, item in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(s for _, s in pairs.values())
    if isinstance(value, list):
        items = [_unwrap(item) for item in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


def mark_secrets(values: dict[str, Any], names: frozenset[str]) -> dict[str, Any]:
    return {k: {**SECRET, "value": v} if k in names else v for k, v in values.items()}


def contains_unknown(value: Any) -> bool:
    if isinstance(value, SdkUnknown):
        return True
    if isinstance(value, dict):
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_unknown(item) for item in value)
    return False


class Deployment:
    """One run: the prior state in, the new state, the steps and the stack outputs out."""

    def __init__(
        self,
        prior: dict[str, ResourceState],
        config: dict[str, str],
        project: str,
        preview: bool,
    ) -> None:
        self.prior = prior
        self.config = config
        self.project = project
        self.preview = preview
        self.state: dict[str, ResourceState] = {}
        self.steps: list[Step] = []
        self.stack_outputs: struct_pb2.Struct | None = None
        self.registered: set[str] = set()  # every URN the program declared in this run
        self._providers: dict[str, ResourceProvider] = {}
        self._replaced: list[ResourceState] = []
        self._lock = threading.Lock()

    # --- providers --------------------------------------------------------------------------

    def provider(self, pickled: str) -> ResourceProvider:
        """One configured provider per pickled class per run: a fresh provider process."""
        with self._lock:
            provider = self._providers.get(pickled)
            if provider is None:
                # The provider comes from the program's own registration (as for the engine).
                provider = dill.loads(base64.b64decode(pickled))  # noqa: S301
                provider.configure(ConfigureRequest(Config(dict(self.config), self.project)))
                self._providers[pickled] = provider
            return provider

    # --- registrations ----------------------------------------------------------------------

    def register(self, urn: str, request: Any) -> tuple[str, dict[str, Any], frozenset[str]]:
        """(id, outputs, secret output names) the program gets for this registration."""
        with self._lock:
            self.registered.add(urn)
        news, secret_inputs = unwrap_secrets(from_grpc(request.object))
        secret = frozenset(request.additionalSecretOutputs) | secret_inputs
        old = self.prior.get(urn)
        if PROVIDER_KEY not in news:
            return self._echo(urn, request, news, secret, old)
        provider = self.provider(news[PROVIDER_KEY])
        checked = self._check(provider, request, old.raw_inputs if old else {}, news)
        if old is None:
            return self._create(urn, request, provider, checked, secret)
        diff = provider.diff(old.id, over_grpc(old.raw_outputs), checked)
        changed = diff.changes if diff.changes is not None else checked != old.raw_inputs
        if not changed:
            return self._keep(urn, request, old, "same")
        if diff.replaces:
            return self._replace(urn, request, provider, old, diff, news, secret)
        return self._update(urn, request, provider, old, checked, secret)

    def _check(
        self, provider: ResourceProvider, request: Any, olds: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        result: CheckResult = provider.check(over_grpc(olds), news)
        if result.failures:
            reasons = "; ".join(failure.reason for failure in result.failures)
            raise StackError(f"{request.type} {request.name!r}: check failed: {reasons}")
        return over_grpc({**result.inputs, PROVIDER_KEY: news[PROVIDER_KEY]})

    def _create(
        self,
        urn: str,
        request: Any,
        provider: ResourceProvider,
        checked: dict[str, Any],
        secret: frozenset[str],
        op: str = "create",
        replaces: list[str] | None = None,
    ) -> tuple[str, dict[str, Any], frozenset[str]]:
        self._step(request, op, replaces)
        if self.preview:
            return "", checked, secret
        created = provider.create(checked)
        outputs = over_grpc({**(created.outs or {}), PROVIDER_KEY: checked[PROVIDER_KEY]})
        self._save(urn, request, created.id, checked, outputs, secret)
        return created.id, outputs, secret

    def _update(
        self,
        urn: str,
        request: Any,
        provider: ResourceProvider,
        old: ResourceState,
        checked: dict[str, Any],
        secret: frozenset[str],
    ) -> tuple[str, dict[str, Any], frozenset[str]]:
        self._step(request, "update")
        if self.preview:
            return old.id, checked, secret
        updated = provider.update(old.id, over_grpc(old.raw_outputs), checked)
        outputs = over_grpc({**(updated.outs or {}), PROVIDER_KEY: checked[PROVIDER_KEY]})
        self._save(urn, request, old.id, checked, outputs, secret)
        return old.id, outputs, secret

    def _replace(
        self,
        urn: str,
        request: Any,
        provider: ResourceProvider,
        old: ResourceState,
        diff: Any,
        news: dict[str, Any],
        secret: frozenset[str],
    ) -> tuple[str, dict[str, Any], frozenset[str]]:
        # The engine checks a replacement again with no olds: it is a new resource.
        checked = self._check(provider, request, {}, news)
        if not self.preview:
            if diff.delete_before_replace:
                provider.delete(old.id, over_grpc(old.raw_outputs))
            else:
                self._replaced.append(old)
        return self._create(urn, request, provider, checked, secret, "replace", diff.replaces)

    def _keep(
        self, urn: str, request: Any, old: ResourceState, op: str
    ) -> tuple[str, dict[str, Any], frozenset[str]]:
        self._step(request, op)
        with self._lock:
            self.state[urn] = old
        return old.id, old.raw_outputs, old.secret_outputs

    def _echo(
        self,
        urn: str,
        request: Any,
        news: dict[str, Any],
        secret: frozenset[str],
        old: ResourceState | None,
    ) -> tuple[str, dict[str, Any], frozenset[str]]:
        """A resource of another provider: its inputs are its outputs, its id its name."""
        if old is not None and old.raw_inputs == news:
            return self._keep(urn, request, old, "same")
        self._step(request, "create" if old is None else "update")
        if self.preview or contains_unknown(news):
            return (old.id if old else ""), news, secret
        self._save(urn, request, f"{request.name}-id", news, news, secret)
        return f"{request.name}-id", news, secret

    def read(self, urn: str, request: Any) -> tuple[dict[str, Any], frozenset[str]]:
        """``Resource.get``: Read(id, properties = inputs = the get's inputs)."""
        with self._lock:
            self.registered.add(urn)
        props = from_grpc(request.properties)
        provider = self.provider(props[PROVIDER_KEY])
        result = provider.read(request.id, props)
        # As the engine: the resource keeps the id asked for, even when the answer has none
        # (it fails a get only when outputs are absent, and the dynamic server always adds
        # __provider), so a get of a missing object gets no other outputs.
        outputs = over_grpc({**(result.outs or {}), PROVIDER_KEY: props[PROVIDER_KEY]})
        secret = frozenset(request.additionalSecretOutputs)
        self._step(request, "read")
        self._save(urn, request, request.id, props, outputs, secret, external=True)
        return outputs, secret

    def _step(self, request: Any, op: str, replaces: list[str] | None = None) -> None:
        with self._lock:
            self.steps.append(Step(request.name, request.type, op, list(replaces or [])))

    def _save(
        self,
        urn: str,
        request: Any,
        id_: str,
        inputs: dict[str, Any],
        outputs: dict[str, Any],
        secret: frozenset[str],
        external: bool = False,
    ) -> None:
        state = ResourceState(
            urn, request.type, request.name, id_, inputs, outputs, secret, external
        )
        with self._lock:
            self.state[urn] = state

    # --- the end of a run -------------------------------------------------------------------

    def finish(self) -> None:
        """Delete what was replaced, then what the program no longer declares (newest first)."""
        gone = [s for urn, s in self.prior.items() if urn not in self.registered and not s.external]
        for old in [*self._replaced, *reversed(gone)]:
            if old in gone:
                self.steps.append(Step(old.name, old.type, "delete"))
            if self.preview:
                continue
            if PROVIDER_KEY in old.raw_outputs:
                provider = self.provider(old.raw_outputs[PROVIDER_KEY])
                provider.delete(old.id, over_grpc(old.raw_outputs))

    def refresh(self) -> None:
        """``pulumi refresh``: Read(id, old outputs) of every resource, without the program.

        An empty id drops the resource; otherwise the answer becomes its outputs, and its
        ``ReadResult.inputs`` (SDK 3.216 and later) its inputs. Resources of other providers
        are kept as they are.
        """
        for urn, old in self.prior.items():
            if PROVIDER_KEY not in old.raw_outputs:
                self.state[urn] = old
                continue
            pickled = old.raw_outputs[PROVIDER_KEY]
            result = self.provider(pickled).read(old.id, over_grpc(old.raw_outputs))
            if not result.id:
                self.steps.append(Step(old.name, old.type, "delete"))
                continue
            outputs = over_grpc({**(result.outs or {}), PROVIDER_KEY: pickled})
            given = getattr(result, "inputs", None)
            inputs = (
                old.raw_inputs if given is None else over_grpc({**given, PROVIDER_KEY: pickled})
            )
            same = outputs == old.raw_outputs and inputs == old.raw_inputs
            self.steps.append(Step(old.name, old.type, "same" if same else "update"))
            self.state[urn] = replace(old, id=result.id, raw_inputs=inputs, raw_outputs=outputs)

    def final_state(self, completed: bool) -> dict[str, ResourceState]:
        """The state a stack keeps: after a preview the prior one; after a failed ``up`` the
        prior one with every step that did finish (as the engine saves partial progress)."""
        if self.preview:
            return dict(self.prior)
        if completed:
            return dict(self.state)
        return {**self.prior, **self.state}


class _NoInvokes(Mocks):
    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        raise AssertionError("the monitor registers resources itself")

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], None]:
        raise StackError(f"no provider serves the invoke {args.token} in this test kit")


class DeploymentMonitor(MockMonitor):
    """What the SDK talks to during a run (``pulumi.runtime.set_mocks(monitor=...)``)."""

    def __init__(self, deployment: Deployment) -> None:
        super().__init__(_NoInvokes())
        self.deployment = deployment

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE or not request.custom:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        id_, outputs, secret = self.deployment.register(urn, request)
        return resource_pb2.RegisterResourceResponse(
            urn=urn, id=id_, object=to_grpc(mark_secrets(outputs, secret))
        )

    def ReadResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        outputs, secret = self.deployment.read(urn, request)
        return resource_pb2.ReadResourceResponse(
            urn=urn, properties=to_grpc(mark_secrets(outputs, secret))
        )

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if request.urn.split("::")[2] == STACK_TYPE:
            self.deployment.stack_outputs = request.outputs
        return empty_pb2.Empty()
