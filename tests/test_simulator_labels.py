"""The simulator's label API: update and delete as docs/pce-api.md "Labels" gives them."""

from __future__ import annotations

import requests
from test_simulator_support import api, label

from pairing_provider.simulator import Simulator

pytest_plugins = ["test_simulator_support"]


def test_put_changes_value_and_external_data_but_never_the_key(
    sim: Simulator, session: requests.Session
) -> None:
    href = label(session, sim, "env", "prod")
    refused = session.put(api(sim, href), json={"key": "loc"})
    assert refused.status_code == 406
    assert "additional properties ['key']" in refused.text

    changed = session.put(api(sim, href), json={"value": "stage", "external_data_set": "cmdb"})
    assert changed.status_code == 204 and changed.content == b""
    body = session.get(api(sim, href)).json()
    assert (body["key"], body["value"], body["external_data_set"]) == ("env", "stage", "cmdb")


def test_key_and_value_stay_unique_on_update(sim: Simulator, session: requests.Session) -> None:
    label(session, sim, "env", "prod")
    href = label(session, sim, "env", "stage")
    clash = session.put(api(sim, href), json={"value": "prod"})
    assert clash.status_code == 406 and "already exists" in clash.text
    assert label(session, sim, "loc", "prod")  # the same value under another key is fine


def test_a_deleted_label_reads_deleted_and_leaves_listings(
    sim: Simulator, session: requests.Session
) -> None:
    href = label(session, sim, "app", "shop")
    assert session.delete(api(sim, href)).status_code == 204

    assert session.get(api(sim, href)).json()["deleted"] is True
    assert session.get(api(sim, "/orgs/1/labels")).json() == []
    assert session.put(api(sim, href), json={"value": "x"}).status_code == 404
    assert session.delete(api(sim, href)).status_code == 404
    assert label(session, sim, "app", "shop") != href  # the pair is free again


def test_the_key_value_index_follows_updates_and_deletes(
    sim: Simulator, session: requests.Session
) -> None:
    """The uniqueness check reads an index (no scan of the org): a renamed value frees the old
    pair and takes the new one, a PUT of a label's own value is no clash, and a delete frees its
    pair and its href (a profile can no longer name it)."""
    href = label(session, sim, "env", "prod")
    assert session.put(api(sim, href), json={"value": "prod"}).status_code == 204  # its own
    assert session.put(api(sim, href), json={"value": "stage"}).status_code == 204
    assert label(session, sim, "env", "prod")  # the old pair is free again
    taken = session.post(api(sim, "/orgs/1/labels"), json={"key": "env", "value": "stage"})
    assert taken.status_code == 406 and "already exists" in taken.text

    assert session.delete(api(sim, href)).status_code == 204
    assert label(session, sim, "env", "stage")  # freed by the delete
    profile = {"name": "web", "enabled": True, "labels": [{"href": href}]}
    refused = session.post(api(sim, "/orgs/1/pairing_profiles"), json=profile)
    assert refused.status_code == 406
