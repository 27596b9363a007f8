"""Labels by key and value: one cached listing of the org's labels per process.

A program may name labels as ``{"key": "env", "value": "prod"}``; check turns them into hrefs
so that previews show real hrefs. Resolving many resources' labels costs one collection GET,
not one request per label: the listing is kept for a short, bounded time, and listed again
once when a pair is missing from it (a label created since). Each client (``client.labels``)
has one directory, told of every label this process writes (``Label`` resources), so a
profile of the same run finds a label made a moment before, and not one deleted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pairing_provider.endpoints import PCEEndpoints

LISTING_MAX_AGE_SECONDS = 60.0
RELIST_ON_MISS_AFTER_SECONDS = 2.0


def is_label_pair(item: Any) -> bool:
    """``{"key": str, "value": str}``; any other shape is left to validation to report."""
    return (
        isinstance(item, Mapping)
        and set(item) == {"key", "value"}
        and all(isinstance(item[part], str) for part in ("key", "value"))
    )


def describe_pair(item: Mapping[str, Any]) -> str:
    return f"{{key: {item['key']!r}, value: {item['value']!r}}}"


def exact_labels(client: PCEEndpoints, key: str, value: str) -> list[dict[str, Any]]:
    """The labels of exactly this key and value: the PCE's ``value`` filter is a partial
    match, so its answer is filtered again."""
    matches = client.list_labels(key=key, value=value)
    return [item for item in matches if item.get("key") == key and item.get("value") == value]


class LabelDirectory:
    """The org's labels indexed by (key, value), refreshed at most every so often."""

    def __init__(
        self,
        client: PCEEndpoints,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_age: float = LISTING_MAX_AGE_SECONDS,
    ) -> None:
        self._client = client
        self._clock = clock
        self._max_age = max_age
        self._lock = threading.Lock()
        self._index: dict[tuple[str, str], dict[str, Any]] = {}
        self._listed_at: float | None = None

    def reset(self) -> None:
        with self._lock:
            self._index, self._listed_at = {}, None

    def _relist(self) -> None:
        labels = self._client.list_labels()
        self._index = {(str(label.get("key")), str(label.get("value"))): label for label in labels}
        self._listed_at = self._clock()

    def _age(self) -> float:
        return float("inf") if self._listed_at is None else self._clock() - self._listed_at

    def find(self, key: str, value: str) -> dict[str, Any] | None:
        """The label with exactly this key and value, or None."""
        with self._lock:
            if self._age() > self._max_age:
                self._relist()
            label = self._index.get((key, value))
            if label is None and self._age() > RELIST_ON_MISS_AFTER_SECONDS:
                self._relist()
                label = self._index.get((key, value))
            return label

    def wrote(self, label: Mapping[str, Any]) -> None:
        """A label this process created or changed, as the PCE now has it."""
        with self._lock:
            self._drop(str(label.get("href")))
            if self._listed_at is not None:
                self._index[(str(label.get("key")), str(label.get("value")))] = dict(label)

    def deleted(self, href: str) -> None:
        with self._lock:
            self._drop(href)

    def _drop(self, href: str) -> None:
        self._index = {pair: item for pair, item in self._index.items() if item["href"] != href}
