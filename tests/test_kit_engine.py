"""The test kit plays what the Pulumi engine does with resource options, a failed
delete-before-replace and an interrupted run (issue #20).

Each test runs a program through ``pce.stack`` and checks the engine's documented outcome; the
docstring names the function of pulumi/pulumi (``pkg/resource/deploy`` unless said otherwise)
it follows, as docs/pulumi-engine.md does. What is observed: the requests that reached the
simulator, the steps, the state, the errors raised.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from pairing_provider import PairingKey, PairingProfile
from pairing_provider.errors import PairingProfileError
from pairing_provider.testing import PCE, StackError, StackInterrupted

VM_TYPE = "aws:ec2/instance:Instance"


def writes(requests: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [
        (r["method"], r["path"].removeprefix("/api/v2")) for r in requests if r["method"] != "GET"
    ]


def profile(name: str = "web", opts: pulumi.ResourceOptions | None = None, **fields: Any) -> Any:
    inputs = {"name": "web-servers", "enabled": True, **fields}
    return PairingProfile(name, **inputs, opts=opts)


def test_ignore_changes_keeps_the_vm_unchanged_on_rotation(pce: PCE) -> None:
    """``processIgnoreChanges`` (step_generator.go) puts the old ``user_data`` back before the
    check and the diff: the README's VM is unchanged when its key rotates."""

    def program() -> None:
        key = PairingKey("web-key", pairing_profile=profile(), triggers={"r": cfg("rotation")})
        pulumi.CustomResource(
            VM_TYPE,
            "web-1",
            {"user_data": key.cloud_init, "instance_type": "t3.micro"},
            opts=pulumi.ResourceOptions(ignore_changes=["user_data"]),
        )

    stack = pce.stack(program, config={"rotation": "1"})
    first = stack.up()
    stack.set_config("rotation", "2")

    assert stack.preview().changes == {"web-key": "replace"}
    up = stack.up()

    assert up.changes == {"web-key": "replace"}
    vm = up.resource("web-1").inputs["user_data"].value
    assert vm == first.resource("web-1").inputs["user_data"].value  # the first key's script


def test_a_protected_profile_is_neither_replaced_nor_deleted(pce: PCE) -> None:
    """``continueStepsFromDiff`` refuses to replace a protected resource, in the preview too;
    ``DeleteStep.Apply`` refuses to delete one (deleteProtectedError)."""
    declared = {"ven_type": "server", "on": True}

    def program() -> None:
        if declared["on"]:
            opts = pulumi.ResourceOptions(protect=True)
            profile(ven_type=declared["ven_type"], opts=opts)

    stack = pce.stack(program)
    href = stack.up().resource("web").id
    declared["ven_type"] = "endpoint"  # create-only: a replacement

    with pytest.raises(StackError, match=r"(?s)unable to replace .* marked for protection"):
        stack.preview()
    with pytest.raises(StackError, match="unable to replace resource"):
        stack.up()
    declared.update(ven_type="server", on=False)
    with pytest.raises(StackError, match="cannot be deleted\nbecause it is protected"):
        stack.up()

    # the create's POST and PUT (README, PairingProfile), then nothing
    assert writes(pce.requests) == [("POST", "/orgs/1/pairing_profiles"), ("PUT", href)]
    assert pce.profile(href)["name"] == "web-servers"
    assert stack.resource("web").id == href


def test_retain_on_delete_leaves_the_profile_in_the_pce(pce: PCE) -> None:
    """``DeleteStep.Apply``: a resource with ``RetainOnDelete`` leaves the state, no Delete."""
    stack = pce.stack(lambda: profile(opts=pulumi.ResourceOptions(retain_on_delete=True)))
    href = stack.up().resource("web").id

    destroyed = stack.destroy()

    assert destroyed.changes == {"web": "delete"} and destroyed.resources == []
    assert writes(destroyed.requests) == []
    assert pce.profile(href)["name"] == "web-servers"


def test_a_renamed_resource_with_an_alias_changes_nothing(pce: PCE) -> None:
    """``getOldResource`` / ``generateAliases``: the old URN is found through the alias."""
    renamed = {"on": False}

    def program() -> None:
        if renamed["on"]:
            profile("frontend", pulumi.ResourceOptions(aliases=[pulumi.Alias(name="web")]))
        else:
            profile("web")

    stack = pce.stack(program)
    href = stack.up().resource("web").id
    renamed["on"] = True

    up = stack.up()

    assert up.changes == {}
    assert writes(up.requests) == []
    assert [state.name for state in up.resources] == ["frontend"]
    assert up.resource("frontend").id == href


def test_the_delete_before_replace_option_overrides_the_provider(pce: PCE) -> None:
    """``continueStepsFromDiff``: ``goal.DeleteBeforeReplace`` wins over the provider's
    ``deleteBeforeReplace``. The profile's provider asks to delete first when the name stays;
    the option ``False`` makes the engine create first, which the PCE refuses."""
    declared = {"ven_type": "server"}

    def program() -> None:
        opts = pulumi.ResourceOptions(delete_before_replace=False)
        profile(ven_type=declared["ven_type"], opts=opts)

    stack = pce.stack(program)
    stack.up()
    declared["ven_type"] = "endpoint"

    with pytest.raises(PairingProfileError):
        stack.up()

    # after the first create's POST and PUT: the refused POST, and no DELETE
    assert writes(pce.requests)[2:] == [("POST", "/orgs/1/pairing_profiles")]


def test_import_is_refused_as_the_engine_would(pce: PCE) -> None:
    """``ImportStep.Apply`` reads with Read(id) and no properties or inputs, which the dynamic
    provider server cannot serve (no ``__provider``)."""
    existing = pce.add_profile("web-servers")["href"]
    stack = pce.stack(lambda: profile(opts=pulumi.ResourceOptions(import_=existing)))

    with pytest.raises(StackError, match=r"KeyError: '__provider'.*adopt_existing=True"):
        stack.up()

    assert pce.requests == [] and stack.state == {}


def test_a_failed_delete_before_replace_is_recreated_by_the_next_up(pce: PCE) -> None:
    """``DeleteStep.Apply`` marks the old state ``PendingReplacement`` once its Delete
    succeeded, for the profile and for the key ``calculateDependentReplacements`` deleted
    with it; ``continueStepsFromDiff`` then replaces them whatever the diff says, and
    ``RefreshStep.Apply`` skips them."""
    declared = {"ven_type": "server"}

    def program() -> None:
        web = profile(ven_type=declared["ven_type"])
        key = PairingKey("web-key", pairing_profile=web)
        pulumi.export("href", web.href)
        pulumi.export("key_profile", key.pairing_profile_href)

    stack = pce.stack(program)
    old_href = stack.up().outputs["href"]
    declared["ven_type"] = "endpoint"
    pce.add_fault(method="POST", path="pairing_profiles$", status=400)

    with pytest.raises(Exception, match="400"):
        stack.up()

    assert pce.profiles()[2:] == []  # the old profile is gone from the PCE
    assert stack.resource("web").pending_replacement
    assert stack.resource("web-key").pending_replacement
    pce.clear_requests()
    assert stack.refresh().requests == []  # nothing to read: both are pending replacement
    declared["ven_type"] = "server"  # even back to the old value: the diff is not asked

    up = stack.up()

    assert up.changes == {"web": "replace", "web-key": "replace"}
    href = up.outputs["href"]
    assert href != old_href and pce.profile(href)["name"] == "web-servers"
    assert up.outputs["key_profile"] == href
    assert not any(state.pending_replacement for state in up.resources)


def test_an_interrupted_create_is_a_pending_create_until_cleared(pce: PCE) -> None:
    """``SnapshotManager.doCreate`` (pkg/backend/snapshot.go) records a pending ``creating``
    operation before Create; a killed run keeps it, every later snapshot carries it, and
    ``printPendingOperationsWarning`` (deployment_executor.go) warns on each up until
    ``pulumi refresh --clear-pending-creates``."""
    adopt = {"on": False}
    stack = pce.stack(lambda: profile(adopt_existing=adopt["on"]))

    with pytest.raises(StackInterrupted):
        stack.up(interrupt_after_create="web")

    made = pce.profiles()[2]
    assert stack.state == {}
    assert [(op.urn.rsplit("::", 1)[1], op.type) for op in stack.pending_operations] == [
        ("web", "creating")
    ]
    with pytest.raises(PairingProfileError, match=made["href"]):
        stack.up()  # the README's step 1: the create meets the profile the lost run made
    adopt["on"] = True

    up = stack.up()  # step 2: adopt it

    assert up.resource("web").id == made["href"]
    assert stack.preview().warnings == []  # an up warns, a preview does not
    (warning,) = up.warnings
    assert "1 pending operations" in warning and "web, interrupted while creating" in warning
    stack.refresh(clear_pending_creates=True)  # step 3
    assert stack.pending_operations == ()
    assert stack.up().warnings == []


def cfg(key: str) -> str:
    return pulumi.Config().require(key)


def test_pacing_is_off_against_the_kits_simulator_unless_it_enforces_a_rate_limit(
    pce: PCE,
) -> None:
    """The provider's default budget (450 a minute, a real PCE's) would make every run past
    450 requests wait out a minute against a simulator that enforces no limit."""
    assert pce.stack(lambda: None).config["illumio:maxRequestsPerMinute"] == "1000000"
    with PCE(rate_limit=5) as limited:
        assert "illumio:maxRequestsPerMinute" not in limited.stack(lambda: None).config
    asked = pce.stack(lambda: None, config={"illumio:maxRequestsPerMinute": "60"})
    assert asked.config["illumio:maxRequestsPerMinute"] == "60"
