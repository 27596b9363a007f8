"""What a team moving off Terraform runs into first: the version, the commands' own names, a
way to turn up logging in the provider process, errors that name the setting or input to fix,
and ``find_pairing_profiles(ven_type=...)`` saying what its filter proved."""

from __future__ import annotations

import socket
import subprocess
import sys
import tomllib
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import pytest

import pairing_provider
from conftest import API_SECRET, API_USER, stack_config
from pairing_provider import find_pairing_profiles
from pairing_provider.client import PCEClient
from pairing_provider.config import CONFIG_NAMESPACE, SOURCES
from pairing_provider.errors import CREDENTIAL_SETTINGS, HOST_SETTING, ConfigurationError
from pairing_provider.log_level import apply_log_level
from pairing_provider.migrate.cli import main as migrate_main
from pairing_provider.profile import PairingProfileProvider
from pairing_provider.simulator import Simulator
from pairing_provider.simulator.__main__ import main as simulator_main
from tests.engine import Engine, EngineError

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PROFILES = PairingProfileProvider()
URN = "urn:pulumi:dev::proj::pulumi-python:dynamic/illumio:PairingProfile::web"


def run(*command: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout


def test_the_version_is_the_distributions() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pairing_provider.__version__ == version("pairing_provider")
    assert pairing_provider.__version__ == pyproject["project"]["version"]


@pytest.mark.parametrize(
    ("command", "main"),
    [("pce-simulator", simulator_main), ("pairing-provider-migrate", migrate_main)],
)
def test_both_commands_say_their_version_and_their_own_name(
    command: str,
    main: Callable[[list[str]], int],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ours = pairing_provider.__version__
    assert run(str(BIN / command), "--version") == f"{command} {ours}\n"  # the installed script
    module = f"python -m {main.__module__.removesuffix('.cli').removesuffix('.__main__')}"
    for argv0, name in [(str(BIN / command), command), ("/x/__main__.py", module)]:
        monkeypatch.setattr(sys, "argv", [argv0])
        with pytest.raises(SystemExit):
            main(["--help"])
        assert capsys.readouterr().out.startswith(f"usage: {name} ")


def test_the_errors_name_the_settings_config_knows() -> None:
    keys = {source.field: source for source in SOURCES}
    for field in ("api_key_username", "api_key_secret"):
        assert f"'{CONFIG_NAMESPACE}:{keys[field].config_key}'" in CREDENTIAL_SETTINGS
        assert keys[field].env_var in CREDENTIAL_SETTINGS
    assert f"'{CONFIG_NAMESPACE}:{keys['pce_host'].config_key}'" in HOST_SETTING
    assert keys["pce_host"].env_var in HOST_SETTING


def refused_create(engine: Engine) -> EngineError:
    checked = engine.check(PROFILES, {}, {"name": "web", "enabled": True}, urn=URN)
    with pytest.raises(EngineError) as caught:
        engine.create(PROFILES, checked.inputs, urn=URN)
    return caught.value


def test_a_401_names_the_credential_settings_and_debug_logging_shows_the_request(
    simulator: Simulator,
) -> None:
    """A provider process started with PAIRING_PROVIDER_LOG=debug, with a wrong API secret."""
    with Engine(env={"PAIRING_PROVIDER_LOG": "debug"}) as engine:
        wrong = stack_config(simulator, apiKeySecret="not-the-secret")
        engine.configure(wrong, secret_keys={"illumio:apiKeySecret"})
        error = refused_create(engine)
        logged = engine.stderr_text()

    assert "HTTP 401" in error.last_line
    assert error.last_line.endswith(f"the PCE refused the API key: check {CREDENTIAL_SETTINGS}")
    assert "pairing_provider DEBUG: POST /api/v2/orgs/1/pairing_profiles -> 401" in logged
    assert "not-the-secret" not in error.details + logged


def test_connection_refused_names_the_host_setting() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with Engine() as engine:
        config = {
            "illumio:pceHost": f"http://127.0.0.1:{port}",
            "illumio:apiKeyUsername": API_USER,
            "illumio:apiKeySecret": API_SECRET,
            "illumio:maxRetries": "0",
        }
        engine.configure(config, secret_keys={"illumio:apiKeySecret"})
        error = refused_create(engine)

    assert f"could not connect: check {HOST_SETTING} and that the PCE is up" in error.last_line


@pytest.mark.parametrize("value", ["verbose", "10"])
def test_an_unknown_log_level_is_refused_naming_the_levels(value: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        apply_log_level({"PAIRING_PROVIDER_LOG": value})
    assert caught.value.problems == [
        f"environment variable PAIRING_PROVIDER_LOG: {value!r} is not one of "
        "debug, info, warning, error"
    ]


def test_find_by_ven_type_sets_ven_type_on_what_it_finds(
    simulator: Simulator, client: PCEClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ILLUMIO_PCE_HOST", simulator.url)
    monkeypatch.setenv("ILLUMIO_API_KEY_USERNAME", API_USER)
    monkeypatch.setenv("ILLUMIO_API_KEY_SECRET", API_SECRET)
    client.create_pairing_profile({"name": "laptops", "enabled": True, "ven_type": "endpoint"})
    client.create_pairing_profile({"name": "servers", "enabled": True, "ven_type": "server"})

    [endpoint] = find_pairing_profiles(ven_type="endpoint")
    [server] = find_pairing_profiles(ven_type="server")

    assert (endpoint.name, endpoint.ven_type) == ("laptops", "endpoint")
    assert (server.name, server.ven_type) == ("servers", "server")
    assert {p.ven_type for p in find_pairing_profiles()} == {None}  # GET bodies carry none
