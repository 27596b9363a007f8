"""Look-ups from a program against the simulator, seeded with profiles and labels."""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pytest
import requests

from conftest import API_SECRET, API_USER, kit_stack
from pairing_provider import (
    LookupFailedError,
    PairingKey,
    PairingProfile,
    PairingProfileData,
    find_label,
    find_label_output,
    find_labels,
    find_labels_output,
    find_pairing_profiles,
    find_pairing_profiles_output,
    get_pairing_profile,
    get_pairing_profile_output,
)
from pairing_provider.client import PCEClient
from pairing_provider.simulator import Simulator


@pytest.fixture
def pce(simulator: Simulator, client: PCEClient, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The program's environment points at the simulator; labels and profiles seeded."""
    monkeypatch.setenv("ILLUMIO_PCE_HOST", simulator.url)
    monkeypatch.setenv("ILLUMIO_API_KEY_USERNAME", API_USER)
    monkeypatch.setenv("ILLUMIO_API_KEY_SECRET", API_SECRET)
    labels = {}
    for key, value in [("env", "prod"), ("env", "production"), ("app", "web"), ("app", "db")]:
        body = {"key": key, "value": value}
        labels[f"{key}={value}"] = client.request("POST", "/orgs/1/labels", json_body=body).json()[
            "href"
        ]

    def profile(name: str, *label_names: str, **fields: Any) -> str:
        body = {"name": name, "enabled": True, **fields}
        body["labels"] = [{"href": labels[label]} for label in label_names]
        return client.create_pairing_profile(body)["href"]

    profiles = {
        "Default (Servers)": profile("Default (Servers)", description="the default"),
        "web": profile("web", "env=prod", "app=web", ven_type="endpoint"),
        "web-canary": profile("web-canary", "env=production", "app=web"),
        "db": profile("db", "env=prod", "app=db", external_data_set="cmdb"),
    }
    simulator.clear_requests()
    return {"labels": labels, "profiles": profiles}


def names(found: list[PairingProfileData]) -> list[str]:
    return sorted(profile.name for profile in found)


def test_get_pairing_profile_returns_every_field(pce: dict[str, Any]) -> None:
    found = get_pairing_profile(pce["profiles"]["web"])
    assert isinstance(found, PairingProfileData)
    assert found.href == pce["profiles"]["web"]
    assert found.ven_type is None  # set at its creation, but no PCE reports it in a GET
    assert found.created_at and found.caps
    assert found.labels == sorted(
        [{"href": pce["labels"]["env=prod"]}, {"href": pce["labels"]["app=web"]}],
        key=lambda label: int(label["href"].rsplit("/", 1)[1]),
    )


def test_get_pairing_profile_not_found_names_the_href(pce: dict[str, Any]) -> None:
    with pytest.raises(
        LookupFailedError, match="no pairing profile at /orgs/1/pairing_profiles/99"
    ):
        get_pairing_profile("/orgs/1/pairing_profiles/99")
    with pytest.raises(LookupFailedError, match="href: must be a profile href"):
        get_pairing_profile("web")


def test_every_filter(pce: dict[str, Any]) -> None:
    assert names(find_pairing_profiles(name="web")) == ["web", "web-canary"]
    assert names(find_pairing_profiles(name="web", exact_name=True)) == ["web"]
    assert names(find_pairing_profiles(description="default")) == ["Default (Servers)"]
    assert names(find_pairing_profiles(ven_type="endpoint")) == ["web"]
    assert names(find_pairing_profiles(external_data_set="cmdb")) == ["db"]
    assert len(find_pairing_profiles(max_results=2)) == 2
    assert find_pairing_profiles(agent_software_release="9.9.9") == []


def test_labels_by_href_or_key_value_and_list_of_lists(pce: dict[str, Any]) -> None:
    prod, web = pce["labels"]["env=prod"], pce["labels"]["app=web"]
    assert names(find_pairing_profiles(labels=[prod, web])) == ["web"]  # flat: AND
    assert names(find_pairing_profiles(labels=[{"key": "env", "value": "prod"}])) == ["db", "web"]
    either = [
        [{"key": "app", "value": "db"}],
        [{"href": web}, {"key": "env", "value": "production"}],
    ]
    assert names(find_pairing_profiles(labels=either)) == ["db", "web-canary"]  # OR of ANDs
    with pytest.raises(LookupFailedError, match=re.escape("no label {key: 'env', value: 'qa'}")):
        find_pairing_profiles(labels=[{"key": "env", "value": "qa"}])


def test_find_label_is_exact_and_find_labels_filters(pce: dict[str, Any]) -> None:
    label = find_label("env", "prod")  # the PCE's value filter alone would also match production
    assert label == {"href": pce["labels"]["env=prod"], "key": "env", "value": "prod"}
    assert sorted(item["value"] for item in find_labels(key="env")) == ["prod", "production"]
    assert [item["value"] for item in find_labels(key="app", value="we")] == ["web"]
    with pytest.raises(LookupFailedError, match="no label"):
        find_label("env", "qa")


def test_more_than_500_matches_are_all_returned(pce: dict[str, Any], simulator: Simulator) -> None:
    session = requests.Session()
    session.auth = (API_USER, API_SECRET)
    for i in range(510):
        session.post(
            f"{simulator.url}/api/v2/orgs/1/pairing_profiles",
            json={"name": f"bulk-{i:03d}", "enabled": True},
        ).raise_for_status()
    found = find_pairing_profiles(name="bulk-")
    assert len(found) == 510
    assert any(r["status"] == 202 for r in simulator.requests())


def test_duplicate_labels_are_listed_as_candidates(
    pce: dict[str, Any], simulator: Simulator, client: PCEClient
) -> None:
    """A PCE keeps key/value pairs unique; a look-up that finds two says which."""
    prod = client.get_label(pce["labels"]["env=prod"])
    simulator.add_fault(
        method="GET",
        path="/labels",
        status=200,
        body=[prod, {**prod, "href": "/orgs/1/labels/77"}],
    )
    with pytest.raises(LookupFailedError, match="/orgs/1/labels/77"):
        find_label("env", "prod")


def test_output_variants_and_a_worked_example_under_mocks(
    pce: dict[str, Any], simulator: Simulator
) -> None:
    """README's worked example: find the prod label and the default profile, then build on
    them. Stack config (not the environment) carries the connection here."""

    def program() -> None:
        prod = find_label_output("env", pulumi.Output.from_input("prod"))
        default = find_pairing_profiles_output(name="Default (Servers)", exact_name=True)
        web = get_pairing_profile_output(pulumi.Output.from_input(pce["profiles"]["web"]))
        apps = find_labels_output(key="app")
        profile = PairingProfile(
            "payments",
            name="payments",
            enabled=True,
            enforcement_mode=default.apply(lambda found: found[0].enforcement_mode),
            labels=[prod.apply(lambda label: label["href"])],
        )
        key = PairingKey("payments-key", pairing_profile=profile)
        pulumi.export("prod", prod)
        pulumi.export("default", default.apply(lambda found: [f.href for f in found]))
        pulumi.export("web", web.apply(lambda found: found.name))
        pulumi.export("apps", apps.apply(lambda found: [label["value"] for label in found]))
        pulumi.export("href", profile.href)
        pulumi.export("labels", profile.labels)
        pulumi.export("key_profile", key.pairing_profile_href)

    seen = kit_stack(simulator, program).up().outputs

    assert seen["prod"]["href"] == pce["labels"]["env=prod"]
    assert seen["default"] == [pce["profiles"]["Default (Servers)"]]
    assert seen["web"] == "web"
    assert sorted(seen["apps"]) == ["db", "web"]
    href = seen["href"]
    assert seen["labels"] == [{"href": pce["labels"]["env=prod"]}]
    assert seen["key_profile"] == href


def test_key_value_labels_in_a_profile_cost_one_listing(
    pce: dict[str, Any], simulator: Simulator
) -> None:
    def program() -> None:
        for i in range(5):
            profile = PairingProfile(
                f"svc-{i}",
                name=f"svc-{i}",
                enabled=True,
                labels=[{"key": "env", "value": "prod"}, {"key": "app", "value": "db"}],
            )
            pulumi.export(f"labels-{i}", profile.labels)

    outputs = kit_stack(simulator, program).up().outputs
    for i in range(5):
        assert outputs[f"labels-{i}"] == [
            {"href": pce["labels"]["env=prod"]},
            {"href": pce["labels"]["app=db"]},
        ]
    label_listings = [r for r in simulator.requests() if "/labels" in r["path"]]
    assert len(label_listings) <= 1
