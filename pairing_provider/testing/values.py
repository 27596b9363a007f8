"""How the test kit shows values: secrets masked in every repr, unknowns as one sentinel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Secret:
    """A value the engine keeps secret. ``repr`` never shows it (test output is logged)."""

    value: Any = field(repr=False)

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


@dataclass(frozen=True)
class ResourceState:
    """One resource as a stack's state holds it after a run (what ``pulumi stack export``
    shows, with secrets still marked)."""

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
