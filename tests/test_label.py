"""The Label resource (issue #22 item 5) through the test kit against the simulator.

What is observed: the requests that reached the simulator, the steps of each run, the state,
the errors raised. The PCE facts they rest on are in docs/pce-api.md, "Labels".
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from pairing_provider import Label, PairingProfile
from pairing_provider.client import PCEClient
from pairing_provider.errors import LabelError
from pairing_provider.testing import PCE, StackError


def writes(requests: list[dict[str, Any]]) -> list[tuple[str, str, Any]]:
    return [
        (r["method"], r["path"].removeprefix("/api/v2"), r.get("body"))
        for r in requests
        if r["method"] != "GET"
    ]


def label_of(pce: PCE, href: str) -> dict[str, Any]:
    return pce.simulator.state.get_label(pce.org_id, int(href.rsplit("/", 1)[1]))


def test_a_profile_wired_to_a_new_label_previews_then_uses_its_href(pce: PCE) -> None:
    def program() -> None:
        env = Label("env", key="env", value="prod", external_data_set="cmdb")
        PairingProfile("web", name="web", enabled=True, labels=[env.id])

    stack = pce.stack(program)
    preview = stack.preview()
    assert preview.changes == {"env": "create", "web": "create"}
    assert preview.requests == []  # no look-up: the href is simply not known yet

    up = stack.up()
    href = up.resource("env").id
    assert writes(up.requests)[0] == (
        "POST",
        "/orgs/1/labels",
        {"key": "env", "value": "prod", "external_data_set": "cmdb"},
    )
    assert up.resource("env").outputs["href"] == href
    assert up.resource("env").outputs["created_at"]
    assert pce.profile(up.resource("web").id)["labels"] == [{"href": href}]
    assert stack.preview().changes == {}


def test_a_value_change_is_one_partial_put_and_a_key_change_replaces(pce: PCE) -> None:
    chosen = {"key": "env", "value": "prod"}

    def program() -> None:
        env = Label("env", **chosen)
        PairingProfile("web", name="web", enabled=True, labels=[env.id])

    stack = pce.stack(program)
    first = stack.up().resource("env").id

    chosen["value"] = "production"
    assert stack.preview().changes == {"env": "update"}
    up = stack.up()
    assert writes(up.requests) == [("PUT", first, {"value": "production"})]
    assert label_of(pce, first)["value"] == "production"

    chosen["key"] = "loc"
    assert stack.preview().changes == {"env": "replace", "web": "update"}
    up = stack.up()
    second = up.resource("env").id
    assert second != first
    assert [(method, path) for method, path, _ in writes(up.requests)] == [
        ("POST", "/orgs/1/labels"),
        ("PUT", up.resource("web").id),
        ("DELETE", first),  # create before delete: the old label goes once nothing uses it
    ]
    assert pce.profile(up.resource("web").id)["labels"] == [{"href": second}]
    assert label_of(pce, first)["deleted"] is True

    destroyed = stack.destroy()
    assert ("DELETE", second, None) in writes(destroyed.requests)


def test_a_taken_key_and_value_is_refused_unless_adopted(pce: PCE) -> None:
    taken = pce.add_label("role", "web")
    adopt = {"adopt_existing": False}

    def program() -> None:
        Label("role", key="role", value="web", external_data_reference="r-1", **adopt)

    stack = pce.stack(program)
    with pytest.raises(LabelError, match=rf"label .*'role'.*'web'.* already exists at {taken}"):
        stack.up()
    assert label_of(pce, taken).get("external_data_reference") is None  # not touched

    adopt["adopt_existing"] = True
    up = stack.up()
    assert up.resource("role").id == taken
    assert writes(up.requests)[-1] == ("PUT", taken, {"external_data_reference": "r-1"})
    assert label_of(pce, taken)["external_data_reference"] == "r-1"


def test_a_label_deleted_outside_the_stack_is_gone_at_refresh(pce: PCE) -> None:
    stack = pce.stack(lambda: Label("app", key="app", value="shop"))
    href = stack.up().resource("app").id
    pce.simulator.state.delete_label(pce.org_id, int(href.rsplit("/", 1)[1]))

    stack.refresh()
    assert [resource.name for resource in stack.up().resources if resource.name == "app"]
    assert stack.resource("app").id != href  # made again by the next up


def test_bad_inputs_are_refused_before_any_request(pce: PCE) -> None:
    stack = pce.stack(lambda: Label("bad", key="", value=5))  # type: ignore[arg-type]
    with pytest.raises(StackError) as failure:
        stack.up()
    assert "key: " in str(failure.value) and "value: 5 " in str(failure.value)
    assert pce.requests == []


def test_the_label_cache_follows_labels_this_process_writes(client: PCEClient) -> None:
    assert client.labels.find("env", "prod") is None  # lists the (empty) org once
    made = client.create_label({"key": "env", "value": "prod"})
    assert client.labels.find("env", "prod") == made  # no second listing needed
    changed = client.update_label(made["href"], {"value": "stage"})
    assert client.labels.find("env", "stage") == changed
    client.delete_label(made["href"])
    assert client.labels.find("env", "stage") is None


def test_state_names_the_label_provider_by_its_class_path_and_type_token(pce: PCE) -> None:
    """The class path pickled into state is a promise (tests/test_state_compatibility.py):
    ``pairing_provider.label.LabelProvider``, with no setting inside."""
    up = pce.stack(lambda: Label("env", key="env", value="prod")).up()
    state = up.resource("env")
    assert state.type == "pulumi-python:dynamic/illumio:Label"
    pickled = base64.b64decode(state.raw_outputs["__provider"])
    assert b"pairing_provider.label" in pickled and b"LabelProvider" in pickled
    secret = pce.stack_config["illumio:apiKeySecret"]
    assert secret.encode() not in pickled and len(pickled) < 80
