"""The PairingProfile resource: an Illumio pairing profile managed as code.

Request budget: check 0 (1 cached label listing when labels are given by key and value),
diff 0, create 2 (POST, then the PUT that finishes it: see ``creation.py``), read 1 (GET),
update 2 (PUT + GET for the server-side timestamps), delete 1. The resource id is the
profile's href. The fields are declared once, in ``models.PairingProfileArgs`` /
``PairingProfileState``.
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

from pairing_provider import adoption, creation, held_profiles
from pairing_provider.declaration import (
    ADOPT_EXISTING,
    contains_unknown,
    is_unknown,
    without_provider,
)
from pairing_provider.errors import (
    IllumioError,
    NotAcceptableError,
    NotFoundError,
    PCEError,
)
from pairing_provider.labels import describe_pair, is_label_pair
from pairing_provider.models import (
    PROFILE,
    EnforcementMode,
    PairingProfileArgs,
    VenType,
    VisibilityLevel,
    changed_fields,
    normalise_live,
    read_only_values,
)
from pairing_provider.provider_base import IllumioResourceProvider, pce_operation, whole_numbers
from pairing_provider.ven_types import require_ven_type, ven_type_of

HREF_INPUTS = frozenset({"labels"})  # the inputs whose items are hrefs
NAME_TAKEN = "name_must_be_unique"
log = logging.getLogger("pairing_provider")


def args_of(props: dict[str, Any], org_id: int | None) -> PairingProfileArgs:
    """The inputs in a create/update request, validated again, now in the configured org: a
    check that ran before the settings were known could not hold label hrefs to it."""
    return PROFILE.validated(props, context={"org_id": org_id}, href_inputs=HREF_INPUTS)


def outputs(
    args: PairingProfileArgs, body: dict[str, Any], previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Outputs echo every input (diff reads old outputs) plus the read-only fields. An input
    sent only when set that the program leaves unset shows what the PCE reports in ``body``,
    else the value ``previous`` (old outputs) knew."""
    values = args.model_dump()
    for name in PROFILE.only_when_set:
        if values[name] is None:
            values[name] = body.get(name, (previous or {}).get(name))
    return {**values, **read_only_values(body)}


class PairingProfileProvider(IllumioResourceProvider):
    """CRUD for ``pulumi-python:dynamic/illumio:PairingProfile`` over the PCE REST API v2."""

    declaration = PROFILE

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        resolved, label_failures = self._resolve_label_pairs(news)
        result = super().check(olds, resolved)
        failures = [CheckFailure("labels", reason) for reason in label_failures]
        return CheckResult(news if failures else result.inputs, failures + result.failures)

    def _resolve_label_pairs(self, news: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """``{"key", "value"}`` labels become hrefs, so the preview shows the real hrefs.

        Costs one cached label listing per process, and only when such a pair is used.
        """
        labels = news.get("labels")
        if not isinstance(labels, list) or contains_unknown(labels):
            return news, []
        pairs = {index: item for index, item in enumerate(labels) if is_label_pair(item)}
        if not pairs:
            return news, []
        try:
            directory = self.client.labels
            found = {
                index: directory.find(item["key"], item["value"]) for index, item in pairs.items()
            }
        except IllumioError as exc:
            return news, [f"labels: cannot look up labels by key and value: {exc}"]
        org = self.client.settings.org_id
        missing = [
            f"labels[{index}]: no label {describe_pair(pairs[index])} in org {org}"
            for index, label in found.items()
            if label is None
        ]
        # The pairs not found are reported here, once; the rest is still checked.
        resolved = [
            {"href": label["href"]} if (label := found.get(index)) else item
            for index, item in enumerate(labels)
            if index not in found or found[index] is not None
        ]
        return {**news, "labels": resolved}, missing

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = changed_fields(olds, news)
        # A create-only field the state does not know (release 0.1.0 kept a refresh's missing
        # ven_type; a profile made without ven_type) is not replaced on a guess.
        replaces = [
            name for name in changed if name in PROFILE.replacing and olds.get(name) is not None
        ]
        wanted = news.get("ven_type")
        if "ven_type" in changed and "ven_type" not in replaces and not is_unknown(wanted):
            replaces += self._ven_type_replaces(id_, olds, str(wanted))
        # A replacement keeping the name must delete first: the PCE refuses a second profile
        # of the same name (create-before-delete would fail with name_must_be_unique).
        return DiffResult(
            changes=bool(changed),
            replaces=replaces,
            stables=[],
            delete_before_replace=bool(replaces) and "name" not in changed,
        )

    @pce_operation
    def _ven_type_replaces(self, id_: str, olds: dict[str, Any], wanted: str) -> list[str]:
        """The program sets a ven_type the state does not know: the PCE's filter tells the
        profile's (no GET shows it), one listing when it is the one wanted. Another replaces."""
        existing = {**olds, "href": self.valid_href(id_)}
        actual = ven_type_of(
            self.client, existing, expected=wanted, name=str(olds.get("name") or "")
        )
        return [] if actual == wanted else ["ven_type"]

    @pce_operation
    def create(self, props: dict[str, Any]) -> CreateResult:
        args = args_of(props, self.org_id)
        proof = creation.Proof()
        held_profiles.creating(proof.description)
        try:
            made = self.client.create_pairing_profile(
                proof.post_body(args.api_body()),
                find_created=lambda attempt: self._made_with(proof, args.name),
            )
        except NotAcceptableError as exc:
            if NAME_TAKEN not in exc.tokens:
                raise
            made = self._holder_of(args.name, exc)
            if not proof.made(made):  # another creator's: never claimed without adopt_existing
                refused = adoption.refusal(args.name, args.adopt_existing, made, exc)
                if refused is not None:
                    raise refused from None
                adopted = self._adopt(args, made)
                return CreateResult(made["href"], outputs(args, adopted))
            # else our own POST, carried out although its answer was lost: finish it
        with held_profiles.holding(made["href"]):  # before the PUT replaces the mark
            self._finish(args, made["href"])
        return CreateResult(made["href"], outputs(args, made))

    def _made_with(self, proof: creation.Proof, name: str) -> dict[str, Any] | None:
        """After a POST with no clear answer: the profile it made, known by what only that POST
        carried. None sends the POST again: nothing was made, or the name is another
        creator's, and the PCE then refuses it (``create`` reports that)."""
        found = self.find_by_exact_name(name)
        return found if found is not None and proof.made(found) else None

    def _finish(self, args: PairingProfileArgs, href: str) -> None:
        """The PUT that gives our profile the program's values. If it fails, the profile is
        deleted, so no half-made profile outlives a failed create, and the PUT's error is
        raised; if the delete fails too, that error says where the profile was left."""
        try:
            self.client.update_pairing_profile(href, args.api_body(set(creation.FINISHED_BY_PUT)))
        except PCEError as failure:
            try:
                self.client.delete_pairing_profile(href)
            except NotFoundError:
                pass  # already gone
            except PCEError as exc:
                failure.add_detail(
                    f"deleting the new profile failed too ({exc}): it is left at {href}, "
                    f"disabled, {creation.LEFT_DESCRIBED}; delete it in the PCE"
                )
            raise

    def _holder_of(self, name: str, refusal: NotAcceptableError) -> dict[str, Any]:
        existing = self.find_by_exact_name(name)
        if existing is None:
            raise refusal  # the name clash is not with a profile we can see: report the PCE's word
        return existing

    def _adopt(self, args: PairingProfileArgs, existing: dict[str, Any]) -> dict[str, Any]:
        """Take ``existing`` over, after checking its ven_type (which no PUT can change)."""
        require_ven_type(self.client, existing, args.ven_type, args.name, "adopt")
        with held_profiles.holding(existing["href"]):
            return self._apply(existing["href"], args, existing)

    def find_by_exact_name(self, name: str) -> dict[str, Any] | None:
        """The PCE's ``name`` filter is a substring match: keep only the exact one."""
        matches = self.client.list_pairing_profiles(name=name)
        return next((p for p in matches if p.get("name") == name), None)

    def _apply(
        self, href: str, args: PairingProfileArgs, current: dict[str, Any]
    ) -> dict[str, Any]:
        """PUT only the fields that differ from ``current`` (a GET body or old outputs); return
        the profile as it now is."""
        differing = set(changed_fields(current, args.model_dump())) - PROFILE.replacing
        if not differing:
            return current
        self.client.update_pairing_profile(href, args.api_body(differing))
        return self.client.get_pairing_profile(href)

    @pce_operation
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        href = self.valid_href(id_)
        body = self.client.profiles.get(href)
        if body is None and not without_provider(props):  # a get: named by the program
            raise NotFoundError(
                status=404, method="GET", path=href, detail=f"no pairing profile at {href}"
            )
        if body is None:
            return ReadResult("", {})  # gone: the engine drops it, the next up recreates it
        live = normalise_live(body, previous=props)
        live[ADOPT_EXISTING] = bool(props.get(ADOPT_EXISTING, False))
        # Inputs follow the live values so a drifted field shows in the next preview's diff;
        # not those sent only when set: the PCE's value there is no input of the program's
        # (diff reads them from the outputs, where drift still shows).
        inputs = {
            name: value
            for name, value in live.items()
            if value is not None and name not in PROFILE.only_when_set
        }
        return ReadResult(href, {**live, **read_only_values(body)}, inputs)

    @pce_operation
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        args = args_of(news, self.org_id)
        href = self.valid_href(id_)
        if olds.get("ven_type") is None:  # state of 0.1.0 that never learnt it: ask the PCE
            require_ven_type(
                self.client, {**olds, "href": href}, args.ven_type, args.name, "update"
            )
        return UpdateResult(outputs(args, self._apply(href, args, olds), olds))

    @pce_operation
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        href = self.valid_href(id_)
        if props.get("is_default") is True:  # adopted by an older release, or imported
            log.warning("%s is one of the PCE's default pairing profiles: kept, not deleted", href)
            return
        try:
            self.client.delete_pairing_profile(href)
        except NotFoundError:
            pass  # already gone: that is what delete wanted


class PairingProfile(DynamicResource, module="illumio", name="PairingProfile"):
    """An Illumio pairing profile. Attribute names and defaults follow the Terraform
    ``illumio-core_pairing_profile`` resource; the resource id is the profile's href."""

    name: pulumi.Output[str]
    enabled: pulumi.Output[bool]
    description: pulumi.Output[str]
    enforcement_mode: pulumi.Output[EnforcementMode]
    enforcement_mode_lock: pulumi.Output[bool]
    visibility_level: pulumi.Output[VisibilityLevel]
    visibility_level_lock: pulumi.Output[bool]
    allowed_uses_per_key: pulumi.Output[int | str]
    key_lifespan: pulumi.Output[int | str]
    labels: pulumi.Output[list[dict[str, str]]]
    env_label_lock: pulumi.Output[bool]
    loc_label_lock: pulumi.Output[bool]
    role_label_lock: pulumi.Output[bool]
    app_label_lock: pulumi.Output[bool]
    log_traffic: pulumi.Output[bool | None]
    log_traffic_lock: pulumi.Output[bool | None]
    ven_type: pulumi.Output[VenType | None]
    agent_software_release: pulumi.Output[str | None]
    external_data_set: pulumi.Output[str | None]
    external_data_reference: pulumi.Output[str | None]
    adopt_existing: pulumi.Output[bool]
    href: pulumi.Output[str]
    created_at: pulumi.Output[str | None]
    updated_at: pulumi.Output[str | None]
    created_by: pulumi.Output[dict[str, Any] | None]
    updated_by: pulumi.Output[dict[str, Any] | None]
    total_use_count: pulumi.Output[int | None]
    is_default: pulumi.Output[bool | None]
    last_pairing_at: pulumi.Output[str | None]
    last_pairing_key_generated_at: pulumi.Output[str | None]
    last_pairing_key_generated_by: pulumi.Output[dict[str, Any] | None]
    caps: pulumi.Output[list[str] | None]
    status: pulumi.Output[str | None]
    status_lock: pulumi.Output[bool | None]

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        enabled: pulumi.Input[bool],
        description: pulumi.Input[str] | None = None,
        enforcement_mode: pulumi.Input[EnforcementMode] | None = None,
        enforcement_mode_lock: pulumi.Input[bool] | None = None,
        visibility_level: pulumi.Input[VisibilityLevel] | None = None,
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
        ven_type: pulumi.Input[VenType] | None = None,
        agent_software_release: pulumi.Input[str] | None = None,
        external_data_set: pulumi.Input[str] | None = None,
        external_data_reference: pulumi.Input[str] | None = None,
        adopt_existing: pulumi.Input[bool] = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs = {key: value for key, value in locals().items() if key in PROFILE.inputs}
        super().__init__(PairingProfileProvider(), resource_name, PROFILE.registered(inputs), opts)
        whole_numbers(self, PROFILE)

    @classmethod
    def get(
        cls, resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> PairingProfile:
        """Read an existing profile by href without managing it; fails when there is none."""
        instance = cls.__new__(cls)
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id))
        DynamicResource.__init__(
            instance, PairingProfileProvider(), resource_name, PROFILE.registered({}), opts
        )
        whole_numbers(instance, PROFILE)
        return instance
