"""A key's activation codes: issuing ``token_count`` of them, and the outputs built from them.

Pulumi-free, like ``models``: the provider's create and update call these with its client.

Issuing several codes is several POSTs, and the PCE has no call that revokes one code. A
failure part-way therefore cannot be undone: the codes already issued stay valid until the
profile's ``key_lifespan`` or ``allowed_uses_per_key`` runs out. The create (or update) then
fails with an error that says how many codes were issued and that none of them is kept, rather
than keeping fewer codes than the program asked for (a resource whose outputs would not be
what its inputs say) or dropping them without a word. A PCE that refuses a code past its hard
limit of outstanding keys per profile gets its own error, :class:`PairingKeyLimitError`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from pairing_provider.errors import (
    NotFoundError,
    PairingKeyError,
    PairingKeyLimitError,
    PCEError,
    restate,
)
from pairing_provider.pairing_scripts import (
    cloud_init,
    linux_pairing_script,
    windows_commands,
    windows_pairing_script,
    windows_user_data,
)

# The Terraform provider stops issuing codes when the PCE's error says "hard limit reached"
# (docs/pce-api.md, "Pairing keys"); the status and token of that answer are not published.
HARD_LIMIT_TEXT = "hard limit"


def parse_rfc3339(text: str) -> datetime:
    """A PCE timestamp (``2026-01-01T00:00:00.000Z``) as an aware datetime; ValueError when it
    is not one, a timestamp without a time zone included (it could not be compared)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"no time zone in {text!r}")
    return moment


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_hard_limit(error: PCEError) -> bool:
    return error.status != 0 and HARD_LIMIT_TEXT in str(error).lower()


def issue_codes(issue: Callable[[str], str], href: str, count: int, had: int = 0) -> list[str]:
    """``count`` new codes from the profile at ``href`` (one POST each), or an error that says
    what became of the ones issued before the failure. ``had``: codes the key holds already."""
    codes: list[str] = []
    try:
        for _ in range(count):
            codes.append(issue(href))
    except PCEError as error:
        raise _failed(error, href, had + count, len(codes)) from None
    return codes


def no_profile(error: NotFoundError, href: str) -> PCEError:
    """The PCE has no profile at the key's ``pairing_profile_href``: the error names the input."""
    return restate(error, NotFoundError, f"pairing_profile_href: no pairing profile at {href}")


def _failed(error: PCEError, href: str, wanted: int, issued: int) -> PCEError:
    lost = (
        f"{issued} code(s) issued before it are not kept (the PCE cannot revoke one: they "
        "lapse with the profile's key_lifespan or allowed_uses_per_key)"
        if issued
        else ""
    )
    if is_hard_limit(error):
        detail = (
            f"pairing_profile_href {href}: the PCE's hard limit of outstanding pairing keys "
            f"for this profile is reached (token_count asks for {wanted}); {lost or 'none issued'}"
            ". Lower token_count, or wait for the profile's keys to be used or to lapse"
        )
        return restate(error, PairingKeyLimitError, detail)
    if isinstance(error, NotFoundError) and not issued:
        return no_profile(error, href)
    if issued:
        return restate(error, PairingKeyError, f"making code {issued + 1} of {wanted}: {lost}")
    return error


def code_outputs(
    server: str, profile_id: str, codes: Sequence[str], api_version: str
) -> dict[str, Any]:
    """The outputs made from the codes: every code, and the scripts around the first one."""
    code = codes[0]
    linux = linux_pairing_script(server, profile_id, code, api_version)
    windows = windows_commands(server, profile_id, code, api_version)
    return {
        "activation_code": code,
        "activation_codes": list(codes),
        "linux_pairing_script": linux,
        "windows_pairing_script": windows_pairing_script(windows),
        "cloud_init": cloud_init(linux),
        "windows_user_data": windows_user_data(windows),
    }
