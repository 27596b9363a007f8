"""The native provider's package schema: valid under Pulumi's metaschema, derived from the
declaration (every declared field, its secrecy, defaults, enums), and served by GetSchema."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pairing_provider.config import SOURCES
from pairing_provider.models import KEY, LABEL, PROFILE
from pairing_provider.native.names import KEY_TOKEN, LABEL_TOKEN, PROFILE_TOKEN, camel
from pairing_provider.native.schema import package_schema

METASCHEMA = Path(__file__).parent / "vendor" / "pulumi-package-metaschema.json"


def metaschema() -> dict[str, Any]:
    """The vendored metaschema; its ECMA named groups ``(?<name>`` become ``(?P<name>``."""
    text = METASCHEMA.read_text()
    return json.loads(re.sub(r"\(\?<(?=[A-Za-z])", "(?P<", text))


def validator() -> jsonschema.protocols.Validator:
    schema = metaschema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def test_the_schema_is_valid_under_pulumis_metaschema() -> None:
    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in validator().iter_errors(package_schema())
    ]
    assert errors == []


def test_the_metaschema_check_catches_a_bad_schema() -> None:
    bad = json.loads(json.dumps(package_schema()))
    bad["version"] = "not-semver"
    bad["resources"][PROFILE_TOKEN]["properties"]["name"]["type"] = "text"
    assert len(list(validator().iter_errors(bad))) >= 2


def test_every_declared_field_is_in_the_schema_in_camel_case() -> None:
    resources = package_schema()["resources"]
    for token, declaration in ((PROFILE_TOKEN, PROFILE), (KEY_TOKEN, KEY), (LABEL_TOKEN, LABEL)):
        spec = resources[token]
        assert set(spec["properties"]) == {camel(name) for name in declaration.outputs}
        assert set(spec["inputProperties"]) == {camel(name) for name in declaration.inputs}
        assert spec["requiredInputs"] == [camel(name) for name in declaration.required]
        for name in declaration.outputs:
            assert spec["properties"][camel(name)]["description"]


def test_secrets_defaults_enums_and_replacements() -> None:
    schema = package_schema()
    key = schema["resources"][KEY_TOKEN]["properties"]
    secret = sorted(name for name, spec in key.items() if spec.get("secret"))
    assert secret == [
        "activationCode",
        "activationCodes",
        "cloudInit",
        "linuxPairingScript",
        "windowsPairingScript",
        "windowsUserData",
    ]
    profile = schema["resources"][PROFILE_TOKEN]["inputProperties"]
    assert profile["enforcementMode"]["default"] == "visibility_only"
    assert profile["keyLifespan"]["default"] == "unlimited"
    assert profile["venType"]["replaceOnChanges"] is True
    assert "replaceOnChanges" not in profile["description"]
    ven_types = schema["types"]["illumio:index:VenType"]["enum"]
    assert [item["value"] for item in ven_types] == [
        "server",
        "endpoint",
        "specified_during_activation",
    ]
    variables = schema["config"]["variables"]
    # The API secret, and the proxy URL, which may carry user:password: secret in every SDK.
    assert {name for name, spec in variables.items() if spec.get("secret")} == {
        "apiKeySecret",
        "httpsProxy",
    }


def test_config_variables_are_the_settings_keys() -> None:
    variables = package_schema()["config"]["variables"]
    assert list(variables) == [source.config_key for source in SOURCES]
    assert variables["orgId"] == {
        "type": "integer",
        "default": 1,
        "description": "org number (environment variable ILLUMIO_PCE_ORG_ID)",
        "defaultInfo": {"environment": ["ILLUMIO_PCE_ORG_ID"]},
    }


def test_the_label_s_key_replaces_and_its_value_does_not() -> None:
    label = package_schema()["resources"][LABEL_TOKEN]
    assert label["requiredInputs"] == ["key", "value"]
    replacing = sorted(
        n for n, spec in label["inputProperties"].items() if "replaceOnChanges" in spec
    )
    assert replacing == ["key"]
    assert label["inputProperties"]["adoptExisting"]["default"] is False
    assert f"pulumi import {LABEL_TOKEN} " in label["description"]


def test_no_token_names_two_things() -> None:
    """Tokens compared as the schema binder does, ignoring case: a resource and a type of
    one token give generated SDKs two classes of one name (docs/pulumi-engine.md). The
    findLabels items are ``FindLabelsLabel``; ``Label`` is the resource."""
    schema = package_schema()
    tokens = [
        token.lower() for part in ("resources", "types", "functions") for token in schema[part]
    ]
    assert len(tokens) == len(set(tokens))
    found = schema["functions"]["illumio:index:findLabels"]["outputs"]["properties"]["labels"]
    assert found["items"] == {"$ref": "#/types/illumio:index:FindLabelsLabel"}
    assert schema["types"]["illumio:index:FindLabelsLabel"]["required"] == ["href", "key", "value"]


@pytest.mark.parametrize("token", ["getPairingProfile", "findPairingProfiles", "findLabels"])
def test_the_look_ups_are_functions(token: str) -> None:
    assert f"illumio:index:{token}" in package_schema()["functions"]


def test_the_keys_new_inputs_and_the_profiles_optional_ones() -> None:
    """token_count, renew_before (seconds or "12h"), script_api_version with their defaults;
    venType, logTraffic and logTrafficLock optional, with no default (unset: not sent)."""
    resources = package_schema()["resources"]
    key = resources[KEY_TOKEN]["inputProperties"]
    assert (key["tokenCount"]["type"], key["tokenCount"]["default"]) == ("integer", 1)
    assert key["renewBefore"]["oneOf"] == [{"type": "integer"}, {"type": "string"}]
    assert "default" not in key["renewBefore"]
    assert key["scriptApiVersion"]["default"] == "v18"
    assert resources[KEY_TOKEN]["properties"]["activationCodes"]["items"] == {"type": "string"}
    profile = resources[PROFILE_TOKEN]
    for name in ("venType", "logTraffic", "logTrafficLock"):
        assert "default" not in profile["inputProperties"][name]
        assert name not in profile["requiredInputs"] and name not in profile["required"]
