"""The simulator's look-up indexes (exact name, label href and key/value) stay true through
every write: create, rename, delete, reset and a data file read back. Over real HTTP."""

from __future__ import annotations

from pathlib import Path

import requests
from test_simulator_support import SECRET, USER, Session, api, assert_refused, create, label

from pairing_provider.simulator import Simulator

pytest_plugins = ["test_simulator_support"]
PROFILES = "/orgs/1/pairing_profiles"


def post(session: requests.Session, sim: Simulator, **fields: object) -> requests.Response:
    return session.post(api(sim, PROFILES), json={"enabled": True, **fields})


def test_a_rename_frees_the_old_name_and_takes_the_new_one(
    sim: Simulator, session: requests.Session
) -> None:
    web = create(session, sim, name="web")
    assert session.put(api(sim, web["href"]), json={"name": "web-v2"}).status_code == 204

    assert post(session, sim, name="web").status_code == 201  # the old name is free
    assert_refused(post(session, sim, name="web-v2"), 406, "name_must_be_unique")
    # A PUT that leaves the name out keeps it, and keeps it taken.
    assert session.put(api(sim, web["href"]), json={"description": "d"}).status_code == 204
    assert_refused(post(session, sim, name="web-v2"), 406, "name_must_be_unique")


def test_a_delete_frees_the_name(sim: Simulator, session: requests.Session) -> None:
    web = create(session, sim, name="web")
    assert session.delete(api(sim, web["href"])).status_code == 204

    assert post(session, sim, name="web").status_code == 201


def test_a_refused_write_changes_no_name(sim: Simulator, session: requests.Session) -> None:
    web = create(session, sim, name="web")
    missing_label = [{"href": "/orgs/1/labels/999"}]
    response = session.put(api(sim, web["href"]), json={"name": "db", "labels": missing_label})
    assert response.status_code == 406

    assert_refused(post(session, sim, name="web"), 406, "name_must_be_unique")
    assert post(session, sim, name="db").status_code == 201


def test_names_differing_in_case_only_are_two_names(
    sim: Simulator, session: requests.Session
) -> None:
    """docs/pce-api.md: names compare exactly (no public source shows the PCE folding case)."""
    web = create(session, sim, name="Web")
    assert post(session, sim, name="web").status_code == 201
    assert session.put(api(sim, web["href"]), json={"name": "WEB"}).status_code == 204
    assert post(session, sim, name="Web").status_code == 201  # freed by the rename


def test_a_reset_frees_every_name_and_label(sim: Simulator, session: requests.Session) -> None:
    create(session, sim, name="web")
    label(session, sim, "env", "prod")
    sim.reset()

    assert post(session, sim, name="web").status_code == 201
    assert_refused(
        post(session, sim, name="x", labels=[{"href": "/orgs/1/labels/1"}]),
        406,
        "input_validation_error",
    )
    assert label(session, sim, "env", "prod") == "/orgs/1/labels/1"


def test_a_data_file_read_back_keeps_names_and_labels_taken(tmp_path: Path) -> None:
    data_file = tmp_path / "pce.json"
    keys = {"api_key_username": USER, "api_key_secret": SECRET}
    with Simulator(**keys, data_file=data_file) as first, Session() as session:
        prod = label(session, first, "env", "prod")
        web = create(session, first, name="web", labels=[{"href": prod}])

    with Simulator(**keys, data_file=data_file) as again, Session() as session:
        assert_refused(post(session, again, name="web"), 406, "name_must_be_unique")
        taken = session.post(api(again, "/orgs/1/labels"), json={"key": "env", "value": "prod"})
        assert taken.status_code == 406
        assert post(session, again, name="db", labels=[{"href": prod}]).status_code == 201
        assert session.put(api(again, web["href"]), json={"name": "web-old"}).status_code == 204
        assert post(session, again, name="web").status_code == 201
