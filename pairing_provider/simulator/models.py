"""State and rules of the simulated Illumio PCE, kept apart from HTTP (as getmoto/moto does).

Everything a request can see or change lives in one :class:`PCEState`, guarded by one
re-entrant lock, so the threaded HTTP server can call it from any handler thread. Time comes
from an injectable ``clock`` (a callable returning epoch seconds, ``time.time`` by default)
so tests can pin timestamps and drive the rate limiter without sleeping.

Quirks of the real PCE reproduced on purpose, because clients must cope with them
(see FACTS.md section 1):

* ``agent_software_release`` stored as null (the PCE's default VEN release) reads back as
  ``"Default (21.5.20-8451)"``.
* ``allowed_uses_per_key`` stored as a number reads back as a numeric string (``"5"``), while
  a numeric ``key_lifespan`` reads back as an integer. Numeric strings are refused on input.
* Reads carry the deprecated ``mode`` (idle -> idle, visibility_only/selective ->
  illuminated, full -> enforced) and ``mode_lock`` (= ``enforcement_mode_lock``).
* Refusals are a JSON array of ``{"token", "message"}``; schema problems are 406.
* A synchronous collection GET returns at most 500 items (``X-Total-Count`` tells the real
  total); only an asynchronous collection job returns everything.

Deliberate strictness (so client bugs show up here rather than against a real PCE):
unknown query parameters on collection GETs are refused with 406, and the pairing-key POST
needs a body that is exactly ``{}``.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hmac
import json
import math
import os
import re
import secrets
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .validation import label_errors, profile_errors

DEFAULT_RELEASE = "Default (21.5.20-8451)"
SYNC_COLLECTION_CAP = 500
USER_HREF = "/users/1"
DATA_FILE_VERSION = 1

# Filters each collection understands; anything else in the query string is refused.
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
LEGACY_MODE_OF = {
    "idle": "idle",
    "visibility_only": "illuminated",
    "selective": "illuminated",
    "full": "enforced",
}
MODE_TO_ENFORCEMENT = {"idle": "idle", "illuminated": "visibility_only", "enforced": "full"}

Query = dict[str, str]


class ApiError(Exception):
    """A refusal answered with ``status`` and a JSON array of ``{"token", "message"}``."""

    def __init__(
        self,
        status: int,
        token: str,
        messages: str | list[str],
        headers: dict[str, str] | None = None,
    ) -> None:
        texts = [messages] if isinstance(messages, str) else messages
        self.status = status
        self.body: list[dict[str, str]] = [{"token": token, "message": m} for m in texts]
        self.headers = headers or {}
        super().__init__(f"{status} {token}: {texts[0]}")


def invalid(messages: str | list[str]) -> ApiError:
    return ApiError(406, "input_validation_error", messages)


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def _raise_invalid(errors: list[str]) -> None:
    if errors:
        raise invalid(errors)


def rfc3339(epoch: float) -> str:
    """RFC 3339 UTC with milliseconds and Z, the PCE's timestamp format."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def format_seconds(value: float) -> str:
    """A Retry-After value: whole seconds as an integer, fractions kept (tests scale down)."""
    number = float(value)
    return str(int(number)) if number.is_integer() else str(number)


# --------------------------------------------------------------------------- faults


FAULT_FIELDS = frozenset(
    {"method", "path", "status", "count", "retry_after", "delay", "drop_connection", "when", "body"}
)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass
class Fault:
    """One injected failure for the next ``count`` API requests that match it."""

    method: str | None = None
    path: str | None = None
    status: int = 503
    count: int = 1
    retry_after: float | None = None
    delay: float = 0.0
    drop_connection: bool = False
    when: str = "before"
    body: Any = None

    @classmethod
    def from_dict(cls, data: Any) -> Fault:
        """Build a fault from control-API JSON; ValueError names every bad field."""
        if not isinstance(data, dict):
            raise ValueError("a fault must be a JSON object")
        unknown = sorted(set(data) - FAULT_FIELDS)
        if unknown:
            raise ValueError(f"unknown fault fields: {unknown}")
        fault = cls(**data)
        problems = fault._problems()
        if problems:
            raise ValueError("; ".join(problems))
        if fault.method:
            fault.method = fault.method.upper()
        return fault

    def _problems(self) -> list[str]:
        problems = []
        if self.method is not None and not isinstance(self.method, str):
            problems.append("method must be a string")
        if self.path is not None:
            try:
                re.compile(self.path)
            except (re.error, TypeError) as exc:
                problems.append(f"path must be a valid regex: {exc}")
        if not _is_int(self.status) or not 100 <= self.status <= 599:
            problems.append("status must be an integer from 100 to 599")
        if not _is_int(self.count) or self.count < 1:
            problems.append("count must be a positive integer")
        if self.retry_after is not None and not (
            _is_number(self.retry_after) and self.retry_after >= 0
        ):
            problems.append("retry_after must be a non-negative number")
        if not _is_number(self.delay) or self.delay < 0:
            problems.append("delay must be a non-negative number")
        if not isinstance(self.drop_connection, bool):
            problems.append("drop_connection must be a boolean")
        if self.when not in ("before", "after"):
            problems.append('when must be "before" or "after"')
        return problems

    def matches(self, method: str, path: str, target: str) -> bool:
        """Method equal (when set) and path regex found in the path or path+query."""
        if self.method and self.method != method:
            return False
        if self.path is None:
            return True
        return re.search(self.path, path) is not None or re.search(self.path, target) is not None

    def response_body(self) -> Any:
        if self.body is not None:
            return self.body
        return [{"token": "simulated_fault", "message": f"Simulated fault: HTTP {self.status}"}]

    def retry_after_header(self) -> str | None:
        return None if self.retry_after is None else format_seconds(self.retry_after)


# --------------------------------------------------------------------------- other records


@dataclass
class IssuedKey:
    """An activation code the simulator handed out (kept for test introspection only)."""

    profile_href: str
    activation_code: str
    generated_at: str
    revoked: bool = False


@dataclass
class Job:
    """An asynchronous collection request; its result is fixed when it is requested."""

    uuid: str
    org_id: int
    job_type: str
    requested_at: str
    items: list[dict[str, Any]]
    polls: int = 0
    terminated_at: str | None = None
    datafile_uuid: str | None = None

    @property
    def href(self) -> str:
        return f"/orgs/{self.org_id}/jobs/{self.uuid}"

    def view(self) -> dict[str, Any]:
        done = self.datafile_uuid is not None
        view: dict[str, Any] = {
            "href": self.href,
            "job_type": self.job_type,
            "description": f"Asynchronous collection of {self.job_type}",
            "status": "done" if done else "running",
            "requested_at": self.requested_at,
            "terminated_at": self.terminated_at,
            "requested_by": {"href": USER_HREF},
        }
        if done:
            view["result"] = {"href": f"/orgs/{self.org_id}/datafiles/{self.datafile_uuid}"}
        return view


class RateLimiter:
    """Sliding-window limit of ``limit`` requests per ``window`` seconds per API key."""

    def __init__(self, limit: int | None, window: float) -> None:
        if limit is not None and limit < 1:
            raise ValueError("rate_limit must be a positive integer or None")
        if window <= 0:
            raise ValueError("rate_window must be positive")
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}

    def clear(self) -> None:
        self._hits.clear()

    def hit(self, key: str, now: float) -> int | None:
        """Count one request; None when allowed, else whole seconds until a slot frees."""
        if self.limit is None:
            return None
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            # Refused requests are not counted, so a client that waits as told gets in.
            return max(1, math.ceil(hits[0] + self.window - now))
        hits.append(now)
        return None


# --------------------------------------------------------------------------- rendering


def render_profile(profile: dict[str, Any]) -> dict[str, Any]:
    """The profile as a PCE read shows it, quirks included (see module docstring)."""
    view = copy.deepcopy(profile)
    view["mode"] = LEGACY_MODE_OF[profile["enforcement_mode"]]
    view["mode_lock"] = profile["enforcement_mode_lock"]
    if profile["agent_software_release"] is None:
        view["agent_software_release"] = DEFAULT_RELEASE
    uses = profile["allowed_uses_per_key"]
    if _is_int(uses):
        view["allowed_uses_per_key"] = str(uses)
    return view


def _new_profile(href: str, now: str) -> dict[str, Any]:
    """A profile with every default a PCE fills in for a POST that omits the field."""
    return {
        "href": href,
        "name": None,
        "description": "",
        "enabled": True,
        "total_use_count": 0,
        "is_default": False,
        "created_at": now,
        "updated_at": now,
        "created_by": {"href": USER_HREF},
        "updated_by": {"href": USER_HREF},
        "enforcement_mode": "visibility_only",
        "enforcement_mode_lock": True,
        "visibility_level": "flow_summary",
        "visibility_level_lock": True,
        "allowed_uses_per_key": "unlimited",
        "key_lifespan": "unlimited",
        "last_pairing_at": None,
        "last_pairing_key_generated_at": None,
        "last_pairing_key_generated_by": None,
        "labels": [],
        "env_label_lock": True,
        "loc_label_lock": True,
        "role_label_lock": True,
        "app_label_lock": True,
        "log_traffic": False,
        "log_traffic_lock": True,
        "ven_type": "server",
        "agent_software_release": None,
        "external_data_set": None,
        "external_data_reference": None,
        "caps": ["write", "generate_pairing_key"],
        "status_lock": False,
    }


def _writable_changes(body: dict[str, Any]) -> dict[str, Any]:
    """Body fields to store, with the deprecated mode/mode_lock mapped to their successors.

    When both the old and the new field are sent, the new one wins.
    """
    changes = copy.deepcopy(body)
    mode = changes.pop("mode", None)
    mode_lock = changes.pop("mode_lock", None)
    if mode is not None:
        changes.setdefault("enforcement_mode", MODE_TO_ENFORCEMENT[mode])
    if mode_lock is not None:
        changes.setdefault("enforcement_mode_lock", mode_lock)
    return changes


# --------------------------------------------------------------------------- query parsing


def _check_query(query: Query, allowed: frozenset[str]) -> None:
    unknown = sorted(set(query) - allowed)
    _raise_invalid([f"Unknown query parameter '{name}'" for name in unknown])


def collection_limit(query: Query) -> int:
    """``max_results`` (a positive integer) or the PCE's default cap of 500."""
    raw = query.get("max_results")
    if raw is None:
        return SYNC_COLLECTION_CAP
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise invalid(f"The query parameter 'max_results' must be a positive integer, got {raw!r}")
    return int(raw)


def _label_sets(raw: str) -> list[set[str]]:
    """The ``labels`` filter: a JSON list of lists of label hrefs."""
    try:
        decoded = json.loads(raw)
    except ValueError:
        decoded = None
    if not isinstance(decoded, list) or not all(
        isinstance(inner, list) and all(isinstance(href, str) for href in inner)
        for inner in decoded
    ):
        raise invalid(
            f"The query parameter 'labels' must be a JSON list of lists of label hrefs, got {raw!r}"
        )
    return [set(inner) for inner in decoded]


def _profile_matches(
    profile: dict[str, Any], query: Query, label_sets: list[set[str]] | None
) -> bool:
    if "name" in query and query["name"].lower() not in (profile["name"] or "").lower():
        return False
    if "description" in query and query["description"] not in (profile["description"] or ""):
        return False
    for name in ("external_data_set", "external_data_reference", "ven_type"):
        if name in query and profile[name] != query[name]:
            return False
    release = query.get("agent_software_release")
    # Matches both what was stored (null) and what a read shows for it (the Default string).
    if release is not None and release not in (
        profile["agent_software_release"],
        render_profile(profile)["agent_software_release"],
    ):
        return False
    if label_sets is not None:
        carried = {label["href"] for label in profile["labels"]}
        return any(wanted <= carried for wanted in label_sets)
    return True


def _label_matches(label: dict[str, Any], query: Query) -> bool:
    if "key" in query and label["key"] != query["key"]:
        return False
    if "value" in query and query["value"].lower() not in label["value"].lower():
        return False
    return all(
        label[name] == query[name]
        for name in ("external_data_set", "external_data_reference")
        if name in query
    )


# --------------------------------------------------------------------------- credentials


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization[:6].lower() == "basic ":
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, secret = decoded.partition(":")
    return (user, secret) if sep else None


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


# --------------------------------------------------------------------------- the PCE


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
        async_retry_after: float = 0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.clock: Callable[[], float] = clock or time.time
        self.org_id = org_id
        self.api_key_username = api_key_username
        self.api_key_secret = api_key_secret
        self.async_retry_after = async_retry_after
        self.data_file = Path(data_file) if data_file is not None else None
        self.rate_limiter = RateLimiter(rate_limit, rate_window)
        self._clear()
        if self.data_file is not None and self.data_file.exists():
            self._load(self.data_file)

    def _clear(self) -> None:
        self.profiles: dict[int, dict[str, Any]] = {}
        self.labels: dict[int, dict[str, Any]] = {}
        self.next_profile_id = 1
        self.next_label_id = 1
        self.issued_keys: list[IssuedKey] = []
        self.jobs: dict[str, Job] = {}
        self.datafiles: dict[str, list[dict[str, Any]]] = {}
        self.request_log: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.rate_limiter.clear()

    def now(self) -> str:
        return rfc3339(self.clock())

    # ----------------------------------------------------------------- gatekeeping

    def authenticate(self, authorization: str | None) -> str:
        """The API key id of a valid basic-auth header; 401 otherwise."""
        credentials = _basic_credentials(authorization)
        if credentials is not None:
            user, secret = credentials
            user_ok = _same(user, self.api_key_username)
            secret_ok = _same(secret, self.api_key_secret)  # always compared: even timing
            if user_ok and secret_ok:
                return user
        raise ApiError(
            401,
            "authentication_required",
            "Authentication required: send the API key id and secret with HTTP basic auth",
        )

    def check_org(self, org_id: int) -> None:
        if org_id != self.org_id:
            raise ApiError(403, "forbidden", f"The API key has no access to org {org_id}")

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

    # ----------------------------------------------------------------- collections

    def collection(self, kind: str, org_id: int, query: Query) -> list[dict[str, Any]]:
        """Every item of ``kind`` matching the filters, sorted by id, as reads show them."""
        self.check_org(org_id)
        if kind == "labels":
            _check_query(query, LABEL_QUERY)
            collection_limit(query)  # validated even where it does not cap
            with self.lock:
                return [
                    copy.deepcopy(label)
                    for _, label in sorted(self.labels.items())
                    if _label_matches(label, query)
                ]
        _check_query(query, PROFILE_QUERY)
        collection_limit(query)
        label_sets = _label_sets(query["labels"]) if "labels" in query else None
        with self.lock:
            return [
                render_profile(p)
                for _, p in sorted(self.profiles.items())
                if _profile_matches(p, query, label_sets)
            ]

    def list_collection(
        self, kind: str, org_id: int, query: Query
    ) -> tuple[list[dict[str, Any]], int]:
        """A synchronous collection GET: (at most max_results/500 items, total matches)."""
        items = self.collection(kind, org_id, query)
        return items[: collection_limit(query)], len(items)

    # ----------------------------------------------------------------- pairing profiles

    def _profile(self, profile_id: int) -> dict[str, Any]:
        profile = self.profiles.get(profile_id)
        if profile is None:
            raise not_found(f"Pairing profile {profile_id}")
        return profile

    def get_profile(self, org_id: int, profile_id: int) -> dict[str, Any]:
        self.check_org(org_id)
        with self.lock:
            return render_profile(self._profile(profile_id))

    def _check_references(self, body: dict[str, Any], profile_id: int | None) -> None:
        """What a schema cannot know: labels must exist, names must be unique in the org."""
        known = {label["href"] for label in self.labels.values()}
        _raise_invalid(
            [
                f"The property '#/labels/{index}' refers to label '{item['href']}', "
                "which does not exist in this org"
                for index, item in enumerate(body.get("labels", []))
                if item["href"] not in known
            ]
        )
        name = body.get("name")
        clash = any(
            other["name"] == name for pid, other in self.profiles.items() if pid != profile_id
        )
        if name is not None and clash:
            raise ApiError(
                406,
                "name_must_be_unique",
                f"Name must be unique: a pairing profile named {name!r} already exists",
            )

    def create_profile(self, org_id: int, body: Any) -> dict[str, Any]:
        self.check_org(org_id)
        _raise_invalid(profile_errors(body, creating=True))
        with self.lock:
            self._check_references(body, None)
            profile_id = self.next_profile_id
            self.next_profile_id += 1
            href = f"/orgs/{org_id}/pairing_profiles/{profile_id}"
            profile = _new_profile(href, self.now())
            profile.update(_writable_changes(body))
            self.profiles[profile_id] = profile
            self._save()
            return render_profile(profile)

    def update_profile(self, org_id: int, profile_id: int, body: Any) -> None:
        """A partial update: fields the body leaves out keep their values."""
        self.check_org(org_id)
        with self.lock:
            profile = self._profile(profile_id)
            _raise_invalid(profile_errors(body, creating=False))
            self._check_references(body, profile_id)
            profile.update(_writable_changes(body))
            profile["updated_at"] = self.now()
            profile["updated_by"] = {"href": USER_HREF}
            self._save()

    def delete_profile(self, org_id: int, profile_id: int) -> None:
        self.check_org(org_id)
        with self.lock:
            self._profile(profile_id)
            del self.profiles[profile_id]
            self._save()

    # ----------------------------------------------------------------- pairing keys

    def generate_pairing_key(self, org_id: int, profile_id: int, body: Any) -> dict[str, str]:
        """A fresh activation code; leaves ``updated_at`` alone, as the PCE does."""
        self.check_org(org_id)
        with self.lock:
            profile = self._profile(profile_id)
            if body != {} or not isinstance(body, dict):
                raise invalid("The pairing key request body must be an empty JSON object {}")
            if not profile["enabled"]:
                raise ApiError(
                    406,
                    "pairing_profile_disabled",
                    f"Pairing profile {profile['href']} is disabled: no key can be generated",
                )
            code = secrets.token_hex(32)
            now = self.now()
            profile["last_pairing_key_generated_at"] = now
            profile["last_pairing_key_generated_by"] = {"href": USER_HREF}
            self.issued_keys.append(IssuedKey(profile["href"], code, now))
            self._save()
            return {"activation_code": code}

    def revoke_pairing_keys(self, org_id: int, profile_id: int) -> None:
        """``DELETE .../pairing_keys``: revokes every key of the profile, whoever made it."""
        self.check_org(org_id)
        with self.lock:
            href = self._profile(profile_id)["href"]
            for key in self.issued_keys:
                if key.profile_href == href:
                    key.revoked = True
            self._save()

    def pairing_keys(self) -> list[dict[str, Any]]:
        with self.lock:
            return [asdict(key) for key in self.issued_keys]

    # ----------------------------------------------------------------- labels

    def create_label(self, org_id: int, body: Any) -> dict[str, Any]:
        self.check_org(org_id)
        _raise_invalid(label_errors(body))
        with self.lock:
            if any(
                label["key"] == body["key"] and label["value"] == body["value"]
                for label in self.labels.values()
            ):
                raise invalid(
                    f"A label with key {body['key']!r} and value {body['value']!r} already exists"
                )
            label_id = self.next_label_id
            self.next_label_id += 1
            now = self.now()
            label = {
                "href": f"/orgs/{org_id}/labels/{label_id}",
                "key": body["key"],
                "value": body["value"],
                "external_data_set": body.get("external_data_set"),
                "external_data_reference": body.get("external_data_reference"),
                "created_at": now,
                "updated_at": now,
                "created_by": {"href": USER_HREF},
                "updated_by": {"href": USER_HREF},
            }
            self.labels[label_id] = label
            self._save()
            return copy.deepcopy(label)

    def get_label(self, org_id: int, label_id: int) -> dict[str, Any]:
        self.check_org(org_id)
        with self.lock:
            label = self.labels.get(label_id)
            if label is None:
                raise not_found(f"Label {label_id}")
            return copy.deepcopy(label)

    # ----------------------------------------------------------------- async jobs

    def start_job(self, kind: str, org_id: int, query: Query) -> Job:
        """Queue an asynchronous collection; the matches are fixed now, at request time."""
        items = self.collection(kind, org_id, query)
        with self.lock:
            job = Job(str(uuid.uuid4()), org_id, kind, self.now(), items)
            if self.async_retry_after <= 0:
                self._finish(job)
            self.jobs[job.uuid] = job
            return job

    def _finish(self, job: Job) -> None:
        job.terminated_at = self.now()
        job.datafile_uuid = str(uuid.uuid4())
        self.datafiles[job.datafile_uuid] = job.items

    def poll_job(self, org_id: int, job_uuid: str) -> dict[str, Any]:
        """The job's status: "running" on the first poll when the PCE is slow, then done."""
        self.check_org(org_id)
        with self.lock:
            job = self.jobs.get(job_uuid)
            if job is None:
                raise not_found(f"Job {job_uuid}")
            job.polls += 1
            if job.datafile_uuid is None and job.polls > 1:
                self._finish(job)
            return job.view()

    def delete_job(self, org_id: int, job_uuid: str) -> None:
        self.check_org(org_id)
        with self.lock:
            if self.jobs.pop(job_uuid, None) is None:
                raise not_found(f"Job {job_uuid}")

    def get_datafile(self, org_id: int, datafile_uuid: str) -> list[dict[str, Any]]:
        self.check_org(org_id)
        with self.lock:
            items = self.datafiles.get(datafile_uuid)
            if items is None:
                raise not_found(f"Datafile {datafile_uuid}")
            return copy.deepcopy(items)

    # ----------------------------------------------------------------- request log

    def log_request(self, method: str, target: str, status: int, body: Any) -> None:
        """Record an API request. Never headers (credentials) nor response bodies (codes)."""
        entry = {"method": method, "path": target, "status": status, "body": body}
        with self.lock:
            self.request_log.append(copy.deepcopy(entry))

    def requests(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self.request_log)

    def clear_requests(self) -> None:
        with self.lock:
            self.request_log.clear()

    # ----------------------------------------------------------------- faults

    def add_fault(self, data: Any) -> dict[str, Any]:
        fault = Fault.from_dict(data)
        with self.lock:
            self.faults.append(fault)
        return asdict(fault)

    def list_faults(self) -> list[dict[str, Any]]:
        with self.lock:
            return [asdict(fault) for fault in self.faults]

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def take_fault(self, method: str, path: str, target: str) -> Fault | None:
        """Consume one use of the first fault matching this request, if any."""
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path, target):
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    return copy.copy(fault)
        return None

    # ----------------------------------------------------------------- reset and files

    def reset(self) -> None:
        """Forget everything: objects, keys, jobs, log, faults, rate window, id counters."""
        with self.lock:
            self._clear()
            self._save()

    def snapshot(self) -> dict[str, Any]:
        """What survives a restart: the PCE's objects and counters, not test-control state."""
        with self.lock:
            return {
                "version": DATA_FILE_VERSION,
                "org_id": self.org_id,
                "next_profile_id": self.next_profile_id,
                "next_label_id": self.next_label_id,
                "pairing_profiles": list(self.profiles.values()),
                "labels": list(self.labels.values()),
                "pairing_keys": [asdict(key) for key in self.issued_keys],
            }

    def _save(self) -> None:
        if self.data_file is None:
            return
        _atomic_write_json(self.data_file, self.snapshot())

    def _load(self, path: Path) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != DATA_FILE_VERSION or data.get("org_id") != self.org_id:
            raise ValueError(
                f"{path}: not a simulator data file for org {self.org_id} "
                f"(version {data.get('version')!r}, org {data.get('org_id')!r})"
            )
        self.profiles = {_id_of(p["href"]): p for p in data["pairing_profiles"]}
        self.labels = {_id_of(label["href"]): label for label in data["labels"]}
        self.next_profile_id = data["next_profile_id"]
        self.next_label_id = data["next_label_id"]
        self.issued_keys = [IssuedKey(**key) for key in data["pairing_keys"]]


def _id_of(href: str) -> int:
    return int(href.rsplit("/", 1)[1])


def _atomic_write_json(path: Path, data: Any) -> None:
    """Write then rename, so a crash never leaves a half-written file; 0600: it holds codes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


__all__ = [
    "DEFAULT_RELEASE",
    "SYNC_COLLECTION_CAP",
    "ApiError",
    "Fault",
    "IssuedKey",
    "Job",
    "PCEState",
    "RateLimiter",
    "format_seconds",
    "render_profile",
    "rfc3339",
]
