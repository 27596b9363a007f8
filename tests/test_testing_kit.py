"""The offline test kit: the ``pce`` fixture and Stack runs of programs through the real providers.

Each test is what a user of the kit writes; what it checks is observable: the requests that
reached the simulator, the stack outputs and state, the errors raised.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pulumi
import pytest

from pairing_provider import PairingKey, PairingProfile
from pairing_provider.errors import NotFoundError, RateLimitedError
from pairing_provider.testing import PCE, UNKNOWN, Secret, StackError

PROFILE_TYPE = "pulumi-python:dynamic/illumio:PairingProfile"
DEFAULTS = ["Default (Servers)", "Default (Endpoints)"]  # what a fresh PCE has


def calls(requests: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(r["method"], r["path"].removeprefix("/api/v2")) for r in requests]


def web_program(description: str = "web tier", rotation: str = "1") -> None:
    profile = PairingProfile(
        "web",
        name="web-servers",
        enabled=True,
        description=description,
        key_lifespan=3600,
        labels=[{"key": "env", "value": "prod"}],
    )
    key = PairingKey("web-key", pairing_profile=profile, triggers={"r": rotation})
    pulumi.export("profile_id", profile.id)
    pulumi.export("profile_href", profile.href)
    pulumi.export("description", profile.description)
    pulumi.export("code", key.activation_code)
    pulumi.export("key_id", key.id)


def test_up_creates_then_a_second_up_changes_nothing(pce: PCE) -> None:
    label = pce.add_label("env", "prod")
    stack = pce.stack(web_program)

    up = stack.up()

    assert up.changes == {"web": "create", "web-key": "create"}
    href = up.outputs["profile_href"]
    assert href == up.outputs["profile_id"] == "/orgs/1/pairing_profiles/3"  # after the defaults
    assert calls(up.requests) == [
        ("GET", "/orgs/1/labels"),
        ("POST", "/orgs/1/pairing_profiles"),
        ("PUT", href),  # a profile create's second request (README, PairingProfile)
        ("POST", f"{href}/pairing_key"),  # wired with pairing_profile=: no GET first
    ]
    code = up.outputs["code"]
    assert isinstance(code, Secret)  # PairingKey registers it in additional_secret_outputs
    assert code.value in [key["activation_code"] for key in pce.pairing_keys]
    assert code.value not in repr(up)  # secrets are masked wherever a failing test prints them
    state = up.resource("web")
    assert state.type == PROFILE_TYPE and state.id == href
    assert state.outputs["labels"] == [{"href": label}]
    assert isinstance(up.resource("web-key").outputs["cloud_init"], Secret)

    again = stack.up()

    assert again.changes == {}
    assert {step.op for step in again.steps} == {"same"}
    assert calls(again.requests) == [("GET", "/orgs/1/labels")]  # a new process lists labels
    assert again.outputs == up.outputs


def test_preview_calls_no_create_and_shows_what_is_not_known_yet(pce: PCE) -> None:
    pce.add_label("env", "prod")
    stack = pce.stack(web_program)

    first = stack.preview()

    assert first.changes == {"web": "create", "web-key": "create"}
    assert calls(first.requests) == [("GET", "/orgs/1/labels")]  # check's label look-up only
    assert first.outputs["profile_id"] is UNKNOWN and first.outputs["profile_href"] is UNKNOWN
    assert first.outputs["description"] == "web tier"  # an input: known
    assert first.resources == []  # a preview leaves the state alone

    created = stack.up()
    stack.program = lambda: web_program(description="web tier, v2")
    changed = stack.preview()

    # An update keeps its id; outputs that are not inputs (href) are unknown until it is done.
    # The key is wired with pairing_profile= (the id, known), so it previews unchanged ...
    assert changed.changes == {"web": "update"}
    assert [m for m, _ in calls(changed.requests)] == ["GET"]
    assert changed.outputs["profile_id"] == created.outputs["profile_id"]
    assert changed.outputs["profile_href"] is UNKNOWN
    assert changed.outputs["description"] == "web tier, v2"
    assert changed.outputs["key_id"] == created.outputs["key_id"]
    # ... and the up updates the profile alone.
    applied = stack.up()
    assert applied.changes == {"web": "update"}
    assert applied.outputs["key_id"] == created.outputs["key_id"]


def test_a_rotation_replaces_the_key_and_a_removed_resource_is_deleted(pce: PCE) -> None:
    pce.add_label("env", "prod")
    stack = pce.stack(web_program)
    first = stack.up()

    stack.program = lambda: web_program(rotation="2")
    preview = stack.preview()
    assert preview.changes == {"web-key": "replace"}
    assert [s.replaces for s in preview.steps if s.name == "web-key"] == [["triggers"]]
    assert preview.outputs["code"] is UNKNOWN
    rotated = stack.up()
    assert rotated.changes == {"web-key": "replace"}
    assert rotated.outputs["code"] != first.outputs["code"]
    href = first.outputs["profile_href"]
    assert calls(rotated.requests)[-1] == ("POST", f"{href}/pairing_key")

    stack.program = lambda: None
    emptied = stack.up()
    assert emptied.changes == {"web-key": "delete", "web": "delete"}  # dependents first
    assert calls(emptied.requests) == [("DELETE", href)]
    assert emptied.resources == [] and [p["name"] for p in pce.profiles()] == DEFAULTS


def test_a_check_failure_stops_the_run_and_names_the_field(pce: PCE) -> None:
    def program() -> None:
        PairingProfile("bad", name="x", enabled=True, enforcement_mode="strict")

    with pytest.raises(StackError, match='enforcement_mode: "strict" is not one of idle'):
        pce.stack(program).up()
    assert pce.requests == []


def test_secret_config_makes_the_outputs_it_feeds_secret(pce: PCE) -> None:
    def program() -> None:
        config = pulumi.Config()
        profile = PairingProfile(
            "web", name="web", enabled=True, description=config.require_secret("note")
        )
        pulumi.export("description", profile.description)

    stack = pce.stack(program, config={"note": "ticket SEC-1"}, secrets=("note",))
    up = stack.up()

    assert up.outputs["description"] == Secret("ticket SEC-1")
    assert isinstance(up.resource("web").outputs["description"], Secret)
    [put] = [r for r in up.requests if r["method"] == "PUT"]  # the create's finishing PUT
    assert put["body"]["description"] == "ticket SEC-1"  # the provider got it in plain text


def test_get_reads_an_existing_profile_without_managing_it(pce: PCE) -> None:
    existing = pce.add_profile("legacy", enforcement_mode="full")

    def program() -> None:
        legacy = PairingProfile.get("legacy", existing["href"])
        pulumi.export("mode", legacy.enforcement_mode)

    stack = pce.stack(program)
    up = stack.up()
    assert up.outputs["mode"] == "full"
    assert [s.op for s in up.steps] == ["read"]
    assert up.changes == {}

    stack.program = lambda: None
    assert calls(stack.up().requests) == []  # never deleted: it is not the stack's
    assert [p["href"] for p in pce.profiles()][-1] == existing["href"]
    assert len(pce.profiles()) == len(DEFAULTS) + 1


def test_a_get_of_a_missing_profile_fails_the_run_with_the_providers_error(pce: PCE) -> None:
    def program() -> None:
        PairingProfile.get("missing", "/orgs/1/pairing_profiles/99")

    with pytest.raises(NotFoundError, match="no pairing profile at /orgs/1/pairing_profiles/99"):
        pce.stack(program).preview()  # reads run in previews too


def test_adopting_a_console_profile_changes_only_what_differs(pce: PCE) -> None:
    pce.add_profile("web-servers", description="made in the console")

    def program() -> None:
        PairingProfile("web", name="web-servers", enabled=True, adopt_existing=True)

    up = pce.stack(program).up()

    writes = [r for r in up.requests if r["method"] != "GET"]
    assert [(r["method"], r["status"]) for r in writes] == [("POST", 406), ("PUT", 204)]
    assert writes[1]["body"] == {"description": ""}  # the program's default, put back
    assert up.resource("web").id == pce.profiles()[-1]["href"]


@pytest.mark.pce(rate_limit=2)
def test_the_pce_marker_passes_options_to_the_simulator(pce: PCE) -> None:
    def program() -> None:
        for n in range(3):
            PairingProfile(f"p{n}", name=f"p{n}", enabled=True)

    with pytest.raises(RateLimitedError, match="429"):
        pce.stack(program, config={"illumio:maxRetries": "0"}).up()


def test_the_environment_points_at_the_simulator_for_the_test(pce: PCE) -> None:
    assert os.environ["ILLUMIO_PCE_HOST"] == pce.url
    assert pce.stack_config["illumio:pceHost"] == pce.url


def test_the_readme_example_is_the_fleet_examples_test_file() -> None:
    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Testing your stack\n", 1)[1]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert block == (root / "examples" / "fleet" / "test_fleet.py").read_text(encoding="utf-8")


def test_names_shared_by_two_types_are_told_apart(pce: PCE) -> None:
    def program() -> None:
        profile = PairingProfile("web", name="web", enabled=True)
        PairingKey("web", pairing_profile=profile)

    up = pce.stack(program).up()

    assert up.changes == {"web (PairingProfile)": "create", "web (PairingKey)": "create"}
    assert up.resource("web", "PairingKey").id.startswith(up.resource("web", "PairingProfile").id)
    with pytest.raises(KeyError, match="2 resources named 'web'"):
        up.resource("web")


@pytest.mark.pce(release="legacy", seed_defaults=True)
def test_the_pce_marker_picks_a_release_shape_and_default_profiles(pce: PCE) -> None:
    seeded = pce.profiles()
    assert seeded and all("enforcement_mode_lock" not in p for p in seeded)  # legacy GET shape

    def program() -> None:
        PairingProfile("web", name="web-servers", enabled=True)

    stack = pce.stack(program)
    stack.up()
    assert stack.up().changes == {}  # a GET without the newer fields is no difference


def test_refresh_brings_console_drift_into_the_state_and_up_puts_it_back(pce: PCE) -> None:
    pce.add_label("env", "prod")
    stack = pce.stack(web_program)
    href = stack.up().outputs["profile_href"]
    pce.change_profile(href, enforcement_mode="full")  # someone in the console

    refreshed = stack.refresh()

    assert refreshed.changes == {"web": "update"}
    assert {method for method, _ in calls(refreshed.requests)} == {"GET"}  # reads only
    assert refreshed.resource("web").outputs["enforcement_mode"] == "full"
    assert stack.preview().changes == {"web": "update"}
    reverted = stack.up()
    assert [(r["method"], r["body"]) for r in reverted.requests if r["method"] == "PUT"] == [
        ("PUT", {"enforcement_mode": "visibility_only"})
    ]
    assert stack.refresh().changes == {}


def test_a_profile_deleted_outside_is_dropped_by_refresh_and_made_again(pce: PCE) -> None:
    pce.add_label("env", "prod")
    stack = pce.stack(web_program)
    href = stack.up().outputs["profile_href"]
    pce.delete_profile(href)

    refreshed = stack.refresh()

    assert refreshed.changes == {"web": "delete", "web-key": "delete"}  # its keys went with it
    assert refreshed.resources == []
    again = stack.up()
    assert again.changes == {"web": "create", "web-key": "create"}
    assert again.outputs["profile_href"] != href
    assert [p["href"] for p in pce.profiles() if p["name"] == "web-servers"] == [
        again.outputs["profile_href"]
    ]


def test_destroy_deletes_the_profiles_and_never_revokes_keys(pce: PCE) -> None:
    pce.add_label("env", "prod")
    stack = pce.stack(web_program)
    href = stack.up().outputs["profile_href"]

    destroyed = stack.destroy()

    assert destroyed.changes == {"web-key": "delete", "web": "delete"}
    assert calls(destroyed.requests) == [("DELETE", href)]
    assert destroyed.resources == [] and destroyed.outputs == {}
    assert href not in [p["href"] for p in pce.profiles()]
    assert [k["revoked"] for k in pce.pairing_keys] == [False]


def test_a_project_directory_whose_pulumi_yaml_names_the_program(pce: PCE) -> None:
    """The repository root: Pulumi.yaml says `name: pairing-provider`, `main: examples/fleet/`."""
    root = Path(__file__).resolve().parent.parent

    stack = pce.stack(root, config={"rotation": "1"})  # the project's own namespace, from the file

    assert stack.project == "pairing-provider"
    labels = {"app-storefront", "env-prod", "env-staging"}
    assert set(stack.up().changes) == {"prod", "prod-key", "staging", "staging-key", *labels}


def test_a_directory_without_a_program_is_refused(pce: PCE, tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: empty\nruntime: python\n")
    with pytest.raises(FileNotFoundError, match=r"no __main__\.py in"):
        pce.stack(tmp_path)
