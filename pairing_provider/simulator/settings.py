"""Test-control settings: which PCE the simulator pretends to be (README, "Settings").

Set at start (``Simulator(...)`` arguments, CLI options) and changed at run time with
``PUT /_simulator/settings``; a reset goes back to the values given at start.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from .jobs import JOB_OUTCOMES, JOB_PROGRESS
from .releases import RELEASES

LOCATIONS = ("path", "absolute")
_HOST_PORT = re.compile(r"[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]{2,45}\](:[0-9]{1,5})?")


@dataclass
class Settings:
    # Shape of profile GET bodies: "current" or "legacy" (see releases.py).
    release: str = "current"
    # The async 202's Location: a path (/orgs/1/jobs/<uuid>) or an absolute URL.
    location: str = "path"
    # Host[:port] an absolute Location points at; None = the simulator's own.
    location_host: str | None = None
    # Retry-After of the async 202, in seconds.
    async_retry_after: float = 0.0
    # Statuses a job reports on successive polls before its outcome; None = derived:
    # ["running"] when async_retry_after > 0 (a slow PCE), else [] (done at once).
    async_job_progress: list[str] | None = None
    async_job_outcome: str = "done"
    # Whether a reset (and a start without a data file) adds a fresh PCE's default profiles.
    seed_defaults: bool = False

    def job_progress(self) -> list[str]:
        if self.async_job_progress is not None:
            return list(self.async_job_progress)
        return ["running"] if self.async_retry_after > 0 else []

    def updated(self, changes: Any) -> Settings:
        """A copy with ``changes`` applied; ValueError names every bad field."""
        if not isinstance(changes, dict):
            raise ValueError("settings must be a JSON object")
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown settings: {unknown}; known: {sorted(known)}")
        result = dataclasses.replace(self, **changes)
        problems = result.problems()
        if problems:
            raise ValueError("; ".join(problems))
        return result

    def problems(self) -> list[str]:
        problems = []
        if self.release not in RELEASES:
            problems.append(f"release must be one of {list(RELEASES)}")
        if self.location not in LOCATIONS:
            problems.append(f"location must be one of {list(LOCATIONS)}")
        host = self.location_host
        if host is not None and not (isinstance(host, str) and _HOST_PORT.fullmatch(host)):
            problems.append("location_host must be null or host[:port]")
        retry = self.async_retry_after
        if isinstance(retry, bool) or not isinstance(retry, int | float) or not retry >= 0:
            problems.append("async_retry_after must be a non-negative number")
        progress = self.async_job_progress
        if progress is not None and not (
            isinstance(progress, list) and all(s in JOB_PROGRESS for s in progress)
        ):
            problems.append(f"async_job_progress must be null or a list of {list(JOB_PROGRESS)}")
        if self.async_job_outcome not in JOB_OUTCOMES:
            problems.append(f"async_job_outcome must be one of {list(JOB_OUTCOMES)}")
        if not isinstance(self.seed_defaults, bool):
            problems.append("seed_defaults must be a boolean")
        return problems

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
