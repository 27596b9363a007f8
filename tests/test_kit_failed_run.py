"""A failed ``up`` keeps what its other steps finished: the engine's step executor stops
starting new steps when one fails but lets those under way finish and saves each that
completes (pulumi/pulumi ``pkg/resource/deploy/step_executor.go``: ``executeChain`` checks for
cancellation before each step, ``cancelDueToError`` cancels, ``WaitForCompletion`` waits for
the workers).
A create still under way when another resource fails must end up in the state, or the next
``up`` creates it again and meets its own profile's name."""

from __future__ import annotations

import pytest

from pairing_provider import Label, LabelError, PairingProfile
from pairing_provider.testing import PCE


def test_a_create_under_way_when_another_resource_fails_is_saved(pce: PCE) -> None:
    taken = pce.add_label("env", "prod")
    pce.add_fault(method="POST", path="pairing_profiles$", delay=0.5, when="after")

    def program() -> None:
        PairingProfile("web", name="web-servers", enabled=True)
        Label("env-prod", key="env", value="prod")  # refused at once: the org has it

    stack = pce.stack(program)
    with pytest.raises(LabelError, match=f"already exists at {taken}"):
        stack.up()

    web = stack.resource("web")  # the profile's create finished after the label failed
    assert web.id == pce.profiles()[-1]["href"]
    posts = [r for r in pce.requests if r["method"] == "POST" and "pairing_profiles" in r["path"]]
    assert len(posts) == 1
