"""A Pulumi program of two resources of the recording provider, ``b`` built from ``a``'s outputs.

Stack config (project ``proj``): ``kind`` (a change replaces ``a``) and ``size``.
"""

from __future__ import annotations

import pulumi

from tests.fixtures_engine.thing import Thing

config = pulumi.Config()
a = Thing("a", {"name": "a", "kind": config.require("kind"), "size": config.require_int("size")})
b = Thing("b", {"name": "b", "parent": a.id, "size": a.size, "parent_serial": a.serial})  # type: ignore[attr-defined]
pulumi.export("a_id", a.id)
pulumi.export("b_parent", b.parent)  # type: ignore[attr-defined]
