"""The profile model and diff on their own: validation messages, normalisation, exact diffs."""

from __future__ import annotations

from typing import Any

from pulumi.output import Unknown

from pairing_provider.models import (
    PROFILE,
    PairingProfileArgs,
    changed_fields,
    normalise_live,
)


def validate_inputs(news: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    inputs, failures = PROFILE.check(news)
    return inputs, [(failure.field, failure.reason) for failure in failures]


LIVE = {  # a GET body as a PCE returns it, quirks included
    "href": "/orgs/1/pairing_profiles/7",
    "name": "web",
    "description": None,
    "enabled": True,
    "enforcement_mode": "visibility_only",
    "mode": "illuminated",
    "enforcement_mode_lock": True,
    "mode_lock": True,
    "visibility_level": "flow_summary",
    "visibility_level_lock": True,
    "allowed_uses_per_key": "5",
    "key_lifespan": 3600,
    "labels": [{"href": "/orgs/1/labels/12"}, {"href": "/orgs/1/labels/3"}],
    "env_label_lock": True,
    "loc_label_lock": True,
    "role_label_lock": True,
    "app_label_lock": True,
    "log_traffic": False,
    "log_traffic_lock": True,
    "ven_type": "server",
    "agent_software_release": "Default (21.5.20-8451)",
    "external_data_set": None,
    "external_data_reference": None,
    "created_at": "2026-01-01T00:00:00.000Z",
    "caps": ["write", "generate_pairing_key"],
}


def test_check_fills_terraform_defaults_and_normalises() -> None:
    inputs, failures = validate_inputs(
        {
            "name": "web",
            "enabled": True,
            "allowed_uses_per_key": 5.0,  # integers cross gRPC as floats
            "key_lifespan": "3600",  # Terraform's string form
            "labels": ["/orgs/1/labels/12", {"href": "/orgs/1/labels/3"}, "/orgs/1/labels/3"],
            "__provider": "serialised",
        }
    )
    assert failures == []
    assert inputs["allowed_uses_per_key"] == 5 and type(inputs["allowed_uses_per_key"]) is int
    assert inputs["key_lifespan"] == 3600
    assert inputs["labels"] == [{"href": "/orgs/1/labels/3"}, {"href": "/orgs/1/labels/12"}]
    assert inputs["enforcement_mode"] == "visibility_only"
    assert inputs["visibility_level"] == "flow_summary"
    assert inputs["log_traffic"] is None  # sent only when set (deprecated by Illumio)
    assert all(inputs[f"{lock}_lock"] for lock in ("env_label", "loc_label", "role_label"))
    assert inputs["adopt_existing"] is False
    assert "__provider" not in inputs


def test_check_failures_name_the_field_and_allowed_values() -> None:
    _, failures = validate_inputs(
        {
            "name": "",
            "enabled": "yes",
            "enforcement_mode": "enforced",
            "visibility_level": "all",
            "allowed_uses_per_key": 0,
            "key_lifespan": 2**31,
            "labels": ["label-1"],
            "ven_type": "desktop",
            "colour": "blue",
        }
    )
    reasons = dict(failures)
    assert reasons["enforcement_mode"] == (
        'enforcement_mode: "enforced" is not one of idle, visibility_only, selective, full'
    )
    assert "flow_full_detail, flow_summary" in reasons["visibility_level"]
    assert "server, endpoint, specified_during_activation" in reasons["ven_type"]
    assert "1 to 2147483647" in reasons["allowed_uses_per_key"]
    assert "1 to 2147483647" in reasons["key_lifespan"]
    assert "/orgs/N/labels/N" in reasons["labels"]
    assert reasons["colour"].startswith("colour: is not a known property (known: name, enabled,")
    assert reasons["name"].startswith("name: ")
    assert reasons["enabled"].startswith("enabled: ")


def test_unknowns_pass_through_and_known_fields_are_still_checked() -> None:
    unknown = Unknown()
    inputs, failures = validate_inputs({"name": unknown, "enabled": True, "labels": [unknown]})
    assert failures == []
    assert inputs["name"] is unknown
    assert inputs["labels"] == [unknown]
    assert inputs["enforcement_mode"] == "visibility_only"
    _, failures = validate_inputs({"name": unknown, "enabled": True, "enforcement_mode": "x"})
    assert [prop for prop, _ in failures] == ["enforcement_mode"]


def test_live_quirks_normalise_to_the_inputs_they_came_from() -> None:
    inputs, _ = validate_inputs(
        {
            "name": "web",
            "enabled": True,
            "allowed_uses_per_key": 5,
            "key_lifespan": 3600,
            "labels": ["/orgs/1/labels/3", "/orgs/1/labels/12"],
        }
    )
    assert changed_fields(LIVE, inputs) == []


def test_diff_names_exactly_the_changed_fields() -> None:
    olds = normalise_live(LIVE)
    news = {**olds, "allowed_uses_per_key": "unlimited", "description": "x"}
    assert changed_fields(olds, news) == ["description", "allowed_uses_per_key"]
    assert changed_fields(olds, {**olds, "name": Unknown()}) == ["name"]
    assert changed_fields({**olds, "key_lifespan": 3600.0}, olds) == []


def test_api_body_has_writable_fields_only() -> None:
    spec = PairingProfileArgs(name="web", enabled=True, key_lifespan=60)
    body = spec.api_body()
    assert "agent_software_release" not in body  # null: left to the PCE's default
    assert body["key_lifespan"] == 60
    assert spec.api_body({"key_lifespan"}) == {"key_lifespan": 60}
    assert PairingProfileArgs(name="w", enabled=True).api_body({"agent_software_release"}) == {
        "agent_software_release": None
    }


def test_a_default_list_filled_in_is_new_each_time() -> None:
    first, _ = validate_inputs({"name": "web", "enabled": True})
    first["labels"].append({"href": "/orgs/1/labels/1"})  # a caller changing its result

    second, _ = validate_inputs({"name": "web", "enabled": True})

    assert second["labels"] == []


def test_text_a_pce_cannot_store_is_refused() -> None:
    _, failures = validate_inputs(
        {"name": "web\x00", "enabled": True, "description": "half of a pair \ud83d"}
    )
    assert dict(failures) == {
        "name": 'name: "web\x00" must be valid Unicode text without NUL characters',
        "description": (
            'description: "half of a pair \ud83d" must be valid Unicode text without NUL characters'
        ),
    }
    inputs, failures = validate_inputs({"name": "web \U0001f600 été", "enabled": True})
    assert failures == [] and inputs["name"] == "web \U0001f600 été"
