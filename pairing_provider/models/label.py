"""The label, declared once (``LabelArgs``, ``LabelState``, ``LABEL``), and the shape of a
PCE label body as the label's inputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    StrictBool,
)

from pairing_provider.declaration import Declaration, Facts
from pairing_provider.models.fields import (
    NonEmptyText,
    OptionalText,
    empty_is_none,
)


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
        values[name] = empty_is_none(values[name])
    return values


def label_read_only(body: Mapping[str, Any]) -> dict[str, Any]:
    return {name: body.get(name) for name in LABEL.read_only}
