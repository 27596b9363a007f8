"""Where this tool was installed from, as the line of the new project's requirements.txt.

The new project must install the very release that wrote it, on any machine (a CI runner too).
pip records a direct-URL install in ``direct_url.json`` (PEP 610, docs/packaging.md): a VCS
install gives ``pairing_provider @ git+URL@COMMIT``, a wheel or sdist at a remote URL gives
``pairing_provider @ URL``, and no record at all means an index install,
``pairing_provider==X.Y.Z``. A local directory or file (an editable checkout, a wheel on disk)
names nothing another machine can install: then the requirements file says to pass
``--requirement``, and so does the report.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any

DISTRIBUTION = "pairing_provider"
SPEC_EXAMPLE = "pairing_provider @ git+https://github.com/ORG/pairing_provider@v0.3.0"
LOCAL_SCHEMES = ("file:",)


@dataclass(frozen=True)
class Requirement:
    line: str | None  # None: no source another machine could install
    note: str = ""


def installed_requirement() -> Requirement:
    """The requirement for the ``pairing_provider`` this process runs. Only an installed
    distribution counts (one an installer recorded, ``INSTALLER``): a source tree's own
    ``*.egg-info`` on ``sys.path`` says nothing about where the package came from."""
    found = [
        dist
        for dist in metadata.distributions(name=DISTRIBUTION)
        if dist.read_text("INSTALLER") is not None
    ]
    if not found:
        return _local("it runs from a source tree that was never installed")
    direct_url = found[0].read_text("direct_url.json")
    return requirement_from(found[0].version, json.loads(direct_url) if direct_url else None)


def requirement_from(version: str, direct_url: Mapping[str, Any] | None) -> Requirement:
    """The requirement for ``version`` installed as ``direct_url`` (PEP 610) says."""
    if direct_url is None:
        return Requirement(f"{DISTRIBUTION}=={version}")  # from a package index
    url = str(direct_url.get("url", ""))
    if not url or url.startswith(LOCAL_SCHEMES):
        return _local("it was installed from a local directory or file")
    subdirectory = direct_url.get("subdirectory")
    fragment = f"#subdirectory={subdirectory}" if isinstance(subdirectory, str) else ""
    vcs = direct_url.get("vcs_info")
    if isinstance(vcs, Mapping):
        commit = vcs.get("commit_id")
        prefix = "" if url.startswith(f"{vcs.get('vcs')}+") else f"{vcs.get('vcs')}+"
        return Requirement(f"{DISTRIBUTION} @ {prefix}{url}@{commit}{fragment}")
    return Requirement(f"{DISTRIBUTION} @ {url}{fragment}")  # a wheel or sdist at a URL


def _local(why: str) -> Requirement:
    return Requirement(
        None,
        f"{DISTRIBUTION} is not listed: this migration tool cannot name a source another "
        f"machine can install ({why}). Add the line that installs the release you use, e.g. "
        f"'{SPEC_EXAMPLE}', or run the migration again with --requirement SPEC.",
    )
