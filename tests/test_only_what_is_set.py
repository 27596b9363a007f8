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

from pairing_provider.profile import PairingProfile, PairingProfileProvider
from pairing_provider.simulator import Simulator
from tests.engine import Engine
from tests.engine_stack import Run, Stack

PROVIDER = PairingProfileProvider()
UNSET_BY_DEFAULT = ("ven_type", "log_traffic", "log_traffic_lock")


def program(**fields: Any) -> Any:
    def declare(run: Run) -> None:
        run.resource(PairingProfile, "web", PROVIDER, {"name": "web", "enabled": True, **fields})

    return declare


def writes(simulator: Simulator) -> list[tuple[str, Any]]:
    return [(r["method"], r["body"]) for r in simulator.requests() if r["method"] != "GET"]


def test_unset_fields_are_not_sent_and_the_outputs_show_what_the_pce_reports(
    engine: Engine, simulator: Simulator
) -> None:
    stack = Stack(engine)
    stack.up(program())

    [(method, body)] = writes(simulator)
    assert method == "POST"
    assert not set(UNSET_BY_DEFAULT) & set(body)
    outputs = stack.state("web").outputs
    assert (outputs["log_traffic"], outputs["log_traffic_lock"]) == (False, True)  # the PCE's
    assert "ven_type" not in outputs  # no PCE reports it
    simulator.clear_requests()
    assert stack.preview(program()).op("web") == "same"
    assert stack.up(program()).op("web") == "same"
    assert writes(simulator) == []


def test_a_set_value_is_sent_diffed_and_left_alone_once_unset(
    engine: Engine, simulator: Simulator
) -> None:
    stack = Stack(engine)
    stack.up(program(log_traffic=True, ven_type="endpoint"))
    [(_, body)] = writes(simulator)
    assert (body["log_traffic"], body["ven_type"]) == (True, "endpoint")
    assert "log_traffic_lock" not in body
    simulator.clear_requests()

    assert stack.up(program(log_traffic=False, ven_type="endpoint")).op("web") == "update"
    assert writes(simulator) == [("PUT", {"log_traffic": False})]
    simulator.clear_requests()

    unset = stack.up(program())  # neither managed any more: the PCE keeps what it has
    assert unset.op("web") == "same"
    assert writes(simulator) == []
    assert stack.state("web").outputs["log_traffic"] is False


def test_state_of_0_2_with_terraform_defaults_previews_no_change(
    engine: Engine, simulator: Simulator
) -> None:
    """0.1.0 and 0.2.0 filled ven_type "server", log_traffic false and log_traffic_lock true
    into the inputs and outputs of every profile."""
    stack = Stack(engine)
    stack.up(program())
    old = stack.state("web")
    defaults = {"ven_type": "server", "log_traffic": False, "log_traffic_lock": True}
    stack.resources[old.urn] = replace(
        old, inputs={**old.inputs, **defaults}, outputs={**old.outputs, **defaults}
    )
    simulator.clear_requests()

    assert stack.preview(program()).op("web") == "same"
    assert stack.up(program(description="edited")).op("web") == "update"
    assert writes(simulator) == [("PUT", {"description": "edited"})]  # nothing else sent
    assert simulator.requests()[0]["method"] == "PUT"  # no ven_type look-up either
    assert stack.state("web").outputs["ven_type"] == "server"  # what the state knew stays


def test_setting_a_ven_type_the_state_does_not_know_asks_the_pce_then_replaces(
    engine: Engine, simulator: Simulator
) -> None:
    """A profile made without ven_type: its ven_type is only known to the PCE's filter. The
    preview asks it (no GET body carries ven_type) and replaces only when it differs."""
    stack = Stack(engine)
    stack.up(program())
    simulator.clear_requests()

    same_kind = stack.preview(program(ven_type="server"))
    assert same_kind.op("web") == "update"  # recorded, never replaced
    other_kind = stack.preview(program(ven_type="endpoint"))
    assert other_kind.op("web") == "replace"
    assert other_kind.step("web").diff is not None
    assert other_kind.step("web").diff.replaces == ["ven_type"]
    assert {r["method"] for r in simulator.requests()} == {"GET"}  # previews only read


def test_text_longer_than_255_characters_is_taken(engine: Engine, simulator: Simulator) -> None:
    """The published POST/PUT schemas set no maxLength on description or external_data_*."""
    long = {
        "description": "d" * 1000,
        "external_data_set": "s" * 300,
        "external_data_reference": "r" * 300,
    }
    stack = Stack(engine)
    stack.up(program(**long))

    [(_, body)] = writes(simulator)
    assert {name: body[name] for name in long} == long
    assert stack.preview(program(**long)).op("web") == "same"
