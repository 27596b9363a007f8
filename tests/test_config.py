"""Connection settings: stack config over environment, defaults, and one error listing all."""

from __future__ import annotations

import pytest

from pairing_provider.client import PCEClient
from pairing_provider.config import Settings, normalise_pce_host
from pairing_provider.errors import ConfigurationError

SECRET = "not-a-real-secret-7f3a"


def stack(values: dict[str, str]):
    return lambda key: values.get(key)


def test_stack_config_wins_over_environment_and_defaults_apply() -> None:
    env = {
        "ILLUMIO_PCE_HOST": "env-pce.example.com",
        "ILLUMIO_API_KEY_USERNAME": "api_env",
        "ILLUMIO_API_KEY_SECRET": SECRET,
    }
    settings = Settings.load(stack({"illumio:pceHost": "https://stack-pce:9443"}), env)
    assert settings.pce_host == "https://stack-pce:9443"
    assert settings.api_key_username == "api_env"
    assert settings.org_id == 1
    assert settings.request_timeout == 30
    assert settings.max_retries == 5
    assert settings.operation_timeout == 300
    assert settings.verify is True
    assert settings.api_url == "https://stack-pce:9443/api/v2"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("pce.example.com", "https://pce.example.com:8443"),
        ("pce.example.com:443", "https://pce.example.com:443"),
        ("https://scp1.illum.io", "https://scp1.illum.io"),
        ("http://127.0.0.1:5000/", "http://127.0.0.1:5000"),
        ("https://pce:8443/api/v2", "https://pce:8443"),
    ],
)
def test_pce_host_forms(given: str, expected: str) -> None:
    assert normalise_pce_host(given) == expected


def test_types_from_text_and_insecure_flag() -> None:
    settings = Settings.load(
        stack(
            {
                "illumio:pceHost": "pce",
                "illumio:apiKeyUsername": "api_1",
                "illumio:apiKeySecret": SECRET,
                "illumio:orgId": "7",
                "illumio:insecure": "true",
                "illumio:requestTimeout": "2.5",
                "illumio:maxRetries": "0",
            }
        ),
        {},
    )
    assert (settings.org_id, settings.insecure, settings.request_timeout) == (7, True, 2.5)
    assert settings.max_retries == 0
    assert settings.verify is False


def test_every_problem_is_listed_once_with_where_to_set_it() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings.load(stack({"illumio:orgId": "zero", "illumio:apiKeySecret": SECRET}), {})
    message = str(caught.value)
    for key, env_var in [
        ("pceHost", "ILLUMIO_PCE_HOST"),
        ("apiKeyUsername", "ILLUMIO_API_KEY_USERNAME"),
        ("orgId", "ILLUMIO_PCE_ORG_ID"),
    ]:
        assert f"illumio:{key}" in message
        assert env_var in message
    assert "apiKeySecret" not in message  # it was fine
    assert SECRET not in message


def test_ca_file_must_exist(tmp_path) -> None:
    with pytest.raises(ConfigurationError, match=r"caFile: .*no such file"):
        Settings.load(
            stack(
                {
                    "illumio:pceHost": "pce",
                    "illumio:apiKeyUsername": "api_1",
                    "illumio:apiKeySecret": SECRET,
                    "illumio:caFile": str(tmp_path / "missing.pem"),
                }
            ),
            {},
        )


def test_secret_never_shown() -> None:
    settings = Settings.load(
        stack({"illumio:pceHost": "pce", "illumio:apiKeyUsername": "u"}),
        {"ILLUMIO_API_KEY_SECRET": SECRET},
    )
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)
    assert SECRET not in str(settings.model_dump())
    assert settings.api_key_secret.get_secret_value() == SECRET


def base(**values: str) -> dict[str, str]:
    return {
        "illumio:pceHost": "pce.example.com",
        "illumio:apiKeyUsername": "api_1",
        "illumio:apiKeySecret": SECRET,
        **{f"illumio:{key}": value for key, value in values.items()},
    }


def test_credentials_in_the_pce_host_are_refused_without_echo() -> None:
    with pytest.raises(ConfigurationError, match="must not carry credentials") as caught:
        Settings.load(stack(base(pceHost=f"https://api_x:{SECRET}@pce.example.com/api/v2")), {})
    assert SECRET not in str(caught.value)
    assert "api_x" not in str(caught.value)


def test_a_secret_pasted_into_ca_file_is_not_echoed() -> None:
    with pytest.raises(ConfigurationError, match="caFile: no such file") as caught:
        Settings.load(stack(base(caFile=SECRET)), {})
    assert SECRET not in str(caught.value)


def test_a_settings_error_raised_directly_shows_no_input() -> None:
    with pytest.raises(ValueError) as caught:
        Settings(pce_host="pce", api_key_username="u", api_key_secret=SECRET, ca_file=SECRET)
    assert SECRET not in str(caught.value)


def test_a_secret_basic_auth_cannot_send_is_refused_at_configure() -> None:
    odd = "sécret-€-7f3a"
    with pytest.raises(ConfigurationError, match="apiKeySecret: must be Latin-1 text") as caught:
        Settings.load(stack(base(apiKeySecret=odd)), {})
    assert odd not in str(caught.value)


def test_plain_http_to_another_host_needs_an_explicit_opt_in() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings.load(stack(base(pceHost="http://pce.example.com:8080")), {})
    message = str(caught.value)
    assert "illumio:allowInsecureHttp" in message and "ILLUMIO_ALLOW_INSECURE_HTTP" in message
    assert "in clear" in message
    opted = Settings.load(
        stack(base(pceHost="http://pce.example.com:8080")), {"ILLUMIO_ALLOW_INSECURE_HTTP": "true"}
    )
    assert opted.allow_insecure_http is True


@pytest.mark.parametrize(
    "host", ["http://127.0.0.1:5000", "http://127.9.9.9", "http://[::1]:5000", "http://localhost"]
)
def test_plain_http_to_this_machine_needs_no_opt_in(host: str) -> None:
    assert Settings.load(stack(base(pceHost=host)), {}).is_loopback


def test_plain_http_warns_when_used(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings.load(stack(base(pceHost="http://10.1.2.3:8080", allowInsecureHttp="1")), {})
    caplog.set_level("WARNING", logger="pairing_provider")
    PCEClient(settings).close()
    assert "plain http to http://10.1.2.3:8080" in caplog.text
    assert "allowInsecureHttp" in caplog.text
