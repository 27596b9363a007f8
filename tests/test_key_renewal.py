"""renew_before: a key is replaced before it lapses, not after, through the test kit's engine.

Time is moved as before: the key's ``expires_at`` in the stack's state is set to a moment so
many minutes from the real clock (what the state holds when that much is left)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conftest import names, run, step
from pairing_provider.simulator import Simulator
from pairing_provider.testing import CheckFailedError, Stack
from tests.test_key_codes import fleet as key_fleet
from tests.test_key_codes import plain_outputs


def fleet(**key: Any) -> Any:
    return key_fleet(lifespan=7200, **key)


def expiring_in(stack: Stack, minutes: int) -> None:
    """The key's state as it is when ``minutes`` are left before its expiry."""
    old = stack.resource("web-key")
    moment = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=minutes)
    outputs = {**old.raw_outputs, "expires_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}
    stack.state[old.urn] = replace(old, raw_outputs=outputs)


def test_within_renew_before_of_expiry_the_preview_replaces_naming_renew_before(
    kit: Stack,
) -> None:
    run(kit, fleet(renew_before="1h"))
    code = plain_outputs(kit, "web-key")["activation_code"]
    expiring_in(kit, 90)
    assert run(kit, fleet(renew_before="1h"), preview=True).changes == {}  # not due yet

    expiring_in(kit, 30)
    plan = run(kit, fleet(renew_before="1h"), preview=True)

    assert plan.changes == {"web-key": "replace"}
    assert step(plan, "web-key").replaces == ["renew_before"]
    up = run(kit, fleet(renew_before="1h"))
    assert up.changes == {"web-key": "replace"}
    assert plain_outputs(kit, "web-key")["activation_code"] != code


def test_an_expired_key_still_names_expires_at(kit: Stack) -> None:
    run(kit, fleet(renew_before=600))
    expiring_in(kit, -1)
    plan = run(kit, fleet(renew_before=600), preview=True)
    assert step(plan, "web-key").op == "replace"
    assert step(plan, "web-key").replaces == ["expires_at"]


def test_refresh_drops_a_key_due_for_renewal_unless_regeneration_is_off(kit: Stack) -> None:
    run(kit, fleet(renew_before="90m"))
    expiring_in(kit, 60)
    dropped = kit.refresh()
    assert step(dropped, "web-key").op == "delete"  # dropped: the next up makes a new key
    assert "web-key" not in names(kit)

    run(kit, fleet(renew_before="90m", regenerate_when_expired=False))
    expiring_in(kit, 60)
    kept_program = fleet(renew_before="90m", regenerate_when_expired=False)
    assert run(kit, kept_program, preview=True).changes == {}
    kept = kit.refresh()
    assert step(kept, "web-key").op != "delete"
    assert "web-key" in names(kit)


def test_setting_renew_before_is_an_update_with_no_request(
    kit: Stack, simulator: Simulator
) -> None:
    run(kit, fleet())
    simulator.clear_requests()
    assert run(kit, fleet(renew_before="10m")).changes == {"web-key": "update"}
    assert simulator.requests() == []
    assert plain_outputs(kit, "web-key")["renew_before"] == 600


def test_a_renew_before_not_shorter_than_the_lifespan_fails_check(kit: Stack) -> None:
    """Otherwise every up would make a new key."""
    with pytest.raises(CheckFailedError) as caught:
        run(kit, fleet(renew_before="1d"))
    assert caught.value.failures == [
        (
            "renew_before",
            "renew_before: 86400 seconds must be shorter than the profile's key_lifespan "
            "(7200 seconds), or every up would make a new key",
        )
    ]


@pytest.mark.parametrize("value", ["soon", "1h30", -5, True, "h"])
def test_a_bad_renew_before_fails_check_naming_the_forms(kit: Stack, value: Any) -> None:
    with pytest.raises(CheckFailedError) as caught:
        run(kit, fleet(renew_before=value))
    [(_, reason)] = [f for f in caught.value.failures if f[0] == "renew_before"]
    assert reason.startswith("renew_before: ")
    assert reason.endswith(
        'must be seconds (0 to 2147483647) or a duration such as "12h", "7d" or "1h30m"'
    )
