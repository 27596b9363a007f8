"""The examples: the fleet program run in-process against the simulator, and the CI workflow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from conftest import issued_codes, kit_stack
from pairing_provider.client import PCEClient
from pairing_provider.errors import LabelError
from pairing_provider.key import SECRET_OUTPUTS
from pairing_provider.simulator import Simulator
from pairing_provider.testing import UNKNOWN, RunResult, Secret, Stack
from pairing_provider.testing.channels import over_grpc_process
from tests.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
FLEET = ROOT / "examples" / "fleet"
WORKFLOW = ROOT / "examples" / "github-actions" / "preview.yml"
PROJECT = "pairing-provider"  # Pulumi.yaml's name: the namespace of the fleet's own config
KEY_TYPE = "pulumi-python:dynamic/illumio:PairingKey"
PROFILE_TYPE = "pulumi-python:dynamic/illumio:PairingProfile"
ENVIRONMENTS = {
    # name: (enforcement_mode, key_lifespan, allowed_uses_per_key)
    "prod": ("full", 86400, 50),
    "staging": ("visibility_only", 7 * 86400, "unlimited"),
}


LABELS = {"app-storefront": ("app", "storefront"), "env-prod": ("env", "prod")}
LABELS["env-staging"] = ("env", "staging")


def fleet_up(simulator: Simulator, **config: str) -> RunResult:
    """``pulumi up`` of examples/fleet with this stack config (``rotation`` etc.), on the kit."""
    return kit_stack(simulator, FLEET, project=PROJECT, config=config).up()


def grpc_stack(engine: Engine, simulator: Simulator, program: Path, **config: str) -> Stack:
    """A kit stack of ``program`` whose providers run in the shared provider process, over
    gRPC, as the engine runs them."""
    channels = over_grpc_process(engine)
    return kit_stack(simulator, program, project=PROJECT, config=config, channels=channels)


def shown(value: Any) -> Any:
    return value.value if isinstance(value, Secret) else value


def test_fleet_exports_profiles_secret_codes_and_cloud_init(
    client: PCEClient, simulator: Simulator
) -> None:
    up = fleet_up(simulator, rotation="2026-11")
    exports = up.outputs
    labels = {LABELS[name]: up.resource(name).id for name in LABELS}

    assert set(exports) == {
        f"{env}_{name}"
        for env in ENVIRONMENTS
        for name in ("profile_href", "key_expires_at", "activation_code", "cloud_init")
    }
    resolved = {name: shown(output) for name, output in exports.items()}
    codes = issued_codes(simulator)
    for env, (mode, lifespan, uses) in ENVIRONMENTS.items():
        href = resolved[f"{env}_profile_href"]
        code = resolved[f"{env}_activation_code"]
        document = resolved[f"{env}_cloud_init"]
        assert resolved[f"{env}_key_expires_at"].endswith("Z")
        assert code in codes
        # The exported code and user-data are outputs the key asks the engine to keep secret
        # (the engine marks them: docs/pulumi-engine.md, "Secrets"); the profile asks none.
        key_request = up.registration(f"{env}-key", KEY_TYPE)
        assert list(key_request.additionalSecretOutputs) == SECRET_OUTPUTS
        assert {"activation_code", "cloud_init"} <= set(SECRET_OUTPUTS)
        assert list(up.registration(env, PROFILE_TYPE).additionalSecretOutputs) == []

        profile = client.get_pairing_profile(href)
        assert profile["name"] == f"storefront-{env}"
        assert profile["enabled"] is True
        assert profile["enforcement_mode"] == mode
        assert int(profile["key_lifespan"]) == lifespan
        assert profile["allowed_uses_per_key"] in (uses, str(uses))
        assert {label["href"] for label in profile["labels"]} == {
            labels[("env", env)],
            labels[("app", "storefront")],
        }

        # A VM's user_data: a cloud-config whose only command pairs with this profile's code.
        assert document.startswith("#cloud-config\n")
        cloud_config = yaml.safe_load(document)
        assert list(cloud_config) == ["runcmd"]
        [command] = cloud_config["runcmd"]
        profile_id = href.rsplit("/", 1)[1]
        server = simulator.url.split("://", 1)[1]
        assert f"pair_script=pair.sh&profile_id={profile_id}" in command
        assert command.endswith(f"--management-server {server} --activation-code {code}")

    # The stack made exactly the labels its profiles use.
    used = {label["href"] for p in client.list_pairing_profiles() for label in p["labels"]}
    made = {(label["key"], label["value"]): label["href"] for label in client.list_labels()}
    assert used == set(labels.values()) and made == labels


def test_rotation_comes_from_stack_config_with_per_environment_override(
    client: PCEClient, simulator: Simulator
) -> None:
    config = {"rotation": "2026-11", "rotation-prod": "2026-11-leak"}
    up = fleet_up(simulator, **config)

    def triggers(name: str) -> Any:
        request = up.registration(name, KEY_TYPE)
        return pulumi.runtime.rpc.deserialize_properties(request.object)["triggers"]

    assert triggers("prod-key") == {"rotation": "2026-11-leak"}
    assert triggers("staging-key") == {"rotation": "2026-11"}


def test_fleet_requires_a_rotation_value(client: PCEClient, simulator: Simulator) -> None:
    with pytest.raises(pulumi.ConfigMissingError, match=f"{PROJECT}:rotation"):
        fleet_up(simulator)


def test_fleet_adopts_labels_the_org_has_only_when_told(simulator: Simulator) -> None:
    existing = simulator.state.create_label(1, {"key": "env", "value": "prod"})["href"]
    stack = kit_stack(simulator, FLEET, project=PROJECT, config={"rotation": "2026-11"})
    with pytest.raises(LabelError, match=f"already exists at {existing}"):
        stack.up()

    stack.set_config("adopt-labels", "true")
    up = stack.up()
    assert up.resource("env-prod").id == existing  # taken into the stack, not made again
    assert [label["href"] for label in simulator.state.label_store.matching({"value": "prod"})] == [
        existing
    ]


def workflow() -> dict[Any, Any]:
    document = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(document, dict)
    return document


def test_preview_workflow_runs_on_pull_requests_with_comment_permission() -> None:
    document = workflow()
    # YAML 1.1 (PyYAML) reads the bare key `on` as True; GitHub reads it as "on".
    triggers = document.get("on", document.get(True))
    assert "pull_request" in triggers
    assert document["permissions"]["pull-requests"] == "write"


def test_preview_workflow_steps() -> None:
    [job] = workflow()["jobs"].values()
    steps = job["steps"]
    uses = [step.get("uses", "").split("@")[0] for step in steps]
    install = next(i for i, step in enumerate(steps) if "run" in step)
    preview = uses.index("pulumi/actions")
    # Check out, set up Python, install the requirements, then preview.
    assert uses.index("actions/checkout") < uses.index("actions/setup-python") < install < preview
    assert "pip install -r requirements.txt" in steps[install]["run"]

    with_ = steps[preview]["with"]
    assert with_["command"] == "preview"
    assert with_["comment-on-pr"] is True
    assert with_["diff"] is True
    assert with_["stack-name"]
    env = steps[preview]["env"]
    assert env["ILLUMIO_API_KEY_SECRET"] == "${{ secrets.ILLUMIO_API_KEY_SECRET }}"
    assert env["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"


def test_fleet_through_the_engine_sequences_rotation_replaces_only_the_keys(
    engine: Engine, client: PCEClient, simulator: Simulator
) -> None:
    """The example program run as `pulumi up` then `pulumi preview` would run it, with the real
    provider process behind it (the kit's engine over gRPC)."""
    stack = grpc_stack(engine, simulator, FLEET)

    def run(preview: bool, rotation: str) -> RunResult:
        stack.set_config("rotation", rotation)
        return stack.preview() if preview else stack.up()

    created = run(False, "2026-11")
    names = ["prod", "staging", "prod-key", "staging-key", *LABELS]
    # The SDK registers independent resources concurrently: compare by name, not by order.
    assert {s.name: s.op for s in created.steps} == dict.fromkeys(names, "create")

    unchanged = run(True, "2026-11")
    assert {s.op for s in unchanged.steps} == {"same"}

    rotated = run(True, "2026-12")
    assert {s.name: s.op for s in rotated.steps} == {
        "prod": "same",
        "staging": "same",
        "prod-key": "replace",
        "staging-key": "replace",
        **dict.fromkeys(LABELS, "same"),
    }
    # What `pulumi preview` shows for the exports: the hrefs known, the new codes not yet.
    assert rotated.outputs["prod_profile_href"] == stack.resource("prod").id
    assert rotated.outputs["prod_activation_code"] is UNKNOWN
    names_in_state = [state.name for state in stack.state.values()]
    assert "delete" not in rotated.changes.values() and sorted(names_in_state) == sorted(names)


def test_fleet_preview_of_a_profile_edit_shows_its_key_unchanged(
    engine: Engine, client: PCEClient, simulator: Simulator, tmp_path: Path
) -> None:
    """The pull-request use: a description edit previews as a profile update and nothing
    else; the keys are not replaced (they are wired with pairing_profile=, whose id stays known
    in a preview). `up` then updates only the profiles."""
    original = (FLEET / "__main__.py").read_text(encoding="utf-8")
    edited = tmp_path / "__main__.py"
    edited.write_text(original.replace("console edits get reverted", "edits reverted"), "utf-8")
    assert edited.read_text(encoding="utf-8") != original
    stack = grpc_stack(engine, simulator, FLEET / "__main__.py", rotation="2026-11")

    stack.up()
    stack.program = edited  # the pull request's program, on the same stack
    stack.directory = tmp_path
    preview = stack.preview()
    applied = stack.up()

    expected = {"prod": "update", "staging": "update", "prod-key": "same", "staging-key": "same"}
    expected |= dict.fromkeys(LABELS, "same")
    assert {s.name: s.op for s in preview.steps} == expected
    assert {s.name: s.op for s in applied.steps} == expected


VEN_TYPE_PROGRAM = """
import pulumi
from pairing_provider import PairingProfile

config = pulumi.Config()
profile = PairingProfile("web", name="web", enabled=True, ven_type=config.require("ven_type"))
pulumi.export("href", profile.id)
"""


def test_a_ven_type_change_replaces_the_profile_deleting_first(
    engine: Engine, simulator: Simulator, tmp_path: Path
) -> None:
    """Through the engine's sequences: the preview says replace, and up deletes the old
    profile before it creates the new one of the same name (the PCE refuses two)."""
    program = tmp_path / "__main__.py"
    program.write_text(VEN_TYPE_PROGRAM, encoding="utf-8")
    stack = grpc_stack(engine, simulator, program, ven_type="server")
    old = stack.up().outputs["href"]
    simulator.clear_requests()
    stack.set_config("ven_type", "endpoint")

    preview = stack.preview()
    applied = stack.up()

    assert {s.name: s.op for s in preview.steps} == {"web": "replace"}
    assert {s.name: s.op for s in applied.steps} == {"web": "replace"}
    writes = [(r["method"], r["path"]) for r in simulator.requests() if r["method"] != "GET"]
    new = applied.outputs["href"]
    assert writes == [
        ("DELETE", f"/api/v2{old}"),
        ("POST", "/api/v2/orgs/1/pairing_profiles"),
        ("PUT", f"/api/v2{new}"),  # the create's second request (README, PairingProfile)
    ]
    assert new != old
    [post] = [r for r in simulator.requests() if r["path"] == "/api/v2/orgs/1/pairing_profiles"]
    assert post["body"]["ven_type"] == "endpoint"  # set at creation, the only place it can be
