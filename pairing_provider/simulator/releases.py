"""What a profile GET looks like on different PCE releases (docs/pce-api.md, "GET bodies").

A read is rendered from the stored profile for one *release shape*:

* ``current``: every stored property, the deprecated ``mode``/``mode_lock`` included, but not
  ``ven_type`` (no published real response carries it, though the PCE keeps it).
* ``legacy``: as older releases answer: also without ``enforcement_mode_lock``,
  ``log_traffic`` and ``log_traffic_lock``, and with numeric key limits as numeric strings.

Quirks common to both: ``agent_software_release`` stored as null reads back as the PCE's
default VEN release (``"Default (21.5.20-8451)"``); a numeric ``allowed_uses_per_key`` reads
back as a numeric string (``"5"``); ``mode`` is derived from ``enforcement_mode``
(``selective`` shows as is).
"""

from __future__ import annotations

import copy
from typing import Any

DEFAULT_RELEASE = "Default (21.5.20-8451)"
RELEASES = ("current", "legacy")

LEGACY_MODE_OF = {
    "idle": "idle",
    "visibility_only": "illuminated",
    "selective": "selective",
    "full": "enforced",
}
_NEVER_READ = ("ven_type",)
_LEGACY_ABSENT = ("enforcement_mode_lock", "log_traffic", "log_traffic_lock")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_release(release: Any) -> str:
    if release not in RELEASES:
        raise ValueError(f"release must be one of {', '.join(RELEASES)}; got {release!r}")
    return str(release)


def render_profile(profile: dict[str, Any], release: str = "current") -> dict[str, Any]:
    """The stored profile as a GET on ``release`` shows it."""
    view = copy.deepcopy(profile)
    view["mode"] = LEGACY_MODE_OF[profile["enforcement_mode"]]
    view["mode_lock"] = profile["enforcement_mode_lock"]
    if profile["agent_software_release"] is None:
        view["agent_software_release"] = DEFAULT_RELEASE
    limits = ("allowed_uses_per_key", "key_lifespan") if release == "legacy" else ()
    for name in ("allowed_uses_per_key", *limits):
        if _is_int(profile[name]):
            view[name] = str(profile[name])
    hidden = _NEVER_READ + (_LEGACY_ABSENT if release == "legacy" else ())
    for name in hidden:
        view.pop(name, None)
    return view
