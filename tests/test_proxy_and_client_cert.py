"""An HTTPS proxy (CONNECT) and a TLS client certificate for the PCE connection: the client
reaches the simulator (``tls=True``) only through a loopback proxy, a simulator that asks for
a client certificate is reached with one and refused without, and the settings come from
stack config or environment."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import API_SECRET, API_USER, stack_config
from pairing_provider.client import PCEClient
from pairing_provider.config import Settings
from pairing_provider.errors import ConfigurationError, PCEConnectionError, PCEError
from pairing_provider.profile import PairingProfileProvider
from pairing_provider.redaction import redact
from pairing_provider.simulator import Simulator
from pairing_provider.simulator.tls import write_client_certificate, write_self_signed
from tests.connect_proxy import ConnectProxy
from tests.engine import Engine

PROXY_USER, PROXY_PASSWORD = "squid", "pr0xy-p@ss-word"
QUOTED_PASSWORD = "pr0xy-p%40ss-word"


@pytest.fixture(scope="module")
def tls_simulator() -> Iterator[Simulator]:
    with Simulator(api_key_username=API_USER, api_key_secret=API_SECRET, tls=True) as sim:
        yield sim


@pytest.fixture(scope="module")
def client_pem(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_client_certificate(tmp_path_factory.mktemp("client-cert"))


def tls_settings(sim: Simulator, **changes: object) -> Settings:
    return Settings.model_validate(
        {
            "pce_host": sim.url,
            "api_key_username": API_USER,
            "api_key_secret": API_SECRET,
            "ca_file": sim.cert_path,
            "request_timeout": 5,
            "max_retries": 0,
            "operation_timeout": 10,
            **changes,
        }
    )


def list_names(settings: Settings) -> list[str]:
    client = PCEClient(settings)
    try:
        with client.operation():
            return [p["name"] for p in client.list_pairing_profiles()]
    finally:
        client.close()


def requests_seen(sim: Simulator) -> int:
    return len(sim.state.request_log.listing())


def test_the_client_reaches_the_pce_only_through_the_proxy_with_its_password(
    tls_simulator: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    target = f"127.0.0.1:{tls_simulator.port}"
    with ConnectProxy((PROXY_USER, PROXY_PASSWORD)) as proxy:
        url = proxy.url(f"{PROXY_USER}:{QUOTED_PASSWORD}")
        list_names(tls_settings(tls_simulator, https_proxy=url))
        assert proxy.targets == [target]
        assert proxy.authorizations == [proxy.expected_authorization()]

        caplog.set_level(logging.DEBUG, logger="pairing_provider")
        wrong = proxy.url(f"{PROXY_USER}:not-{QUOTED_PASSWORD}")
        with pytest.raises(PCEConnectionError) as refused:
            list_names(tls_settings(tls_simulator, https_proxy=wrong))
        assert "407" in str(refused.value)
    for text in (
        str(refused.value),
        caplog.text,
        repr(tls_settings(tls_simulator, https_proxy=url)),
    ):
        assert PROXY_PASSWORD not in text and QUOTED_PASSWORD not in text

    # Anything that might echo the proxy's credentials (an error page, a log line) is cleaned.
    echoed = (
        f"{PROXY_PASSWORD} {QUOTED_PASSWORD} Proxy-Authorization: {proxy.expected_authorization()}"
    )
    assert PROXY_PASSWORD not in redact(echoed) and QUOTED_PASSWORD not in redact(echoed)
    assert str(proxy.expected_authorization()).split()[1] not in redact(echoed)

    before = requests_seen(tls_simulator)
    with pytest.raises(PCEConnectionError) as down:
        list_names(tls_settings(tls_simulator, https_proxy=url))  # that proxy is gone now
    assert "ProxyError" in str(down.value)
    assert requests_seen(tls_simulator) == before  # nothing went around it


def test_an_https_proxy_carries_the_pce_tls_inside_its_own(
    tls_simulator: Simulator, tmp_path: Path
) -> None:
    """TLS to the proxy, then the PCE's TLS inside the tunnel (each verified)."""
    proxy_tls = write_self_signed(tmp_path)
    both = tmp_path / "both.pem"
    both.write_bytes(Path(tls_simulator.cert_path).read_bytes() + proxy_tls[0].read_bytes())
    with ConnectProxy((PROXY_USER, PROXY_PASSWORD), tls=proxy_tls) as proxy:
        url = proxy.url(f"{PROXY_USER}:{QUOTED_PASSWORD}")
        assert url.startswith("https://")
        before = requests_seen(tls_simulator)
        assert isinstance(
            list_names(tls_settings(tls_simulator, https_proxy=url, ca_file=str(both))), list
        )
        assert proxy.targets == [f"127.0.0.1:{tls_simulator.port}"]
        assert requests_seen(tls_simulator) == before + 1


def test_the_proxy_setting_wins_over_the_environment_proxy(
    tls_simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ConnectProxy() as chosen, ConnectProxy() as from_environment:
        monkeypatch.setenv("HTTPS_PROXY", from_environment.url())
        list_names(tls_settings(tls_simulator, https_proxy=chosen.url()))
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        list_names(tls_settings(tls_simulator, https_proxy=chosen.url()))
        assert len(chosen.targets) == 2
        assert from_environment.targets == []


def test_the_operation_deadline_holds_through_a_proxy_that_never_answers(
    tls_simulator: Simulator,
) -> None:
    with ConnectProxy(stall=True) as proxy:
        settings = tls_settings(
            tls_simulator,
            https_proxy=proxy.url(),
            request_timeout=60,
            max_retries=5,
            operation_timeout=0.8,
        )
        started = time.monotonic()
        with pytest.raises(PCEError) as caught:
            list_names(settings)
        elapsed = time.monotonic() - started
    assert proxy.targets  # it was reached, and kept the client waiting
    assert elapsed < 2.5, elapsed
    assert "0.8s operation timeout" in str(caught.value)


def test_a_pce_asking_for_a_client_certificate_is_reached_with_one_only(
    client_pem: tuple[Path, Path],
) -> None:
    cert, key = (str(path) for path in client_pem)
    with Simulator(
        api_key_username=API_USER, api_key_secret=API_SECRET, tls=True, client_ca=cert
    ) as sim:
        assert list_names(tls_settings(sim, client_cert=cert, client_key=key)) == []
        assert requests_seen(sim) == 1
        with pytest.raises(PCEConnectionError) as refused:
            list_names(tls_settings(sim))
    # The TLS 1.3 alert, or the close that may overtake it: either way the setting is named.
    assert "asks for a TLS client certificate, set 'illumio:clientCert' (ILLUMIO_CLIENT_CERT)" in (
        str(refused.value).replace(": set", ", set")
    )
    assert "check stack config 'illumio:pceHost'" not in str(refused.value)


def test_the_provider_process_uses_proxy_and_client_certificate_from_stack_config(
    client_pem: tuple[Path, Path],
) -> None:
    cert, key = (str(path) for path in client_pem)
    with (
        Simulator(
            api_key_username=API_USER, api_key_secret=API_SECRET, tls=True, client_ca=cert
        ) as sim,
        ConnectProxy((PROXY_USER, PROXY_PASSWORD)) as proxy,
        Engine() as engine,
    ):
        proxy_url = proxy.url(f"{PROXY_USER}:{QUOTED_PASSWORD}")
        config = stack_config(
            sim, caFile=str(sim.cert_path), httpsProxy=proxy_url, clientCert=cert, clientKey=key
        )
        engine.configure(config, secret_keys={"illumio:apiKeySecret", "illumio:httpsProxy"})
        provider = PairingProfileProvider()
        checked = engine.check(provider, {}, {"name": "through-the-proxy", "enabled": True})
        created = engine.create(provider, checked.inputs)
        logged = engine.stderr_text()
    assert created.id.startswith("/orgs/1/pairing_profiles/")
    assert proxy.targets and set(proxy.targets) == {f"127.0.0.1:{sim.port}"}
    assert PROXY_PASSWORD not in logged and QUOTED_PASSWORD not in logged


def test_the_settings_come_from_the_environment_and_are_checked(
    tls_simulator: Simulator, client_pem: tuple[Path, Path], tmp_path: Path
) -> None:
    cert, key = (str(path) for path in client_pem)
    environ = {
        "ILLUMIO_PCE_HOST": str(tls_simulator.url),
        "ILLUMIO_API_KEY_USERNAME": API_USER,
        "ILLUMIO_API_KEY_SECRET": API_SECRET,
        "ILLUMIO_HTTPS_PROXY": "http://proxy.example.com:3128",
        "ILLUMIO_CLIENT_CERT": cert,
        "ILLUMIO_CLIENT_KEY": key,
    }
    loaded = Settings.load(environ=environ)
    assert loaded.https_proxy == "http://proxy.example.com:3128"
    assert loaded.client_certificate == (cert, key)

    def problems(**changes: str) -> str:
        with pytest.raises(ConfigurationError) as caught:
            Settings.load(environ={**environ, **changes})
        return str(caught.value)

    secret_url = f"ftp://{PROXY_USER}:{PROXY_PASSWORD}@proxy.example.com:21"
    assert "httpsProxy: scheme must be http or https" in problems(ILLUMIO_HTTPS_PROXY=secret_url)
    assert PROXY_PASSWORD not in problems(ILLUMIO_HTTPS_PROXY=secret_url)
    assert "must name a host and a port" in problems(ILLUMIO_HTTPS_PROXY="http://proxy.example")
    assert "set 'illumio:clientCert' (ILLUMIO_CLIENT_CERT) too" in problems(ILLUMIO_CLIENT_CERT="")
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("not a certificate")
    assert "do not load" in problems(ILLUMIO_CLIENT_CERT=str(not_pem))
    assert "clientKey: no such file" in problems(ILLUMIO_CLIENT_KEY=str(tmp_path / "missing"))
    over_http = problems(ILLUMIO_PCE_HOST="http://127.0.0.1:1")
    assert "'illumio:httpsProxy' (ILLUMIO_HTTPS_PROXY) and 'illumio:clientCert'" in over_http
    assert "used with an https:// pceHost only" in over_http


def test_an_environment_proxy_of_another_scheme_is_a_configuration_error(
    tls_simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests would speak SOCKS with PySocks installed; this provider speaks only HTTP
    CONNECT, so it says so before any request instead of failing at the proxy."""
    monkeypatch.setenv("HTTPS_PROXY", "socks5://user:s0cks-pass@127.0.0.1:1080")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    before = requests_seen(tls_simulator)
    with pytest.raises(ConfigurationError, match="socks5:// proxy is not supported") as refused:
        list_names(tls_settings(tls_simulator))
    assert "s0cks-pass" not in str(refused.value)
    assert requests_seen(tls_simulator) == before


def test_an_ipv6_pce_is_named_in_brackets_to_the_proxy(tmp_path: Path) -> None:
    """``CONNECT [::1]:port``, as RFC 9110's authority form writes an IPv6 address."""
    with ConnectProxy() as proxy:
        settings = Settings.model_validate(
            {
                "pce_host": "https://[::1]:9",
                "api_key_username": API_USER,
                "api_key_secret": API_SECRET,
                "https_proxy": proxy.url(),
                "max_retries": 0,
                "operation_timeout": 5,
            }
        )
        with pytest.raises(PCEError):
            list_names(settings)  # nothing listens there: the tunnel fails after the CONNECT
        assert proxy.targets == ["[::1]:9"]


def test_an_environment_proxy_that_does_not_parse_never_shows_its_password(
    tls_simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unescaped ``/`` in the password ends the URL's host part there."""
    monkeypatch.setenv("HTTPS_PROXY", "http://svc:pa/ss#w0rd@proxy.corp:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with pytest.raises(ConfigurationError, match="invalid port") as refused:
        list_names(tls_settings(tls_simulator))
    assert "ss#w0rd" not in str(refused.value) and "'pa'" not in str(refused.value)
