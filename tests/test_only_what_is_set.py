"""ven_type, log_traffic and log_traffic_lock are the program's only when it sets them.

The PCE's API docs mark ``log_traffic``/``log_traffic_lock`` "deprecated and removed" and its
schemas mark ``ven_type`` experimental (docs/pce-api.md): left unset, none is sent, none is
diffed, and the outputs show what the PCE reports. State written by 0.1.0/0.2.0 (which filled
Terraform's defaults into all three) previews no change under a program that leaves them out.
Text fields take any length: the POST and PUT schemas set no maxLength.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from conftest import run, step
from pairing_provider import PairingProfile
from pairing_provider.simulator import Simulator
from pairing_provider.testing import Stack

UNSET_BY_DEFAULT = ("ven_type", "log_traffic", "log_traffic_lock")


def program(**fields: Any) -> Any:
    def declare() -> None:
        PairingProfile("web", name="web", enabled=True, **fields)

    return declare


def writes(simulator: Simulator) -> list[tuple[str, Any]]:
    return [(r["method"], r["body"]) for r in simulator.requests() if r["method"] != "GET"]


def created(simulator: Simulator) -> list[dict[str, Any]]:
    """The bodies of a create's two writes (README, PairingProfile): the POST, then the PUT
    that finishes it."""
    [(post, body), (put, finish)] = writes(simulator)
    assert (post, put) == ("POST", "PUT")
    return [body, finish]


def sent(simulator: Simulator) -> dict[str, Any]:
    """What a create told the PCE: the POST's fields, the finishing PUT's over them."""
    body, finish = created(simulator)
    return {**body, **finish}


def test_unset_fields_are_not_sent_and_the_outputs_show_what_the_pce_reports(
    kit: Stack, simulator: Simulator
) -> None:
    run(kit, program())

    for body in created(simulator):
        assert not set(UNSET_BY_DEFAULT) & set(body)
    outputs = kit.resource("web").outputs
    assert (outputs["log_traffic"], outputs["log_traffic_lock"]) == (False, True)  # the PCE's
    assert "ven_type" not in outputs  # no PCE reports it
    simulator.clear_requests()
    assert run(kit, program(), preview=True).changes == {}
    assert run(kit, program()).changes == {}
    assert writes(simulator) == []


def test_a_set_value_is_sent_diffed_and_left_alone_once_unset(
    kit: Stack, simulator: Simulator
) -> None:
    run(kit, program(log_traffic=True, ven_type="endpoint"))
    body = sent(simulator)
    assert (body["log_traffic"], body["ven_type"]) == (True, "endpoint")
    assert "log_traffic_lock" not in body
    simulator.clear_requests()

    assert run(kit, program(log_traffic=False, ven_type="endpoint")).changes == {"web": "update"}
    assert writes(simulator) == [("PUT", {"log_traffic": False})]
    simulator.clear_requests()

    unset = run(kit, program())  # neither managed any more: the PCE keeps what it has
    assert unset.changes == {}
    assert writes(simulator) == []
    assert kit.resource("web").outputs["log_traffic"] is False


def test_state_of_0_2_with_terraform_defaults_previews_no_change(
    kit: Stack, simulator: Simulator
) -> None:
    """0.1.0 and 0.2.0 filled ven_type "server", log_traffic false and log_traffic_lock true
    into the inputs and outputs of every profile."""
    run(kit, program())
    old = kit.resource("web")
    defaults = {"ven_type": "server", "log_traffic": False, "log_traffic_lock": True}
    kit.state[old.urn] = replace(
        old,
        raw_inputs={**old.raw_inputs, **defaults},
        raw_outputs={**old.raw_outputs, **defaults},
    )
    simulator.clear_requests()

    assert run(kit, program(), preview=True).changes == {}
    assert run(kit, program(description="edited")).changes == {"web": "update"}
    assert writes(simulator) == [("PUT", {"description": "edited"})]  # nothing else sent
    assert simulator.requests()[0]["method"] == "PUT"  # no ven_type look-up either
    assert kit.resource("web").outputs["ven_type"] == "server"  # what the state knew stays


def test_setting_a_ven_type_the_state_does_not_know_asks_the_pce_then_replaces(
    kit: Stack, simulator: Simulator
) -> None:
    """A profile made without ven_type: its ven_type is only known to the PCE's filter. The
    preview asks it (no GET body carries ven_type) and replaces only when it differs."""
    run(kit, program())
    simulator.clear_requests()

    same_kind = run(kit, program(ven_type="server"), preview=True)
    assert same_kind.changes == {"web": "update"}  # recorded, never replaced
    other_kind = run(kit, program(ven_type="endpoint"), preview=True)
    assert other_kind.changes == {"web": "replace"}
    assert step(other_kind, "web").replaces == ["ven_type"]
    assert {r["method"] for r in simulator.requests()} == {"GET"}  # previews only read


def test_text_longer_than_255_characters_is_taken(kit: Stack, simulator: Simulator) -> None:
    """The published POST/PUT schemas set no maxLength on description or external_data_*."""
    long = {
        "description": "d" * 1000,
        "external_data_set": "s" * 300,
        "external_data_reference": "r" * 300,
    }
    run(kit, program(**long))

    body = sent(simulator)
    assert {name: body[name] for name in long} == long
    assert run(kit, program(**long), preview=True).changes == {}
