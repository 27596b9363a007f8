"""The PairingKey resource: an activation code made from a profile, kept secret, regenerated when
its ``triggers`` change or when it has expired.

Request budget: check 0, diff 0, create 2 (GET the profile for its lifespan, POST the key),
read 1 (GET the profile), delete 0: the PCE has no call that revokes one key, and
``DELETE {profile}/pairing_keys`` would revoke every key of the profile, other stacks' too.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
)
from pulumi.dynamic import Resource as DynamicResource

from pairing_provider.models import PROFILE_HREF, normalise_live
from pairing_provider.provider_base import (
    IllumioResourceProvider,
    contains_unknown,
    pce_operation,
    without_provider,
)

SECRET_OUTPUTS = ["activation_code", "linux_pairing_script", "windows_pairing_script", "cloud_init"]
OUTPUTS = (
    "activation_code",
    "generated_at",
    "expires_at",
    "pce_host",
    "profile_id",
    "linux_pairing_script",
    "windows_pairing_script",
    "cloud_init",
)
REPLACE_ON_CHANGE = ("pairing_profile_href", "triggers")
# The PCE serves its pairing scripts from a versioned path (FACTS.md section 2).
SCRIPT_API = "api/v25/software/ven/image"
LINUX_DIR = "/opt/illumio_ven_data/tmp"
MAX_TRIGGERS_BYTES = 64 * 1024


def now() -> datetime:
    """The clock every expiry decision uses (one place to replace it)."""
    return datetime.now(UTC)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


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


def _check_triggers(triggers: Any) -> str | None:
    try:
        text = canonical_json(triggers)
    except (TypeError, ValueError, RecursionError) as exc:
        return f"triggers: must be JSON-serialisable ({type(exc).__name__})"
    if len(text.encode()) > MAX_TRIGGERS_BYTES:
        return f"triggers: must serialise to at most {MAX_TRIGGERS_BYTES} bytes of JSON"
    return None


def validate_key_inputs(news: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    inputs = without_provider(news)
    failures = []
    unknown_keys = set(inputs) - {"pairing_profile_href", "triggers", "regenerate_when_expired"}
    failures += [(key, f"{key}: is not a known property") for key in sorted(unknown_keys)]
    href = inputs.get("pairing_profile_href")
    if not contains_unknown(href) and not (isinstance(href, str) and PROFILE_HREF.match(href)):
        failures.append(
            (
                "pairing_profile_href",
                'pairing_profile_href: must be a profile href like "/orgs/1/pairing_profiles/7"',
            )
        )
    triggers = inputs.get("triggers")
    if not contains_unknown(triggers) and (problem := _check_triggers(triggers)):
        failures.append(("triggers", problem))
    regenerate = inputs.setdefault("regenerate_when_expired", True)
    if not contains_unknown(regenerate) and not isinstance(regenerate, bool):
        failures.append(
            ("regenerate_when_expired", "regenerate_when_expired: must be true or false")
        )
    return inputs, failures


def is_expired(props: dict[str, Any]) -> bool:
    expires_at = props.get("expires_at")
    return bool(expires_at) and now() >= parse_rfc3339(expires_at)


def management_server(pce_host: str) -> str:
    """``host:port`` as a VEN's ``--management-server`` wants it."""
    parts = urlsplit(pce_host)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


def linux_pairing_script(server: str, profile_id: str, code: str) -> str:
    url = f"https://{server}/{SCRIPT_API}?pair_script=pair.sh&profile_id={profile_id}"
    return (
        f"rm -fr {LINUX_DIR} && umask 026 && mkdir -p {LINUX_DIR} && "
        f'curl --tlsv1 "{url}" -o {LINUX_DIR}/pair.sh && chmod +x {LINUX_DIR}/pair.sh && '
        f"{LINUX_DIR}/pair.sh --management-server {server} --activation-code {code}"
    )


def windows_pairing_script(server: str, profile_id: str, code: str) -> str:
    url = f"https://{server}/{SCRIPT_API}?pair_script=pair.ps1&profile_id={profile_id}"
    return (
        'PowerShell -Command "& {Set-ExecutionPolicy -Scope process remotesigned -Force; '
        "Start-Sleep -s 3; Set-Variable -Name ErrorActionPreference -Value stop; "
        f"(New-Object System.Net.WebClient).DownloadFile('{url}', "
        "(echo $env:windir\\temp\\pair.ps1)); "
        f'& $env:windir\\temp\\pair.ps1 -management-server {server} -activation-code {code};}}"'
    )


def cloud_init(linux_script: str) -> str:
    """A complete ``#cloud-config`` user-data document that pairs the VM at first boot.

    The command is a JSON string, which YAML reads as a double-quoted scalar: no escaping
    surprises whatever the host name holds.
    """
    return f"#cloud-config\nruncmd:\n  - {json.dumps(linux_script)}\n"


def key_outputs(
    pce_host: str, profile_href: str, code: str, generated: datetime, lifespan: int | str | None
) -> dict[str, Any]:
    profile_id = PROFILE_HREF.match(profile_href).group(2)  # type: ignore[union-attr]
    server = management_server(pce_host)
    linux = linux_pairing_script(server, profile_id, code)
    expires = generated + timedelta(seconds=lifespan) if isinstance(lifespan, int) else None
    return {
        "activation_code": code,
        "generated_at": rfc3339(generated),
        "expires_at": rfc3339(expires) if expires else None,
        "pce_host": server,
        "profile_id": profile_id,
        "linux_pairing_script": linux,
        "windows_pairing_script": windows_pairing_script(server, profile_id, code),
        "cloud_init": cloud_init(linux),
    }


class PairingKeyProvider(IllumioResourceProvider):
    """Activation codes for ``pulumi-python:dynamic/illumio:PairingKey``."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, failures = validate_key_inputs(news)
        return CheckResult(inputs, [CheckFailure(prop, reason) for prop, reason in failures])

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [
            field
            for field in REPLACE_ON_CHANGE
            if contains_unknown(news.get(field))
            or canonical_json(olds.get(field)) != canonical_json(news.get(field))
        ]
        if news.get("regenerate_when_expired", True) is not False and is_expired(olds):
            replaces.append("expires_at")
        # Only the replace-on-change inputs matter; regenerate_when_expired is a policy flag,
        # so flipping it alone is no change.
        return DiffResult(
            changes=bool(replaces), replaces=replaces, stables=[], delete_before_replace=False
        )

    @pce_operation
    def create(self, props: dict[str, Any]) -> CreateResult:
        href = props["pairing_profile_href"]
        # The GET first: if it fails, no key was made for nothing.
        lifespan = normalise_live(self.client.get_pairing_profile(href))["key_lifespan"]
        generated = now().replace(microsecond=0)  # before the POST: expiry errs on the early side
        code = self.client.generate_pairing_key(href)
        outs = key_outputs(self.client.settings.pce_host, href, code, generated, lifespan)
        # A random id: unique even for two keys made in the same second (create-before-delete),
        # and nothing in it derives from the secret code.
        return CreateResult(
            f"{href}/pairing_keys/{uuid.uuid4().hex}", {**without_provider(props), **outs}
        )

    @pce_operation
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        if self.client.profiles.get(props["pairing_profile_href"]) is None:
            return ReadResult("", {})  # its profile is gone, and every key with it
        if props.get("regenerate_when_expired", True) is not False and is_expired(props):
            return ReadResult("", {})  # expired: dropped, so the next up makes a new one
        return ReadResult(id_, without_provider(props))  # a code cannot be read back: keep it

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Nothing to call: see the module docstring. The key lapses with its lifespan."""


class PairingKey(DynamicResource, module="illumio", name="PairingKey"):
    """An activation code for a pairing profile, regenerated when ``triggers`` change."""

    pairing_profile_href: pulumi.Output[str]
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
        pairing_profile_href: pulumi.Input[str],
        triggers: pulumi.Input[Any] | None = None,
        regenerate_when_expired: pulumi.Input[bool] = True,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        secret = pulumi.ResourceOptions(additional_secret_outputs=SECRET_OUTPUTS)
        props: dict[str, Any] = dict.fromkeys(OUTPUTS)
        props.update(
            pairing_profile_href=pairing_profile_href,
            triggers=triggers,
            regenerate_when_expired=regenerate_when_expired,
        )
        super().__init__(
            PairingKeyProvider(), resource_name, props, pulumi.ResourceOptions.merge(opts, secret)
        )
