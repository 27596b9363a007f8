"""What one run of the kit's engine holds and records, whatever its sequence.

:class:`RunState` takes the prior state in and gives the new state, the steps and the pending
operations out; it applies the steps every sequence shares (save a resource, delete one as
``DeleteStep.Apply`` does, keep one pending replacement) and says which state the stack keeps
after the run (:meth:`RunState.final_state`). The sequences that fill it are the sequencer's
registrations (:mod:`pairing_provider.testing.engine`), the replacements
(:mod:`pairing_provider.testing.replacement`) and the refresh
(:mod:`pairing_provider.testing.refresh`).
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from google.protobuf import struct_pb2  # type: ignore[import-untyped]

from pairing_provider.testing.channels import Channels
from pairing_provider.testing.options import Options, protected_delete
from pairing_provider.testing.records import PendingOperation, Step
from pairing_provider.testing.values import ResourceState


class RunState:
    """One run: the prior state in, the new state, the steps and the stack outputs out."""

    def __init__(
        self,
        prior: dict[str, ResourceState],
        channels: Channels,
        preview: bool,
        pending: tuple[PendingOperation, ...] = (),
    ) -> None:
        self.prior = prior
        self.channels = channels
        self.preview = preview
        self.pending = list(pending)  # carried over from the last run, and this run's own
        self.state: dict[str, ResourceState] = {}
        self.steps: list[Step] = []
        self.stack_outputs: struct_pb2.Struct | None = None
        self.registered: set[str] = set()  # every old URN the program declared in this run
        self.deleted: set[str] = set()  # old URNs deleted and gone from the state
        self.replaced: list[ResourceState] = []  # olds to delete at the end of the run
        self.lock = threading.Lock()

    def step(self, request: Any, op: str, replaces: list[str] | None = None) -> None:
        with self.lock:
            self.steps.append(Step(request.name, request.type, op, list(replaces or [])))

    def save(
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
        with self.lock:
            self.state[urn] = state

    def delete(self, old: ResourceState, replacing: bool) -> None:
        """``DeleteStep.Apply``: a protected resource is refused (unless it is being replaced:
        that was checked before); a retained one, or one a delete-before-replace already
        deleted, leaves the state with no Delete."""
        if old.protect and not replacing:
            raise protected_delete(old.urn)
        provider = self.channels.for_resource(old.type, old.raw_outputs)
        if old.retain_on_delete or old.pending_replacement or provider is None:
            return
        provider.delete(old.urn, old.id, old.raw_outputs, old.raw_inputs)

    def mark_pending_replacement(self, old: ResourceState) -> None:
        with self.lock:
            self.state.setdefault(old.urn, replace(old, pending_replacement=True))

    def final_state(self, completed: bool) -> dict[str, ResourceState]:
        """The state a stack keeps: after a preview the prior one; after a failed ``up`` the
        prior one with every step that did finish (as the engine saves partial progress)."""
        if self.preview:
            return dict(self.prior)
        if completed:
            return dict(self.state)
        merged = {**self.prior, **self.state}
        return {urn: state for urn, state in merged.items() if urn not in self.deleted}
