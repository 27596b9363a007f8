"""What a run gives back: :class:`RunResult` (the steps, the state, the stack outputs, the PCE
requests and the registrations of one ``up``, ``preview``, ``refresh`` or ``destroy``), and how
a resource is found by name in a state (:func:`find_resource`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from google.protobuf import struct_pb2  # type: ignore[import-untyped]
from pulumi.output import Unknown as SdkUnknown
from pulumi.runtime import rpc

from pairing_provider.testing.records import Step
from pairing_provider.testing.values import UNKNOWN, ResourceState, Secret
from pairing_provider.testing.wire import from_grpc

NO_CHANGE = ("same", "read")


@dataclass(frozen=True)
class RunResult:
    """What one ``up`` or ``preview`` did."""

    outputs: dict[str, Any]  # stack outputs: secrets as Secret, unknowns (preview) as UNKNOWN
    steps: list[Step]
    resources: list[ResourceState]  # the stack's state after the run
    requests: list[dict[str, Any]]  # the PCE requests made during the run
    warnings: list[str] = field(default_factory=list)  # what the engine would warn about
    # What the program asked of the engine: the SDK's RegisterResourceRequest of each custom
    # resource (inputs in ``object``, ``additionalSecretOutputs``, the options), in order.
    registrations: list[Any] = field(default_factory=list, repr=False)

    def resource(self, name: str, type_: str | None = None) -> ResourceState:
        """The resource named ``name`` (of type ``type_``, e.g. ``"PairingKey"``, when two
        resources of different types share the name)."""
        return find_resource(self.resources, name, type_)

    def registration(self, name: str, type_: str | None = None) -> Any:
        """The registration request of the resource named ``name`` (of type ``type_``)."""
        found = [
            request
            for request in self.registrations
            if request.name == name and (type_ is None or request.type.endswith(type_))
        ]
        if len(found) != 1:
            raise KeyError(f"{len(found)} registrations of {name!r} in this run")
        return found[0]

    @property
    def changes(self) -> dict[str, str]:
        """Resource name -> ``create``/``update``/``replace``/``delete``: ``{}`` is no change.

        A name that resources of two types share is given as ``"name (Type)"`` for each.
        """
        shared = {
            step.name
            for step in self.steps
            if sum(other.name == step.name for other in self.steps) > 1
        }
        return {
            f"{step.name} ({step.type.rsplit(':', 1)[-1]})" if step.name in shared else step.name: (
                step.op
            )
            for step in self.steps
            if step.op not in NO_CHANGE
        }


def find_resource(
    resources: list[ResourceState], name: str, type_: str | None = None
) -> ResourceState:
    """``type_`` is a whole type token or its last part (``PairingKey``)."""
    matches = [
        state
        for state in resources
        if state.name == name
        and (type_ is None or state.type == type_ or state.type.endswith(f":{type_}"))
    ]
    if len(matches) != 1:
        shown = f"{name!r}" + (f" of type {type_}" if type_ else "")
        raise KeyError(f"{len(matches)} resources named {shown} in the state")
    return matches[0]


def shown_outputs(stack_outputs: struct_pb2.Struct | None) -> dict[str, Any]:
    """The stack outputs a run registered, as :attr:`RunResult.outputs` shows them."""
    if stack_outputs is None:
        return {}
    return {name: _shown(value) for name, value in from_grpc(stack_outputs).items()}


def _shown(value: Any) -> Any:
    if rpc.is_rpc_secret(value):
        return Secret(_shown(rpc.unwrap_rpc_secret(value)))
    if isinstance(value, SdkUnknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {key: _shown(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shown(item) for item in value]
    return value
