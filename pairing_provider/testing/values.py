"""How the test kit shows values: secrets masked in every repr, unknowns as one sentinel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any


class Secret:
    """A value the engine keeps secret. Nothing shows it: not ``repr``, and not a failing
    ``assert`` (pytest explains a failed ``==`` of two dataclasses field by field, printing
    both values; a class with its own ``__eq__`` gets no such explanation)."""

    __slots__ = ("value",)
    value: Any

    def __init__(self, value: Any) -> None:
        object.__setattr__(self, "value", value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a Secret is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return bool(self.value == other.value)

    def __hash__(self) -> int:
        return hash((Secret, self.value))

    def __reduce__(self) -> tuple[type[Secret], tuple[Any]]:
        return Secret, (self.value,)  # copy and pickle make it anew: it is immutable

    def __repr__(self) -> str:
        return "Secret([secret])"


class Unknown:
    """A value not known yet during a preview (the one instance is ``UNKNOWN``)."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()


def masked(values: Mapping[str, Any], secret_names: frozenset[str]) -> dict[str, Any]:
    """``values`` with each secret one wrapped in :class:`Secret`."""
    return {
        name: Secret(value) if name in secret_names else value for name, value in values.items()
    }


@dataclass(frozen=True, eq=False)
class ResourceState:
    """One resource as a stack's state holds it after a run (what ``pulumi stack export``
    shows, with secrets still marked). Its ``==`` is its own, not the dataclass's, so that a
    failing ``assert`` shows the masked ``repr`` rather than the raw outputs field by field."""

    urn: str
    type: str
    name: str
    id: str
    raw_inputs: dict[str, Any] = field(repr=False)
    raw_outputs: dict[str, Any] = field(repr=False)
    secret_outputs: frozenset[str] = frozenset()
    external: bool = False  # read with Resource.get: never created, updated or deleted
    protect: bool = False
    retain_on_delete: bool = False
    # Deleted by a delete-before-replace whose create has not run yet (the engine's
    # PendingReplacement): the next up creates it whatever the diff says.
    pending_replacement: bool = False
    dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ResourceState):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in fields(self))

    __hash__ = None  # type: ignore[assignment]  # it holds dicts, as the dataclass did

    @property
    def inputs(self) -> dict[str, Any]:
        """The checked inputs, secret ones as :class:`Secret` (without ``__provider``)."""
        return masked(_public(self.raw_inputs), self.secret_outputs)

    @property
    def outputs(self) -> dict[str, Any]:
        """The outputs, secret ones as :class:`Secret` (without ``__provider``)."""
        return masked(_public(self.raw_outputs), self.secret_outputs)


def _public(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if not name.startswith("__")}
