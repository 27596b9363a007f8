"""The Label resource: an Illumio label (key and value) owned by a stack.

Request budget: check 0, diff 0, create 1 (POST; one listing more when the key and value are
taken), read 1 (GET), update 0 (only ``adopt_existing`` changed) or 2 (PUT + GET for the
server-side timestamps), delete 1. The resource id is the label's href. The key is create-only
(a change replaces the label); value and external data change in place. The fields are
declared once, in ``models.LabelArgs`` / ``LabelState``.

A profile refers to a ``Label`` by its href (``labels=[env.href]``): that preview shows the
href as unknown until the label exists, where a ``{"key", "value"}`` pair of a label not yet
made would fail the preview's look-up.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult
from pulumi.dynamic import Resource as DynamicResource

from pairing_provider.declaration import ADOPT_EXISTING, without_provider
from pairing_provider.errors import (
    LabelError,
    NotAcceptableError,
    NotFoundError,
    restate,
)
from pairing_provider.hrefs import LABEL_EXAMPLE, LABEL_HREF
from pairing_provider.labels import describe_pair, exact_labels
from pairing_provider.models import LABEL, LabelArgs, label_read_only, normalise_label
from pairing_provider.provider_base import IllumioResourceProvider, pce_operation


def label_args(props: dict[str, Any]) -> LabelArgs:
    return LABEL.validated(props)


def label_outputs(args: LabelArgs, body: dict[str, Any]) -> dict[str, Any]:
    return {**args.model_dump(), **label_read_only(body)}


def changed_label_fields(olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
    return LABEL.changed(olds, news, normalise=normalise_label)


class LabelProvider(IllumioResourceProvider):
    """CRUD for ``pulumi-python:dynamic/illumio:Label`` over the PCE REST API v2."""

    declaration = LABEL

    def label_href(self, href: Any) -> str:
        """A label href of the configured org, checked before any request is built from it."""
        return self.checked_href(href, LABEL_HREF, LABEL_EXAMPLE, "label")

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = changed_label_fields(olds, news)
        # A new key makes a new label (key and value are unique together, so the new one can
        # be made before the old one is deleted).
        replaces = [name for name in changed if name in LABEL.replacing]
        return DiffResult(changes=bool(changed), replaces=replaces, stables=[])

    @pce_operation
    def create(self, props: dict[str, Any]) -> CreateResult:
        args = label_args(props)
        try:
            made = self.client.create_label(args.api_body())
        except NotAcceptableError as exc:
            existing = self._exact(args.key, args.value)
            if existing is None:
                raise  # refused for another reason: the PCE's word stands
            if not args.adopt_existing:
                taken = (
                    f"a label {describe_pair(args.model_dump())} already exists at "
                    f"{existing['href']}; it is not taken. Set adopt_existing=True only if no "
                    "other stack manages that label"
                )
                raise restate(exc, LabelError, taken) from None
            made = self._apply(existing["href"], args, existing)
        return CreateResult(made["href"], label_outputs(args, made))

    def _exact(self, key: str, value: str) -> dict[str, Any] | None:
        return next(iter(exact_labels(self.client, key, value)), None)

    def _apply(self, href: str, args: LabelArgs, current: dict[str, Any]) -> dict[str, Any]:
        """PUT only the fields that differ from ``current``; the label as it now is."""
        differing = set(changed_label_fields(current, args.model_dump())) - LABEL.replacing
        if not differing:
            return current
        return self.client.update_label(href, args.api_body(differing))

    @pce_operation
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        href = self.label_href(id_)
        try:
            body = self.client.get_label(href)
        except NotFoundError:
            body = {"deleted": True}
        if body.get("deleted") is True:
            return ReadResult("", {})  # gone (a PCE keeps a deleted label, marked deleted)
        live = {**normalise_label(body), ADOPT_EXISTING: bool(props.get(ADOPT_EXISTING, False))}
        inputs = {name: value for name, value in live.items() if value is not None}
        return ReadResult(href, {**live, **label_read_only(body)}, inputs)

    @pce_operation
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        args = label_args(news)
        body = self._apply(self.label_href(id_), args, without_provider(olds))
        return UpdateResult(label_outputs(args, body))

    @pce_operation
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            self.client.delete_label(self.label_href(id_))
        except NotFoundError:
            pass  # already gone: that is what delete wanted


class Label(DynamicResource, module="illumio", name="Label"):
    """An Illumio label. Attribute names follow the Terraform ``illumio-core_label``
    resource; the resource id is the label's href."""

    key: pulumi.Output[str]
    value: pulumi.Output[str]
    external_data_set: pulumi.Output[str | None]
    external_data_reference: pulumi.Output[str | None]
    adopt_existing: pulumi.Output[bool]
    href: pulumi.Output[str]
    created_at: pulumi.Output[str | None]
    updated_at: pulumi.Output[str | None]
    created_by: pulumi.Output[dict[str, Any] | None]
    updated_by: pulumi.Output[dict[str, Any] | None]

    def __init__(
        self,
        resource_name: str,
        *,
        key: pulumi.Input[str],
        value: pulumi.Input[str],
        external_data_set: pulumi.Input[str] | None = None,
        external_data_reference: pulumi.Input[str] | None = None,
        adopt_existing: pulumi.Input[bool] = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs = {name: value for name, value in locals().items() if name in LABEL.inputs}
        super().__init__(LabelProvider(), resource_name, LABEL.registered(inputs), opts)
