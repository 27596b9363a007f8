"""Route table: path regexes -> {HTTP method: name of the handler method in responses.py}.

API paths are matched after the ``/api/v2`` prefix is taken off; control paths whole.
Named groups ending in ``_id`` are passed to the handler method as ints, others as strings.
Ids are 1 to 18 ASCII digits: a longer id (or a non-ASCII digit) matches no route, so it is a
clean 404 rather than a huge ``int()``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

API_PREFIX = "/api/v2"
CONTROL_PREFIX = "/_simulator"

_ID = r"[0-9]{1,18}"
_ORG = rf"/orgs/(?P<org_id>{_ID})"
_PROFILE = _ORG + rf"/pairing_profiles/(?P<profile_id>{_ID})"
_UUID = r"[0-9a-fA-F-]{1,64}"

# The org part of any API path, checked before routing: another org's paths answer 403
# even where the rest of the path would not exist.
ORG_PREFIX = re.compile(rf"^/orgs/(?P<org_id>{_ID})(?:/|$)")


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern[str]
    methods: dict[str, str]


def _route(regex: str, **methods: str) -> Route:
    return Route(re.compile(f"^{regex}$"), methods)


API_ROUTES: tuple[Route, ...] = (
    _route(r"/health", GET="get_health"),
    _route(_ORG + r"/settings/workloads", GET="get_workload_settings"),
    _route(_ORG + r"/pairing_profiles", GET="list_pairing_profiles", POST="create_pairing_profile"),
    _route(
        _PROFILE,
        GET="get_pairing_profile",
        PUT="update_pairing_profile",
        DELETE="delete_pairing_profile",
    ),
    _route(_PROFILE + r"/pairing_key", POST="create_pairing_key"),
    _route(_PROFILE + r"/pairing_keys", DELETE="revoke_pairing_keys"),
    _route(_ORG + r"/labels", GET="list_labels", POST="create_label"),
    _route(
        _ORG + rf"/labels/(?P<label_id>{_ID})",
        GET="get_label",
        PUT="update_label",
        DELETE="delete_label",
    ),
    _route(_ORG + rf"/jobs/(?P<job_uuid>{_UUID})", GET="get_job", DELETE="delete_job"),
    _route(_ORG + rf"/datafiles/(?P<datafile_uuid>{_UUID})", GET="get_datafile"),
)

CONTROL_ROUTES: tuple[Route, ...] = (
    _route(
        CONTROL_PREFIX + "/requests", GET="control_get_requests", DELETE="control_clear_requests"
    ),
    _route(CONTROL_PREFIX + "/reset", POST="control_reset"),
    _route(
        CONTROL_PREFIX + "/faults",
        GET="control_list_faults",
        POST="control_add_fault",
        DELETE="control_clear_faults",
    ),
    _route(CONTROL_PREFIX + "/pairing_keys", GET="control_pairing_keys"),
    _route(CONTROL_PREFIX + "/settings", GET="control_get_settings", PUT="control_put_settings"),
)


def resolve(routes: tuple[Route, ...], path: str) -> tuple[Route, dict[str, Any]] | None:
    """The route matching ``path`` and its converted parameters, or None."""
    for route in routes:
        match = route.pattern.match(path)
        if match:
            params = {
                name: int(value) if name.endswith("_id") else value
                for name, value in match.groupdict().items()
            }
            return route, params
    return None


def is_control(path: str) -> bool:
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")
