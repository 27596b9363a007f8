"""Issue #22 item 3: what a preview shows, as the engine shows it.

In a preview the engine calls only Check and Diff; a resource being updated gets its new
inputs back as outputs and every other output unknown (``provider_plugin.go`` ``Create``/
``Update`` preview branch, ``rpc.py`` ``resolve_properties``). So the preview of a key's
in-place update (``regenerate_when_expired``, ``renew_before``, ``script_api_version``,
``token_count``) shows its activation code and cloud-init unknown although ``up`` changes
neither, and a VM fed ``cloud_init`` without ``ignore_changes`` previews an update it will not
get at ``up``.
"""

from __future__ import annotations

import pulumi

from pairing_provider import PairingKey, PairingProfile
from pairing_provider.testing import PCE, UNKNOWN

VM_TYPE = "aws:ec2/instance:Instance"


def program(ignore_user_data: bool) -> None:
    web = PairingProfile("web", name="web-servers", enabled=True)
    regenerate = pulumi.Config().get_bool("regenerate")
    key = PairingKey("web-key", pairing_profile=web, regenerate_when_expired=regenerate)
    options = pulumi.ResourceOptions(ignore_changes=["user_data"] if ignore_user_data else None)
    pulumi.CustomResource(VM_TYPE, "web-1", {"user_data": key.cloud_init}, opts=options)
    pulumi.export("code", key.activation_code)
    pulumi.export("cloud_init", key.cloud_init)


def test_a_key_update_previews_its_code_unknown_and_up_keeps_it(pce: PCE) -> None:
    stack = pce.stack(lambda: program(ignore_user_data=True), config={"regenerate": "true"})
    first = stack.up()
    stack.set_config("regenerate", "false")

    preview = stack.preview()

    assert preview.changes == {"web-key": "update"}
    assert preview.outputs["code"] is UNKNOWN
    assert preview.outputs["cloud_init"] is UNKNOWN
    up = stack.up()
    assert up.changes == {"web-key": "update"}
    assert up.outputs["code"] == first.outputs["code"]
    assert up.outputs["cloud_init"] == first.outputs["cloud_init"]
    assert [r["method"] for r in up.requests if r["method"] != "GET"] == []


def test_a_vm_without_ignore_changes_previews_an_update_it_does_not_get(pce: PCE) -> None:
    stack = pce.stack(lambda: program(ignore_user_data=False), config={"regenerate": "true"})
    stack.up()
    stack.set_config("regenerate", "false")

    assert stack.preview().changes == {"web-key": "update", "web-1": "update"}
    assert stack.up().changes == {"web-key": "update"}  # the same user data: no change
