"""Create the labels the fleet program refers to, where the PCE does not have them yet.

The fleet's profiles name their labels by key and value, and the provider looks those up in the
PCE: a label that does not exist is a check failure, not something the provider invents. In a
real org the labels usually exist already; against a fresh simulator, ``scripts/demo`` runs
this first. Running it again changes nothing.

    python examples/fleet/seed_labels.py

Connection settings come from the environment variables of README "Configuration"
(``ILLUMIO_PCE_HOST``, ``ILLUMIO_API_KEY_USERNAME``, ``ILLUMIO_API_KEY_SECRET``, ...).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from pairing_provider import IllumioError, Settings
from pairing_provider.client import PCEClient

# Every (key, value) pair examples/fleet/__main__.py puts on a profile.
FLEET_LABELS: tuple[tuple[str, str], ...] = (
    ("env", "prod"),
    ("env", "staging"),
    ("app", "storefront"),
)


def missing_labels(
    existing: Iterable[dict[str, object]], wanted: Iterable[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The wanted pairs no existing label carries (exact match: the PCE's filter is partial)."""
    present = {(label.get("key"), label.get("value")) for label in existing}
    return [pair for pair in wanted if pair not in present]


def seed(
    client: PCEClient, wanted: Iterable[tuple[str, str]] = FLEET_LABELS
) -> list[dict[str, object]]:
    """Create the missing labels; return the ones created."""
    created = []
    for key, value in missing_labels(client.list_labels(), wanted):
        response = client.request(
            "POST", f"{client.org_href}/labels", json_body={"key": key, "value": value}
        )
        created.append(response.json())
    return created


def main() -> int:
    try:
        client = PCEClient(Settings.load())
        try:
            created = seed(client)
        finally:
            client.close()
    except IllumioError as exc:
        print(f"seed_labels: {exc}", file=sys.stderr)
        return 1
    names = ", ".join(f"{label['key']}={label['value']}" for label in created) or "none"
    print(f"labels: {len(FLEET_LABELS)} wanted, created: {names}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
