"""The PairingProfile resource: an Illumio pairing profile managed as code.

Request budget: check 0, diff 0, create 1 (POST), read 1 (GET), update 2 (PUT + GET for the
server-side timestamps), delete 1. The resource id is the profile's href.
"""

from __future__ import annotations

import logging
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)
from pulumi.dynamic import Resource as DynamicResource
from pydantic import StrictBool, TypeAdapter, ValidationError

from pairing_provider.errors import (
    IllumioError,
    NotAcceptableError,
    NotFoundError,
    PairingProfileError,
)
from pairing_provider.labels import is_label_pair, resolve_label_pairs
from pairing_provider.models import (
    READ_ONLY_FIELDS,
    SPEC_FIELDS,
    PairingProfileSpec,
    describe_errors,
    normalise_live,
    read_only_values,
)
from pairing_provider.pce_clock import CreateAttempt
from pairing_provider.provider_base import (
    IllumioResourceProvider,
    contains_unknown,
    pce_operation,
    without_provider,
)

log = logging.getLogger("pairing_provider")

ADOPT_EXISTING = "adopt_existing"
NAME_TAKEN = "name_must_be_unique"
# Stand-ins for required inputs that are unknown during a preview, so the known ones can
# still be validated; they never leave check.
_PLACEHOLDERS: dict[str, Any] = {"name": "unknown-during-preview", "enabled": True}
_adopt_flag = TypeAdapter(StrictBool)


def validate_inputs(news: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Normalised inputs (defaults filled, unknowns passed through) and (property, reason)s."""
    inputs = without_provider(news)
    unknown = {key: value for key, value in inputs.items() if contains_unknown(value)}
    known = {key: value for key, value in inputs.items() if key not in unknown}
    failures: list[tuple[str, str]] = []
    adopt = known.pop(ADOPT_EXISTING, False)
    try:
        adopt = _adopt_flag.validate_python(adopt)
    except ValidationError:
        failures.append((ADOPT_EXISTING, f"{ADOPT_EXISTING}: must be true or false"))
    candidate = {**{k: v for k, v in _PLACEHOLDERS.items() if k in unknown}, **known}
    try:
        spec = PairingProfileSpec.model_validate(candidate)
    except ValidationError as exc:
        return news, failures + describe_errors(exc)
    if failures:
        return news, failures
    normalised = {**spec.model_dump(), **unknown}
    if ADOPT_EXISTING not in unknown:
        normalised[ADOPT_EXISTING] = adopt
    return normalised, []


def spec_of(props: dict[str, Any]) -> PairingProfileSpec:
    """The spec in a create/update request (no unknowns there: the engine resolved them)."""
    values = {key: props[key] for key in SPEC_FIELDS if props.get(key) is not None}
    return PairingProfileSpec.model_validate(values)


def changed_fields(olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
    """Managed fields whose new value differs from the old output (unknown counts as changed).

    Both sides go through the same normalisation: gRPC turns 5 into 5.0, the PCE reads "5".
    """
    before, after = normalise_live(olds), normalise_live(news)
    return [
        field
        for field in SPEC_FIELDS
        if contains_unknown(news.get(field)) or before[field] != after[field]
    ]


def outputs(spec: PairingProfileSpec, body: dict[str, Any], adopt: bool) -> dict[str, Any]:
    """Outputs echo every managed input (diff reads old outputs) plus the read-only fields."""
    return {**spec.model_dump(), **read_only_values(body), ADOPT_EXISTING: adopt}


class PairingProfileProvider(IllumioResourceProvider):
    """CRUD for ``pulumi-python:dynamic/illumio:PairingProfile`` over the PCE REST API v2."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        news, label_failures = self._resolve_label_pairs(news)
        inputs, failures = validate_inputs(news)
        failures = label_failures + failures
        return CheckResult(inputs, [CheckFailure(prop, reason) for prop, reason in failures])

    def _resolve_label_pairs(
        self, news: dict[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """``{"key", "value"}`` labels become hrefs, so the preview shows the real hrefs.

        Costs one cached label listing per process, and only when such a pair is used.
        """
        labels = news.get("labels")
        if not isinstance(labels, list) or contains_unknown(labels):
            return news, []
        if not any(is_label_pair(item) for item in labels):
            return news, []
        without_labels = {key: value for key, value in news.items() if key != "labels"}
        try:
            resolved, missing = resolve_label_pairs(labels, self.client.labels.find)
        except IllumioError as exc:
            return without_labels, [("labels", f"labels: cannot look up labels by key: {exc}")]
        if missing:
            org = self.client.settings.org_id
            reason = f"labels: no label {', '.join(missing)} in org {org}"
            return without_labels, [("labels", reason)]
        return {**news, "labels": resolved}, []

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = changed_fields(olds, news)
        # An explicit bool: otherwise the engine diffs every input itself, __provider included.
        return DiffResult(
            changes=bool(changed), replaces=[], stables=[], delete_before_replace=False
        )

    @pce_operation
    def create(self, props: dict[str, Any]) -> CreateResult:
        spec = spec_of(props)
        adopt = bool(props.get(ADOPT_EXISTING, False))
        try:
            body = self._post_once(spec)
        except NotAcceptableError as exc:
            if NAME_TAKEN not in exc.tokens:
                raise
            body = self._take_over_existing(spec, adopt, exc)
        return CreateResult(body["href"], outputs(spec, body, adopt))

    def _post_once(self, spec: PairingProfileSpec) -> dict[str, Any]:
        """POST the profile, never blindly twice: one resource is one profile, always.

        When the answer to a POST is lost (dropped connection, timeout, gateway error) the PCE
        may have created the profile. Look it up by exact name: the same settings mean it is
        ours, so take it; otherwise the POST did not land as ours, so send it again.
        """

        def find_created(attempt: CreateAttempt) -> dict[str, Any] | None:
            existing = self.find_by_exact_name(spec.name)
            if existing is not None and not changed_fields(existing, spec.model_dump()):
                return existing
            # Not there: send again. There with other settings: the next POST gets
            # name_must_be_unique, which create handles like any taken name.
            return None

        return self.client.create_pairing_profile(spec.api_body(), find_created=find_created)

    def _take_over_existing(
        self, spec: PairingProfileSpec, adopt: bool, refusal: NotAcceptableError
    ) -> dict[str, Any]:
        existing = self.find_by_exact_name(spec.name)
        if existing is None:
            raise refusal  # the name clash is not with a profile we can see: report the PCE's word
        if not adopt:
            raise PairingProfileError(
                status=refusal.status,
                method=refusal.method,
                path=refusal.path,
                request_id=refusal.request_id,
                errors=refusal.errors,
                detail=(
                    f"a pairing profile named {spec.name!r} already exists at "
                    f"{existing['href']}; set adopt_existing=True to manage it from this stack"
                ),
            )
        return self._apply(existing["href"], spec, existing)

    def find_by_exact_name(self, name: str) -> dict[str, Any] | None:
        """The PCE's ``name`` filter is a substring match: keep only the exact one."""
        matches = self.client.list_pairing_profiles(name=name)
        return next((p for p in matches if p.get("name") == name), None)

    def _apply(
        self, href: str, spec: PairingProfileSpec, current: dict[str, Any]
    ) -> dict[str, Any]:
        """PUT only the fields that differ from ``current`` (a GET body or old outputs); return
        the profile as it now is."""
        differing = set(changed_fields(current, spec.model_dump()))
        if not differing:
            return current
        self.client.update_pairing_profile(href, spec.api_body(differing))
        return self.client.get_pairing_profile(href)

    @pce_operation
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        body = self.client.profiles.get(id_)
        if body is None:
            return ReadResult("", {})  # gone: the engine drops it, the next up recreates it
        live = normalise_live(body)
        adopt = bool(props.get(ADOPT_EXISTING, False))
        # Inputs follow the live values so a drifted field shows in the next preview's diff.
        inputs = {**{k: v for k, v in live.items() if v is not None}, ADOPT_EXISTING: adopt}
        return ReadResult(id_, {**live, **read_only_values(body), ADOPT_EXISTING: adopt}, inputs)

    @pce_operation
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        spec = spec_of(news)
        body = self._apply(id_, spec, olds)
        return UpdateResult(outputs(spec, body, bool(news.get(ADOPT_EXISTING, False))))

    @pce_operation
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            self.client.delete_pairing_profile(id_)
        except NotFoundError:
            pass  # already gone: that is what delete wanted


class PairingProfile(DynamicResource, module="illumio", name="PairingProfile"):
    """An Illumio pairing profile. Attribute names and defaults follow the Terraform
    ``illumio-core_pairing_profile`` resource; the resource id is the profile's href."""

    name: pulumi.Output[str]
    enabled: pulumi.Output[bool]
    description: pulumi.Output[str]
    enforcement_mode: pulumi.Output[str]
    enforcement_mode_lock: pulumi.Output[bool]
    visibility_level: pulumi.Output[str]
    visibility_level_lock: pulumi.Output[bool]
    allowed_uses_per_key: pulumi.Output[int | str]
    key_lifespan: pulumi.Output[int | str]
    labels: pulumi.Output[list[dict[str, str]]]
    env_label_lock: pulumi.Output[bool]
    loc_label_lock: pulumi.Output[bool]
    role_label_lock: pulumi.Output[bool]
    app_label_lock: pulumi.Output[bool]
    log_traffic: pulumi.Output[bool]
    log_traffic_lock: pulumi.Output[bool]
    ven_type: pulumi.Output[str]
    agent_software_release: pulumi.Output[str | None]
    external_data_set: pulumi.Output[str | None]
    external_data_reference: pulumi.Output[str | None]
    adopt_existing: pulumi.Output[bool]
    href: pulumi.Output[str]
    created_at: pulumi.Output[str]
    updated_at: pulumi.Output[str]
    created_by: pulumi.Output[dict[str, str]]
    updated_by: pulumi.Output[dict[str, str]]
    total_use_count: pulumi.Output[int]
    is_default: pulumi.Output[bool]
    last_pairing_at: pulumi.Output[str | None]
    last_pairing_key_generated_at: pulumi.Output[str | None]
    last_pairing_key_generated_by: pulumi.Output[dict[str, str] | None]
    caps: pulumi.Output[list[str]]
    status: pulumi.Output[str | None]
    status_lock: pulumi.Output[bool | None]

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        enabled: pulumi.Input[bool],
        description: pulumi.Input[str] | None = None,
        enforcement_mode: pulumi.Input[str] | None = None,
        enforcement_mode_lock: pulumi.Input[bool] | None = None,
        visibility_level: pulumi.Input[str] | None = None,
        visibility_level_lock: pulumi.Input[bool] | None = None,
        allowed_uses_per_key: pulumi.Input[int | str] | None = None,
        key_lifespan: pulumi.Input[int | str] | None = None,
        labels: pulumi.Input[list[Any]] | None = None,
        env_label_lock: pulumi.Input[bool] | None = None,
        loc_label_lock: pulumi.Input[bool] | None = None,
        role_label_lock: pulumi.Input[bool] | None = None,
        app_label_lock: pulumi.Input[bool] | None = None,
        log_traffic: pulumi.Input[bool] | None = None,
        log_traffic_lock: pulumi.Input[bool] | None = None,
        ven_type: pulumi.Input[str] | None = None,
        agent_software_release: pulumi.Input[str] | None = None,
        external_data_set: pulumi.Input[str] | None = None,
        external_data_reference: pulumi.Input[str] | None = None,
        adopt_existing: pulumi.Input[bool] = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs = {key: value for key, value in locals().items() if key in SPEC_FIELDS}
        inputs[ADOPT_EXISTING] = adopt_existing
        super().__init__(PairingProfileProvider(), resource_name, _with_outputs(inputs), opts)

    @classmethod
    def get(
        cls, resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> PairingProfile:
        """Read an existing profile by href without managing it."""
        instance = cls.__new__(cls)
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id))
        DynamicResource.__init__(
            instance, PairingProfileProvider(), resource_name, _with_outputs({}), opts
        )
        return instance


def _with_outputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """Every output is a property: None here, filled by the provider."""
    props: dict[str, Any] = dict.fromkeys((*SPEC_FIELDS, ADOPT_EXISTING, *READ_ONLY_FIELDS))
    props.update(inputs)
    return props
