"""What a run records besides the state: its steps, and the operations it left pending."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Step:
    """What one run did (or, in a preview, would do) to one resource."""

    name: str
    type: str
    op: str  # create, update, replace, delete, same, read
    replaces: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PendingOperation:
    """An operation the engine recorded before calling the provider and never saw end: a
    ``creating`` one stays in every later state until a refresh clears it (snapshot.go)."""

    urn: str
    type: str
    inputs: dict[str, Any] = field(repr=False)
