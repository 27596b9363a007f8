"""The shapes of the PCE hrefs this package sends, checked in one place.

An href is relative to the API base URL (``/orgs/1/pairing_profiles/7``). Every pattern is
matched whole (``fullmatch``) with ASCII digits only: ``"/orgs/1/labels/1\\n"``, non-ASCII
digits and ``..`` segments never pass, so nothing but the object named can be reached.
"""

from __future__ import annotations

import re

_ID = r"(0|[1-9][0-9]{0,17})"  # ASCII digits, no leading zero, far below any overflow
PROFILE_HREF = re.compile(rf"/orgs/{_ID}/pairing_profiles/{_ID}", re.ASCII)
LABEL_HREF = re.compile(rf"/orgs/{_ID}/labels/{_ID}", re.ASCII)
JOB_HREF = re.compile(rf"/orgs/{_ID}/jobs/[0-9a-fA-F-]{{1,64}}", re.ASCII)
DATAFILE_HREF = re.compile(rf"/orgs/{_ID}/datafiles/[0-9a-fA-F-]{{1,64}}", re.ASCII)

PROFILE_EXAMPLE = "/orgs/1/pairing_profiles/7"
LABEL_EXAMPLE = "/orgs/1/labels/7"


def href_problem(
    pattern: re.Pattern[str],
    value: object,
    example: str,
    org_id: int | None = None,
    *,
    shape: str | None = None,
) -> str | None:
    """Why ``value`` is not an href of ``pattern`` (in org ``org_id`` when given), or None.

    ``shape`` words the wrong-shape reason (default: ``must be an href like "<example>"``).
    """
    match = pattern.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return shape or f'must be an href like "{example}"'
    org = int(match.group(1))
    if org_id is not None and org != org_id:
        return f"is in org {org}, not the configured org {org_id}"
    return None


def profile_id(href: str) -> str:
    """The number at the end of a valid profile href (``"7"``)."""
    match = PROFILE_HREF.fullmatch(href)
    if match is None:
        raise ValueError(f'not a pairing profile href like "{PROFILE_EXAMPLE}"')
    return match.group(2)
