"""The pairing profile, declared once (``PairingProfileArgs``, ``PairingProfileState``,
``PROFILE``), and ``normalise_live``: a PCE GET body in the inputs' shape, so that comparing
the two is exact (no phantom changes from the PCE's quirks; a field the PCE did not report is
not a change: docs/pce-api.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
)
from pydantic_core import PydanticCustomError

from pairing_provider.declaration import Declaration, Facts
from pairing_provider.models.fields import (
    UNLIMITED,
    EnforcementMode,
    KeyLimit,
    LabelRefs,
    NonEmptyText,
    OptionalText,
    Text,
    VenType,
    VisibilityLevel,
    empty_is_none,
    key_limit,
    none_is_empty,
    release,
    sorted_unique,
)


class PairingProfileArgs(BaseModel):
    """The inputs of a ``PairingProfile``: every writable field, Terraform's defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[NonEmptyText, Facts("unique name of the profile in the org")]
    enabled: Annotated[StrictBool, Facts("whether the profile can pair workloads")]
    description: Annotated[Text, BeforeValidator(none_is_empty), Facts("free text")] = ""
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
        BeforeValidator(release),
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
    values["description"] = none_is_empty(values["description"])
    values["agent_software_release"] = release(values["agent_software_release"])
    for name in ("external_data_set", "external_data_reference"):
        values[name] = empty_is_none(values[name])
    for name in ("allowed_uses_per_key", "key_lifespan"):
        try:
            values[name] = key_limit(values[name])
        except PydanticCustomError:
            pass  # leave an odd value as it is: it shows as a difference, not a crash
    labels = values["labels"] or []
    if isinstance(labels, list) and all(
        isinstance(item, Mapping) and isinstance(item.get("href"), str) for item in labels
    ):
        values["labels"] = sorted_unique([{"href": item["href"]} for item in labels])
    return values


def read_only_values(body: Mapping[str, Any]) -> dict[str, Any]:
    return {name: body.get(name) for name in PROFILE.read_only}


def changed_fields(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """Managed fields whose new value differs from the old one (unknown counts as changed).

    Both sides go through the same normalisation: gRPC turns 5 into 5.0, the PCE reads "5".
    """
    return PROFILE.changed(olds, news, normalise=normalise_live)
