"""One simulated PCE: the domain stores behind one lock, apart from HTTP (as getmoto/moto does).

:class:`PCEState` composes the per-kind stores (:mod:`.profiles`, :mod:`.labels`,
:mod:`.jobs`), the API key and rate limit (:mod:`.auth`) and the test-control state
(:mod:`.faults`, :mod:`.requestlog`, :mod:`.settings`). It holds one re-entrant lock, so the
threaded HTTP server can call it from any handler thread, and saves the data file after every
change. Time comes from an injectable ``clock`` (epoch seconds, ``time.time`` by default) so
tests pin timestamps and drive the rate limiter without sleeping.

What the simulated PCE does, with the public source of each behaviour, is in docs/pce-api.md.
Deliberate strictness beyond it (so client bugs show up here rather than against a real PCE):
unknown query parameters on collection GETs are refused with 406, and the pairing-key POST
needs a body that is exactly ``{}``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import persistence
from .auth import ApiKey, RateLimiter
from .clock import rfc3339
from .errors import ApiError
from .faults import Fault, FaultBook
from .jobs import Job, JobStore
from .labels import LabelStore
from .profiles import ProfileStore
from .queries import Query, collection_limit
from .requestlog import DEFAULT_LIMIT, RequestLog
from .settings import Settings

# Collections a GET (sync or async) can list.
COLLECTIONS = ("pairing_profiles", "labels")


class PCEState:
    """One simulated PCE: one API key bound to one org, plus the test-control state."""

    def __init__(
        self,
        *,
        api_key_username: str,
        api_key_secret: str,
        org_id: int = 1,
        rate_limit: int | None = None,
        rate_window: float = 60.0,
        data_file: str | os.PathLike[str] | None = None,
        clock: Callable[[], float] | None = None,
        settings: Settings | None = None,
        request_log_limit: int = DEFAULT_LIMIT,
    ) -> None:
        self.lock = threading.RLock()
        self.clock: Callable[[], float] = clock or time.time
        self.api_key = ApiKey(api_key_username, api_key_secret, org_id)
        self.rate_limiter = RateLimiter(rate_limit, rate_window)
        self.initial_settings = settings or Settings()
        problems = self.initial_settings.problems()
        if problems:
            raise ValueError("; ".join(problems))
        self.settings = self.initial_settings
        self.data_file = Path(data_file) if data_file is not None else None
        self.label_store = LabelStore(self.now)
        self.profile_store = ProfileStore(self.now, self.label_store.exists)
        self.job_store = JobStore(self.now)
        self.fault_book = FaultBook()
        self.request_log = RequestLog(request_log_limit)
        self.started_at = self.clock()
        self.data_lock = persistence.DataFileLock(self.data_file) if self.data_file else None
        self.hold_data_file()  # before reading it: no other simulator writes it meanwhile
        try:
            if self.data_file is not None and self.data_file.exists():
                persistence.load(self.data_file, org_id, self.profile_store, self.label_store)
            elif self.settings.seed_defaults:
                self.profile_store.seed_factory_defaults(org_id)
        except BaseException:
            self.release_data_file()
            raise

    def hold_data_file(self) -> None:
        """Take the data file's lock (idempotent); DataFileError if another simulator has it."""
        if self.data_lock is not None:
            self.data_lock.acquire()

    def release_data_file(self) -> None:
        if self.data_lock is not None:
            self.data_lock.release()

    # ----------------------------------------------------------------- identity

    @property
    def org_id(self) -> int:
        return self.api_key.org_id

    @property
    def api_key_username(self) -> str:
        return self.api_key.username

    @property
    def api_key_secret(self) -> str:
        return self.api_key.secret

    @property
    def profiles(self) -> dict[int, dict[str, Any]]:
        """The stored profiles by id (tests look at them directly)."""
        return self.profile_store.profiles

    @property
    def labels(self) -> dict[int, dict[str, Any]]:
        return self.label_store.labels

    def now(self) -> str:
        return rfc3339(self.clock())

    # ----------------------------------------------------------------- gatekeeping

    def authenticate(self, authorization: str | None) -> str:
        return self.api_key.authenticate(authorization)

    def check_org(self, org_id: int) -> None:
        self.api_key.check_org(org_id)

    def throttle(self, api_key: str) -> None:
        """Count one authenticated request against the key's rate limit; 429 beyond it."""
        with self.lock:
            wait = self.rate_limiter.hit(api_key, self.clock())
        if wait is not None:
            raise ApiError(
                429,
                "too_many_requests",
                f"Rate limit of {self.rate_limiter.limit} requests per "
                f"{self.rate_limiter.window:g} s exceeded; retry in {wait} s",
                {"Retry-After": str(wait)},
            )

    # ----------------------------------------------------------------- PCE-wide reads

    def health(self, fqdn: str) -> list[dict[str, Any]]:
        """``GET /health``: one standalone PCE in normal health."""
        return [
            {
                "status": "normal",
                "type": "standalone",
                "fqdn": fqdn,
                "available_seconds": max(0, int(self.clock() - self.started_at)),
                "notifications": [],
                "nodes": [],
            }
        ]

    def workload_settings(self, org_id: int) -> dict[str, Any]:
        self.check_org(org_id)
        return {"href": f"/orgs/{org_id}/settings/workloads"}

    # ----------------------------------------------------------------- collections

    def collection(self, kind: str, org_id: int, query: Query) -> list[dict[str, Any]]:
        """Every item of ``kind`` matching the filters, sorted by id, as reads show them."""
        self.check_org(org_id)
        collection_limit(query)  # validated even where it does not cap
        with self.lock:
            if kind == "labels":
                return self.label_store.matching(query)
            return self.profile_store.matching(query, self.settings.release)

    def list_collection(
        self, kind: str, org_id: int, query: Query
    ) -> tuple[list[dict[str, Any]], int]:
        """A synchronous collection GET: (at most max_results/500 items, total matches)."""
        items = self.collection(kind, org_id, query)
        return items[: collection_limit(query)], len(items)

    # ----------------------------------------------------------------- pairing profiles

    def get_profile(self, org_id: int, profile_id: int) -> dict[str, Any]:
        self.check_org(org_id)
        with self.lock:
            return self.profile_store.get(profile_id, self.settings.release)

    def create_profile(self, org_id: int, body: Any) -> dict[str, Any]:
        self.check_org(org_id)
        with self.lock:
            created = self.profile_store.create(org_id, body, self.settings.release)
            self._save()
            return created

    def update_profile(self, org_id: int, profile_id: int, body: Any) -> None:
        self.check_org(org_id)
        with self.lock:
            self.profile_store.update(profile_id, body)
            self._save()

    def delete_profile(self, org_id: int, profile_id: int) -> None:
        self.check_org(org_id)
        with self.lock:
            self.profile_store.delete(profile_id)
            self._save()

    def generate_pairing_key(self, org_id: int, profile_id: int, body: Any) -> dict[str, str]:
        self.check_org(org_id)
        with self.lock:
            key = self.profile_store.generate_key(profile_id, body)
            self._save()
            return key

    def revoke_pairing_keys(self, org_id: int, profile_id: int) -> None:
        self.check_org(org_id)
        with self.lock:
            self.profile_store.revoke_keys(profile_id)
            self._save()

    def pairing_keys(self) -> list[dict[str, Any]]:
        with self.lock:
            return self.profile_store.keys()

    # ----------------------------------------------------------------- labels

    def create_label(self, org_id: int, body: Any) -> dict[str, Any]:
        self.check_org(org_id)
        with self.lock:
            label = self.label_store.create(org_id, body)
            self._save()
            return label

    def get_label(self, org_id: int, label_id: int) -> dict[str, Any]:
        self.check_org(org_id)
        with self.lock:
            return self.label_store.get(label_id)

    def update_label(self, org_id: int, label_id: int, body: Any) -> None:
        self.check_org(org_id)
        with self.lock:
            self.label_store.update(label_id, body)
            self._save()

    def delete_label(self, org_id: int, label_id: int) -> None:
        self.check_org(org_id)
        with self.lock:
            self.label_store.delete(label_id)
            self._save()

    # ----------------------------------------------------------------- async jobs

    def start_job(self, kind: str, org_id: int, query: Query) -> Job:
        """Queue an asynchronous collection; the matches are fixed now, at request time."""
        items = self.collection(kind, org_id, query)
        with self.lock:
            settings = self.settings
            return self.job_store.start(
                org_id, kind, items, settings.job_progress(), settings.async_job_outcome
            )

    def poll_job(self, org_id: int, job_uuid: str) -> dict[str, Any]:
        self.check_org(org_id)
        with self.lock:
            return self.job_store.poll(job_uuid)

    def delete_job(self, org_id: int, job_uuid: str) -> None:
        self.check_org(org_id)
        with self.lock:
            self.job_store.delete(job_uuid)

    def get_datafile(self, org_id: int, datafile_uuid: str) -> list[dict[str, Any]]:
        self.check_org(org_id)
        with self.lock:
            return self.job_store.datafile(datafile_uuid)

    # ----------------------------------------------------------------- test control

    def log_request(self, method: str, target: str, status: int, body: Any) -> None:
        with self.lock:
            self.request_log.add(method, target, status, body)

    def requests(self) -> list[dict[str, Any]]:
        with self.lock:
            return self.request_log.listing()

    def clear_requests(self) -> None:
        with self.lock:
            self.request_log.clear()

    def add_fault(self, data: Any) -> dict[str, Any]:
        with self.lock:
            return self.fault_book.add(data)

    def list_faults(self) -> list[dict[str, Any]]:
        with self.lock:
            return self.fault_book.listing()

    def clear_faults(self) -> None:
        with self.lock:
            self.fault_book.clear()

    def take_fault(self, method: str, path: str, target: str) -> Fault | None:
        with self.lock:
            return self.fault_book.take(method, path, target)

    def update_settings(self, changes: Any) -> dict[str, Any]:
        with self.lock:
            self.settings = self.settings.updated(changes)
            return self.settings.to_dict()

    def reset(self, seed_defaults: bool | None = None) -> None:
        """Forget everything: objects, keys, jobs, log, faults, rate window, id counters,
        settings changed since start. Then seed a fresh PCE's defaults unless told not to."""
        with self.lock:
            self.settings = self.initial_settings
            for store in (self.profile_store, self.label_store, self.job_store):
                store.clear()
            self.request_log.clear()
            self.fault_book.clear()
            self.rate_limiter.clear()
            seed = self.settings.seed_defaults if seed_defaults is None else seed_defaults
            if seed:
                self.profile_store.seed_factory_defaults(self.org_id)
            self._save()

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return persistence.snapshot(self.org_id, self.profile_store, self.label_store)

    def _save(self) -> None:
        if self.data_file is not None:
            persistence.atomic_write_json(self.data_file, self.snapshot())


__all__ = ["COLLECTIONS", "ApiError", "Fault", "PCEState"]
