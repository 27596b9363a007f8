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

import threading
from dataclasses import replace
from typing import Any

from google.protobuf import struct_pb2  # type: ignore[import-untyped]
from pulumi.output import Unknown as SdkUnknown

from pairing_provider.testing.channels import Channels, ProviderChannel
from pairing_provider.testing.options import (
    CheckFailedError,
    Options,
    StackError,
    StackInterrupted,
    protected_delete,
    protected_replace,
    refuse_import,
    without_ignored_changes,
)
from pairing_provider.testing.records import PendingOperation, Step
from pairing_provider.testing.values import ResourceState
from pairing_provider.testing.wire import (
    PROVIDER_KEY,
    contains_unknown,
    from_grpc,
    unwrap_secrets,
)

STACK_TYPE = "pulumi:pulumi:Stack"


class Deployment:
    """One run: the prior state in, the new state, the steps and the stack outputs out."""

    def __init__(
        self,
        prior: dict[str, ResourceState],
        channels: Channels,
        preview: bool,
        pending: tuple[PendingOperation, ...] = (),
        interrupt_after_create: str | None = None,
    ) -> None:
        self.prior = prior
        self.channels = channels
        self.preview = preview
        self.pending = list(pending)  # carried over from the last run, and this run's own
        self.interrupt_after_create = interrupt_after_create
        self.state: dict[str, ResourceState] = {}
        self.steps: list[Step] = []
        self.stack_outputs: struct_pb2.Struct | None = None
        self.registered: set[str] = set()  # every old URN the program declared in this run
        self.deleted: set[str] = set()  # old URNs deleted and gone from the state
        self.registrations: list[Any] = []  # the SDK's RegisterResourceRequests, in order
        self._replaced: list[ResourceState] = []
        self._lock = threading.Lock()

    def record(self, request: Any) -> None:
        with self._lock:
            self.registrations.append(request)

    # --- registrations ----------------------------------------------------------------------

    def register(self, urn: str, request: Any) -> tuple[str, dict[str, Any], frozenset[str]]:
        """(id, outputs, secret output names) the program gets for this registration."""
        options = Options.of(request)
        old = self._old(urn, options)
        news, secret_inputs = unwrap_secrets(from_grpc(request.object))
        secret = frozenset(request.additionalSecretOutputs) | secret_inputs
        if old is not None:
            news = without_ignored_changes(news, old.raw_inputs, options.ignore_changes)
        provider = self.channels.for_resource(request.type, news)
        if options.import_id and (provider is None or PROVIDER_KEY in news):
            refuse_import(request, options, PROVIDER_KEY in news)
        if provider is None:
            return self._echo(urn, request, news, secret, old, options)
        if old is None and options.import_id:
            return self._import(urn, request, provider, news, secret, options)
        checked = self._check(provider, urn, request, old.raw_inputs if old else {}, news)
        if old is None:
            return self._create(urn, request, provider, checked, secret, options)
        diff = provider.diff(urn, old.id, old.raw_outputs, checked, old.raw_inputs)
        if diff.changes is not None:
            changed = diff.changes
        else:  # DIFF_UNKNOWN: the engine diffs the inputs itself (diffResource)
            ignored = without_ignored_changes(checked, old.raw_inputs, options.ignore_changes)
            changed = ignored != old.raw_inputs
        if old.pending_replacement or (changed and diff.replace):
            return self._replace(urn, request, provider, old, diff, news, secret, options)
        if not changed:
            return self._keep(urn, request, old, options)
        return self._update(urn, request, provider, old, checked, secret, options)

    def _old(self, urn: str, options: Options) -> ResourceState | None:
        """``getOldResource``: the old state under this URN, else under its first alias."""
        with self._lock:
            for candidate in (urn, *options.aliases):
                old = self.prior.get(candidate)
                if old is not None and candidate not in self.registered:
                    self.registered.add(candidate)
                    return old
            self.registered.add(urn)
            return None

    def _check(
        self,
        provider: ProviderChannel,
        urn: str,
        request: Any,
        olds: dict[str, Any],
        news: dict[str, Any],
    ) -> dict[str, Any]:
        result = provider.check(urn, olds, news)
        if result.failures:
            reasons = "; ".join(reason for _, reason in result.failures)
            raise CheckFailedError(
                f"{request.type} {request.name!r}: check failed: {reasons}", result.failures
            )
        return result.inputs

    def _create(
        self,
        urn: str,
        request: Any,
        provider: ProviderChannel,
        checked: dict[str, Any],
        secret: frozenset[str],
        options: Options,
        op: str = "create",
        replaces: list[str] | None = None,
    ) -> tuple[str, dict[str, Any], frozenset[str]]:
        self._step(request, op, replaces)
        if self.preview and not provider.supports_preview:
            return "", checked, secret
        if self.preview:  # the provider's own preview: outputs it knows, the id not yet
            outputs, secret = _plain(provider.create(urn, checked, preview=True)[1], secret)
            return "", outputs, secret
        id_, created = self._apply_create(urn, request, provider, checked)
        outputs, secret = _plain(created, secret)
        self._save(urn, request, id_, checked, outputs, secret, options)
        return id_, outputs, secret

    def _apply_create(
        self, urn: str, request: Any, provider: ProviderChannel, checked: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        """``doCreate``: a pending ``creating`` operation is recorded before Create and
        completed when it returns, failed or not; a run killed in between keeps it."""
        operation = PendingOperation(urn, "creating", checked)
        with self._lock:
            self.pending.append(operation)
        try:
            created = provider.create(urn, checked)
        except Exception:
            self.pending.remove(operation)
            raise
        if request.name == self.interrupt_after_create:
            raise StackInterrupted(
                f"the run was interrupted after the provider created {urn} and before the "
                "engine saved it: the state keeps a pending create"
            )
        with self._lock:
            self.pending.remove(operation)
        return created

    def _update(
        self,
        urn: str,
        request: Any,
        provider: ProviderChannel,
        old: ResourceState,
        checked: dict[str, Any],
        secret: frozenset[str],
        options: Options,
    ) -> tuple[str, dict[str, Any], frozenset[str]]:
        self._step(request, "update")
        if self.preview and not provider.supports_preview:
            return old.id, checked, secret
        updated = provider.update(
            urn, old.id, old.raw_outputs, checked, old.raw_inputs, preview=self.preview
        )
        outputs, secret = _plain(updated, secret)
        if self.preview:
            return old.id, outputs, secret
        self._save(urn, request, old.id, checked, outputs, secret, options)
        return old.id, outputs, secret

    def _replace(
        self,
        urn: str,
        request: Any,
        provider: ProviderChannel,
        old: ResourceState,
        diff: Any,
        news: dict[str, Any],
        secret: frozenset[str],
        options: Options,
    ) -> tuple[str, dict[str, Any], frozenset[str]]:
        """``continueStepsFromDiff``: refused for a protected resource; a second Check with no
        olds; then delete-before-replace (the option overrides the provider's answer) deletes
        the old and its dependents that would be replaced first, or the old goes at the end."""
        if options.protect and old.protect:
            raise protected_replace(urn)
        checked = self._check(provider, urn, request, {}, news)
        delete_first = diff.delete_before_replace
        if options.delete_before_replace is not None:
            delete_first = options.delete_before_replace
        if not self.preview and not old.pending_replacement:
            if delete_first:
                self._delete_before_replace(old)
            else:
                self._replaced.append(old)
        return self._create(
            urn, request, provider, checked, secret, options, "replace", diff.replaces
        )

    def _import(
        self,
        urn: str,
        request: Any,
        provider: ProviderChannel,
        news: dict[str, Any],
        secret: frozenset[str],
        options: Options,
    ) -> tuple[str, dict[str, Any], frozenset[str]]:
        """``ImportStep.Apply`` for ``import_=``: Read(id) alone; Check(olds = the read inputs,
        news = the program's); Diff(the read outputs, the checked inputs). A change fails the
        up ("inputs to import do not match the existing resource"; a preview only warns)."""
        self._step(request, "import")
        read = provider.read(urn, options.import_id, {}, {})
        if not read.id or not read.outputs:
            raise StackError(
                f"{request.type} {request.name!r}: resource '{options.import_id}' does not exist"
            )
        if read.inputs is None:
            raise StackError(
                f"{request.type} {request.name!r}: the provider does not support importing"
            )
        outputs, secret = _plain(read.outputs, secret)
        read_inputs = unwrap_secrets(read.inputs)[0]
        checked = self._check(provider, urn, request, read_inputs, news)
        diff = provider.diff(urn, read.id, outputs, checked, read_inputs)
        changed = checked != read_inputs if diff.changes is None else diff.changes
        if changed and not self.preview:
            named = ", ".join(diff.detailed or diff.replaces)
            raise StackError(
                f"{request.type} {request.name!r}: inputs to import do not match "
                f"the existing resource ({named})"
            )
        if not self.preview:
            self._save(urn, request, read.id, checked, outputs, secret, options)
        return read.id, outputs, secret

    def _delete_before_replace(self, root: ResourceState) -> None:
        """Delete the dependents that would be replaced (reverse order), then the old itself;
        each is kept in the state marked pending replacement once its Delete succeeded."""
        for dependent in reversed(self._dependents_replaced_with(root)):
            if dependent.protect:
                raise protected_replace(dependent.urn)
            self._delete(dependent, replacing=True)
            self._mark_pending_replacement(dependent)
        self._delete(root, replacing=True)
        self._mark_pending_replacement(root)

    def _dependents_replaced_with(self, root: ResourceState) -> list[ResourceState]:
        """``calculateDependentReplacements``: every later resource of the old state whose inputs
        come from one being replaced, asked Diff with those inputs unknown; replaced if the
        provider says so. Resources this run already registered cannot depend on the root."""
        replaced, found = {root.urn}, []
        for state in self.prior.values():
            if state.urn in self.registered or state.external:
                continue
            hit = [name for name, urns in state.dependencies.items() if replaced & set(urns)]
            provider = self.channels.for_resource(state.type, state.raw_outputs)
            if not hit or provider is None:
                continue
            made_unknown = {name: SdkUnknown() for name in hit}  # type: ignore[no-untyped-call]
            unknown = {**state.raw_inputs, **made_unknown}
            diff = provider.diff(state.urn, state.id, state.raw_outputs, unknown, state.raw_inputs)
            if diff.replace:
                replaced.add(state.urn)
                found.append(state)
        return found

    def _mark_pending_replacement(self, old: ResourceState) -> None:
        with self._lock:
            self.state.setdefault(old.urn, replace(old, pending_replacement=True))

    def _keep(
        self, urn: str, request: Any, old: ResourceState, options: Options
    ) -> tuple[str, dict[str, Any], frozenset[str]]:
        """A SameStep: the old id and outputs, under this run's URN and options."""
        self._step(request, "same")
        kept = options.kept_by(replace(old, urn=urn, name=request.name))
        with self._lock:
            self.state[urn] = kept
        return old.id, old.raw_outputs, old.secret_outputs

    def _echo(
        self,
        urn: str,
        request: Any,
        news: dict[str, Any],
        secret: frozenset[str],
        old: ResourceState | None,
        options: Options,
    ) -> tuple[str, dict[str, Any], frozenset[str]]:
        """A resource of another provider: its inputs are its outputs, its id its name."""
        if old is not None and old.raw_inputs == news:
            return self._keep(urn, request, old, options)
        self._step(request, "create" if old is None else "update")
        if self.preview or contains_unknown(news):
            return (old.id if old else ""), news, secret
        self._save(urn, request, f"{request.name}-id", news, news, secret, options)
        return f"{request.name}-id", news, secret

    def read(self, urn: str, request: Any) -> tuple[dict[str, Any], frozenset[str]]:
        """``Resource.get``: Read(id, properties = inputs = the get's inputs)."""
        with self._lock:
            self.registered.add(urn)
        # The dynamic server accepts no secrets: the engine hands it the get's inputs plain.
        props = unwrap_secrets(from_grpc(request.properties))[0]
        provider = self.channels.for_resource(request.type, props)
        if provider is None:
            raise StackError(f"{request.type} {request.name!r}: no provider serves a get here")
        # As the engine: the resource keeps the id asked for, even when the answer has none
        # (it fails a get only when outputs are absent, and the dynamic server always adds
        # __provider), so a get of a missing object gets no other outputs.
        secret = frozenset(request.additionalSecretOutputs)
        outputs, secret = _plain(provider.read(urn, request.id, props, props).outputs, secret)
        self._step(request, "read")
        self._save(urn, request, request.id, props, outputs, secret, None, external=True)
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
        options: Options | None,
        external: bool = False,
    ) -> None:
        state = ResourceState(
            urn, request.type, request.name, id_, inputs, outputs, secret, external
        )
        if options is not None:
            state = options.kept_by(state)
        with self._lock:
            self.state[urn] = state

    # --- the end of a run -------------------------------------------------------------------

    def finish(self) -> None:
        """Delete what was replaced, then what the program no longer declares (newest first)."""
        gone = [s for urn, s in self.prior.items() if urn not in self.registered and not s.external]
        for old in self._replaced:
            if not self.preview:
                self._delete(old, replacing=True)
        for old in reversed(gone):
            self.steps.append(Step(old.name, old.type, "delete"))
            if self.preview:
                if old.protect:  # DeleteStep.Apply refuses before it looks at DryRun
                    raise protected_delete(old.urn)
                continue
            self._delete(old, replacing=False)
            self.deleted.add(old.urn)

    def _delete(self, old: ResourceState, replacing: bool) -> None:
        """``DeleteStep.Apply``: a protected resource is refused (unless it is being replaced:
        that was checked before); a retained one, or one a delete-before-replace already
        deleted, leaves the state with no Delete."""
        if old.protect and not replacing:
            raise protected_delete(old.urn)
        provider = self.channels.for_resource(old.type, old.raw_outputs)
        if old.retain_on_delete or old.pending_replacement or provider is None:
            return
        provider.delete(old.urn, old.id, old.raw_outputs, old.raw_inputs)

    def refresh(self) -> None:
        """``pulumi refresh``: Read(id, old outputs) of every resource, without the program.

        An empty id drops the resource; otherwise the answer becomes its outputs, and its
        ``ReadResult.inputs`` (SDK 3.216 and later) its inputs. Resources of other providers,
        and those pending replacement (``RefreshStep.Apply``), are kept as they are.
        """
        for urn, old in self.prior.items():
            provider = self.channels.for_resource(old.type, old.raw_outputs)
            if provider is None or old.pending_replacement:
                self.state[urn] = old
                continue
            result = provider.read(urn, old.id, old.raw_outputs, old.raw_inputs)
            if not result.id:
                self.steps.append(Step(old.name, old.type, "delete"))
                continue
            outputs, secret = _plain(result.outputs, old.secret_outputs)
            inputs = old.raw_inputs if result.inputs is None else result.inputs
            # For display only, the inverse of an up's diff: the refreshed state as the olds.
            provider.diff(urn, result.id, outputs, old.raw_inputs, inputs)
            same = outputs == old.raw_outputs and inputs == old.raw_inputs
            self.steps.append(Step(old.name, old.type, "same" if same else "update"))
            self.state[urn] = replace(
                old, id=result.id, raw_inputs=inputs, raw_outputs=outputs, secret_outputs=secret
            )

    def final_state(self, completed: bool) -> dict[str, ResourceState]:
        """The state a stack keeps: after a preview the prior one; after a failed ``up`` the
        prior one with every step that did finish (as the engine saves partial progress)."""
        if self.preview:
            return dict(self.prior)
        if completed:
            return dict(self.state)
        merged = {**self.prior, **self.state}
        return {urn: state for urn, state in merged.items() if urn not in self.deleted}


def _plain(
    outputs: dict[str, Any], secret: frozenset[str]
) -> tuple[dict[str, Any], frozenset[str]]:
    """Outputs without secret markers, and ``secret`` with the names that held one: a provider
    that accepts secrets (the native plugin) marks its secret outputs itself, and the engine
    keeps them secret; the dynamic server marks none."""
    plain, marked = unwrap_secrets(outputs)
    return plain, secret | marked
