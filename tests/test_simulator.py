"""Tests of the Illumio PCE simulator, over real HTTP with ``requests``."""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from test_simulator_support import (
    SECRET,
    T0,
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
from pairing_provider.simulator.clock import rfc3339
from pairing_provider.simulator.control import is_loopback
from pairing_provider.simulator.faults import Fault

pytest_plugins = ["test_simulator_support"]


# --------------------------------------------------------------------------- CRUD


def test_create_fills_read_only_fields_and_defaults(
    sim: Simulator, session: requests.Session
) -> None:
    profile = create(session, sim)
    stamp = "2023-11-14T22:13:20.123Z"
    assert profile == {
        "href": "/orgs/1/pairing_profiles/1",
        "name": "",
        "description": "",
        "enabled": True,
        "total_use_count": 0,
        "is_default": False,
        "created_at": stamp,
        "updated_at": stamp,
        "created_by": {"href": "/users/1"},
        "updated_by": {"href": "/users/1"},
        "enforcement_mode": "visibility_only",
        "enforcement_mode_lock": True,
        "visibility_level": "flow_summary",
        "visibility_level_lock": True,
        "allowed_uses_per_key": "unlimited",
        "key_lifespan": "unlimited",
        "last_pairing_at": None,
        "last_pairing_key_generated_at": None,
        "last_pairing_key_generated_by": None,
        "labels": [],
        "env_label_lock": True,
        "loc_label_lock": True,
        "role_label_lock": True,
        "app_label_lock": True,
        "log_traffic": False,
        "log_traffic_lock": True,
        "agent_software_release": "Default (21.5.20-8451)",
        "external_data_set": None,
        "external_data_reference": None,
        "caps": ["write", "generate_pairing_key"],
        "status_lock": False,
        "mode": "illuminated",
        "mode_lock": True,
    }
    assert session.get(api(sim, profile["href"])).json() == profile


def test_ids_increment_and_collection_is_sorted(sim: Simulator, session: requests.Session) -> None:
    hrefs = [create(session, sim, name=f"p{i}")["href"] for i in range(3)]
    assert hrefs == [f"/orgs/1/pairing_profiles/{i}" for i in (1, 2, 3)]
    listed = session.get(api(sim, "/orgs/1/pairing_profiles"))
    assert [p["href"] for p in listed.json()] == hrefs
    assert listed.headers["X-Total-Count"] == "3"


def test_put_is_partial_and_bumps_updated_at(
    sim: Simulator, session: requests.Session, clock: FakeClock
) -> None:
    profile = create(
        session, sim, name="web", description="first", key_lifespan=600, role_label_lock=False
    )
    clock.advance(61.5)
    response = session.put(api(sim, profile["href"]), json={"description": "second"})
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["Content-Length"] == "0"
    after = session.get(api(sim, profile["href"])).json()
    assert after["description"] == "second"
    assert (after["name"], after["key_lifespan"], after["role_label_lock"]) == ("web", 600, False)
    assert after["created_at"] == profile["created_at"]
    assert after["updated_at"] == rfc3339(T0 + 61.5) == "2023-11-14T22:14:21.623Z"


def test_put_can_go_back_to_unlimited_and_null(sim: Simulator, session: requests.Session) -> None:
    profile = create(
        session,
        sim,
        allowed_uses_per_key=3,
        key_lifespan=60,
        external_data_set="cmdb",
        agent_software_release="22.5.1-100",
    )
    body = {
        "allowed_uses_per_key": "unlimited",
        "key_lifespan": "unlimited",
        "external_data_set": None,
        "agent_software_release": None,
    }
    assert session.put(api(sim, profile["href"]), json=body).status_code == 204
    after = session.get(api(sim, profile["href"])).json()
    assert after["allowed_uses_per_key"] == after["key_lifespan"] == "unlimited"
    assert after["external_data_set"] is None
    assert after["agent_software_release"] == "Default (21.5.20-8451)"


def test_delete_then_everything_is_404(sim: Simulator, session: requests.Session) -> None:
    href = create(session, sim)["href"]
    assert session.delete(api(sim, href)).status_code == 204
    assert_refused(session.get(api(sim, href)), 404, "not_found")
    assert_refused(session.put(api(sim, href), json={"enabled": False}), 404, "not_found")
    assert_refused(session.delete(api(sim, href)), 404, "not_found")
    assert_refused(session.post(api(sim, href + "/pairing_key"), json={}), 404, "not_found")


# --------------------------------------------------------------------------- 406s

BAD_BODIES: list[tuple[Any, str]] = [
    ([], "object"),
    ("enabled", "object"),
    ({"enabled": True, "colour": "red"}, "colour"),
    ({"enabled": "true"}, "enabled"),
    ({"enabled": 1}, "enabled"),
    ({"enabled": True, "log_traffic": "false"}, "log_traffic"),
    ({"enabled": True, "env_label_lock": None}, "env_label_lock"),
    ({"enabled": True, "enforcement_mode": "enforced"}, "enforcement_mode"),
    ({"enabled": True, "visibility_level": "flow_everything"}, "visibility_level"),
    ({"enabled": True, "ven_type": "laptop"}, "ven_type"),
    ({"enabled": True, "mode": "full"}, "mode"),
    ({"enabled": True, "allowed_uses_per_key": "5"}, "allowed_uses_per_key"),
    ({"enabled": True, "allowed_uses_per_key": 0}, "allowed_uses_per_key"),
    ({"enabled": True, "allowed_uses_per_key": True}, "allowed_uses_per_key"),
    ({"enabled": True, "allowed_uses_per_key": 2.5}, "allowed_uses_per_key"),
    ({"enabled": True, "key_lifespan": 2147483648}, "key_lifespan"),
    ({"enabled": True, "key_lifespan": "Unlimited"}, "key_lifespan"),
    ({"enabled": True, "key_lifespan": "3600"}, "key_lifespan"),
    ({"enabled": True, "name": 7}, "name"),
    ({"enabled": True, "name": None}, "name"),
    ({"enabled": True, "description": 3}, "description"),
    ({"enabled": True, "external_data_set": ["a"]}, "external_data_set"),
    ({"enabled": True, "agent_software_release": 21}, "agent_software_release"),
    ({"enabled": True, "labels": {"href": "/orgs/1/labels/1"}}, "labels"),
    ({"enabled": True, "labels": ["/orgs/1/labels/1"]}, "labels/0"),
    ({"enabled": True, "labels": [{"href": "/orgs/1/labels/1", "key": "role"}]}, "labels/0"),
    ({"enabled": True, "labels": [{"href": "/orgs/1/labels/999"}]}, "/orgs/1/labels/999"),
    ({"name": "no-enabled"}, "enabled"),
]
READ_ONLY = [
    "href",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "total_use_count",
    "last_pairing_at",
    "last_pairing_key_generated_at",
    "last_pairing_key_generated_by",
    "is_default",
    "caps",
    "status",
    "status_lock",
]


@pytest.mark.parametrize(("body", "names"), BAD_BODIES)
def test_post_refuses_bad_bodies_with_406(
    sim: Simulator, session: requests.Session, body: Any, names: str
) -> None:
    response = session.post(api(sim, "/orgs/1/pairing_profiles"), json=body)
    assert_refused(response, 406, "input_validation_error", names)
    assert sim.state.profiles == {}


@pytest.mark.parametrize("field", READ_ONLY)
def test_read_only_fields_are_refused(
    sim: Simulator, session: requests.Session, field: str
) -> None:
    href = create(session, sim, name="keep")["href"]
    current = session.get(api(sim, href)).json()
    response = session.put(api(sim, href), json={field: current.get(field, "x")})
    assert_refused(response, 406, "input_validation_error", field, "read-only")


def test_put_validates_like_post_and_changes_nothing(
    sim: Simulator, session: requests.Session
) -> None:
    href = create(session, sim, name="keep")["href"]
    bad = {"name": "renamed", "key_lifespan": "10"}
    assert_refused(
        session.put(api(sim, href), json=bad), 406, "input_validation_error", "key_lifespan"
    )
    assert session.get(api(sim, href)).json()["name"] == "keep"
    # Echoing a GET body back into a PUT is refused (read-only fields), as on a real PCE.
    echoed = session.get(api(sim, href)).json()
    assert_refused(session.put(api(sim, href), json=echoed), 406, "input_validation_error")


@pytest.mark.parametrize("data", [b"", b"{not json", b"NaN", b"\xff\xfe"])
def test_non_json_bodies_are_406(sim: Simulator, session: requests.Session, data: bytes) -> None:
    response = session.post(
        api(sim, "/orgs/1/pairing_profiles"),
        data=data,
        headers={"Content-Type": "application/json"},
    )
    assert_refused(response, 406, "input_validation_error", "JSON")


def test_names_are_unique_per_org_and_case_sensitive(
    sim: Simulator, session: requests.Session
) -> None:
    first = create(session, sim, name="Web Servers")
    other = create(session, sim, name="web servers")  # differs in case only: allowed
    response = session.post(
        api(sim, "/orgs/1/pairing_profiles"), json={"enabled": True, "name": "Web Servers"}
    )
    assert_refused(response, 406, "name_must_be_unique", "Name must be unique")
    response = session.put(api(sim, other["href"]), json={"name": "Web Servers"})
    assert_refused(response, 406, "name_must_be_unique", "Name must be unique")
    # Re-sending a profile's own name is no clash.
    assert session.put(api(sim, first["href"]), json={"name": "Web Servers"}).status_code == 204


# --------------------------------------------------------------------------- auth and routing


@pytest.mark.parametrize("auth", [None, (USER, "wrong"), ("api_other", SECRET), (USER, "")])
def test_bad_credentials_are_401(sim: Simulator, auth: tuple[str, str] | None) -> None:
    response = call("GET", api(sim, "/orgs/1/pairing_profiles"), auth=auth)
    assert_refused(response, 401, "authentication_required")


def test_garbled_authorization_header_is_401(sim: Simulator) -> None:
    for header in ["Basic !!!", "Bearer abc", "Basic " + "dXNlcg=="]:  # last: no colon
        response = call("GET", api(sim, "/orgs/1/labels"), headers={"Authorization": header})
        assert_refused(response, 401, "authentication_required")


def test_other_org_is_403_unknown_404_wrong_method_405(
    sim: Simulator, session: requests.Session
) -> None:
    assert_refused(session.get(api(sim, "/orgs/2/pairing_profiles")), 403, "forbidden")
    assert_refused(session.get(api(sim, "/orgs/2/pairing_profiles/1")), 403, "forbidden")
    assert_refused(session.get(api(sim, "/orgs/1/pairing_profiles/77")), 404, "not_found")
    assert_refused(session.get(api(sim, "/orgs/1/widgets")), 404, "not_found")
    assert_refused(session.get(f"{sim.url}/api/v1/orgs/1/labels"), 404, "not_found")
    response = session.patch(api(sim, "/orgs/1/pairing_profiles"), json={})
    assert_refused(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, POST"
    assert_refused(
        session.get(api(sim, "/orgs/1/pairing_profiles/1/pairing_key")), 405, "method_not_allowed"
    )


# --------------------------------------------------------------------------- collections


def test_collection_filters(sim: Simulator, session: requests.Session) -> None:
    web, db, prod = (
        label(session, sim, "role", "web"),
        label(session, sim, "role", "db"),
        label(session, sim, "env", "prod"),
    )
    create(
        session,
        sim,
        name="Web Prod",
        description="Front End",
        labels=[{"href": web}, {"href": prod}],
    )
    create(
        session,
        sim,
        name="DB prod",
        labels=[{"href": db}, {"href": prod}],
        ven_type="endpoint",
        external_data_set="cmdb",
        external_data_reference="42",
    )
    create(
        session, sim, name="web dev", labels=[{"href": web}], agent_software_release="22.5.1-100"
    )

    def names(**params: str) -> list[str]:
        response = session.get(api(sim, "/orgs/1/pairing_profiles"), params=params)
        assert response.status_code == 200, response.text
        assert response.headers["X-Total-Count"] == str(len(response.json()))
        return [p["name"] for p in response.json()]

    assert names(name="WEB") == ["Web Prod", "web dev"]
    assert names(description="Front") == ["Web Prod"]
    assert names(description="front") == []
    assert names(ven_type="endpoint") == ["DB prod"]
    assert names(external_data_set="cmdb", external_data_reference="42") == ["DB prod"]
    assert names(agent_software_release="22.5.1-100") == ["web dev"]
    assert names(agent_software_release="Default (21.5.20-8451)") == ["Web Prod", "DB prod"]
    assert names(labels=json.dumps([[web, prod]])) == ["Web Prod"]
    assert names(labels=json.dumps([[web, prod], [db]])) == ["Web Prod", "DB prod"]
    assert names(labels=json.dumps([[web]])) == ["Web Prod", "web dev"]


@pytest.mark.parametrize(
    "params",
    [
        {"labels": "/orgs/1/labels/1"},
        {"labels": json.dumps(["/orgs/1/labels/1"])},
        {"max_results": "ten"},
        {"max_results": "-1"},
        {"colour": "red"},
    ],
)
def test_bad_collection_queries_are_406(
    sim: Simulator, session: requests.Session, params: dict[str, str]
) -> None:
    response = session.get(api(sim, "/orgs/1/pairing_profiles"), params=params)
    assert_refused(response, 406, "input_validation_error", next(iter(params)))


def test_sync_collection_caps_at_500_and_max_results(
    sim: Simulator, session: requests.Session
) -> None:
    seed(sim, 600)
    response = session.get(api(sim, "/orgs/1/pairing_profiles"))
    assert len(response.json()) == 500
    assert response.headers["X-Total-Count"] == "600"
    assert response.json()[-1]["name"] == "seed-0499"
    response = session.get(api(sim, "/orgs/1/pairing_profiles"), params={"max_results": "7"})
    assert [p["name"] for p in response.json()] == [f"seed-{i:04d}" for i in range(7)]
    assert response.headers["X-Total-Count"] == "600"
    response = session.get(
        api(sim, "/orgs/1/pairing_profiles"), params={"max_results": "1000", "name": "seed-00"}
    )
    assert len(response.json()) == 100
    assert response.headers["X-Total-Count"] == "100"


def test_async_collection_returns_everything(sim: Simulator, session: requests.Session) -> None:
    seed(sim, 600)
    response = session.get(
        api(sim, "/orgs/1/pairing_profiles"), headers={"Prefer": "respond-async"}
    )
    assert response.status_code == 202
    assert response.content == b""
    assert response.headers["Retry-After"] == "0"
    location = response.headers["Location"]
    assert re.fullmatch(r"/orgs/1/jobs/[0-9a-f-]{36}", location)
    create(session, sim, name="after the request")  # not in the result: fixed at request time
    job = session.get(api(sim, location)).json()
    assert job["status"] == "done"
    assert job["href"] == location and job["job_type"] == "pairing_profiles"
    assert re.fullmatch(r"/orgs/1/datafiles/[0-9a-f-]{36}", job["result"]["href"])
    items = session.get(api(sim, job["result"]["href"])).json()
    assert len(items) == 600
    assert items[599]["name"] == "seed-0599"


def test_slow_async_job_runs_first_then_is_done(clock: FakeClock) -> None:
    with (
        Simulator(
            api_key_username=USER, api_key_secret=SECRET, async_retry_after=2, clock=clock
        ) as sim,
        Session() as session,
    ):
        seed(sim, 3, description="x")
        response = session.get(
            api(sim, "/orgs/1/pairing_profiles"),
            params={"name": "seed-0001"},
            headers={"Prefer": "respond-async"},
        )
        assert response.status_code == 202
        assert response.headers["Retry-After"] == "2"
        first = session.get(api(sim, response.headers["Location"])).json()
        assert first["status"] == "running"
        assert first["result"] is None and first["terminated_at"] is None
        second = session.get(api(sim, response.headers["Location"])).json()
        assert second["status"] == "done" and second["terminated_at"]
        items = session.get(api(sim, second["result"]["href"])).json()
        assert [p["name"] for p in items] == ["seed-0001"]
        assert_refused(session.get(api(sim, "/orgs/1/jobs/" + str(uuid.uuid4()))), 404, "not_found")
        assert session.delete(api(sim, response.headers["Location"])).status_code == 204


# --------------------------------------------------------------------------- pairing keys


def test_pairing_key_issuance(sim: Simulator, session: requests.Session, clock: FakeClock) -> None:
    profile = create(session, sim)
    clock.advance(10)
    response = session.post(api(sim, profile["href"] + "/pairing_key"), json={})
    assert response.status_code == 201
    assert list(response.json()) == ["activation_code"]
    code = response.json()["activation_code"]
    assert re.fullmatch(r"[0-9a-f]{81}", code)
    after = session.get(api(sim, profile["href"])).json()
    assert after["last_pairing_key_generated_at"] == rfc3339(T0 + 10)
    assert after["last_pairing_key_generated_by"] == {"href": "/users/1"}
    assert after["updated_at"] == profile["updated_at"]  # a key is not an update
    second = session.post(api(sim, profile["href"] + "/pairing_key"), json={})
    assert second.json()["activation_code"] != code
    keys = sim.pairing_keys()
    assert [k["activation_code"] for k in keys] == [code, second.json()["activation_code"]]
    assert keys[0] == {
        "profile_href": profile["href"],
        "activation_code": code,
        "generated_at": rfc3339(T0 + 10),
        "revoked": False,
    }


@pytest.mark.parametrize(
    "kwargs", [{"json": {"count": 1}}, {"json": []}, {"data": b""}, {"data": b"nope"}]
)
def test_pairing_key_body_must_be_empty_object(
    sim: Simulator, session: requests.Session, kwargs: dict[str, Any]
) -> None:
    href = create(session, sim)["href"]
    response = session.post(api(sim, href + "/pairing_key"), **kwargs)
    assert_refused(response, 406, "input_validation_error", "{}")
    assert sim.pairing_keys() == []


def test_revoking_all_keys_of_a_profile(sim: Simulator, session: requests.Session) -> None:
    one, two = create(session, sim, name="one")["href"], create(session, sim, name="two")["href"]
    for href in (one, one, two):
        session.post(api(sim, href + "/pairing_key"), json={})
    assert session.delete(api(sim, one + "/pairing_keys")).status_code == 204
    assert [(k["profile_href"], k["revoked"]) for k in sim.pairing_keys()] == [
        (one, True),
        (one, True),
        (two, False),
    ]
    assert_refused(
        session.delete(api(sim, "/orgs/1/pairing_profiles/99/pairing_keys")), 404, "not_found"
    )


def test_read_quirks_and_legacy_mode(sim: Simulator, session: requests.Session) -> None:
    profile = create(
        session,
        sim,
        allowed_uses_per_key=5,
        key_lifespan=3600,
        enforcement_mode="full",
        enforcement_mode_lock=False,
    )
    got = session.get(api(sim, profile["href"])).json()
    assert got["allowed_uses_per_key"] == "5"  # numbers come back as numeric strings...
    assert got["key_lifespan"] == 3600  # ...but this one as an integer
    assert (got["mode"], got["mode_lock"]) == ("enforced", False)
    legacy = create(session, sim, name="legacy", mode="idle", mode_lock=False)
    assert (legacy["enforcement_mode"], legacy["enforcement_mode_lock"]) == ("idle", False)
    session.put(api(sim, legacy["href"]), json={"enforcement_mode": "selective"})
    assert session.get(api(sim, legacy["href"])).json()["mode"] == "selective"
    released = create(session, sim, name="pinned", agent_software_release="22.5.1-100")
    assert released["agent_software_release"] == "22.5.1-100"


# --------------------------------------------------------------------------- labels


def test_label_api(sim: Simulator, session: requests.Session) -> None:
    created = session.post(api(sim, "/orgs/1/labels"), json={"key": "role", "value": "Web"})
    assert created.status_code == 201
    body = created.json()
    assert body["href"] == "/orgs/1/labels/1"
    assert (body["key"], body["value"], body["created_at"]) == ("role", "Web", rfc3339(T0))
    assert session.get(api(sim, "/orgs/1/labels/1")).json() == body
    label(session, sim, "role", "db")
    label(session, sim, "env", "web-prod")
    listed = session.get(api(sim, "/orgs/1/labels"), params={"key": "role"})
    assert [x["value"] for x in listed.json()] == ["Web", "db"]
    listed = session.get(api(sim, "/orgs/1/labels"), params={"value": "WEB"})
    assert [x["value"] for x in listed.json()] == ["Web", "web-prod"]
    listed = session.get(api(sim, "/orgs/1/labels"), params={"max_results": "1"})
    assert len(listed.json()) == 1 and listed.headers["X-Total-Count"] == "3"
    assert_refused(session.get(api(sim, "/orgs/1/labels/9")), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ({"key": "role"}, "value"),
        ({"value": "web"}, "key"),
        ({"key": "", "value": "web"}, "key"),
        ({"key": "role", "value": 3}, "value"),
        ({"key": "role", "value": "web", "colour": "red"}, "colour"),
        ({"key": "role", "value": "web", "href": "/orgs/1/labels/5"}, "href"),
    ],
)
def test_label_bodies_are_validated(
    sim: Simulator, session: requests.Session, body: dict[str, Any], word: str
) -> None:
    response = session.post(api(sim, "/orgs/1/labels"), json=body)
    assert_refused(response, 406, "input_validation_error", word)


def test_duplicate_label_is_406(sim: Simulator, session: requests.Session) -> None:
    label(session, sim, "env", "prod")
    response = session.post(api(sim, "/orgs/1/labels"), json={"key": "env", "value": "prod"})
    assert_refused(response, 406, "input_validation_error", "'env'", "'prod'")


# --------------------------------------------------------------------------- rate limit


def test_rate_limit_429_with_retry_after(clock: FakeClock) -> None:
    with (
        Simulator(
            api_key_username=USER,
            api_key_secret=SECRET,
            rate_limit=5,
            rate_window=60.0,
            clock=clock,
        ) as sim,
        Session() as session,
    ):
        url = api(sim, "/orgs/1/labels")
        for _ in range(5):
            assert session.get(url).status_code == 200
            clock.advance(1)
        response = session.get(url)
        assert_refused(response, 429, "too_many_requests")
        assert response.headers["Retry-After"] == "55"  # the first hit leaves the window
        assert call("GET", url).status_code == 401  # unauthenticated: not counted...
        assert control("GET", sim.url + "/_simulator/requests").status_code == 200  # ...nor this
        clock.advance(55)
        assert session.get(url).status_code == 200
        assert_refused(session.get(url), 429, "too_many_requests")


def test_rate_limit_window_in_real_time() -> None:
    with (
        Simulator(
            api_key_username=USER, api_key_secret=SECRET, rate_limit=3, rate_window=0.3
        ) as sim,
        Session() as session,
    ):
        statuses = [session.get(api(sim, "/orgs/1/labels")).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        time.sleep(0.35)  # the whole window has slid past the three accepted requests
        assert session.get(api(sim, "/orgs/1/labels")).status_code == 200


# --------------------------------------------------------------------------- faults


def test_fault_before_refuses_without_processing(sim: Simulator, session: requests.Session) -> None:
    sim.add_fault(method="POST", path=r"/pairing_profiles$", status=503, count=2, retry_after=1)
    url = api(sim, "/orgs/1/pairing_profiles")
    for _ in range(2):
        response = session.post(url, json={"enabled": True, "name": "p"})
        assert_refused(response, 503, "simulated_fault")
        assert response.headers["Retry-After"] == "1"
        assert "Request-ID" in response.headers
    assert session.get(url).status_code == 200  # other method: untouched
    assert sim.state.profiles == {}
    assert session.post(url, json={"enabled": True, "name": "p"}).status_code == 201
    assert [(r["method"], r["status"]) for r in sim.requests()] == [
        ("POST", 503),
        ("POST", 503),
        ("GET", 200),
        ("POST", 201),
    ]
    assert sim.faults() == []


def test_fault_after_processes_then_replaces_the_answer(
    sim: Simulator, session: requests.Session
) -> None:
    sim.add_fault(method="POST", status=502, when="after", body={"error": "bad gateway"})
    response = session.post(
        api(sim, "/orgs/1/pairing_profiles"), json={"enabled": True, "name": "lost"}
    )
    assert response.status_code == 502
    assert response.json() == {"error": "bad gateway"}
    assert "Retry-After" not in response.headers
    listed = session.get(api(sim, "/orgs/1/pairing_profiles"), params={"name": "lost"})
    assert [p["name"] for p in listed.json()] == ["lost"]  # the create did happen


@pytest.mark.parametrize(("when", "created"), [("before", 0), ("after", 1)])
def test_dropped_connection(
    sim: Simulator, session: requests.Session, when: str, created: int
) -> None:
    sim.add_fault(path="pairing_profiles", drop_connection=True, when=when)
    with pytest.raises(requests.ConnectionError):
        session.post(api(sim, "/orgs/1/pairing_profiles"), json={"enabled": True})
    assert len(sim.state.profiles) == created
    assert sim.requests()[-1]["status"] == 0
    assert session.get(api(sim, "/orgs/1/pairing_profiles")).status_code == 200  # reconnects


def test_fault_delay(sim: Simulator, session: requests.Session) -> None:
    sim.add_fault(path=r"/labels\?key=", delay=0.1, status=504)
    started = time.monotonic()
    response = session.get(api(sim, "/orgs/1/labels"), params={"key": "role"})
    assert response.status_code == 504
    assert time.monotonic() - started >= 0.1
    sim.add_fault(delay=0.2)  # longer than the client waits: a read timeout
    with pytest.raises(requests.ReadTimeout):
        session.get(api(sim, "/orgs/1/labels"), timeout=0.05)


def test_fault_control_api(sim: Simulator) -> None:
    faults = f"{sim.url}/_simulator/faults"
    response = control("POST", faults, json={"path": "labels", "status": 500})
    assert response.status_code == 201
    assert response.json()["count"] == 1 and response.json()["when"] == "before"
    assert len(control("GET", faults).json()) == 1
    for bad in [
        {"status": 42},
        {"when": "during"},
        {"path": "("},
        {"count": 0},
        {"delay": -1},
        {"retry_after": "soon"},
        {"colour": "red"},
        [1],
    ]:
        assert control("POST", faults, json=bad).status_code == 400, bad
    assert control("DELETE", faults).status_code == 204
    assert control("GET", faults).json() == []
    with pytest.raises(ValueError, match="drop_connection"):
        Fault.from_dict({"drop_connection": "yes"})


# --------------------------------------------------------------------------- control API


def test_request_log_has_no_secrets(sim: Simulator, session: requests.Session) -> None:
    href = create(session, sim, name="logged")["href"]
    code = session.post(api(sim, href + "/pairing_key"), json={}).json()["activation_code"]
    session.get(api(sim, "/orgs/1/pairing_profiles"), params={"name": "log ged"})
    call("GET", api(sim, "/orgs/1/labels"), auth=(USER, "wrong"))
    log = control("GET", f"{sim.url}/_simulator/requests").json()
    assert log == [
        {
            "method": "POST",
            "path": "/api/v2/orgs/1/pairing_profiles",
            "status": 201,
            "body": {"enabled": True, "name": "logged"},
        },
        {"method": "POST", "path": f"/api/v2{href}/pairing_key", "status": 201, "body": {}},
        {
            "method": "GET",
            "path": "/api/v2/orgs/1/pairing_profiles?name=log+ged",
            "status": 200,
            "body": None,
        },
        {"method": "GET", "path": "/api/v2/orgs/1/labels", "status": 401, "body": None},
    ]
    dumped = json.dumps(log) + json.dumps(sim.requests())
    for secret in (SECRET, code, "Authorization", "Basic"):
        assert secret not in dumped
    assert control("DELETE", f"{sim.url}/_simulator/requests").status_code == 204
    assert sim.requests() == []


def test_reset_empties_everything(sim: Simulator, session: requests.Session) -> None:
    href = create(session, sim, labels=[{"href": label(session, sim, "env", "a")}])["href"]
    session.post(api(sim, href + "/pairing_key"), json={})
    sim.add_fault(path="never-matches")
    assert control("POST", f"{sim.url}/_simulator/reset").status_code == 204
    assert sim.requests() == [] and sim.faults() == [] and sim.pairing_keys() == []
    assert control("GET", f"{sim.url}/_simulator/pairing_keys").json() == []
    assert create(session, sim)["href"] == "/orgs/1/pairing_profiles/1"  # counters restart
    assert label(session, sim, "env", "a") == "/orgs/1/labels/1"


def test_control_api_is_loopback_only() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1")
    assert is_loopback("::ffff:127.0.0.1")
    assert not is_loopback("10.1.2.3") and not is_loopback("::ffff:10.1.2.3")
    assert not is_loopback("not-an-ip")


def _non_loopback_address() -> str | None:
    """This machine's outward address (a UDP connect sends nothing), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere real
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if is_loopback(address) else address


def test_control_api_refuses_remote_clients_with_403() -> None:
    address = _non_loopback_address()
    if address is None:
        pytest.skip("no non-loopback address on this machine")
    with Simulator(api_key_username=USER, api_key_secret=SECRET, host=address) as sim:
        remote = f"http://{address}:{sim.port}"
        assert_refused(call("GET", f"{remote}/_simulator/requests"), 403, "forbidden")
        assert_refused(call("POST", f"{remote}/_simulator/reset"), 403, "forbidden")
        assert call("GET", f"{remote}/api/v2/orgs/1/labels", auth=(USER, SECRET)).ok


def test_unknown_control_path_is_404(sim: Simulator) -> None:
    assert_refused(control("GET", f"{sim.url}/_simulator/nothing"), 404, "not_found")
    assert_refused(control("GET", f"{sim.url}/_simulator/reset"), 405, "method_not_allowed")


# --------------------------------------------------------------------------- HTTP plumbing


def test_every_response_has_a_fresh_request_id(sim: Simulator, session: requests.Session) -> None:
    href = create(session, sim)["href"]
    sim.add_fault(path="/faulted", status=500)
    responses = [
        session.get(api(sim, href)),
        session.put(api(sim, href), json={}),
        session.post(api(sim, href + "/pairing_key"), json={}),
        session.get(api(sim, "/orgs/1/labels"), headers={"Prefer": "respond-async"}),
        call("GET", api(sim, href)),
        session.get(api(sim, "/orgs/3/labels")),
        session.get(api(sim, "/orgs/1/nothing")),
        session.patch(api(sim, href)),
        session.post(api(sim, "/orgs/1/labels"), json={}),
        session.get(api(sim, "/faulted")),
        control("GET", f"{sim.url}/_simulator/requests"),
        call("OPTIONS", api(sim, href)),
    ]
    assert [r.status_code for r in responses] == [
        200,
        204,
        201,
        202,
        401,
        403,
        404,
        405,
        406,
        500,
        200,
        501,
    ]
    ids = [r.headers["Request-ID"] for r in responses]
    assert len(set(ids)) == len(ids)
    assert all(uuid.UUID(i) for i in ids)
    assert all("Content-Length" in r.headers for r in responses)


def test_keep_alive_serves_many_requests_on_one_connection(sim: Simulator) -> None:
    port = int(sim.url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    headers = {"Authorization": requests.auth._basic_auth_str(USER, SECRET)}
    try:
        for path in ["/orgs/1/labels", "/orgs/1/pairing_profiles/5", "/orgs/1/labels"]:
            connection.request("GET", "/api/v2" + path, headers=headers)
            response = connection.getresponse()
            response.read()
            assert response.version == 11
            assert response.getheader("Connection") != "close"
        first_socket = connection.sock
        connection.request(
            "POST",
            "/api/v2/orgs/1/labels",
            body=json.dumps({"key": "k", "value": "v"}),
            headers={**headers, "Transfer-Encoding": "chunked"},
            encode_chunked=True,
        )
        assert connection.getresponse().status == 201
        assert connection.sock is first_socket
    finally:
        connection.close()


def test_concurrent_creates_get_distinct_ids(sim: Simulator) -> None:
    def worker(worker_id: int) -> None:
        with Session() as session:
            for index in range(10):
                session.post(
                    api(sim, "/orgs/1/pairing_profiles"),
                    json={"enabled": True, "name": f"w{worker_id}-{index}"},
                )

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(sim.state.profiles) == list(range(1, 61))


def test_state_survives_a_restart_with_data_file(tmp_path: Path, clock: FakeClock) -> None:
    data_file = tmp_path / "pce.data.json"
    kwargs: dict[str, Any] = {
        "api_key_username": USER,
        "api_key_secret": SECRET,
        "data_file": data_file,
        "clock": clock,
    }
    with Simulator(**kwargs) as sim, Session() as session:
        web = label(session, sim, "role", "web")
        before = create(session, sim, name="kept", labels=[{"href": web}], key_lifespan=60)
        create(session, sim, name="deleted")
        session.delete(api(sim, "/orgs/1/pairing_profiles/2"))
        code = session.post(api(sim, before["href"] + "/pairing_key"), json={}).json()
    assert oct(data_file.stat().st_mode & 0o777) == "0o600"  # it holds activation codes
    # No temp files left; the lock file (empty) stays, so that no two simulators lock two files.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pce.data.json", "pce.data.json.lock"]
    with Simulator(**kwargs) as sim, Session() as session:
        after = session.get(api(sim, before["href"])).json()
        assert after["labels"] == [{"href": web}]
        assert after["last_pairing_key_generated_at"] is not None
        assert {k: v for k, v in after.items() if not k.startswith("last_pairing_key")} == {
            k: v for k, v in before.items() if not k.startswith("last_pairing_key")
        }
        assert sim.pairing_keys()[0]["activation_code"] == code["activation_code"]
        assert create(session, sim, name="next")["href"] == "/orgs/1/pairing_profiles/3"
        assert label(session, sim, "role", "db") == "/orgs/1/labels/2"
        # The log is test-control state: only this run's requests are in it.
        assert [r["method"] for r in sim.requests()] == ["GET", "POST", "POST"]


# --------------------------------------------------------------------------- the CLI


def test_cli_prints_url_serves_and_exits_cleanly_on_sigterm() -> None:
    process = _start_cli("--org", "3")
    try:
        url = process.stdout.readline().strip() if process.stdout else ""
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        response = call(
            "POST",
            f"{url}/api/v2/orgs/3/labels",
            auth=(USER, SECRET),
            json={"key": "env", "value": "prod"},
        )
        assert response.status_code == 201
        assert response.json()["href"] == "/orgs/3/labels/1"
    finally:
        assert _stop_cli(process) == 0


def test_cli_tls_prints_a_certificate_that_verifies() -> None:
    process = _start_cli("--tls")
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        cert_path = process.stdout.readline().strip()
        assert re.fullmatch(r"https://127\.0\.0\.1:\d+", url)
        assert Path(cert_path).read_text().startswith("-----BEGIN CERTIFICATE-----")
        response = call("GET", f"{url}/api/v2/orgs/1/labels", auth=(USER, SECRET), verify=cert_path)
        assert response.status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            call("GET", f"{url}/api/v2/orgs/1/labels", auth=(USER, SECRET))
        localhost = url.replace("127.0.0.1", "localhost")
        assert (
            call(
                "GET", f"{localhost}/api/v2/orgs/1/labels", auth=(USER, SECRET), verify=cert_path
            ).status_code
            == 200
        )
    finally:
        assert _stop_cli(process) == 0
    assert not Path(cert_path).exists()  # the temp dir is cleaned up on exit


def test_cli_tls_on_every_interface_prints_a_url_its_certificate_covers() -> None:
    """``--host 0.0.0.0 --tls``: the URL printed is one a client here can use, verified."""
    process = _start_cli("--tls", "--host", "0.0.0.0")  # noqa: S104 (what a user runs)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        cert_path = process.stdout.readline().strip()
        assert re.fullmatch(r"https://127\.0\.0\.1:\d+", url)
        response = call("GET", f"{url}/api/v2/orgs/1/labels", auth=(USER, SECRET), verify=cert_path)
        assert response.status_code == 200
    finally:
        assert _stop_cli(process) == 0


def test_tls_certificate_covers_the_host_it_was_started_on(tmp_path: Path) -> None:
    from cryptography import x509

    from pairing_provider.simulator.tls import write_self_signed

    cert_path, _ = write_self_signed(tmp_path, "pce.test")
    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "pce.test" in names.get_values_for_type(x509.DNSName)
    assert "localhost" in names.get_values_for_type(x509.DNSName)
