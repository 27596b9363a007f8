"""The fleet stack's own tests: offline, against the PCE simulator, with no Pulumi CLI.

They use only what `pip install pairing_provider` brings: the `pce` fixture of its pytest
plugin and `pairing_provider.testing`. The README's "Testing your stack" is this file.
"""

from pathlib import Path

from pairing_provider.testing import PCE, UNKNOWN, Secret, Stack

PROJECT = Path(__file__).parent  # the directory with the program's __main__.py


def fleet_stack(pce: PCE) -> Stack:
    # project: the name in Pulumi.yaml, the namespace of the program's own config keys
    return pce.stack(PROJECT, project="pairing-provider", config={"rotation": "2026-11"})


def test_up_makes_a_profile_and_a_secret_key_per_environment(pce: PCE) -> None:
    up = fleet_stack(pce).up()

    assert up.changes == {
        "app-storefront": "create",
        "env-prod": "create",
        "env-staging": "create",
        "prod": "create",
        "prod-key": "create",
        "staging": "create",
        "staging-key": "create",
    }
    prod = pce.profile(up.outputs["prod_profile_href"])
    assert (prod["name"], prod["enforcement_mode"], prod["key_lifespan"]) == (
        "storefront-prod",
        "full",
        86400,
    )
    cloud_init = up.outputs["prod_cloud_init"]
    assert isinstance(cloud_init, Secret)  # encrypted in state, masked in `pulumi stack output`
    assert cloud_init.value.startswith("#cloud-config\n")
    assert up.outputs["prod_activation_code"].value in cloud_init.value


def test_a_second_up_changes_nothing(pce: PCE) -> None:
    stack = fleet_stack(pce)
    stack.up()

    again = stack.up()

    assert again.changes == {}
    assert [r for r in again.requests if r["method"] != "GET"] == []


def test_rotating_one_environment_replaces_only_its_key(pce: PCE) -> None:
    stack = fleet_stack(pce)
    first = stack.up()
    stack.set_config("rotation-prod", "2026-11-leak")

    preview = stack.preview()  # what the pull request's `pulumi preview` shows

    assert preview.changes == {"prod-key": "replace"}
    assert preview.outputs["prod_activation_code"] is UNKNOWN  # made at `up`, not at preview
    assert preview.requests == []  # previews write nothing (labels wired by id: no look-up)

    up = stack.up()

    assert up.changes == {"prod-key": "replace"}
    assert up.outputs["prod_activation_code"] != first.outputs["prod_activation_code"]
    assert up.outputs["staging_activation_code"] == first.outputs["staging_activation_code"]
