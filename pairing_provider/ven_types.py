"""A pairing profile's ``ven_type``, which no GET reports: the PCE's ``ven_type`` collection
filter tells it (docs/pce-api.md). Adoption and a diff against a state that does not know it
ask the filter, the program's value first (one listing when it matches, up to three else).

Pulumi-free.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pairing_provider.declaration import literal_values
from pairing_provider.errors import PairingProfileError
from pairing_provider.models import VenType

if TYPE_CHECKING:
    from pairing_provider.endpoints import PCEEndpoints


def listed_ven_type(
    client: PCEEndpoints, existing: dict[str, Any], *, expected: str, name: str
) -> str | None:
    """The ven_type the PCE's filter lists the profile under (``expected`` asked first), or
    None when no value lists it (a PCE that does not filter by it)."""
    if existing.get("ven_type") is not None:
        return str(existing["ven_type"])
    others = [value for value in literal_values(VenType) if value != expected]
    for candidate in [expected, *others]:
        now_named = str(existing.get("name") or name)  # its name now, before any rename
        matches = client.list_pairing_profiles(name=now_named, ven_type=candidate)
        if any(match.get("href") == existing["href"] for match in matches):
            return candidate
    return None


def ven_type_of(client: PCEEndpoints, existing: dict[str, Any], *, expected: str, name: str) -> str:
    """The profile's ven_type, ``expected`` when the PCE does not filter by it either (then
    there is nothing to compare)."""
    listed = listed_ven_type(client, existing, expected=expected, name=name)
    return expected if listed is None else listed


def require_ven_type(
    client: PCEEndpoints, existing: dict[str, Any], wanted: str | None, name: str, verb: str
) -> None:
    """Refuse, before any write, to ``verb`` (adopt, update) a profile of another ven_type than
    the program's: ven_type can only be set when a profile is created."""
    if wanted is None:
        return  # the program leaves ven_type to the PCE: whatever it is, it is kept
    actual = ven_type_of(client, existing, expected=wanted, name=name)
    if actual != wanted:
        raise PairingProfileError(
            status=0,
            method="PUT",
            path=existing["href"],
            detail=(
                f"cannot {verb} {existing['href']}: its ven_type is {actual!r} and the "
                f"program says {wanted!r}, and ven_type can only be set when a "
                f"profile is created. Declare ven_type={actual!r} to {verb} it, or give "
                "the new profile another name"
            ),
        )
