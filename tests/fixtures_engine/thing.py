"""``Thing``: a dynamic resource of the recording provider, for programs the kit runs."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import Resource

from tests.fixtures_engine.recording_provider import RecordingProvider


class Thing(Resource, module="test", name="Thing"):
    """``serial`` is an output only (the provider makes it); every other property is an input."""

    serial: pulumi.Output[Any]

    def __init__(
        self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(RecordingProvider(), name, {"serial": None, **props}, opts)
