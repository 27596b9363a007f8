"""Query strings of collection GETs: which filters exist, how they match, ``max_results``."""

from __future__ import annotations

import json
from typing import Any

from .errors import invalid, raise_invalid
from .releases import DEFAULT_RELEASE

SYNC_COLLECTION_CAP = 500
# Far above any real collection; bounds int() on hostile input.
MAX_RESULTS_DIGITS = 10

Query = dict[str, str]

PROFILE_QUERY = frozenset(
    {
        "name",
        "description",
        "agent_software_release",
        "external_data_set",
        "external_data_reference",
        "ven_type",
        "labels",
        "max_results",
    }
)
LABEL_QUERY = frozenset(
    {"key", "value", "external_data_set", "external_data_reference", "max_results"}
)


def check_query(query: Query, allowed: frozenset[str]) -> None:
    """Deliberately strict: an unknown filter is a 406, so client typos show up here."""
    unknown = sorted(set(query) - allowed)
    raise_invalid([f"Unknown query parameter {name[:64]!r}" for name in unknown])


def collection_limit(query: Query) -> int:
    """``max_results`` (0 or more) or the PCE's default cap of 500.

    0 is valid: the answer is an empty array whose ``X-Total-Count`` still tells the total
    (Illumio's SDK ``get_all()`` sends it to learn the count first).
    """
    raw = query.get("max_results")
    if raw is None:
        return SYNC_COLLECTION_CAP
    if not (raw.isascii() and raw.isdigit() and len(raw) <= MAX_RESULTS_DIGITS):
        raise invalid(
            f"The query parameter 'max_results' must be an integer of 0 or more, got {raw[:32]!r}"
        )
    return int(raw)


def label_sets(raw: str) -> list[set[str]]:
    """The ``labels`` filter: a JSON list of lists of label hrefs."""
    try:
        decoded = json.loads(raw)
    except (ValueError, RecursionError):
        decoded = None
    if not isinstance(decoded, list) or not all(
        isinstance(inner, list) and all(isinstance(href, str) for href in inner)
        for inner in decoded
    ):
        raise invalid(
            "The query parameter 'labels' must be a JSON list of lists of label hrefs, "
            f"got {raw[:64]!r}"
        )
    return [set(inner) for inner in decoded]


def profile_matches(
    profile: dict[str, Any], query: Query, wanted_labels: list[set[str]] | None
) -> bool:
    if "name" in query and query["name"].lower() not in profile["name"].lower():
        return False
    if "description" in query and query["description"] not in profile["description"]:
        return False
    for name in ("external_data_set", "external_data_reference", "ven_type"):
        if name in query and profile[name] != query[name]:
            return False
    release = query.get("agent_software_release")
    stored = profile["agent_software_release"]
    # Matches both what was stored (null) and what a read shows for it (the Default string).
    if release is not None and release not in (stored, stored or DEFAULT_RELEASE):
        return False
    if wanted_labels is not None:
        carried = {label["href"] for label in profile["labels"]}
        return any(wanted <= carried for wanted in wanted_labels)
    return True


def label_matches(label: dict[str, Any], query: Query) -> bool:
    if "key" in query and label["key"] != query["key"]:
        return False
    if "value" in query and query["value"].lower() not in label["value"].lower():
        return False
    return all(
        label[name] == query[name]
        for name in ("external_data_set", "external_data_reference")
        if name in query
    )
