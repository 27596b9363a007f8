"""What proves that a pairing profile found after a lost create answer is this create's own.

Timing, values and ``created_by`` cannot tell two creators apart: another stack of the same
program, with the same API key, may create the same-named profile with the same values a
moment after our POST. So the POST carries something only it can carry: a description with
128 random bits, made for this one create (and kept on its resends). A profile found with it
is ours; any other is never claimed. The PUT that follows gives the profile the program's
description and ``enabled`` (one more request per create). Until then the profile is disabled,
so one left half-made, by a process killed between the two requests, pairs nothing; its
description says what it is.

Why a description and not a temporary name: the name stays the program's, so a taken name is
still refused by the POST itself with nothing made (adoption costs what it did), no rename can
be refused, and no look-up by name ever meets a temporary profile.

Pulumi-free.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, Final

UNFINISHED_PREFIX: Final = "pulumi create in progress"
# Set by the PUT that finishes a create (both differ in the POST).
FINISHED_BY_PUT: Final = frozenset({"description", "enabled"})
LEFT_DESCRIBED: Final = f"its description starting {UNFINISHED_PREFIX!r}"
UNFINISHED_NOTE: Final = (
    f"{LEFT_DESCRIBED}: a create of this provider did not finish it, because it was "
    "interrupted or is still under way in another stack"
)


class Proof:
    """The mark of one create: the description only its POST carries."""

    def __init__(self) -> None:
        token = secrets.token_hex(16)
        self.description = (
            f"{UNFINISHED_PREFIX} (token {token}); if this stays, that create was interrupted"
        )

    def post_body(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The program's POST body, marked, and disabled until the PUT finishes it."""
        return {**body, "description": self.description, "enabled": False}

    def made(self, profile: Mapping[str, Any]) -> bool:
        """True when ``profile`` was made by the POST that carried this proof (an exact match:
        the PCE's filters match parts of a value)."""
        return profile.get("description") == self.description


def is_unfinished(profile: Mapping[str, Any]) -> bool:
    """A profile whose create (of this provider, by whatever stack) has not been finished."""
    description = profile.get("description")
    return isinstance(description, str) and description.startswith(UNFINISHED_PREFIX)
