"""The pairing key, declared once (``PairingKeyArgs``, ``PairingKeyState``, ``KEY``)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
)

from pairing_provider.declaration import Declaration, Facts
from pairing_provider.models.fields import (
    DEFAULT_SCRIPT_API,
    KeyLimit,
    ProfileHref,
    duration,
    script_api,
    valid_token_count,
    valid_triggers,
)


class PairingKeyArgs(BaseModel):
    """The inputs of a ``PairingKey``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pairing_profile_href: Annotated[
        ProfileHref,
        Facts(
            "the profile the key is made from (set by pairing_profile=, or an href)",
            replace_on_change=True,
        ),
    ]
    profile_key_lifespan: Annotated[
        KeyLimit | None,
        Facts(
            "the profile's key_lifespan, set by pairing_profile= (saves a GET at create); "
            "expiry is computed from the lifespan in force when the key was made",
            compared=False,
        ),
    ] = None
    triggers: Annotated[
        Any,
        AfterValidator(valid_triggers),
        Facts("any JSON value; a change makes a new key (rotation)", replace_on_change=True),
    ] = None
    regenerate_when_expired: Annotated[
        StrictBool,
        Facts("make a new key at the next up once this one has expired"),
    ] = True
    renew_before: Annotated[
        int | None,
        BeforeValidator(duration, json_schema_input_type=int | str),
        Facts(
            'seconds, or a duration ("12h", "7d"), before expires_at from which the next up '
            "replaces the key (with regenerate_when_expired); none: at expiry"
        ),
    ] = None
    token_count: Annotated[
        int,
        BeforeValidator(valid_token_count),
        Facts(
            "activation codes to make (1 to 5, Terraform's token_count); raising it makes the "
            "extra codes in place, lowering it drops the last ones"
        ),
    ] = 1
    script_api_version: Annotated[
        str,
        BeforeValidator(script_api),
        Facts(
            "the api/vNN segment of the scripts' download URL; a change rewrites the scripts "
            "(same codes, no request)"
        ),
    ] = DEFAULT_SCRIPT_API


class PairingKeyState(PairingKeyArgs):
    """A key's inputs plus what creating it produced."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    activation_code: Annotated[
        str, Facts("the (first) activation code; the scripts carry it", secret=True)
    ]
    activation_codes: Annotated[
        list[str], Facts("every activation code, token_count of them", secret=True)
    ] = Field(default_factory=list)
    generated_at: Annotated[str, Facts("when the key was made (RFC 3339, UTC)")]
    expires_at: Annotated[
        str | None, Facts("when it expires (RFC 3339, UTC); none when it does not")
    ] = None
    pce_host: Annotated[str, Facts("host:port for a VEN's --management-server")]
    profile_id: Annotated[str, Facts("the profile's number")]
    linux_pairing_script: Annotated[str, Facts("the PCE's Linux pairing one-liner", secret=True)]
    windows_pairing_script: Annotated[
        str, Facts("the PCE's Windows (PowerShell) pairing one-liner", secret=True)
    ]
    cloud_init: Annotated[
        str, Facts("a #cloud-config user-data document that pairs at first boot", secret=True)
    ]
    windows_user_data: Annotated[
        str,
        Facts(
            "Windows user data that pairs at first boot: <powershell> for EC2 and cloudbase-init",
            secret=True,
        ),
    ] = ""


KEY: Declaration[PairingKeyArgs, PairingKeyState] = Declaration(
    "pulumi-python:dynamic/illumio:PairingKey", PairingKeyArgs, PairingKeyState
)
