"""The PairingKey resource: an activation code made from a profile, kept secret, regenerated when
its ``triggers`` change or when it has expired.

Request budget: check 0, diff 0, update 0 (only the provider's own flags change), create 1
(the POST) when the key is wired with ``pairing_profile=`` (the profile's ``key_lifespan``
comes with it) or 2 for a bare href (GET the profile for its lifespan, then POST), read 1 (GET
the profile), delete 0: the PCE has no call that revokes one key, and
``DELETE {profile}/pairing_keys`` would revoke every key of the profile, other stacks' too.

The fields are declared once, in ``models.PairingKeyArgs`` / ``PairingKeyState``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult
from pulumi.dynamic import Resource as DynamicResource

from pairing_provider.declaration import without_provider
from pairing_provider.errors import IllumioError
from pairing_provider.hrefs import profile_id
from pairing_provider.models import KEY, canonical_json, normalise_live
from pairing_provider.pairing_scripts import (
    cloud_init,
    linux_pairing_script,
    management_server,
    windows_pairing_script,
)
from pairing_provider.pce_clock import parse_rfc3339
from pairing_provider.provider_base import IllumioResourceProvider, pce_operation, whole_numbers

if TYPE_CHECKING:
    from pairing_provider.profile import PairingProfile

SECRET_OUTPUTS = KEY.secret_outputs


def now() -> datetime:
    """The clock every expiry decision uses (one place to replace it)."""
    return datetime.now(UTC)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_expired(props: Mapping[str, Any]) -> bool:
    expires_at = props.get("expires_at")
    return isinstance(expires_at, str) and now() >= parse_rfc3339(expires_at)


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
    """Both sides of a diff in one form: triggers by canonical JSON (1 == 1.0, key order)."""
    values = dict(props)
    try:
        values["triggers"] = canonical_json(props.get("triggers"))
    except (TypeError, ValueError):
        pass  # an odd old value shows as a change
    return values


def changed_inputs(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """Compared inputs whose value changed, triggers by value."""
    return KEY.changed(olds, news, normalise=_comparable)


def key_outputs(
    pce_host: str, profile_href: str, code: str, generated: datetime, expires: datetime | None
) -> dict[str, Any]:
    number = profile_id(profile_href)
    server = management_server(pce_host)
    linux = linux_pairing_script(server, number, code)
    return {
        "activation_code": code,
        "generated_at": rfc3339(generated),
        "expires_at": rfc3339(expires) if expires else None,
        "pce_host": server,
        "profile_id": number,
        "linux_pairing_script": linux,
        "windows_pairing_script": windows_pairing_script(server, number, code),
        "cloud_init": cloud_init(linux),
    }


class PairingKeyProvider(IllumioResourceProvider):
    """Activation codes for ``pulumi-python:dynamic/illumio:PairingKey``."""

    declaration = KEY

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = changed_inputs(olds, news)
        replaces = [name for name in changed if name in KEY.replacing]
        if regenerates(news) and is_expired(olds):
            replaces.append("expires_at")
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
            lifespan = normalise_live(self.client.get_pairing_profile(href))["key_lifespan"]
        generated = now().replace(microsecond=0)  # before the POST: expiry errs on the early side
        expires = expiry(generated, lifespan)
        code = self.client.generate_pairing_key(href)
        outs = key_outputs(self.client.settings.pce_host, href, code, generated, expires)
        # A random id: unique even for two keys made in the same second (create-before-delete),
        # and nothing in it derives from the secret code.
        return CreateResult(
            f"{href}/pairing_keys/{uuid.uuid4().hex}", {**without_provider(props), **outs}
        )

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Only inputs that do not replace the key change here: the same key, new flags."""
        kept = {name: olds[name] for name in KEY.outputs if name in olds}
        updated = {name: news[name] for name in KEY.inputs if name in news}
        return UpdateResult({**kept, **updated})

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
        if regenerates(props) and is_expired(props):
            return ReadResult("", {})  # expired: dropped, so the next up makes a new one
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
    activation_code: pulumi.Output[str]
    generated_at: pulumi.Output[str]
    expires_at: pulumi.Output[str | None]
    pce_host: pulumi.Output[str]
    profile_id: pulumi.Output[str]
    linux_pairing_script: pulumi.Output[str]
    windows_pairing_script: pulumi.Output[str]
    cloud_init: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        pairing_profile: PairingProfile | None = None,
        pairing_profile_href: pulumi.Input[str] | None = None,
        triggers: pulumi.Input[Any] | None = None,
        regenerate_when_expired: pulumi.Input[bool] = True,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs: dict[str, Any] = {
            **profile_wiring(pairing_profile, pairing_profile_href),
            "triggers": triggers,
            "regenerate_when_expired": regenerate_when_expired,
        }
        secret = pulumi.ResourceOptions(additional_secret_outputs=KEY.secret_outputs)
        props = {**dict.fromkeys(KEY.outputs), **inputs}
        super().__init__(
            PairingKeyProvider(), resource_name, props, pulumi.ResourceOptions.merge(opts, secret)
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
