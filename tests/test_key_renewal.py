"""renew_before: a key is replaced before it lapses, not after, through the engine sequences."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pairing_provider.simulator import Simulator
from tests.engine import Engine
from tests.engine_stack import CheckFailedError, Stack
from tests.test_key_codes import fleet as key_fleet


def fleet(**key: Any) -> Any:
    return key_fleet(lifespan=7200, **key)


def expiring_in(stack: Stack, minutes: int) -> None:
    """The key's state as it is when ``minutes`` are left before its expiry."""
    old = stack.state("web-key")
    moment = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=minutes)
    outputs = {**old.outputs, "expires_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}
    stack.resources[old.urn] = replace(old, outputs=outputs)


def test_within_renew_before_of_expiry_the_preview_replaces_naming_renew_before(
    engine: Engine, simulator: Simulator
) -> None:
    stack = Stack(engine)
    stack.up(fleet(renew_before="1h"))
    code = stack.state("web-key").outputs["activation_code"]
    expiring_in(stack, 90)
    assert stack.preview(fleet(renew_before="1h")).op("web-key") == "same"  # not due yet

    expiring_in(stack, 30)
    plan = stack.preview(fleet(renew_before="1h"))

    assert plan.op("web-key") == "replace"
    assert plan.step("web-key").diff is not None
    assert plan.step("web-key").diff.replaces == ["renew_before"]
    up = stack.up(fleet(renew_before="1h"))
    assert up.op("web-key") == "replace"
    assert stack.state("web-key").outputs["activation_code"] != code


def test_an_expired_key_still_names_expires_at(engine: Engine, simulator: Simulator) -> None:
    stack = Stack(engine)
    stack.up(fleet(renew_before=600))
    expiring_in(stack, -1)
    diff = stack.preview(fleet(renew_before=600)).step("web-key").diff
    assert diff is not None and diff.replaces == ["expires_at"]


def test_refresh_drops_a_key_due_for_renewal_unless_regeneration_is_off(
    engine: Engine, simulator: Simulator
) -> None:
    stack = Stack(engine)
    stack.up(fleet(renew_before="90m"))
    expiring_in(stack, 60)
    [step] = [s for s in stack.refresh() if s.before.name == "web-key"]
    assert step.after is None  # dropped: the next up makes a new key

    stack.up(fleet(renew_before="90m", regenerate_when_expired=False))
    expiring_in(stack, 60)
    assert stack.preview(fleet(renew_before="90m", regenerate_when_expired=False)).op(
        "web-key"
    ) == ("same")
    [kept] = [s for s in stack.refresh() if s.before.name == "web-key"]
    assert kept.after is not None


def test_setting_renew_before_is_an_update_with_no_request(
    engine: Engine, simulator: Simulator
) -> None:
    stack = Stack(engine)
    stack.up(fleet())
    simulator.clear_requests()
    assert stack.up(fleet(renew_before="10m")).op("web-key") == "update"
    assert simulator.requests() == []
    assert stack.state("web-key").outputs["renew_before"] == 600


def test_a_renew_before_not_shorter_than_the_lifespan_fails_check(
    engine: Engine, simulator: Simulator
) -> None:
    """Otherwise every up would make a new key."""
    with pytest.raises(CheckFailedError) as caught:
        Stack(engine).up(fleet(renew_before="1d"))
    assert caught.value.failures == [
        (
            "renew_before",
            "renew_before: 86400 seconds must be shorter than the profile's key_lifespan "
            "(7200 seconds), or every up would make a new key",
        )
    ]


@pytest.mark.parametrize("value", ["soon", "1h30", -5, True, "h"])
def test_a_bad_renew_before_fails_check_naming_the_forms(
    engine: Engine, simulator: Simulator, value: Any
) -> None:
    with pytest.raises(CheckFailedError) as caught:
        Stack(engine).up(fleet(renew_before=value))
    [(_, reason)] = [f for f in caught.value.failures if f[0] == "renew_before"]
    assert reason.startswith("renew_before: ")
    assert reason.endswith(
        'must be seconds (0 to 2147483647) or a duration such as "12h", "7d" or "1h30m"'
    )
