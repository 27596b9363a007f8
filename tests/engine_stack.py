"""The Pulumi engine's *sequences* of provider calls, played over :class:`tests.engine.Engine`.

``tests/engine.py`` sends one gRPC call at a time. A real ``pulumi preview``/``up``/
``refresh``/``destroy`` chains those calls in a fixed order, with arguments taken from the
stack's state file (each resource's URN, id, inputs and outputs). :class:`Stack` keeps that state
and plays the chains as the engine does; ``docs/pulumi-engine.md`` gives, for every step, the
function in the engine's source (pulumi/pulumi) it follows.

A *program* is a function of a :class:`Run`: it declares resources in order, and a value that
comes from another resource's outputs is written as a :class:`Ref` (``profile.ref("id")``), so the
run can resolve it as the engine would (unknown in a preview when the engine would not know it)
and record the dependency::

    def fleet(run: Run) -> None:
        profile = run.resource(PairingProfile, "web", PairingProfileProvider(),
                               {"name": "web", "enabled": True, "description": description})
        run.resource(PairingKey, "web-key", PairingKeyProvider(),
                     {"pairing_profile_href": profile.ref("id"),
                      "profile_key_lifespan": profile.ref("key_lifespan"),
                      "triggers": triggers})

    stack = Stack(engine)
    stack.up(fleet)
    plan = stack.preview(fleet)          # nothing is created, updated or deleted
    assert plan.op("web-key") == "same"

Not modelled (none of it changes which calls a dynamic provider receives in the cases these
tests use): parallel steps, ``ignore_changes``, aliases, targets, plans, secrets in state,
component resources, and the cascade of replacements the engine computes for the *dependents*
of a ``delete_before_replace`` replacement (a :class:`HarnessLimitError` says so rather than
guessing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

from pulumi.dynamic import Resource, ResourceProvider

from tests.engine import (
    PROVIDER_KEY,
    UNKNOWN,
    DiffResult,
    Engine,
    is_secret,
    is_unknown,
    serialized,
    unwrap,
)

__all__ = [
    "CheckFailedError",
    "HarnessLimitError",
    "ProtectedError",
    "Ref",
    "RefreshStep",
    "ResourceState",
    "Run",
    "RunResult",
    "Stack",
    "Step",
    "type_token",
    "with_provider",
    "without_secrets",
]

Op = Literal["create", "update", "replace", "same", "read"]

_ID: Final[str] = "id"


class HarnessLimitError(NotImplementedError):
    """A case the harness does not model (see the module docstring)."""


class ProtectedError(RuntimeError):
    """The engine refuses to replace or delete a resource marked ``protect``."""


class CheckFailedError(RuntimeError):
    """Check returned failures: the engine reports them and stops the resource there."""

    def __init__(self, urn: str, failures: list[tuple[str, str]]) -> None:
        """Keep the ``(property, reason)`` pairs for tests."""
        listed = "; ".join(f"{prop}: {reason}" for prop, reason in failures)
        super().__init__(f"{urn} has check errors: {listed}")
        self.failures = failures


def type_token(resource: str | type[Resource]) -> str:
    """The resource type token: ``pulumi-python:dynamic/illumio:PairingKey`` for a class declared
    ``class PairingKey(Resource, module="illumio", name="PairingKey")``; a string passes as is."""
    if isinstance(resource, str):
        return resource
    return f"pulumi-python:{resource._resource_type_name}"


@dataclass(frozen=True)
class ResourceState:
    """One resource in the stack's state, as the engine's checkpoint keeps it."""

    urn: str
    name: str
    type: str
    provider: ResourceProvider
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    dependencies: tuple[str, ...] = ()
    protect: bool = False
    retain_on_delete: bool = False
    external: bool = False  # read with ``get``: the engine never deletes it


@dataclass(frozen=True)
class Ref:
    """A value of another resource's outputs (what a ``pulumi.Output`` carries in a program)."""

    step: Step
    key: str

    def value(self) -> Any:
        """What the engine hands the dependent resource: :data:`UNKNOWN` when not yet known."""
        return self.step.value(self.key)


@dataclass
class Step:
    """What one resource registration did, and what the program then sees of the resource."""

    urn: str
    name: str
    op: Op
    preview: bool
    id: str
    outputs: dict[str, Any]
    inputs: dict[str, Any]
    diff: DiffResult | None = None

    def value(self, key: str) -> Any:
        """The resource's output ``key`` as the program sees it.

        In a preview, an id the engine does not know (a create or a replacement) and any output
        the engine did not hand back (every output that is not an input) are unknown; after an
        ``up`` a missing output is ``None``.
        """
        if key == _ID:
            return self.id
        value = self.outputs.get(key)
        if self.preview and value is None:
            return UNKNOWN
        return value

    def ref(self, key: str) -> Ref:
        """A reference to output ``key`` (``"id"`` for the id) to put in another's inputs."""
        return Ref(self, key)


@dataclass(frozen=True)
class RefreshStep:
    """What ``refresh`` did for one resource: its new state, or ``None`` when it is gone.

    ``diff`` is the Diff the engine asks for display (new outputs and inputs as the olds, the
    old inputs as the news), or ``None`` for a resource the refresh dropped.
    """

    urn: str
    before: ResourceState
    after: ResourceState | None
    diff: DiffResult | None


@dataclass
class RunResult:
    """The steps of one preview or up, in registration order, and the deletes at the end."""

    steps: list[Step] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def step(self, name: str) -> Step:
        """The step of the resource called ``name`` (the last one, if several share it)."""
        for candidate in reversed(self.steps):
            if candidate.name == name:
                return candidate
        raise KeyError(f"no resource named {name!r} in this run: {[s.name for s in self.steps]}")

    def op(self, name: str) -> Op:
        """``"create"``, ``"update"``, ``"replace"``, ``"same"`` or ``"read"``."""
        return self.step(name).op


def _resolve(value: Any, deps: set[str]) -> Any:
    """Program values with every :class:`Ref` replaced by its value; ``deps`` collects URNs."""
    if isinstance(value, Ref):
        deps.add(value.step.urn)
        return value.value()
    if isinstance(value, Mapping):
        return {k: _resolve(v, deps) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_resolve(v, deps) for v in value]
    return value


def without_secrets(value: Any) -> Any:
    """A value with every secret mark removed, at any depth: what the engine hands a provider
    that does not accept secrets, and what it compares in its own diff."""
    if is_secret(value):
        return without_secrets(unwrap(value))
    if isinstance(value, Mapping):
        return {k: without_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_secrets(v) for v in value]
    return value


def _contains_unknown(value: Any) -> bool:
    if is_unknown(value):
        return True
    if isinstance(value, Mapping):
        return any(_contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_unknown(v) for v in value)
    return False


def with_provider(props: Mapping[str, Any], provider: ResourceProvider) -> dict[str, Any]:
    """A property bag as the state holds it: the dynamic server puts ``__provider`` into every
    Check, Create, Read and Update result, so the engine sends it back in every bag."""
    return {**props, PROVIDER_KEY: serialized(provider)}


def engine_diff(old: ResourceState, provider: ResourceProvider, news: Mapping[str, Any]) -> bool:
    """The engine's own diff when the provider answers DIFF_UNKNOWN (``diffResource``): old
    inputs against new checked inputs, secrets unwrapped, ``__provider`` included; an unknown
    new value counts as a change."""
    before = without_secrets(with_provider(old.inputs, old.provider))
    after = without_secrets(with_provider(news, provider))
    return before != after or _contains_unknown(after)


class Run:
    """One execution of a program: the resources it declares, in order.

    Created by :meth:`Stack.preview` and :meth:`Stack.up`; a program only calls
    :meth:`resource` and :meth:`get`. In an up each step's result is written to the stack's
    state at once (as the engine saves its checkpoint step by step), so a failure half-way
    leaves what was done before it.
    """

    def __init__(self, stack: Stack, *, preview: bool) -> None:
        self.stack = stack
        self.preview = preview
        self.result = RunResult()
        self.olds = dict(stack.resources)  # the state the run started from, in order
        self.registered: list[str] = []
        self.condemned: set[str] = set()  # URNs whose old state is replaced: deleted at the end

    # -- what a program calls ----------------------------------------------------------------

    def resource(
        self,
        resource_type: str | type[Resource],
        name: str,
        provider: ResourceProvider,
        inputs: Mapping[str, Any],
        *,
        depends_on: Iterable[Step] = (),
        protect: bool = False,
        delete_before_replace: bool | None = None,
        retain_on_delete: bool = False,
    ) -> Step:
        """Register a custom resource, as ``pulumi.dynamic.Resource(provider, name, inputs)``.

        ``stepGenerator.continueStepsFromImport`` (Check, then Diff when there is an old state)
        and ``continueStepsFromDiff`` (same, update or replacement, with a second Check before
        a replacement) decide the step.
        """
        token = type_token(resource_type)
        urn = self._claim(token, name)
        deps = {step.urn for step in depends_on}
        news = _resolve(inputs, deps)
        new = ResourceState(
            urn=urn,
            name=name,
            type=token,
            provider=provider,
            id="",
            inputs={},
            outputs={},
            dependencies=tuple(sorted(deps)),
            protect=protect,
            retain_on_delete=retain_on_delete,
        )
        old = self.olds.get(urn)
        if old is None or old.external:
            step = self._create(new, self._check(new, None, news))
        else:
            step = self._change(old, new, news, delete_before_replace)
        self.result.steps.append(step)
        return step

    def get(
        self,
        resource_type: str | type[Resource],
        name: str,
        provider: ResourceProvider,
        id: str,
    ) -> Step:
        """``Resource.get(name, id)``: a Read whose properties and inputs are both the get's
        inputs, i.e. just ``__provider`` (``ReadStep.Apply``). It runs in previews too, and the
        engine keeps the requested id when the provider answers an empty one."""
        token = type_token(resource_type)
        urn = self._claim(token, name)
        bag = with_provider({}, provider)
        read = self.stack.engine.read(provider, id, bag, bag, urn=urn)
        state = ResourceState(
            urn=urn,
            name=name,
            type=token,
            provider=provider,
            id=read.id or id,
            inputs={},
            outputs=read.outs,
            external=True,
        )
        self._save(state)
        step = Step(urn, name, "read", self.preview, state.id, read.outs, {})
        self.result.steps.append(step)
        return step

    # -- the steps ---------------------------------------------------------------------------

    def _claim(self, token: str, name: str) -> str:
        urn = self.stack.urn(token, name)
        if urn in self.registered:
            raise ValueError(f"duplicate resource URN {urn!r}")
        self.registered.append(urn)
        return urn

    def _save(self, state: ResourceState) -> None:
        if not self.preview:
            self.stack.resources[state.urn] = state

    def _check(
        self, new: ResourceState, olds: Mapping[str, Any] | None, news: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Check; ``olds`` is ``None`` where the engine sends none (a create, a replacement)."""
        bag = {} if olds is None else with_provider(olds, new.provider)
        checked = self.stack.engine.check(new.provider, bag, news, urn=new.urn)
        if checked.failures:
            raise CheckFailedError(new.urn, checked.failures)
        return checked.inputs

    def _create(self, new: ResourceState, inputs: dict[str, Any], op: Op = "create") -> Step:
        """Create(checked). In a preview the engine does not call the provider (it announced no
        ``supportsPreview``): the plugin answers with the checked inputs and an empty id."""
        if self.preview:
            return Step(new.urn, new.name, op, True, UNKNOWN, dict(inputs), inputs)
        created = self.stack.engine.create(new.provider, inputs, urn=new.urn)
        self._save(replace(new, id=created.id, inputs=inputs, outputs=created.outs))
        return Step(new.urn, new.name, op, False, created.id, created.outs, inputs)

    def _change(
        self,
        old: ResourceState,
        new: ResourceState,
        news: Mapping[str, Any],
        delete_before_replace: bool | None,
    ) -> Step:
        """Check(olds = old inputs) -> Diff(old outputs, old inputs, checked) -> one step."""
        engine = self.stack.engine
        inputs = self._check(new, old.inputs, news)
        olds = with_provider(old.outputs, old.provider)
        old_inputs = with_provider(old.inputs, old.provider)
        diff = engine.diff(new.provider, old.id, olds, inputs, old_inputs=old_inputs, urn=new.urn)
        changes = diff.changes
        if changes is None:
            changes = engine_diff(old, new.provider, inputs)
        if not changes:
            # SameStep: the new inputs, the old id and outputs.
            self._save(replace(new, id=old.id, inputs=inputs, outputs=old.outputs))
            return Step(new.urn, new.name, "same", self.preview, old.id, old.outputs, inputs, diff)
        if diff.replaces:
            step = self._replace(old, new, news, diff.delete_before_replace, delete_before_replace)
            step.diff = diff
            return step
        if self.preview:
            # UpdateStep keeps the old id; the plugin answers a preview with the new inputs.
            return Step(new.urn, new.name, "update", True, old.id, dict(inputs), inputs, diff)
        outs = engine.update(new.provider, old.id, olds, inputs, old_inputs=old_inputs, urn=new.urn)
        self._save(replace(new, id=old.id, inputs=inputs, outputs=outs))
        return Step(new.urn, new.name, "update", False, old.id, outs, inputs, diff)

    def _replace(
        self,
        old: ResourceState,
        new: ResourceState,
        news: Mapping[str, Any],
        provider_dbr: bool,
        option_dbr: bool | None,
    ) -> Step:
        """A second Check with no olds (the program's inputs again), then create-before-delete
        (the old is deleted at the end of the run) or, with delete-before-replace (the
        provider's answer unless the resource option says otherwise), Delete first."""
        if new.protect and old.protect:
            raise ProtectedError(f"unable to replace resource {new.urn!r}: it is protected")
        inputs = self._check(new, None, news)
        if provider_dbr if option_dbr is None else option_dbr:
            dependents = self.stack.dependents(old.urn)
            if dependents:
                raise HarnessLimitError(
                    f"delete-before-replace of {old.urn!r} with dependents {dependents}: the "
                    "engine's dependent-replacement cascade is not modelled"
                )
            if not self.preview:
                self.stack.delete_one(old, replacing=True)
                del self.stack.resources[old.urn]
                self.result.deleted.append(old.urn)
        elif not self.preview:
            self.condemned.add(old.urn)
        return self._create(new, inputs, "replace")

    def finish(self) -> RunResult:
        """After the program, an up deletes the replaced olds and every resource the program no
        longer declares, in reverse order of the old state (reverse dependency order), and
        keeps the state in registration order."""
        if self.preview:
            return self.result
        doomed = [
            old
            for urn, old in self.olds.items()
            if urn in self.condemned or urn not in self.registered
        ]
        for old in reversed(doomed):
            self.stack.delete_one(old, replacing=old.urn in self.condemned)
            if old.urn not in self.registered:
                del self.stack.resources[old.urn]
            self.result.deleted.append(old.urn)
        self.stack.resources = {urn: self.stack.resources[urn] for urn in self.registered}
        return self.result


class Stack:
    """A stack's state and the engine's operations on it, over one configured :class:`Engine`.

    ``resources`` maps URN to :class:`ResourceState` in dependency order (registration order),
    as the checkpoint does. Refresh and destroy run without the program and, in the real engine,
    with the config saved in the state at the last up: here the provider process keeps the
    config ``Engine.configure`` gave it, so configure the engine with what the last up used.
    """

    def __init__(self, engine: Engine, *, project: str = "proj", stack: str = "dev") -> None:
        self.engine = engine
        self.project = project
        self.stack = stack
        self.resources: dict[str, ResourceState] = {}

    def urn(self, token: str, name: str) -> str:
        """``urn:pulumi:<stack>::<project>::<type>::<name>`` (no parents here)."""
        return f"urn:pulumi:{self.stack}::{self.project}::{token}::{name}"

    def state(self, name: str) -> ResourceState:
        """The saved state of the resource called ``name``."""
        for state in self.resources.values():
            if state.name == name:
                return state
        raise KeyError(f"no resource named {name!r} in the stack: {self.names()}")

    def names(self) -> list[str]:
        """The names of the resources in the state, in dependency order."""
        return [state.name for state in self.resources.values()]

    def dependents(self, urn: str) -> list[str]:
        """URNs of the resources in the state that depend on ``urn``."""
        return [s.urn for s in self.resources.values() if urn in s.dependencies]

    # -- operations --------------------------------------------------------------------------

    def preview(self, program: Callable[[Run], object]) -> RunResult:
        """``pulumi preview``: Check and Diff for every resource (and Read for a ``get``); no
        Create, Update or Delete, and the state is unchanged."""
        run = Run(self, preview=True)
        program(run)
        return run.finish()

    def up(self, program: Callable[[Run], object]) -> RunResult:
        """``pulumi up``: each registration as in a preview, then its Create or Update (or a
        replacement's create); the Deletes of replaced and removed resources at the end."""
        run = Run(self, preview=False)
        program(run)
        return run.finish()

    def refresh(self) -> list[RefreshStep]:
        """``pulumi refresh`` (``RefreshStep.Apply``): Read(id, properties = old outputs,
        inputs = old inputs) per resource; an empty id drops it; otherwise the ReadResult's
        inputs (when it returns any) become the inputs, and a Diff is made for display."""
        steps = []
        for urn, old in list(self.resources.items()):
            read = self.engine.read(
                old.provider,
                old.id,
                with_provider(old.outputs, old.provider),
                with_provider(old.inputs, old.provider),
                urn=urn,
            )
            if not read.id:
                del self.resources[urn]
                steps.append(RefreshStep(urn, old, None, None))
                continue
            inputs = read.inputs if read.inputs is not None else old.inputs
            after = replace(old, id=read.id, inputs=inputs, outputs=read.outs)
            self.resources[urn] = after
            # The inverse of an up's diff: the new state as the olds, the old inputs as news.
            diff = self.engine.diff(
                old.provider,
                read.id,
                with_provider(read.outs, old.provider),
                with_provider(old.inputs, old.provider),
                old_inputs=with_provider(inputs, old.provider),
                urn=urn,
            )
            steps.append(RefreshStep(urn, old, after, diff))
        return steps

    def destroy(self) -> list[str]:
        """``pulumi destroy``: Delete(old outputs, old inputs) in reverse dependency order;
        returns the URNs removed from the state."""
        removed = []
        for old in reversed(list(self.resources.values())):
            self.delete_one(old)
            del self.resources[old.urn]
            removed.append(old.urn)
        return removed

    def delete_one(self, old: ResourceState, *, replacing: bool = False) -> None:
        """``DeleteStep.Apply``: a protected resource is refused unless it is being replaced
        (protection was checked then); retained and external ones skip the provider."""
        if old.protect and not replacing:
            raise ProtectedError(f"unable to delete resource {old.urn!r}: it is protected")
        if old.external or old.retain_on_delete:
            return
        self.engine.delete(
            old.provider,
            old.id,
            with_provider(old.outputs, old.provider),
            old_inputs=with_provider(old.inputs, old.provider),
            urn=old.urn,
        )
