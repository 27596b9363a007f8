"""The PCE client against the running simulator, over real HTTP."""

from __future__ import annotations

import logging
import time

import pytest
import requests

from conftest import API_SECRET, API_USER, issued_codes
from pairing_provider.client import PCEClient
from pairing_provider.config import Settings
from pairing_provider.errors import (
    AuthenticationError,
    ForbiddenError,
    NotAcceptableError,
    NotFoundError,
    PCEConnectionError,
    PCEError,
    RateLimitedError,
)
from pairing_provider.simulator import Simulator


def changed(settings: Settings, **changes: object) -> Settings:
    """A validated copy (model_copy would skip validation)."""
    return Settings.model_validate({**dict(settings), **changes})


def api_calls(simulator: Simulator) -> list[tuple[str, str, int]]:
    return [(r["method"], r["path"].split("?")[0], r["status"]) for r in simulator.requests()]


def test_profile_crud_round_trip(client: PCEClient, simulator: Simulator) -> None:
    created = client.create_pairing_profile({"name": "web", "enabled": True, "key_lifespan": 60})
    href = created["href"]
    assert href.startswith("/orgs/1/pairing_profiles/")
    assert created["created_at"]

    client.update_pairing_profile(href, {"description": "front end"})
    fetched = client.get_pairing_profile(href)
    assert fetched["description"] == "front end"
    assert fetched["key_lifespan"] == 60  # partial PUT kept the rest
    assert fetched["name"] == "web"

    client.delete_pairing_profile(href)
    with pytest.raises(NotFoundError) as caught:
        client.get_pairing_profile(href)
    assert caught.value.status == 404
    assert caught.value.request_id
    assert api_calls(simulator) == [
        ("POST", "/api/v2/orgs/1/pairing_profiles", 201),
        ("PUT", f"/api/v2{href}", 204),
        ("GET", f"/api/v2{href}", 200),
        ("DELETE", f"/api/v2{href}", 204),
        ("GET", f"/api/v2{href}", 404),
    ]


def test_406_carries_tokens_messages_and_request_id(client: PCEClient) -> None:
    with pytest.raises(NotAcceptableError) as caught:
        client.create_pairing_profile({"name": "x", "enabled": True, "enforcement_mode": "bogus"})
    error = caught.value
    assert error.status == 406
    assert error.tokens == ["input_validation_error"]
    assert "enforcement_mode" in str(error)
    assert error.request_id and error.request_id in str(error)
    assert "POST /orgs/1/pairing_profiles" in str(error)


def test_duplicate_name_token(client: PCEClient) -> None:
    client.create_pairing_profile({"name": "dup", "enabled": True})
    with pytest.raises(NotAcceptableError) as caught:
        client.create_pairing_profile({"name": "dup", "enabled": True})
    assert "name_must_be_unique" in caught.value.tokens


def test_single_object_error_body_is_accepted(client: PCEClient, simulator: Simulator) -> None:
    simulator.add_fault(
        method="GET",
        path="pairing_profiles",
        status=406,
        body={"token": "some_token", "message": "one object"},
    )
    with pytest.raises(NotAcceptableError) as caught:
        client.list_pairing_profiles()
    assert caught.value.errors == [("some_token", "one object")]


def test_list_filters(client: PCEClient) -> None:
    env = client.request("POST", "/orgs/1/labels", json_body={"key": "env", "value": "prod"})
    app = client.request("POST", "/orgs/1/labels", json_body={"key": "app", "value": "web"})
    env_href, app_href = env.json()["href"], app.json()["href"]
    client.create_pairing_profile(
        {"name": "prod-web", "enabled": True, "labels": [{"href": env_href}, {"href": app_href}]}
    )
    client.create_pairing_profile(
        {"name": "prod-db", "enabled": True, "labels": [{"href": env_href}], "ven_type": "endpoint"}
    )
    client.create_pairing_profile(
        {"name": "staging", "enabled": True, "description": "stage", "external_data_set": "cmdb"}
    )

    def names(**filters: object) -> list[str]:
        return sorted(p["name"] for p in client.list_pairing_profiles(**filters))  # type: ignore[arg-type]

    assert names(name="prod") == ["prod-db", "prod-web"]
    assert names(description="stage") == ["staging"]
    assert names(ven_type="endpoint") == ["prod-db"]
    assert names(external_data_set="cmdb") == ["staging"]
    assert names(labels=[[env_href, app_href]]) == ["prod-web"]
    assert names(labels=[[app_href], [env_href]]) == ["prod-db", "prod-web"]
    assert len(client.list_pairing_profiles(max_results=1)) == 1
    with pytest.raises(TypeError, match="colour"):
        client.list_pairing_profiles(colour="red")  # type: ignore[arg-type]
    labels = client.list_labels(key="env")
    assert [(label["key"], label["value"]) for label in labels] == [("env", "prod")]
    assert client.get_label(env_href)["value"] == "prod"


def test_more_than_500_switches_to_async_collection(
    client: PCEClient, simulator: Simulator
) -> None:
    session = requests.Session()
    session.auth = (API_USER, API_SECRET)
    for i in range(520):
        response = session.post(
            f"{simulator.url}/api/v2/orgs/1/pairing_profiles",
            json={"name": f"p{i:04d}", "enabled": True},
        )
        assert response.status_code == 201
    simulator.clear_requests()

    profiles = client.list_pairing_profiles()

    assert len(profiles) == 520
    assert len({p["href"] for p in profiles}) == 520
    calls = api_calls(simulator)
    assert calls[0] == ("GET", "/api/v2/orgs/1/pairing_profiles", 200)
    assert calls[1] == ("GET", "/api/v2/orgs/1/pairing_profiles", 202)
    assert calls[-1][0:1] == ("GET",) and "/datafiles/" in calls[-1][1]
    assert len(calls) <= 5


def test_429_is_retried_honouring_retry_after(client: PCEClient, simulator: Simulator) -> None:
    simulator.add_fault(method="POST", path="pairing_profiles$", status=429, retry_after=1, count=1)
    started = time.monotonic()
    created = client.create_pairing_profile({"name": "after-429", "enabled": True})
    waited = time.monotonic() - started
    assert created["name"] == "after-429"
    assert waited >= 1.0
    assert [c[2] for c in api_calls(simulator)] == [429, 201]


def test_429_gives_up_after_max_retries(settings: Settings, simulator: Simulator) -> None:
    client = PCEClient(changed(settings, **{"max_retries": 2}))
    simulator.add_fault(path="pairing_profiles", status=429, retry_after=0, count=10)
    with pytest.raises(RateLimitedError, match="after 2 retries"):
        client.list_pairing_profiles()
    assert len(simulator.requests()) == 3


def test_simulator_rate_limit_is_absorbed() -> None:
    with Simulator(
        api_key_username=API_USER, api_key_secret=API_SECRET, rate_limit=3, rate_window=1.0
    ) as sim:
        settings = Settings(
            pce_host=sim.url, api_key_username=API_USER, api_key_secret=API_SECRET, max_retries=5
        )
        client = PCEClient(settings)
        for _ in range(6):
            client.list_pairing_profiles()
        statuses = [r["status"] for r in sim.requests()]
        assert statuses.count(200) == 6
        assert 429 in statuses


def test_503_retried_for_get_but_post_is_never_resent(
    client: PCEClient, simulator: Simulator
) -> None:
    simulator.add_fault(method="GET", path="pairing_profiles", status=503, count=2)
    assert client.list_pairing_profiles() == []
    simulator.clear_requests()
    simulator.add_fault(method="POST", path="pairing_profiles", status=503, count=1)
    with pytest.raises(PCEError) as caught:
        client.create_pairing_profile({"name": "once", "enabled": True})
    assert caught.value.status == 503
    assert [r["method"] for r in simulator.requests()] == ["POST"]


def test_dropped_connection_is_a_connection_error_for_post(
    client: PCEClient, simulator: Simulator
) -> None:
    simulator.add_fault(method="POST", path="pairing_profiles", drop_connection=True)
    with pytest.raises(PCEConnectionError) as caught:
        client.create_pairing_profile({"name": "dropped", "enabled": True})
    assert caught.value.status == 0
    assert API_SECRET not in str(caught.value)


def test_auth_and_org_failures(settings: Settings, simulator: Simulator) -> None:
    wrong_key = PCEClient(changed(settings, **{"api_key_secret": "wrong"}))
    with pytest.raises(AuthenticationError) as caught:
        wrong_key.list_pairing_profiles()
    assert caught.value.status == 401
    other_org = PCEClient(changed(settings, **{"org_id": 2}))
    with pytest.raises(ForbiddenError) as forbidden:
        other_org.list_pairing_profiles()
    assert forbidden.value.status == 403


def test_generate_pairing_key_returns_the_issued_code(
    client: PCEClient, simulator: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="pairing_provider")
    href = client.create_pairing_profile({"name": "keyed", "enabled": True})["href"]
    code = client.generate_pairing_key(href)
    assert issued_codes(simulator) == [code]
    assert code not in caplog.text
    assert API_SECRET not in caplog.text
    assert client.get_pairing_profile(href)["last_pairing_key_generated_at"]


def test_unreachable_pce_is_a_connection_error(settings: Settings) -> None:
    client = PCEClient(changed(settings, **{"pce_host": "http://127.0.0.1:9", "max_retries": 0}))
    with pytest.raises(PCEConnectionError, match="GET /orgs/1/pairing_profiles failed"):
        client.list_pairing_profiles()
