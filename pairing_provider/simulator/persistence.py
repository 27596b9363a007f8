"""The ``--data-file``: what survives a restart (objects and counters, not test control).

Its content is checked whole before any of it is used (:mod:`.stored`), and one simulator at a
time uses it: a lock file beside it (``<file>.lock``, ``flock``) is held while one runs, so a
second one started on the same file is refused instead of both overwriting each other's writes.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from pathlib import Path
from typing import IO, Any

from .errors import DataFileError
from .labels import LabelStore
from .profiles import IssuedKey, ProfileStore
from .stored import StoredDataError, check_data

DATA_FILE_VERSION = 1


def snapshot(org_id: int, profiles: ProfileStore, labels: LabelStore) -> dict[str, Any]:
    return {
        "version": DATA_FILE_VERSION,
        "org_id": org_id,
        "next_profile_id": profiles.next_id,
        "next_label_id": labels.next_id,
        "pairing_profiles": list(profiles.profiles.values()),
        "labels": list(labels.labels.values()),
        "pairing_keys": profiles.keys(),
    }


def _id_of(href: str) -> int:
    return int(href.rsplit("/", 1)[1])


def load(path: Path, org_id: int, profiles: ProfileStore, labels: LabelStore) -> None:
    """Fill the stores from the file; :class:`DataFileError` (stores untouched) if it is not a
    data file this simulator could have written for ``org_id``."""
    data = _read(path)
    if not isinstance(data, dict) or data.get("version") != DATA_FILE_VERSION:
        version = data.get("version") if isinstance(data, dict) else None
        raise DataFileError(
            f"{path}: not a simulator data file of version {DATA_FILE_VERSION} "
            f"(version {version!r})"
        )
    if data.get("org_id") != org_id:
        raise DataFileError(f"{path}: holds org {data.get('org_id')!r}, not org {org_id}")
    for profile in data.get("pairing_profiles") or []:
        if isinstance(profile, dict):
            # Files written before unnamed profiles stored "" carry null.
            profile["name"] = profile.get("name") or ""
    try:
        check_data(data, org_id)
    except StoredDataError as exc:
        raise DataFileError(f"{path}: {exc}") from None
    profiles.load(
        {_id_of(p["href"]): p for p in data["pairing_profiles"]},
        next_id=data["next_profile_id"],
        issued_keys=[IssuedKey(**key) for key in data["pairing_keys"]],
    )
    labels.load(
        {_id_of(label["href"]): label for label in data["labels"]},
        next_id=data["next_label_id"],
    )


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise DataFileError(
            f"{path}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except UnicodeDecodeError:
        raise DataFileError(f"{path}: not JSON: not UTF-8 text") from None
    except RecursionError:
        raise DataFileError(f"{path}: not a simulator data file: nested too deeply") from None


class DataFileLock:
    """The lock that keeps a data file to one simulator; held from :meth:`acquire` to
    :meth:`release` (or the process's end: the kernel drops a dead process's ``flock``)."""

    def __init__(self, data_file: Path) -> None:
        self.data_file = data_file
        self.path = data_file.with_name(data_file.name + ".lock")
        self._handle: IO[bytes] | None = None

    def acquire(self) -> None:
        """Idempotent; :class:`DataFileError` when another simulator holds it."""
        if self._handle is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC  # never through a link
        try:
            handle = os.fdopen(os.open(self.path, flags, 0o600), "r+b")
        except OSError as exc:
            raise DataFileError(
                f"{self.data_file}: cannot open its lock file {self.path}: {exc.strerror or exc}"
            ) from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise DataFileError(
                f"{self.data_file}: another simulator is using it (it holds {self.path}); stop "
                "that one first, or give this one another --data-file"
            ) from None
        self._handle = handle  # closed (and so unlocked) by release, or when collected

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()


def atomic_write_json(path: Path, data: Any) -> None:
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
