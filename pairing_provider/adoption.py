"""Whether a create may take over the existing profile that holds its name, and why not.

A create whose name the PCE refuses as taken meets that name's profile. It is taken over only
when the program says so (``adopt_existing=True``) and nothing forbids it:

- the PCE's own default profiles (``is_default: true``, made by the PCE, e.g.
  ``Default (Servers)``) are never adopted: a stack holding one would delete it on destroy;
- a profile this provider process already created or adopted for another resource of the
  deployment (``held_profiles``) is never adopted again: two resources would share it.

Pulumi-free.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pairing_provider import creation, held_profiles
from pairing_provider.errors import NotAcceptableError, PairingProfileError, restate


def refusal(
    name: str, adopt_existing: bool, existing: Mapping[str, Any], refused: NotAcceptableError
) -> PairingProfileError | None:
    """The error a create fails with when it may not take ``existing``; None to adopt it."""
    href = existing.get("href")
    if held_profiles.held(existing):
        reason = (
            f"two resources of this deployment declare the pairing profile name {name!r}: "
            f"{href} was created or adopted for another of them in this run, so it is not "
            "taken again, with or without adopt_existing. Give each PairingProfile its own name"
        )
    elif existing.get("is_default") is True:
        reason = (
            f"{href} ({name!r}) is one of the PCE's default pairing profiles (is_default), "
            "which no stack adopts: destroying the stack would delete it. Give this profile "
            "another name, or read the default one with PairingProfile.get or "
            "get_pairing_profile"
        )
    elif not adopt_existing:
        unfinished = f" ({creation.UNFINISHED_NOTE})" if creation.is_unfinished(existing) else ""
        reason = (
            f"a pairing profile named {name!r} already exists at {href}{unfinished}; this "
            "create did not make it, so it is not taken. Set adopt_existing=True only if no "
            "other stack manages that profile (e.g. it is this stack's own and its state was "
            "lost), and never when another resource of this program declares the same name"
        )
    else:
        return None
    return restate(refused, PairingProfileError, reason)  # type: ignore[return-value]
