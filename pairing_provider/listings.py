"""Collections: every match of a collection GET, synchronously, or through the PCE's
asynchronous collection job past its synchronous cap (500)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from pairing_provider.answers import json_object, json_objects, unexpected
from pairing_provider.attempt import ERROR_TEXT_CHARS
from pairing_provider.config import Settings
from pairing_provider.errors import JobFailedError
from pairing_provider.hrefs import DATAFILE_HREF, JOB_HREF, href_problem
from pairing_provider.retry import retry_after_seconds
from pairing_provider.session import PCESession, origin

log = logging.getLogger("pairing_provider")

JOB_POLL_SECONDS = 1.0
API_PREFIX = "/api/v2"


class ListingSession(PCESession):
    """A session that also lists collections, waiting for an asynchronous job when needed."""

    def __init__(self, settings: Settings, **options: Any) -> None:
        super().__init__(settings, **options)
        self._large_collections: set[str] = set()  # listings seen past the synchronous cap

    def get_collection(self, path: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Every match of a collection GET: synchronous, or asynchronous past the sync cap.

        A collection this client saw past the cap goes asynchronous at once: the synchronous
        page would be thrown away.
        """
        large = self._large_collections
        query = {k: v for k, v in (params or {}).items() if v is not None}
        capped_by_caller = "max_results" in query
        key = f"{path}?{sorted(query.items())}"
        if key in large and not capped_by_caller:
            return self._get_collection_async(path, query)
        response = self.request("GET", path, params=query)
        items = json_objects(response, "GET", path)
        total = _int_header(response, "X-Total-Count")
        if capped_by_caller or total is None or total <= len(items):
            return items
        log.info("%s: %d matches, past the synchronous cap: async collection", path, total)
        if len(large) > 64:
            large.clear()  # bounded: a few collections are ever listed
        large.add(key)
        return self._get_collection_async(path, query)

    def forget_collection_sizes(self) -> None:
        self._large_collections.clear()

    def _get_collection_async(self, path: str, params: Mapping[str, Any]) -> list[Any]:
        started = self.request("GET", path, params=params, headers={"Prefer": "respond-async"})
        location = started.headers.get("Location")
        if started.status_code != 202 or not location:
            raise JobFailedError(
                status=started.status_code,
                method="GET",
                path=path,
                request_id=started.headers.get("Request-ID"),
                detail="the PCE did not start an asynchronous collection job",
            )
        job_href = self._api_href(started, path, location, JOB_HREF, "job Location")
        wait = retry_after_seconds(started) or 0.0
        while True:
            self._wait_for_job(path, job_href, wait)
            poll = self.request("GET", job_href)
            job = json_object(poll, "GET", job_href)
            status = job.get("status")
            if status == "done":
                result = job.get("result")
                raw = result.get("href") if isinstance(result, dict) else None
                if not isinstance(raw, str):
                    raise unexpected(poll, "GET", job_href, "a done job without result.href")
                href = self._api_href(poll, job_href, raw, DATAFILE_HREF, "job result.href")
                return json_objects(self.request("GET", href), "GET", href)
            if status == "failed":
                result = job.get("result")
                why = result.get("message") if isinstance(result, dict) else None
                raise JobFailedError(
                    status=poll.status_code,
                    method="GET",
                    path=job_href,
                    request_id=poll.headers.get("Request-ID"),
                    detail=f"asynchronous collection of {path} failed"
                    + (f": {str(why)[:ERROR_TEXT_CHARS]}" if why else ""),
                )
            wait = retry_after_seconds(poll) or JOB_POLL_SECONDS

    def _wait_for_job(self, path: str, job_href: str, wait: float) -> None:
        """Sleep as the PCE asked before the next poll, unless that passes the deadline."""
        left = self.remaining()
        if wait >= left:
            raise JobFailedError(
                status=0,
                method="GET",
                path=job_href,
                detail=(
                    f"asynchronous collection of {path} not done: the PCE asked to poll again "
                    f"in {wait:g}s, past the {self.settings.operation_timeout:g}s operation "
                    f"timeout ({max(0.0, left):.1f}s left)"
                ),
            )
        if wait > 0:
            self._sleep(wait)

    def _api_href(
        self,
        response: requests.Response,
        path: str,
        location: str,
        shape: Any,
        what: str,
    ) -> str:
        """An href from the PCE (a path under /api/v2, or an absolute URL on the PCE's own
        host) as a relative href of ``shape``; anything else is refused, never followed."""
        shown = location[:200]
        relative = location
        if "://" in location or location.startswith("//"):
            if origin(location) != origin(self.settings.pce_host):
                raise unexpected(
                    response, "GET", path, f"a {what} on another host ({shown}); not followed"
                )
            relative = urlsplit(location).path
        if relative.startswith(API_PREFIX + "/"):
            relative = relative[len(API_PREFIX) :]
        problem = href_problem(shape, relative, "", self.settings.org_id)
        if problem is not None:
            raise unexpected(response, "GET", path, f"a {what} {shown!r} that is not valid")
        return relative


def _int_header(response: requests.Response, name: str) -> int | None:
    value = response.headers.get(name, "").strip()
    return int(value) if value.isascii() and value.isdigit() else None
