"""The resources, each declared once: its inputs, its outputs, and the facts of each field.

``PairingProfileArgs`` is what a program manages: every writable field, with the names and
defaults of the Terraform ``illumio-core_pairing_profile`` resource. ``PairingProfileState``
adds what the PCE reports. ``PairingKeyArgs`` / ``PairingKeyState`` do the same for a key, and
``LabelArgs`` / ``LabelState`` for a label (``illumio-core_label``).
Check, diff, the secret-output list, the outputs and the README tables all derive from these
(see ``declaration.py``); adding a field means adding it here, and nowhere else in the
provider.

``normalise_live`` turns a PCE GET body into the inputs' shape, so that comparing the two is
exact: no phantom changes from the PCE's quirks (``"5"`` for 5, ``"Default (21.5.20-8451)"``
for the default release, null for ""), and a field the PCE did not report is not a change
(see docs/pce-api.md: no real PCE response carries ``ven_type``).

Pulumi-free: the migration tool and the look-ups import this without the Pulumi SDK.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationInfo,
)
from pydantic_core import PydanticCustomError

from pairing_provider.declaration import Declaration, Facts
from pairing_provider.hrefs import (
    LABEL_EXAMPLE,
    LABEL_HREF,
    PROFILE_EXAMPLE,
    PROFILE_HREF,
    href_problem,
)

MAX_KEY_LIMIT = 2_147_483_647
UNLIMITED: Literal["unlimited"] = "unlimited"
DEFAULT_RELEASE = re.compile(r"Default \(.*\)", re.DOTALL)
MAX_TRIGGERS_BYTES = 64 * 1024
MAX_TOKEN_COUNT = 5  # Terraform's token_count allows 1 to 5
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
DURATION_PART = re.compile(r"(\d+)([smhdw])")
DURATION = re.compile(r"(?:\d+[smhdw])+")
SCRIPT_API_VERSION = re.compile(r"v[1-9][0-9]?")
# The api/vNN segment Illumio's own docs and Ansible role use in pairing scripts (older PCEs
# serve it; that an older PCE serves a newer segment is shown nowhere): docs/pce-api.md.
DEFAULT_SCRIPT_API = "v18"
LABEL_SHAPE = (
    'must be an href "/orgs/N/labels/N", {"href": "/orgs/N/labels/N"} '
    'or {"key": "...", "value": "..."}'
)

EnforcementMode = Literal["idle", "visibility_only", "selective", "full"]
VisibilityLevel = Literal[
    "flow_full_detail", "flow_summary", "flow_drops", "flow_off", "enhanced_data_collection"
]
VenType = Literal["server", "endpoint", "specified_during_activation"]


# -- value types: how one input is validated and normalised ------------------------------------


def _key_limit(value: Any) -> int | str:
    """``"unlimited"`` or a whole number 1..2147483647; gRPC floats and Terraform's numeric
    strings are accepted and become integers."""
    number: Any = value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    if value == UNLIMITED or (
        type(number) is int and 1 <= number <= MAX_KEY_LIMIT  # bool is not a number here
    ):
        return number  # type: ignore[no-any-return]
    raise PydanticCustomError(
        "key_limit", f'must be "{UNLIMITED}" or a whole number from 1 to {MAX_KEY_LIMIT}'
    )


def _org_of(info: ValidationInfo) -> int | None:
    context = info.context if isinstance(info.context, Mapping) else {}
    org = context.get("org_id")
    return org if isinstance(org, int) else None


def _label_ref(item: Any, info: ValidationInfo) -> dict[str, str]:
    """One label: an href or ``{"href": ...}`` (``{"key", "value"}`` is resolved before)."""
    is_object = isinstance(item, Mapping) and set(item) == {"href"}
    href = item.get("href") if is_object else item
    problem = href_problem(LABEL_HREF, href, LABEL_EXAMPLE, _org_of(info), shape=LABEL_SHAPE)
    if problem is None:
        return {"href": href}
    if isinstance(item, Mapping) and set(item) == {"key", "value"}:
        problem = "a {key, value} label needs a string key and a string value"
    if is_object and isinstance(href, str) and len(href) <= 80:
        problem = f'{{"href": "{href}"}} {problem}'  # the item is an object: name its href
    raise PydanticCustomError("label", problem)


def _sorted_unique(labels: list[dict[str, str]]) -> list[dict[str, str]]:
    """The PCE wants unique items; order is not meaningful, so sort for a stable diff."""
    hrefs = {label["href"] for label in labels}
    return [{"href": href} for href in sorted(hrefs, key=_href_sort_key)]


def _href_sort_key(href: str) -> tuple[str, int]:
    prefix, _, number = href.rpartition("/")
    return (prefix, int(number))


def _release(value: Any) -> Any:
    """The PCE reads the default release back as ``Default (x.y.z)``: that means null."""
    if isinstance(value, str) and DEFAULT_RELEASE.fullmatch(value):
        return None
    return value


def _empty_is_none(value: Any) -> Any:
    return None if value == "" else value


def _none_is_empty(value: Any) -> Any:
    return "" if value is None else value


def _clean_text(value: str) -> str:
    """Text a PCE can store: no NUL, no lone UTF-16 surrogate (not even encodable as UTF-8)."""
    if "\x00" in value or any(0xD800 <= ord(char) <= 0xDFFF for char in value):
        raise PydanticCustomError("text", "must be valid Unicode text without NUL characters")
    return value


def _profile_href(value: Any, info: ValidationInfo) -> str:
    problem = href_problem(PROFILE_HREF, value, PROFILE_EXAMPLE, _org_of(info))
    if problem is not None:
        raise PydanticCustomError("href", problem)
    return value  # type: ignore[no-any-return]


def canonical_json(value: Any) -> str:
    """Triggers compared by value: key order and 1 vs 1.0 (gRPC floats) do not count."""
    return json.dumps(
        _integral_floats_as_ints(value), sort_keys=True, separators=(",", ":"), allow_nan=False
    )


def _integral_floats_as_ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _integral_floats_as_ints(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_integral_floats_as_ints(item) for item in value]
    return value


def _triggers(value: Any) -> Any:
    try:
        text = canonical_json(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise PydanticCustomError(
            "triggers", f"must be JSON-serialisable ({type(exc).__name__})"
        ) from None
    if len(text.encode()) > MAX_TRIGGERS_BYTES:
        raise PydanticCustomError(
            "triggers", f"must serialise to at most {MAX_TRIGGERS_BYTES} bytes of JSON"
        )
    return value


def _token_count(value: Any) -> int:
    """1..5 codes, as Terraform's ``token_count``; gRPC sends 3 as 3.0."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if type(value) is int and 1 <= value <= MAX_TOKEN_COUNT:
        return value
    raise PydanticCustomError("token_count", f"must be a whole number from 1 to {MAX_TOKEN_COUNT}")


def _duration(value: Any) -> int:
    """Seconds (a whole number) or a duration such as ``"12h"``, ``"7d"``, ``"1h30m"``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if type(value) is int and 0 <= value <= MAX_KEY_LIMIT:
        return value
    if isinstance(value, str) and DURATION.fullmatch(value.strip()) and value.strip():
        seconds = sum(
            int(number) * DURATION_UNITS[unit]
            for number, unit in DURATION_PART.findall(value.strip())
        )
        if seconds <= MAX_KEY_LIMIT:
            return seconds
    raise PydanticCustomError(
        "duration",
        f'must be seconds (0 to {MAX_KEY_LIMIT}) or a duration such as "12h", "7d" or "1h30m"',
    )


def _script_api(value: Any) -> str:
    if isinstance(value, str) and SCRIPT_API_VERSION.fullmatch(value):
        return value
    raise PydanticCustomError("script_api", 'must be "v" and a release number, such as "v18"')


KeyLimit = Annotated[int | Literal["unlimited"], BeforeValidator(_key_limit)]
LabelRef = Annotated[dict[str, str], BeforeValidator(_label_ref)]
LabelRefs = Annotated[list[LabelRef], AfterValidator(_sorted_unique)]
# No length limit: the PCE's POST and PUT schemas set no maxLength on these strings.
Text = Annotated[StrictStr, AfterValidator(_clean_text)]
NonEmptyText = Annotated[StrictStr, Field(min_length=1), AfterValidator(_clean_text)]
OptionalText = Annotated[NonEmptyText | None, BeforeValidator(_empty_is_none)]
ProfileHref = Annotated[StrictStr, AfterValidator(_profile_href)]


# -- the pairing profile --------------------------------------------------------------------------


class PairingProfileArgs(BaseModel):
    """The inputs of a ``PairingProfile``: every writable field, Terraform's defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[NonEmptyText, Facts("unique name of the profile in the org")]
    enabled: Annotated[StrictBool, Facts("whether the profile can pair workloads")]
    description: Annotated[Text, BeforeValidator(_none_is_empty), Facts("free text")] = ""
    enforcement_mode: Annotated[EnforcementMode, Facts("policy state of paired workloads")] = (
        "visibility_only"
    )
    enforcement_mode_lock: Annotated[
        StrictBool, Facts("whether the enforcement mode is locked")
    ] = True
    visibility_level: Annotated[VisibilityLevel, Facts("what traffic paired workloads report")] = (
        "flow_summary"
    )
    visibility_level_lock: Annotated[
        StrictBool, Facts("whether the visibility level is locked")
    ] = True
    allowed_uses_per_key: Annotated[KeyLimit, Facts('pairings one key allows, or "unlimited"')] = (
        UNLIMITED
    )
    key_lifespan: Annotated[
        KeyLimit, Facts('seconds a key stays valid after it is made, or "unlimited"')
    ] = UNLIMITED
    labels: Annotated[
        LabelRefs,
        Facts('labels of paired workloads: hrefs, {"href": ...} or {"key": ..., "value": ...}'),
    ] = Field(default_factory=list)
    env_label_lock: Annotated[StrictBool, Facts("whether the env label is locked")] = True
    loc_label_lock: Annotated[StrictBool, Facts("whether the loc label is locked")] = True
    role_label_lock: Annotated[StrictBool, Facts("whether the role label is locked")] = True
    app_label_lock: Annotated[StrictBool, Facts("whether the app label is locked")] = True
    # The API docs mark log_traffic(_lock) "deprecated and removed" and the schemas mark ven_type
    # experimental (docs/pce-api.md): each is sent only when the program sets it.
    log_traffic: Annotated[
        StrictBool | None,
        Facts(
            "whether paired workloads log traffic (deprecated by Illumio); unset: not sent, "
            "the output is the PCE's value",
            only_when_set=True,
        ),
    ] = None
    log_traffic_lock: Annotated[
        StrictBool | None,
        Facts(
            "whether log_traffic is locked (deprecated by Illumio); unset: not sent, the "
            "output is the PCE's value",
            only_when_set=True,
        ),
    ] = None
    ven_type: Annotated[
        VenType | None,
        Facts(
            "kind of VEN paired (experimental in the PCE's schema); the PCE takes it only at "
            "creation, so a change replaces the profile; unset: not sent (the PCE's default)",
            create_only=True,
            only_when_set=True,
        ),
    ] = None
    agent_software_release: Annotated[
        NonEmptyText | None,
        BeforeValidator(_release),
        Facts("VEN release to install; none = the PCE's default release"),
    ] = None
    external_data_set: Annotated[OptionalText, Facts("external system's data set name")] = None
    external_data_reference: Annotated[OptionalText, Facts("external system's reference")] = None
    adopt_existing: Annotated[
        StrictBool,
        Facts(
            "manage an existing profile of the same name instead of failing (never "
            "taken without it)",
            sent=False,
            compared=False,
        ),
    ] = False

    def api_body(self, fields: set[str] | None = None) -> dict[str, Any]:
        """A request body of fields the PCE takes (never read-only ones: it answers 406).

        ``fields`` limits it to those fields (a partial PUT: never a create-only field);
        a full body (POST) leaves out the nulls, so the PCE applies its own defaults there.
        """
        data = self.model_dump(include=set(PROFILE.sent))
        if fields is None:
            return {name: value for name, value in data.items() if value is not None}
        creating_only = {name for name in fields if PROFILE.facts(name).create_only}
        if creating_only:
            raise ValueError(f"{', '.join(sorted(creating_only))} cannot be changed in place")
        return {name: data[name] for name in sorted(fields)}


class PairingProfileState(PairingProfileArgs):
    """A whole pairing profile: the inputs plus what the PCE reports (read-only)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    href: Annotated[str, Facts("the profile's href, also the resource id")]
    created_at: Annotated[str | None, Facts("when the PCE created it")] = None
    updated_at: Annotated[str | None, Facts("when it last changed")] = None
    created_by: Annotated[dict[str, Any] | None, Facts("who created it")] = None
    updated_by: Annotated[dict[str, Any] | None, Facts("who last changed it")] = None
    total_use_count: Annotated[int | None, Facts("pairings made with it")] = None
    is_default: Annotated[bool | None, Facts("one of the PCE's default profiles")] = None
    last_pairing_at: Annotated[str | None, Facts("when it last paired a workload")] = None
    last_pairing_key_generated_at: Annotated[str | None, Facts("when a key was last made")] = None
    last_pairing_key_generated_by: Annotated[
        dict[str, Any] | None, Facts("who last made a key")
    ] = None
    caps: Annotated[list[str] | None, Facts("what the API key may do with it")] = None
    status: Annotated[str | None, Facts("the PCE's status of it")] = None
    status_lock: Annotated[bool | None, Facts("whether the status is locked")] = None


PROFILE: Declaration[PairingProfileArgs, PairingProfileState] = Declaration(
    "pulumi-python:dynamic/illumio:PairingProfile", PairingProfileArgs, PairingProfileState
)


class PairingProfileData(PairingProfileState):
    """A profile as a look-up returns it: every field, the inputs' defaults where the PCE
    leaves one out (and ``name`` may be empty on an odd PCE)."""

    name: Annotated[StrictStr, Facts("name")] = ""
    enabled: Annotated[StrictBool, Facts("enabled")] = True

    @classmethod
    def from_api(cls, body: Mapping[str, Any]) -> PairingProfileData:
        values = {k: v for k, v in normalise_live(body).items() if v is not None}
        return cls.model_validate({**values, **read_only_values(body)})


def normalise_live(
    body: Mapping[str, Any], previous: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The inputs of a PCE GET body (or old outputs), normalised as check normalises inputs.

    A field the body does not carry keeps its value in ``previous`` (the PCE did not report
    it, which is no change); without ``previous`` it is None.
    """
    previous = previous or {}
    values = {name: body[name] if name in body else previous.get(name) for name in PROFILE.sent}
    values["description"] = _none_is_empty(values["description"])
    values["agent_software_release"] = _release(values["agent_software_release"])
    for name in ("external_data_set", "external_data_reference"):
        values[name] = _empty_is_none(values[name])
    for name in ("allowed_uses_per_key", "key_lifespan"):
        try:
            values[name] = _key_limit(values[name])
        except PydanticCustomError:
            pass  # leave an odd value as it is: it shows as a difference, not a crash
    labels = values["labels"] or []
    if isinstance(labels, list) and all(
        isinstance(item, Mapping) and isinstance(item.get("href"), str) for item in labels
    ):
        values["labels"] = _sorted_unique([{"href": item["href"]} for item in labels])
    return values


def read_only_values(body: Mapping[str, Any]) -> dict[str, Any]:
    return {name: body.get(name) for name in PROFILE.read_only}


def changed_fields(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """Managed fields whose new value differs from the old one (unknown counts as changed).

    Both sides go through the same normalisation: gRPC turns 5 into 5.0, the PCE reads "5".
    """
    return PROFILE.changed(olds, news, normalise=normalise_live)


# -- the pairing key ------------------------------------------------------------------------------


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
        AfterValidator(_triggers),
        Facts("any JSON value; a change makes a new key (rotation)", replace_on_change=True),
    ] = None
    regenerate_when_expired: Annotated[
        StrictBool,
        Facts("make a new key at the next up once this one has expired"),
    ] = True
    renew_before: Annotated[
        int | None,
        BeforeValidator(_duration, json_schema_input_type=int | str),
        Facts(
            'seconds, or a duration ("12h", "7d"), before expires_at from which the next up '
            "replaces the key (with regenerate_when_expired); none: at expiry"
        ),
    ] = None
    token_count: Annotated[
        int,
        BeforeValidator(_token_count),
        Facts(
            "activation codes to make (1 to 5, Terraform's token_count); raising it makes the "
            "extra codes in place, lowering it drops the last ones"
        ),
    ] = 1
    script_api_version: Annotated[
        str,
        BeforeValidator(_script_api),
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


# -- the label ------------------------------------------------------------------------------------


class LabelArgs(BaseModel):
    """The inputs of a ``Label``: the fields of Terraform's ``illumio-core_label``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Not limited to role/app/env/loc: PCEs with label types (label dimensions) take others,
    # and a PCE refuses a key it does not know (406 label_key_not_supported): docs/pce-api.md.
    key: Annotated[
        NonEmptyText,
        Facts(
            'the label type: "role", "app", "env", "loc" or another label type of the PCE; '
            "the PCE takes it only at creation, so a change replaces the label",
            create_only=True,
        ),
    ]
    value: Annotated[NonEmptyText, Facts("the label's name; unique with the key in the org")]
    external_data_set: Annotated[OptionalText, Facts("external system's data set name")] = None
    external_data_reference: Annotated[OptionalText, Facts("external system's reference")] = None
    adopt_existing: Annotated[
        StrictBool,
        Facts(
            "manage an existing label of the same key and value instead of failing (never "
            "taken without it)",
            sent=False,
            compared=False,
        ),
    ] = False

    def api_body(self, fields: set[str] | None = None) -> dict[str, Any]:
        """A POST body (every field given), or a PUT body of ``fields`` (never the key)."""
        data = self.model_dump(include=set(LABEL.sent))
        if fields is None:
            return {name: value for name, value in data.items() if value is not None}
        return {name: data[name] for name in sorted(fields - LABEL.replacing)}


class LabelState(LabelArgs):
    """A label: the inputs plus what the PCE reports (read-only)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    href: Annotated[str, Facts("the label's href, also the resource id")]
    created_at: Annotated[str | None, Facts("when the PCE created it")] = None
    updated_at: Annotated[str | None, Facts("when it last changed")] = None
    created_by: Annotated[dict[str, Any] | None, Facts("who created it")] = None
    updated_by: Annotated[dict[str, Any] | None, Facts("who last changed it")] = None


LABEL: Declaration[LabelArgs, LabelState] = Declaration(
    "pulumi-python:dynamic/illumio:Label", LabelArgs, LabelState
)


def normalise_label(body: Mapping[str, Any]) -> dict[str, Any]:
    """A label's GET body (or old outputs) in the inputs' shape: "" and null are one."""
    values = {name: body.get(name) for name in LABEL.sent}
    for name in ("external_data_set", "external_data_reference"):
        values[name] = _empty_is_none(values[name])
    return values


def label_read_only(body: Mapping[str, Any]) -> dict[str, Any]:
    return {name: body.get(name) for name in LABEL.read_only}
