"""The PCE client against the running simulator, over real HTTP."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
import requests

from conftest import API_SECRET, API_USER, issued_codes
from pairing_provider.batch_reads import ProfileReader
from pairing_provider.client import (
    CreateAttempt,
    PCEClient,
    client_for,
    reset_connections,
    retry_after_seconds,
)
from pairing_provider.config import Settings
from pairing_provider.errors import (
    AuthenticationError,
    ForbiddenError,
    NotAcceptableError,
    NotFoundError,
    OperationTimeoutError,
    PCEConnectionError,
    PCEError,
    RateLimitedError,
)
from pairing_provider.labels import LabelDirectory
from pairing_provider.pacing import pacer_for
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


def test_429_is_retried_honouring_retry_after(settings: Settings, simulator: Simulator) -> None:
    _now, sleeps, clock, sleep = fake_time()
    client = PCEClient(settings, clock=clock, sleep=sleep)
    simulator.add_fault(method="POST", path="pairing_profiles$", status=429, retry_after=1, count=1)
    created = client.create_pairing_profile({"name": "after-429", "enabled": True})
    assert created["name"] == "after-429"
    assert sleeps == [1.0]
    assert [c[2] for c in api_calls(simulator)] == [429, 201]


def test_429_gives_up_after_max_retries(settings: Settings, simulator: Simulator) -> None:
    client = PCEClient(changed(settings, **{"max_retries": 2}))
    simulator.add_fault(path="pairing_profiles", status=429, retry_after=0, count=10)
    with pytest.raises(RateLimitedError, match="after 2 retries"):
        client.list_pairing_profiles()
    assert len(simulator.requests()) == 3


def test_simulator_rate_limit_is_absorbed() -> None:
    now, sleeps, clock, sleep = fake_time()
    with Simulator(
        api_key_username=API_USER,
        api_key_secret=API_SECRET,
        rate_limit=3,
        rate_window=1.0,
        clock=lambda: 1_700_000_000 + now[0],
    ) as sim:
        settings = Settings(
            pce_host=sim.url, api_key_username=API_USER, api_key_secret=API_SECRET, max_retries=5
        )
        client = PCEClient(settings, clock=clock, sleep=sleep)
        for _ in range(6):
            client.list_pairing_profiles()
        statuses = [r["status"] for r in sim.requests()]
        assert statuses.count(200) == 6
        assert 429 in statuses
        assert sleeps and all(wait >= 1 for wait in sleeps)  # as the 429's Retry-After asked


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


def fake_time() -> tuple[list[float], list[float], Any, Any]:
    """(now, sleeps, clock, sleep): a clock that only moves when the client sleeps."""
    now, sleeps = [0.0], []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    return now, sleeps, (lambda: now[0]), sleep


def test_one_client_per_settings_owns_its_caches(settings: Settings) -> None:
    first = client_for(settings)
    assert client_for(changed(settings)) is first  # equal settings, the same connection
    assert client_for(changed(settings, request_timeout=7)) is not first
    assert isinstance(first.profiles, ProfileReader)
    assert isinstance(first.labels, LabelDirectory)
    reset_connections()
    assert client_for(settings) is not first


def test_a_lost_post_is_looked_up_then_resent_under_the_retry_policy(
    settings: Settings, simulator: Simulator
) -> None:
    _now, sleeps, clock, sleep = fake_time()
    client = PCEClient(changed(settings, max_retries=3), clock=clock, sleep=sleep)
    simulator.add_fault(method="POST", path="pairing_profiles$", status=503, count=4)
    attempts: list[int] = []

    def find_created(attempt: CreateAttempt) -> dict[str, Any] | None:
        attempts.append(attempt.number)
        assert attempt.error.status == 503
        return None

    with pytest.raises(PCEError, match=r"HTTP 503; .*after 3 retries"):
        client.create_pairing_profile({"name": "busy", "enabled": True}, find_created=find_created)
    assert attempts == [1, 2, 3]
    assert [c[0] for c in api_calls(simulator)] == ["POST"] * 4  # 1 + max_retries, no more
    assert len(sleeps) == 3 and all(0 <= wait <= 0.5 * 2**i for i, wait in enumerate(sleeps))


def test_what_find_created_returns_is_the_result(client: PCEClient, simulator: Simulator) -> None:
    simulator.add_fault(method="POST", path="pairing_profiles$", status=504, when="after")

    def find_created(attempt: CreateAttempt) -> dict[str, Any] | None:
        [found] = client.list_pairing_profiles(name="lost")
        return found

    created = client.create_pairing_profile(
        {"name": "lost", "enabled": True}, find_created=find_created
    )
    assert created["name"] == "lost"
    assert [c[0] for c in api_calls(simulator)] == ["POST", "GET"]


def test_find_created_errors_propagate(client: PCEClient, simulator: Simulator) -> None:
    simulator.add_fault(method="POST", path="pairing_profiles$", drop_connection=True)

    def find_created(attempt: CreateAttempt) -> dict[str, Any] | None:
        raise LookupError("look-up broke")

    with pytest.raises(LookupError, match="look-up broke"):
        client.create_pairing_profile({"name": "x", "enabled": True}, find_created=find_created)
    assert [c[0] for c in api_calls(simulator)] == ["POST"]


def test_a_post_deadline_holds_across_look_ups(settings: Settings, simulator: Simulator) -> None:
    _now, sleeps, clock, sleep = fake_time()
    client = PCEClient(
        changed(settings, max_retries=50, operation_timeout=10), clock=clock, sleep=sleep
    )
    simulator.add_fault(method="POST", status=503, retry_after=3, count=50)
    with pytest.raises(PCEError, match="gave up: the next retry would pass the 10s"):
        with client.operation():
            client.create_pairing_profile(
                {"name": "x", "enabled": True}, find_created=lambda attempt: None
            )
    assert sleeps == [3, 3, 3]
    assert [c[0] for c in api_calls(simulator)] == ["POST"] * 4


def test_a_database_lock_is_a_refusal_and_retried_even_for_post(
    settings: Settings, simulator: Simulator
) -> None:
    _now, _sleeps, clock, sleep = fake_time()
    client = PCEClient(settings, clock=clock, sleep=sleep)
    lock = [{"token": "", "message": "Could not get a database lock"}]
    simulator.add_fault(method="POST", path="pairing_profiles$", status=406, body=lock)
    created = client.create_pairing_profile({"name": "locked", "enabled": True})
    assert created["name"] == "locked"
    assert [c[2] for c in api_calls(simulator)] == [406, 201]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("inf", 86400.0), ("1e308", 86400.0), ("-5", 0.0), ("nan", None), ("2.5", 2.5)],
)
def test_retry_after_is_clamped(header: str, seconds: float | None) -> None:
    response = requests.Response()
    response.headers["Retry-After"] = header
    assert retry_after_seconds(response) == seconds


def test_a_huge_retry_after_on_429_gives_up_at_once(
    settings: Settings, simulator: Simulator
) -> None:
    _now, sleeps, clock, sleep = fake_time()
    client = PCEClient(settings, clock=clock, sleep=sleep)
    simulator.add_fault(method="GET", status=429, retry_after=999999)
    with pytest.raises(RateLimitedError, match="gave up"):
        client.list_pairing_profiles()
    assert sleeps == []


def test_a_write_ending_during_a_listing_is_never_answered_from_it(
    settings: Settings, simulator: Simulator
) -> None:
    """The listing is computed before the PUT lands, and arrives after it ended."""
    now, _sleeps, clock, sleep = fake_time()
    client = PCEClient(settings, clock=clock, sleep=sleep)
    href = client.create_pairing_profile({"name": "a", "enabled": True})["href"]
    other = client.create_pairing_profile({"name": "b", "enabled": True})["href"]
    writer = PCEClient(settings)  # another worker of the same process, sharing the reader

    def put_while_listing(response: requests.Response) -> None:
        if response.request.path_url == "/api/v2/orgs/1/pairing_profiles":
            thread = threading.Thread(
                target=lambda: (
                    writer.update_pairing_profile(href, {"description": "new"}),
                    client.profiles.wrote(href),  # what client.update_* does when it ends
                )
            )
            thread.start()
            thread.join()

    client.profiles.get(other)  # a lone read
    now[0] = 1.0
    client._session.hooks.append(put_while_listing)
    client.profiles.get(other)  # a burst: the listing, with the PUT landing meanwhile
    client._session.hooks.clear()
    simulator.clear_requests()
    assert client.profiles.get(href)["description"] == "new"
    assert api_calls(simulator) == [("GET", f"/api/v2{href}", 200)]  # its own GET, not the listing


def test_updates_by_the_client_mark_the_snapshot_after_they_end(
    client: PCEClient, simulator: Simulator
) -> None:
    hrefs = [
        client.create_pairing_profile({"name": f"p{i}", "enabled": True})["href"] for i in range(3)
    ]
    client.profiles.get(hrefs[0])
    client.profiles.get(hrefs[1])  # a burst: snapshot
    client.update_pairing_profile(hrefs[2], {"description": "changed"})
    simulator.clear_requests()
    assert client.profiles.get(hrefs[2])["description"] == "changed"
    assert client.profiles.get(hrefs[1])["name"] == "p1"  # still from the snapshot
    assert api_calls(simulator) == [("GET", f"/api/v2{hrefs[2]}", 200)]


def test_pacing_at_exactly_the_pce_limit_draws_no_429() -> None:
    """A request that reaches the PCE late must not free its slot early: the PCE counts at
    arrival. The first request here takes 0.5 s to arrive, the others none."""
    now, sleeps, clock, sleep = fake_time()
    latencies = [0.5]

    def pce_clock() -> float:  # the PCE reads its clock when a request arrives
        if latencies:
            now[0] += latencies.pop()
        return 1_700_000_000 + now[0]

    with Simulator(
        api_key_username=API_USER,
        api_key_secret=API_SECRET,
        rate_limit=3,
        rate_window=60,
        clock=pce_clock,
    ) as sim:
        settings = Settings(
            pce_host=sim.url,
            api_key_username=API_USER,
            api_key_secret=API_SECRET,
            max_retries=0,  # a 429 fails the test
            max_requests_per_minute=3,
            rate_window=60,
        )
        client = PCEClient(settings, clock=clock, sleep=sleep)
        for _ in range(7):
            client.list_labels()
        assert [r["status"] for r in sim.requests()] == [200] * 7
        assert sleeps == [60.0, 60.0]  # the 4th and 7th waited a whole window, no more


def test_one_pacer_per_pce_and_api_key_the_stricter_setting_wins(settings: Settings) -> None:
    """The PCE counts per API key: settings differing in timeouts (or limits) share a pacer."""
    first = pacer_for(settings.pce_host, API_USER, 450, 60)
    assert pacer_for(settings.pce_host, API_USER, 100, 60) is first
    assert (first.limit, first.window) == (100, 60)
    assert pacer_for(settings.pce_host, "api_other", 450, 60) is not first
    assert pacer_for("https://other-pce:8443", API_USER, 450, 60) is not first


def test_a_scheme_mix_up_says_to_check_https_and_the_port(simulator: Simulator) -> None:
    """https:// to the plain simulator, and http:// to a TLS one: each a PCEConnectionError
    that names what to check."""
    plain_port = simulator.url.rsplit(":", 1)[1]
    cases = [(f"https://127.0.0.1:{plain_port}", simulator)]
    with Simulator(api_key_username=API_USER, api_key_secret=API_SECRET, tls=True) as tls:
        cases.append((tls.url.replace("https://", "http://"), tls))
        for host, _ in cases:
            settings = Settings(
                pce_host=host,
                api_key_username=API_USER,
                api_key_secret=API_SECRET,
                max_retries=0,
                insecure=True,
            )
            with pytest.raises(PCEConnectionError) as caught:
                PCEClient(settings).list_labels()
            assert str(caught.value).endswith(
                f"check illumio:pceHost ({host}): https:// vs http:// and the port "
                "(a PCE serves https, on 8443 on-premises or 443 for SaaS)"
            )


def test_waiting_for_room_in_the_request_budget_stops_at_the_deadline(
    simulator: Simulator, settings: Settings
) -> None:
    """A budget of 1 request a minute and a 5 s operation: the second request does not sleep
    a minute first, it fails at once with the operation timeout."""
    _, sleeps, clock, sleep = fake_time()
    tight = Settings.model_validate(
        {**dict(settings), "max_requests_per_minute": 1, "operation_timeout": 5, "max_retries": 0}
    )
    client = PCEClient(tight, clock=clock, sleep=sleep)
    with client.operation():
        client.list_labels()
        with pytest.raises(OperationTimeoutError) as caught:
            client.list_labels()
    assert sleeps == []
    assert "no room in the request budget before the deadline" in str(caught.value)
    assert len(simulator.requests()) == 1
