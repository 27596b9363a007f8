"""Asynchronous collection jobs and the datafiles they produce (docs/pce-api.md, "Async").

A job's items are fixed when it is requested. Each poll reports the next status of the
configured progress (e.g. ``["pending", "running"]``), then the outcome: ``done`` with
``result: {"href": <datafile>}``, or ``failed`` with ``result: {"message": ...}``. Until then
``result`` is null, as the PCE answers.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .auth import USER_HREF
from .errors import not_found

JOB_PROGRESS = ("pending", "running")
JOB_OUTCOMES = ("done", "failed")
FAILED_MESSAGE = "The asynchronous collection job failed (simulated)"


@dataclass
class Job:
    uuid: str
    org_id: int
    job_type: str
    requested_at: str
    items: list[dict[str, Any]]
    progress: list[str]  # statuses still to report, one per poll
    outcome: str
    status: str = "pending"
    terminated_at: str | None = None
    result: dict[str, str] | None = None
    polls: int = field(default=0)

    @property
    def href(self) -> str:
        return f"/orgs/{self.org_id}/jobs/{self.uuid}"

    def view(self) -> dict[str, Any]:
        return {
            "href": self.href,
            "job_type": self.job_type,
            "description": f"Asynchronous collection of {self.job_type}",
            "status": self.status,
            "requested_at": self.requested_at,
            "terminated_at": self.terminated_at,
            "requested_by": {"href": USER_HREF},
            "result": copy.deepcopy(self.result),
        }


class JobStore:
    """Jobs by uuid and the datafiles of finished ones."""

    def __init__(self, now: Callable[[], str]) -> None:
        self._now = now
        self.clear()

    def clear(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.datafiles: dict[str, list[dict[str, Any]]] = {}

    def start(
        self,
        org_id: int,
        kind: str,
        items: list[dict[str, Any]],
        progress: list[str],
        outcome: str,
    ) -> Job:
        job = Job(str(uuid.uuid4()), org_id, kind, self._now(), items, list(progress), outcome)
        self._advance(job)  # a job with no progress to show is done at once
        self.jobs[job.uuid] = job
        return job

    def _advance(self, job: Job) -> None:
        if job.result is not None or job.status == "failed":
            return
        if job.progress:
            job.status = job.progress.pop(0)
            return
        job.status = job.outcome
        job.terminated_at = self._now()
        if job.outcome == "failed":
            job.result = {"message": FAILED_MESSAGE}
            return
        datafile = str(uuid.uuid4())
        self.datafiles[datafile] = job.items
        job.result = {"href": f"/orgs/{job.org_id}/datafiles/{datafile}"}

    def _job(self, job_uuid: str) -> Job:
        job = self.jobs.get(job_uuid)
        if job is None:
            raise not_found(f"Job {job_uuid}")
        return job

    def poll(self, job_uuid: str) -> dict[str, Any]:
        """The job as this poll sees it; the poll then moves it one status on."""
        job = self._job(job_uuid)
        job.polls += 1
        view = job.view()
        self._advance(job)
        return view

    def delete(self, job_uuid: str) -> None:
        self._job(job_uuid)
        del self.jobs[job_uuid]

    def datafile(self, datafile_uuid: str) -> list[dict[str, Any]]:
        items = self.datafiles.get(datafile_uuid)
        if items is None:
            raise not_found(f"Datafile {datafile_uuid}")
        return copy.deepcopy(items)
