"""A Pulumi program of two resources of the recording provider, ``b`` built from ``a``'s outputs.

Stack config (project ``proj``): ``kind`` (a change replaces ``a``) and ``size``.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import Resource

from tests.fixtures_engine.recording_provider import RecordingProvider


class Thing(Resource, module="test", name="Thing"):
    """``serial`` is an output only (the provider makes it); every other property is an input."""

    serial: pulumi.Output[Any]

    def __init__(self, name: str, props: dict[str, Any]) -> None:
        super().__init__(RecordingProvider(), name, {**props, "serial": None})


config = pulumi.Config()
a = Thing("a", {"name": "a", "kind": config.require("kind"), "size": config.require_int("size")})
b = Thing("b", {"name": "b", "parent": a.id, "size": a.size, "parent_serial": a.serial})  # type: ignore[attr-defined]
pulumi.export("a_id", a.id)
pulumi.export("b_parent", b.parent)  # type: ignore[attr-defined]
