"""The PairingKey resource: activation codes made from a profile, kept secret, regenerated when
``triggers`` change, when the key has expired, or once it is within ``renew_before`` of expiry.

Request budget: check 0, diff 0, update 0 (only the provider's own flags or the scripts change)
or one POST per extra code when ``token_count`` grows, create ``token_count`` POSTs (1 by
default) when the key is wired with ``pairing_profile=`` (the profile's ``key_lifespan`` comes
with it) or one GET more for a bare href (the profile's lifespan), read 1 (GET the profile),
delete 0: the PCE has no call that revokes one key, and ``DELETE {profile}/pairing_keys`` would
revoke every key of the profile, other stacks' too.

The fields are declared once, in ``models.PairingKeyArgs`` / ``PairingKeyState``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

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

from pairing_provider.declaration import is_unknown, without_provider
from pairing_provider.errors import IllumioError, NotFoundError
from pairing_provider.hrefs import profile_id
from pairing_provider.key_codes import code_outputs, issue_codes, no_profile, parse_rfc3339, rfc3339
from pairing_provider.models import DEFAULT_SCRIPT_API, KEY, canonical_json, normalise_live
from pairing_provider.pairing_scripts import management_server
from pairing_provider.provider_base import IllumioResourceProvider, pce_operation, whole_numbers

if TYPE_CHECKING:
    from pairing_provider.profile import PairingProfile

SECRET_OUTPUTS = KEY.secret_outputs
SCRIPT_SEGMENT = re.compile(r"/api/(v[0-9]+)/software/ven/image")


def now() -> datetime:
    """The clock every expiry decision uses (one place to replace it)."""
    return datetime.now(UTC)


def renewal_due(olds: Mapping[str, Any], renew_before: Any) -> str | None:
    """Why the key is due for a new one, as the property the preview names: ``expires_at``
    once it has expired, ``renew_before`` once within that many seconds of expiry."""
    expires_at = olds.get("expires_at")
    if not isinstance(expires_at, str):
        return None  # "unlimited": it never expires
    moment = parse_rfc3339(expires_at)
    if now() >= moment:
        return "expires_at"
    window = renew_before if isinstance(renew_before, int | float) else 0
    if window > 0 and not isinstance(window, bool) and now() >= moment - timedelta(seconds=window):
        return "renew_before"
    return None


def regenerates(props: Mapping[str, Any]) -> bool:
    return props.get("regenerate_when_expired", True) is not False


def expiry(generated: datetime, lifespan: Any) -> datetime | None:
    """When a key made at ``generated`` lapses; None for "unlimited" or a lifespan past any
    date a clock can show (a PCE answering 10**12 seconds still gets its key tracked)."""
    if not isinstance(lifespan, int | float) or isinstance(lifespan, bool):
        return None
    try:
        return generated + timedelta(seconds=lifespan)
    except OverflowError:
        return None


def _comparable(props: Mapping[str, Any]) -> dict[str, Any]:
    """Both sides of a diff in one form: triggers by canonical JSON (1 == 1.0, key order);
    state of 0.2.0 and before holds one code and no token_count."""
    values = dict(props)
    try:
        values["triggers"] = canonical_json(props.get("triggers"))
    except (TypeError, ValueError):
        pass  # an odd old value shows as a change
    values["token_count"] = props.get("token_count") or 1
    # Keys made before script_api_version existed keep their (api/v25) scripts until replaced.
    values["script_api_version"] = props.get("script_api_version") or DEFAULT_SCRIPT_API
    return values


def scripts_segment(olds: Mapping[str, Any], news: Mapping[str, Any]) -> tuple[str, bool]:
    """The api/vNN segment an update writes into the scripts, and whether it is recorded.

    State of 0.2.0 has no ``script_api_version`` and ``api/v25`` scripts. While the program
    leaves the default, an update keeps the segment those scripts have (and records none, so
    diff still sees no change): a VM whose user data is ``cloud_init`` is not changed by an
    unrelated update such as ``regenerate_when_expired``.
    """
    wanted = str(news.get("script_api_version") or DEFAULT_SCRIPT_API)
    if "script_api_version" in olds or wanted != DEFAULT_SCRIPT_API:
        return wanted, True
    found = SCRIPT_SEGMENT.search(str(olds.get("linux_pairing_script", "")))
    return (found.group(1) if found else wanted), False


def held_codes(olds: Mapping[str, Any]) -> list[str]:
    """The codes a key holds (state of 0.2.0 and before: just ``activation_code``)."""
    codes = olds.get("activation_codes")
    return list(codes) if isinstance(codes, list) and codes else [olds["activation_code"]]


def changed_inputs(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """Compared inputs whose value changed, triggers by value."""
    return KEY.changed(olds, news, normalise=_comparable)


class PairingKeyProvider(IllumioResourceProvider):
    """Activation codes for ``pulumi-python:dynamic/illumio:PairingKey``."""

    declaration = KEY

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        result = super().check(olds, news)
        window, lifespan = (
            result.inputs.get("renew_before"),
            result.inputs.get("profile_key_lifespan"),
        )
        if not result.failures and isinstance(window, int) and isinstance(lifespan, int):
            if window >= lifespan:
                reason = (
                    f"renew_before: {window} seconds must be shorter than the profile's "
                    f"key_lifespan ({lifespan} seconds), or every up would make a new key"
                )
                return CheckResult(news, [CheckFailure("renew_before", reason)])
        return result

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = changed_inputs(olds, news)
        replaces = [name for name in changed if name in KEY.replacing]
        renew_before = news.get("renew_before")
        due = renewal_due(olds, None if is_unknown(renew_before) else renew_before)
        if regenerates(news) and due:
            replaces.append(due)
        # An explicit bool: otherwise the engine diffs every input itself, __provider included.
        return DiffResult(
            changes=bool(changed or replaces),
            replaces=replaces,
            stables=[],
            delete_before_replace=False,
        )

    @pce_operation
    def create(self, props: dict[str, Any]) -> CreateResult:
        href = self.valid_href(props.get("pairing_profile_href"))
        lifespan = props.get("profile_key_lifespan")
        if lifespan is None:  # a bare href: ask the profile, before any key is made
            lifespan = normalise_live(self._profile(href))["key_lifespan"]
        generated = now().replace(microsecond=0)  # before the POST: expiry errs on the early side
        expires = expiry(generated, lifespan)
        count = int(props.get("token_count") or 1)
        codes = issue_codes(self.client.generate_pairing_key, href, count)
        server = management_server(self.client.settings.pce_host)
        version = str(props.get("script_api_version") or DEFAULT_SCRIPT_API)
        outs = {
            "generated_at": rfc3339(generated),
            "expires_at": rfc3339(expires) if expires else None,
            "pce_host": server,
            "profile_id": profile_id(href),
            **code_outputs(server, profile_id(href), codes, version),
        }
        # A random id: unique even for two keys made in the same second (create-before-delete),
        # and nothing in it derives from the secret code.
        return CreateResult(
            f"{href}/pairing_keys/{uuid.uuid4().hex}", {**without_provider(props), **outs}
        )

    def _profile(self, href: str) -> dict[str, Any]:
        try:
            return self.client.get_pairing_profile(href)
        except NotFoundError as exc:
            raise no_profile(exc, href) from None

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Only inputs that do not replace the key change here: the same codes (more of them
        when token_count grew, the first ones when it shrank), new flags, rewritten scripts."""
        kept = {name: olds[name] for name in KEY.outputs if name in olds}
        updated = {name: news[name] for name in KEY.inputs if name in news}
        codes = held_codes(olds)
        wanted = int(news.get("token_count") or 1)
        if wanted > len(codes):
            codes += self._more_codes(str(olds["pairing_profile_href"]), wanted - len(codes), codes)
        version, recorded = scripts_segment(olds, news)
        if not recorded:
            updated.pop("script_api_version", None)
        scripts = code_outputs(
            str(olds["pce_host"]), str(olds["profile_id"]), codes[:wanted], version
        )
        return UpdateResult({**kept, **updated, **scripts})

    @pce_operation
    def _more_codes(self, href: str, count: int, held: list[str]) -> list[str]:
        return issue_codes(
            self.client.generate_pairing_key, self.valid_href(href), count, len(held)
        )

    @pce_operation
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        if "activation_code" not in props:
            raise IllumioError(
                f"PairingKey {id_!r} cannot be read by id: the PCE never shows an activation "
                "code again, so a key can only be made, not looked up or imported"
            )
        href = self.valid_href(props.get("pairing_profile_href"))
        if self.client.profiles.get(href) is None:
            return ReadResult("", {})  # its profile is gone, and every key with it
        if regenerates(props) and renewal_due(props, props.get("renew_before")):
            return ReadResult("", {})  # expired or due: dropped, so the next up makes a new one
        return ReadResult(id_, without_provider(props))  # a code cannot be read back: keep it

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Nothing to call: see the module docstring. The key lapses with its lifespan."""


class PairingKey(DynamicResource, module="illumio", name="PairingKey"):
    """An activation code for a pairing profile, regenerated when ``triggers`` change.

    Wire it to its profile with ``pairing_profile=profile``: the preview of a profile edit
    then shows the key unchanged, and creating it costs one request. A profile of another
    stack is named by ``pairing_profile_href``.
    """

    pairing_profile_href: pulumi.Output[str]
    profile_key_lifespan: pulumi.Output[int | str | None]
    triggers: pulumi.Output[Any]
    regenerate_when_expired: pulumi.Output[bool]
    renew_before: pulumi.Output[int | None]
    token_count: pulumi.Output[int]
    script_api_version: pulumi.Output[str]
    activation_code: pulumi.Output[str]
    activation_codes: pulumi.Output[list[str]]
    generated_at: pulumi.Output[str]
    expires_at: pulumi.Output[str | None]
    pce_host: pulumi.Output[str]
    profile_id: pulumi.Output[str]
    linux_pairing_script: pulumi.Output[str]
    windows_pairing_script: pulumi.Output[str]
    cloud_init: pulumi.Output[str]
    windows_user_data: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        pairing_profile: PairingProfile | None = None,
        pairing_profile_href: pulumi.Input[str] | None = None,
        triggers: pulumi.Input[Any] | None = None,
        regenerate_when_expired: pulumi.Input[bool] = True,
        renew_before: pulumi.Input[int | str] | None = None,
        token_count: pulumi.Input[int] = 1,
        script_api_version: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs: dict[str, Any] = {
            **profile_wiring(pairing_profile, pairing_profile_href),
            "triggers": triggers,
            "regenerate_when_expired": regenerate_when_expired,
            "renew_before": renew_before,
            "token_count": token_count,
            "script_api_version": script_api_version,
        }
        secret = pulumi.ResourceOptions(additional_secret_outputs=KEY.secret_outputs)
        super().__init__(
            PairingKeyProvider(),
            resource_name,
            KEY.registered(inputs),
            pulumi.ResourceOptions.merge(opts, secret),
        )
        whole_numbers(self, KEY)


def profile_wiring(
    profile: PairingProfile | None, href: pulumi.Input[str] | None
) -> dict[str, Any]:
    """The key's profile inputs: its id (known in a preview of a profile update, unlike
    ``href``) and its ``key_lifespan``; or just the href given."""
    if (profile is None) == (href is None):
        raise TypeError(
            "PairingKey takes exactly one of pairing_profile= and pairing_profile_href="
        )
    if profile is None:
        return {"pairing_profile_href": href, "profile_key_lifespan": None}
    return {"pairing_profile_href": profile.id, "profile_key_lifespan": profile.key_lifespan}
