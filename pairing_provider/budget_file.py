"""The request budget's recent window, handed from one provider process to the next.

Each ``pulumi`` command starts a new provider process, while the PCE keeps counting the
requests of the one before: a ``destroy`` right after an ``up`` would start with an empty
budget and meet 429s. So every process appends the time of each answer it gets to a small file
per PCE and API key, and a new process starts its pacer from the answers of the last window.

- Where: ``$PAIRING_PROVIDER_BUDGET_DIR``, else ``$XDG_CACHE_HOME/pairing_provider/budget``,
  else ``~/.cache/pairing_provider/budget``; ``PAIRING_PROVIDER_BUDGET_DIR=off`` disables it.
- What: one wall-clock time per line, nothing else. The file name is a hash of the PCE host and
  the API key id: no secret, no host name in clear.
- Cheap: the file stays open, and an answer costs one append and one ``fstat`` (two system
  calls, not an open, a seek and a close as well: each one releases the GIL, which the gRPC
  workers then contend for). Every answer is written when it arrives, so a process killed
  mid-run leaves every answer it got; the file is rewritten with the last window's lines only
  once it has doubled. The ``fstat`` tells whether the file was replaced (another process
  rewrote it) or removed: the answer is then written again, to the file now at the path. Where
  a replaced file that is still open keeps a link (NFS renames it ``.nfs...``), the path itself
  is looked at, at most once a second.
- Tolerant: a missing, unreadable, stale or corrupt file, or lines written by two processes at
  once, cost at most the entries that cannot be read; never an error. A file that cannot be
  written disables the hand-over for this process (logged once).
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

BUDGET_DIR_ENV = "PAIRING_PROVIDER_BUDGET_DIR"
DISABLED = "off"
COMPACT_AT_BYTES = 64 * 1024  # about 3,500 answers
PATH_CHECK_SECONDS = 1.0  # how often the open file is compared with the one at the path
READ_AT_MOST_BYTES = 1024 * 1024  # a file grown past this (by hand) is read from its tail


def budget_dir() -> Path | None:
    """Where budget files live, or None when the hand-over is switched off."""
    chosen = os.environ.get(BUDGET_DIR_ENV, "").strip()
    if chosen.lower() == DISABLED:
        return None
    if chosen:
        return Path(chosen)
    cache = os.environ.get("XDG_CACHE_HOME", "").strip()
    if not cache:
        try:
            cache = str(Path.home() / ".cache")
        except (RuntimeError, KeyError):  # no HOME and no passwd entry: nowhere to keep it
            return None
    return Path(cache) / "pairing_provider" / "budget"


class BudgetFile:
    """The answers of one API key on one PCE, as recorded by every process that used it."""

    def __init__(
        self, path: Path, window: float, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.path = path
        self.window = window
        self._clock = clock
        self._compact_at = COMPACT_AT_BYTES
        self._directory_made = False
        self._broken = False
        # The open file, shared by every thread of the process; the lock keeps one thread from
        # closing it while another writes to it (a closed descriptor's number is reused).
        self._file = _Descriptor()
        self._lock = threading.Lock()
        self._path_checked_at = time.monotonic()
        weakref.finalize(self, self._file.close)  # a pacer dropped (tests) closes its file

    @classmethod
    def for_key(cls, pce_host: str, api_key_id: str, window: float) -> BudgetFile | None:
        directory = budget_dir()
        if directory is None:
            return None
        digest = hashlib.sha256(f"{pce_host}\n{api_key_id}".encode()).hexdigest()[:32]
        return cls(directory / f"{digest}.window", window)

    def recent_ages(self) -> list[float]:
        """Seconds since each answer of the last window, oldest first (empty when unknown)."""
        now = self._clock()
        ages = [now - when for when in self._times()]
        # A time ahead of ours (the clock was set back) counts as just now: the safe side.
        return sorted((max(0.0, age) for age in ages if age < self.window), reverse=True)

    def record(self) -> None:
        """Append the time of one answer, now."""
        if self._broken:
            return
        line = f"{self._clock():.3f}\n".encode()
        with self._lock:
            if self._broken:
                return
            try:
                self._append(line)
            except OSError as exc:
                self._broken = True
                self._file.close()
                log.info("request budget not handed over to later processes: %s", exc)

    def _append(self, line: bytes) -> None:
        fd = self._open()
        os.write(fd, line)  # one small write: whole, even beside another process's
        status = os.fstat(fd)
        if status.st_nlink == 0 or self._path_moved_from(status):  # write it to the path's file
            self._file.close()
            fd = self._open()
            os.write(fd, line)
            status = os.fstat(fd)
        if status.st_size > self._compact_at:
            self._compact()
            self._file.close()  # the descriptor is the replaced file's now

    def _path_moved_from(self, status: os.stat_result) -> bool:
        """Whether the path holds another file than the open one (looked at once a second)."""
        now = time.monotonic()
        if now - self._path_checked_at < PATH_CHECK_SECONDS:
            return False
        self._path_checked_at = now
        try:
            at_path = os.stat(self.path)
        except FileNotFoundError:
            return True
        return (at_path.st_dev, at_path.st_ino) != (status.st_dev, status.st_ino)

    def _open(self) -> int:
        if self._file.fd is None:
            if not self._directory_made:
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                self._directory_made = True
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
            self._file.fd = os.open(self.path, flags, 0o600)
        return self._file.fd

    def _times(self) -> Iterator[float]:
        try:
            with self.path.open("rb") as handle:
                size = handle.seek(0, os.SEEK_END)
                handle.seek(max(0, size - READ_AT_MOST_BYTES))
                data = handle.read(READ_AT_MOST_BYTES)
        except OSError:
            return  # missing or unreadable: nothing known
        for line in data.split(b"\n"):
            try:
                when = float(line)
            except ValueError:
                continue  # a torn or foreign line
            if math.isfinite(when):
                yield when

    def _compact(self) -> None:
        """Rewrite the file with the last window's answers only (atomically: a reader sees the
        old file or the new one). An answer another process appends meanwhile may be lost."""
        now = self._clock()
        kept = "".join(f"{now - age:.3f}\n" for age in self.recent_ages())
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(kept)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        # Not again before the file has doubled: rewriting stays a fraction of the appends.
        self._compact_at = max(COMPACT_AT_BYTES, 2 * len(kept))


class _Descriptor:
    """The budget file's open descriptor, or none."""

    def __init__(self) -> None:
        self.fd: int | None = None

    def close(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)


@contextmanager
def separate_budget_dir() -> Iterator[Path]:
    """Budget files in a fresh temporary directory for the duration (tests: each simulator
    starts with an empty window, and nothing is written to the user's cache)."""
    before = os.environ.get(BUDGET_DIR_ENV)
    with tempfile.TemporaryDirectory(prefix="pairing-provider-budget-") as directory:
        os.environ[BUDGET_DIR_ENV] = directory
        try:
            yield Path(directory)
        finally:
            if before is None:
                os.environ.pop(BUDGET_DIR_ENV, None)
            else:
                os.environ[BUDGET_DIR_ENV] = before
