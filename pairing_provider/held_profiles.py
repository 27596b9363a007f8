"""The pairing profiles this provider process has created or adopted for a resource.

The engine starts one provider process per deployment, and that process serves every dynamic
resource of it; it is never told resource names. A profile this process already made or took
over, met again by another create (its name refused as taken by it, or found for adoption),
therefore means that two resources of the deployment declare the same profile name. Adopting
it a second time would make both resources manage one profile: each ``up`` would flip it
between their values, and deleting either resource would delete it for the other.

Best effort, by href and by the mark of a create still under way (``creation.Proof``): a
resource whose profile was made in an earlier deployment and is unchanged in this one makes no
call here, so a second declaration of its name is caught only as an ordinary taken name.

Pulumi-free.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

_lock = threading.Lock()
_hrefs: set[str] = set()
_marks: set[str] = set()  # descriptions of this process's creates (creation.Proof)


def creating(mark: str) -> None:
    """A create of this process is about to POST a profile carrying ``mark``."""
    with _lock:
        _marks.add(mark)


@contextmanager
def holding(href: str) -> Iterator[None]:
    """``href`` belongs to a resource of this deployment from now on, unless the block fails
    (the create or adoption did not keep it: a retry, the next ``up``, may take it)."""
    with _lock:
        _hrefs.add(href)
    try:
        yield
    except BaseException:
        with _lock:
            _hrefs.discard(href)
        raise


def held(profile: Mapping[str, Any]) -> bool:
    """Whether ``profile`` was created or adopted by this process, or is being created by it."""
    with _lock:
        return profile.get("href") in _hrefs or profile.get("description") in _marks


def forget_all() -> None:
    """A new deployment (the test kit runs several in one process)."""
    with _lock:
        _hrefs.clear()
        _marks.clear()
