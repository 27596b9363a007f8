"""The simulator against Illumio's published schemas and real responses (docs/pce-api.md).

Each test pins one published fact: request schemas per method, GET shapes per release, the
key POST, asynchronous jobs and their Location, errors, and what a fresh PCE holds.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from test_simulator_support import (
    SECRET,
    USER,
    FakeClock,
    Session,
    _start_cli,
    _stop_cli,
    api,
    assert_refused,
    call,
    control,
    create,
    label,
    seed,
)

from pairing_provider.simulator import Simulator

pytest_plugins = ["test_simulator_support"]

PROFILES = "/orgs/1/pairing_profiles"
HEX81 = re.compile(r"[0-9a-f]{81}")
LEGACY_ABSENT = {"ven_type", "enforcement_mode_lock", "log_traffic", "log_traffic_lock"}


def post(session: requests.Session, sim: Simulator, body: Any) -> requests.Response:
    return session.post(api(sim, PROFILES), json=body)


# --------------------------------------------------------------------------- request schemas


def test_ven_type_is_post_only(sim: Simulator, session: requests.Session) -> None:
    created = create(session, sim, name="ep", ven_type="endpoint")
    response = session.put(api(sim, created["href"]), json={"ven_type": "server"})
    assert_refused(response, 406, "input_validation_error", "ven_type", "additional properties")
    listed = session.get(api(sim, PROFILES), params={"ven_type": "endpoint"})
    assert [p["name"] for p in listed.json()] == ["ep"]  # stored, filterable...
    assert "ven_type" not in session.get(api(sim, created["href"])).json()  # ...never read


@pytest.mark.parametrize("method", ["POST", "PUT"])
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("description", None),
        ("name", None),
        ("enabled", None),
        ("labels", [{"href": "/orgs/1/labels/1"}, {"href": "/orgs/1/labels/1"}]),
        ("labels", [{"href": 1}]),
        ("key_lifespan", 0),
        ("allowed_uses_per_key", "10"),
        ("mode", "selective"),
        ("colour", "red"),
    ],
)
def test_both_methods_refuse_what_the_schema_refuses(
    sim: Simulator, session: requests.Session, method: str, field: str, value: Any
) -> None:
    label(session, sim, "role", "web")
    href = create(session, sim, name="kept")["href"]
    body = {"enabled": True, field: value}
    url = api(sim, PROFILES if method == "POST" else href)
    response = session.request(method, url, json=body)
    assert_refused(response, 406, "input_validation_error", field)
    assert session.get(api(sim, href)).json()["name"] == "kept"
    assert len(sim.state.profiles) == 1


def test_what_the_schema_allows_is_accepted(sim: Simulator, session: requests.Session) -> None:
    web = label(session, sim, "role", "web")
    long_text = "x" * 10_000  # no length limit in the schema
    body = {
        "enabled": False,
        "name": "",
        "description": long_text,
        "external_data_set": long_text,
        "external_data_reference": None,
        "agent_software_release": None,
        "labels": [{"href": web}],
        "allowed_uses_per_key": 2147483647,
        "key_lifespan": "unlimited",
        "mode": "enforced",
        "mode_lock": False,
        "log_traffic": True,
        "log_traffic_lock": False,
        "visibility_level": "flow_full_detail",
        "ven_type": "specified_during_activation",
    }
    created = post(session, sim, body)
    assert created.status_code == 201, created.text
    got = created.json()
    assert (got["enforcement_mode"], got["enforcement_mode_lock"]) == ("full", False)
    assert got["external_data_set"] == long_text
    put = {k: v for k, v in body.items() if k != "ven_type"}
    assert session.put(api(sim, got["href"]), json=put).status_code == 204


def test_post_needs_enabled_and_put_does_not(sim: Simulator, session: requests.Session) -> None:
    assert_refused(post(session, sim, {"name": "x"}), 406, "input_validation_error", "enabled")
    href = create(session, sim, name="x")["href"]
    assert session.put(api(sim, href), json={"description": "d"}).status_code == 204


def test_unnamed_profile_reads_back_an_empty_string_name(
    sim: Simulator, session: requests.Session
) -> None:
    first, second = create(session, sim), create(session, sim)
    for created in (first, second):  # two unnamed profiles do not clash
        got = session.get(api(sim, created["href"])).json()
        assert got["name"] == "" and isinstance(got["name"], str)


def test_duplicate_name_is_the_published_refusal(sim: Simulator, session: requests.Session) -> None:
    create(session, sim, name="Web")
    response = post(session, sim, {"enabled": True, "name": "Web"})
    assert response.status_code == 406
    assert response.json() == [{"token": "name_must_be_unique", "message": "Name must be unique"}]


# --------------------------------------------------------------------------- collections


def test_max_results_zero_answers_no_items_and_the_total(
    sim: Simulator, session: requests.Session
) -> None:
    seed(sim, 3)
    response = session.get(api(sim, PROFILES), params={"max_results": "0"})
    assert response.status_code == 200
    assert response.json() == []
    assert response.headers["X-Total-Count"] == "3"


# --------------------------------------------------------------------------- pairing keys


def test_key_post_is_201_with_an_81_hex_code_even_when_disabled(
    sim: Simulator, session: requests.Session
) -> None:
    href = create(session, sim, enabled=False)["href"]
    codes = []
    for _ in range(2):
        response = session.post(api(sim, href + "/pairing_key"), json={})
        assert response.status_code == 201
        assert list(response.json()) == ["activation_code"]
        codes.append(response.json()["activation_code"])
    assert all(HEX81.fullmatch(code) for code in codes) and codes[0] != codes[1]


# --------------------------------------------------------------------------- GET shapes


def test_current_shape_has_no_ven_type(sim: Simulator, session: requests.Session) -> None:
    created = create(session, sim, ven_type="endpoint", key_lifespan=60, allowed_uses_per_key=1)
    got = session.get(api(sim, created["href"])).json()
    assert "ven_type" not in got and "ven_type" not in created
    assert got["enforcement_mode_lock"] is True and "log_traffic" in got
    assert (got["key_lifespan"], got["allowed_uses_per_key"]) == (60, "1")


@pytest.fixture
def legacy(clock: FakeClock) -> Iterator[Simulator]:
    with Simulator(
        api_key_username=USER, api_key_secret=SECRET, clock=clock, release="legacy"
    ) as s:
        yield s


def test_legacy_shape_lacks_newer_fields(legacy: Simulator) -> None:
    with Session() as session:
        created = create(session, legacy, key_lifespan=60, allowed_uses_per_key=5)
        got = session.get(api(legacy, created["href"])).json()
        listed = session.get(api(legacy, PROFILES)).json()
    for body in (created, got, listed[0]):
        assert not LEGACY_ABSENT & set(body)
        assert (body["key_lifespan"], body["allowed_uses_per_key"]) == ("60", "5")
        assert body["mode"] == "illuminated" and body["mode_lock"] is True


def test_release_shape_is_a_setting_that_reset_restores(
    sim: Simulator, session: requests.Session
) -> None:
    settings_url = f"{sim.url}/_simulator/settings"
    href = create(session, sim, key_lifespan=60)["href"]
    response = control("PUT", settings_url, json={"release": "legacy"})
    assert response.status_code == 200 and response.json()["release"] == "legacy"
    assert control("GET", settings_url).json() == response.json() == sim.settings()
    assert session.get(api(sim, href)).json()["key_lifespan"] == "60"
    assert sim.update_settings(release="current")["release"] == "current"
    assert session.get(api(sim, href)).json()["key_lifespan"] == 60
    sim.update_settings(release="legacy")
    sim.reset()
    assert sim.settings()["release"] == "current"
    for bad in [{"release": "19.3"}, {"colour": 1}, {"location": "url"}, ["release"]]:
        assert control("PUT", settings_url, json=bad).status_code == 400, bad
    with pytest.raises(ValueError, match="release"):
        Simulator(release="ancient")


# --------------------------------------------------------------------------- async jobs


def _async(session: requests.Session, sim: Simulator) -> requests.Response:
    response = session.get(api(sim, PROFILES), headers={"Prefer": "respond-async"})
    assert response.status_code == 202
    return response


def test_async_location_is_a_path_or_an_absolute_url(
    sim: Simulator, session: requests.Session
) -> None:
    assert re.fullmatch(r"/orgs/1/jobs/[0-9a-f-]{36}", _async(session, sim).headers["Location"])
    sim.update_settings(location="absolute")
    location = _async(session, sim).headers["Location"]
    assert re.fullmatch(re.escape(sim.url) + r"/api/v2/orgs/1/jobs/[0-9a-f-]{36}", location)
    assert session.get(location).json()["status"] == "done"  # it is this server's URL
    sim.update_settings(location_host="pce.elsewhere.example:8443")
    location = _async(session, sim).headers["Location"]
    assert re.fullmatch(
        r"http://pce\.elsewhere\.example:8443/api/v2/orgs/1/jobs/[-0-9a-f]{36}", location
    )
    sim.update_settings(location="path")  # another host implies an absolute URL
    assert _async(session, sim).headers["Location"].startswith("http://pce.elsewhere")


def test_job_goes_pending_running_done_with_result_null_until_done(
    sim: Simulator, session: requests.Session
) -> None:
    seed(sim, 2)
    sim.update_settings(async_job_progress=["pending", "running"], async_retry_after=1)
    response = _async(session, sim)
    assert response.headers["Retry-After"] == "1"
    polls = [session.get(api(sim, response.headers["Location"])).json() for _ in range(4)]
    assert [p["status"] for p in polls] == ["pending", "running", "done", "done"]
    assert [p["result"] for p in polls[:2]] == [None, None]
    assert polls[0]["terminated_at"] is None and polls[2]["terminated_at"]
    items = session.get(api(sim, polls[2]["result"]["href"])).json()
    assert [p["name"] for p in items] == ["seed-0000", "seed-0001"]


def test_failed_job_carries_a_message(sim: Simulator, session: requests.Session) -> None:
    sim.update_settings(async_job_progress=["running"], async_job_outcome="failed")
    location = _async(session, sim).headers["Location"]
    first, second = (session.get(api(sim, location)).json() for _ in range(2))
    assert (first["status"], first["result"]) == ("running", None)
    assert second["status"] == "failed" and "failed" in second["result"]["message"]
    assert "href" not in second["result"]


# --------------------------------------------------------------------------- errors


def test_database_lock_refusal_is_injectable(sim: Simulator, session: requests.Session) -> None:
    sim.add_fault(method="PUT", error="database_lock")
    href = create(session, sim, name="x")["href"]
    response = session.put(api(sim, href), json={"description": "changed"})
    assert response.status_code == 406
    assert response.json()[0]["message"] == "Could not get a database lock"
    assert session.get(api(sim, href)).json()["description"] == ""  # nothing was processed


# --------------------------------------------------------------------------- a fresh PCE


def _names(session: requests.Session, sim: Simulator) -> list[tuple[str, bool]]:
    listed = session.get(api(sim, PROFILES)).json()
    return [(p["name"], p["is_default"]) for p in listed]


FACTORY = [("Default (Servers)", True), ("Default (Endpoints)", True)]


def test_a_fresh_pce_has_its_default_profiles(clock: FakeClock) -> None:
    with (
        Simulator(
            api_key_username=USER, api_key_secret=SECRET, clock=clock, seed_defaults=True
        ) as sim,
        Session() as session,
    ):
        assert _names(session, sim) == FACTORY
        servers = sim.state.profiles[1]
        assert (servers["ven_type"], sim.state.profiles[2]["ven_type"]) == ("server", "endpoint")
        create(session, sim, name="mine")
        sim.reset()
        assert _names(session, sim) == FACTORY
        sim.reset(seed_defaults=False)
        assert _names(session, sim) == []
        assert control("POST", f"{sim.url}/_simulator/reset").status_code == 204
        assert _names(session, sim) == FACTORY
        empty = control("POST", f"{sim.url}/_simulator/reset", json={"seed_defaults": False})
        assert empty.status_code == 204 and _names(session, sim) == []
        bad = control("POST", f"{sim.url}/_simulator/reset", json={"seed_defaults": "no"})
        assert bad.status_code == 400
        # A default profile issues keys like any other.
        sim.reset()
        key = session.post(api(sim, "/orgs/1/pairing_profiles/1/pairing_key"), json={})
        assert key.status_code == 201


# --------------------------------------------------------------------------- PCE-wide reads


def test_health_and_workload_settings_need_the_api_key(
    sim: Simulator, session: requests.Session
) -> None:
    health = session.get(api(sim, "/health"))
    assert health.status_code == 200
    assert health.json()[0]["status"] == "normal" and health.json()[0]["type"] == "standalone"
    settings = session.get(api(sim, "/orgs/1/settings/workloads"))
    assert settings.json() == {"href": "/orgs/1/settings/workloads"}
    assert_refused(call("GET", api(sim, "/health")), 401, "authentication_required")
    assert_refused(session.get(api(sim, "/orgs/2/settings/workloads")), 403, "forbidden")


# --------------------------------------------------------------------------- the CLI


def _first_line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    return process.stdout.readline().strip()


def test_cli_seeds_by_default_and_takes_release_location_and_empty() -> None:
    auth = (USER, SECRET)
    seeded = _start_cli("--pce-release", "legacy", "--async-location", "absolute")
    empty = _start_cli("--empty")
    try:
        url = _first_line(seeded)
        listed = call("GET", f"{url}/api/v2{PROFILES}", auth=auth).json()
        assert [(p["name"], p["is_default"]) for p in listed] == FACTORY
        assert not LEGACY_ABSENT & set(listed[0])
        job = call("GET", f"{url}/api/v2{PROFILES}", auth=auth, headers={"Prefer": "respond-async"})
        assert job.headers["Location"].startswith(f"{url}/api/v2/orgs/1/jobs/")
        url = _first_line(empty)
        assert call("GET", f"{url}/api/v2{PROFILES}", auth=auth).json() == []
        control("POST", f"{url}/_simulator/reset")
        assert call("GET", f"{url}/api/v2{PROFILES}", auth=auth).json() == []
    finally:
        assert _stop_cli(seeded) == 0
        assert _stop_cli(empty) == 0
