"""The step sequencer: the engine's side of one ``pulumi up`` or ``pulumi preview``, in-process.

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
- ``destroy`` (no program, with the config saved by the last ``up``): Delete(old outputs),
  newest first, through :meth:`Deployment.finish`.

What a run holds, and the steps every sequence shares, are in
:mod:`~pairing_provider.testing.run_state`; what becomes of the old resource of a replacement in
:mod:`~pairing_provider.testing.replacement`; ``refresh`` (no program) in
:mod:`~pairing_provider.testing.refresh`.

Values cross as they cross gRPC (``serialize_properties``/``deserialize_properties``: integers
become floats, ``None`` is dropped). The provider gets secret inputs unwrapped (the dynamic
server accepts no secrets); outputs named in the registration's ``additionalSecretOutputs``
(what the SDK sends for ``ResourceOptions(additional_secret_outputs=...)``) and outputs of
secret inputs come back secret. Resources of other providers are echoed (outputs = inputs), as
Pulumi's own unit-test mocks do.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pairing_provider.errors import CheckFailedError, StackError, StackInterrupted
from pairing_provider.testing.channels import Channels, ProviderChannel
from pairing_provider.testing.options import (
    Options,
    protected_delete,
    protected_replace,
    refuse_import,
    without_ignored_changes,
)
from pairing_provider.testing.records import PendingOperation, Step
from pairing_provider.testing.replacement import retire_old
from pairing_provider.testing.run_state import RunState
from pairing_provider.testing.values import ResourceState
from pairing_provider.testing.wire import (
    PROVIDER_KEY,
    contains_unknown,
    from_grpc,
    plain_outputs,
    unwrap_secrets,
)

STACK_TYPE = "pulumi:pulumi:Stack"


class Deployment(RunState):
    """One run of a program: each registration of the SDK answered with its step."""

    def __init__(
        self,
        prior: dict[str, ResourceState],
        channels: Channels,
        preview: bool,
        pending: tuple[PendingOperation, ...] = (),
        interrupt_after_create: str | None = None,
    ) -> None:
        super().__init__(prior, channels, preview, pending)
        self.interrupt_after_create = interrupt_after_create
        self.registrations: list[Any] = []  # the SDK's RegisterResourceRequests, in order

    def record(self, request: Any) -> None:
        with self.lock:
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
        with self.lock:
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
        self.step(request, op, replaces)
        if self.preview and not provider.supports_preview:
            return "", checked, secret
        if self.preview:  # the provider's own preview: outputs it knows, the id not yet
            outputs, secret = plain_outputs(provider.create(urn, checked, preview=True)[1], secret)
            return "", outputs, secret
        id_, created = self._apply_create(urn, request, provider, checked)
        outputs, secret = plain_outputs(created, secret)
        self.save(urn, request, id_, checked, outputs, secret, options)
        return id_, outputs, secret

    def _apply_create(
        self, urn: str, request: Any, provider: ProviderChannel, checked: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        """``doCreate``: a pending ``creating`` operation is recorded before Create and
        completed when it returns, failed or not; a run killed in between keeps it."""
        operation = PendingOperation(urn, "creating", checked)
        with self.lock:
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
        with self.lock:
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
        self.step(request, "update")
        if self.preview and not provider.supports_preview:
            return old.id, checked, secret
        updated = provider.update(
            urn, old.id, old.raw_outputs, checked, old.raw_inputs, preview=self.preview
        )
        outputs, secret = plain_outputs(updated, secret)
        if self.preview:
            return old.id, outputs, secret
        self.save(urn, request, old.id, checked, outputs, secret, options)
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
        retire_old(self, old, diff, options)
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
        self.step(request, "import")
        read = provider.read(urn, options.import_id, {}, {})
        if not read.id or not read.outputs:
            raise StackError(
                f"{request.type} {request.name!r}: resource '{options.import_id}' does not exist"
            )
        if read.inputs is None:
            raise StackError(
                f"{request.type} {request.name!r}: the provider does not support importing"
            )
        outputs, secret = plain_outputs(read.outputs, secret)
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
            self.save(urn, request, read.id, checked, outputs, secret, options)
        return read.id, outputs, secret

    def _keep(
        self, urn: str, request: Any, old: ResourceState, options: Options
    ) -> tuple[str, dict[str, Any], frozenset[str]]:
        """A SameStep: the old id and outputs, under this run's URN and options."""
        self.step(request, "same")
        kept = options.kept_by(replace(old, urn=urn, name=request.name))
        with self.lock:
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
        self.step(request, "create" if old is None else "update")
        if self.preview or contains_unknown(news):
            return (old.id if old else ""), news, secret
        self.save(urn, request, f"{request.name}-id", news, news, secret, options)
        return f"{request.name}-id", news, secret

    def read(self, urn: str, request: Any) -> tuple[dict[str, Any], frozenset[str]]:
        """``Resource.get``: Read(id, properties = inputs = the get's inputs)."""
        with self.lock:
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
        outputs, secret = plain_outputs(
            provider.read(urn, request.id, props, props).outputs, secret
        )
        self.step(request, "read")
        self.save(urn, request, request.id, props, outputs, secret, None, external=True)
        return outputs, secret

    # --- the end of a run -------------------------------------------------------------------

    def finish(self) -> None:
        """Delete what was replaced, then what the program no longer declares (newest first)."""
        gone = [s for urn, s in self.prior.items() if urn not in self.registered and not s.external]
        for old in self.replaced:
            if not self.preview:
                self.delete(old, replacing=True)
        for old in reversed(gone):
            self.steps.append(Step(old.name, old.type, "delete"))
            if self.preview:
                if old.protect:  # DeleteStep.Apply refuses before it looks at DryRun
                    raise protected_delete(old.urn)
                continue
            self.delete(old, replacing=False)
            self.deleted.add(old.urn)
