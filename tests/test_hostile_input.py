"""Property-based tests: arbitrary input never crashes check, and what check accepts, the PCE
accepts too (no 406 after a passing check)."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pairing_provider.client import PCEClient
from pairing_provider.key import PairingKeyProvider
from pairing_provider.models import PROFILE, PairingProfileArgs
from pairing_provider.profile import PairingProfileProvider

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=300)
)
ANY_JSON = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children),
    max_leaves=20,
)
# Values a real program might send, mixed with hostile ones, so that acceptance is common
# enough to test what the PCE makes of it.
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "name": st.text(min_size=1, max_size=260),
    "enabled": st.booleans(),
    "description": st.text(max_size=260),
    "enforcement_mode": st.sampled_from(["idle", "visibility_only", "selective", "full", "x"]),
    "visibility_level": st.sampled_from(["flow_summary", "flow_off", "enhanced_data_collection"]),
    "allowed_uses_per_key": st.just("unlimited")
    | st.integers(min_value=-5, max_value=2**31 + 5)
    | st.integers(min_value=1, max_value=99).map(str)
    | st.floats(),
    "key_lifespan": st.just("unlimited") | st.integers(min_value=-5, max_value=2**31 + 5),
    "ven_type": st.sampled_from(["server", "endpoint", "specified_during_activation", "pc"]),
    "agent_software_release": st.none() | st.text(max_size=40) | st.just("Default (1.2.3)"),
    "external_data_set": st.none() | st.text(max_size=260),
    "external_data_reference": st.none() | st.text(max_size=260),
    "labels": st.lists(
        st.sampled_from(["/orgs/1/labels/1", "/orgs/1/labels/2"])
        | st.builds(lambda h: {"href": h}, st.sampled_from(["/orgs/1/labels/1"]))
        | st.text(max_size=20),
        max_size=3,
    ),
}
LOCKS = [field for field in PROFILE.sent if field.endswith("_lock") or field == "log_traffic"]
for lock in LOCKS:
    PLAUSIBLE[lock] = st.booleans() | st.sampled_from(["true", 1, None])

REQUIRED = ("name", "enabled")
PROFILE_INPUTS = (
    # Plausible: often valid, with edge values (255+ chars, control characters, 2**31, "5").
    st.fixed_dictionaries(
        {field: PLAUSIBLE[field] for field in REQUIRED},
        optional={f: strategy for f, strategy in PLAUSIBLE.items() if f not in REQUIRED},
    )
    # Hostile: any JSON value in any field.
    | st.fixed_dictionaries(
        {}, optional={field: strategy | ANY_JSON for field, strategy in PLAUSIBLE.items()}
    )
    | st.dictionaries(st.text(max_size=30), ANY_JSON, max_size=6)
)

FAST = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FAST
@given(news=PROFILE_INPUTS)
def test_profile_check_never_raises_and_the_pce_accepts_what_it_accepts(
    news: dict[str, Any], client: PCEClient
) -> None:
    result = PairingProfileProvider().check({}, news)
    for failure in result.failures:
        assert re.match(rf"{re.escape(failure.property)}(\[\d+\])?: ", failure.reason)
    if result.failures:
        return
    spec = PairingProfileArgs.model_validate({k: result.inputs[k] for k in PROFILE.inputs})
    labels = {label["href"] for label in spec.labels}
    if not labels <= known_labels(client):
        return  # check is offline by design: only the PCE knows which label hrefs exist
    created = client.create_pairing_profile(spec.api_body())  # raises on a 406
    client.delete_pairing_profile(created["href"])


def known_labels(client: PCEClient) -> set[str]:
    """The simulator's labels, seeded once per simulator (the fixture resets it per test)."""
    hrefs = {label["href"] for label in client.list_labels()}
    if not hrefs:
        for value in ("prod", "staging"):
            client.request("POST", "/orgs/1/labels", json_body={"key": "env", "value": value})
        hrefs = {label["href"] for label in client.list_labels()}
    return hrefs


@FAST
@given(
    news=st.fixed_dictionaries(
        {},
        optional={
            "pairing_profile_href": st.text(max_size=40)
            | st.integers().map(lambda n: f"/orgs/1/pairing_profiles/{abs(n)}")
            | ANY_JSON,
            "triggers": ANY_JSON,
            "regenerate_when_expired": ANY_JSON,
        },
    )
    | st.dictionaries(st.text(max_size=30), ANY_JSON, max_size=4)
)
def test_key_check_never_raises(news: dict[str, Any]) -> None:
    result = PairingKeyProvider().check({}, news)
    for failure in result.failures:
        assert re.match(rf"{re.escape(failure.property)}(\[\d+\])?: ", failure.reason)


def test_deeply_nested_triggers_fail_check_cleanly() -> None:
    nested: Any = "leaf"
    for _ in range(5000):
        nested = {"a": [nested]}
    result = PairingKeyProvider().check(
        {}, {"pairing_profile_href": "/orgs/1/pairing_profiles/1", "triggers": nested}
    )
    assert [f.property for f in result.failures] == ["triggers"]
    huge = {"pairing_profile_href": "/orgs/1/pairing_profiles/1", "triggers": "x" * 100_000}
    assert [f.property for f in PairingKeyProvider().check({}, huge).failures] == ["triggers"]
