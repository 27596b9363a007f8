"""Labels: create, read, update, delete (docs/pce-api.md, "Labels").

A deleted label is kept apart: its GET still answers, with ``deleted: true`` (as a real PCE
does), but listings, uniqueness and profiles' label references no longer see it. Deleted
labels are not written to a data file (a restarted simulator forgets them).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .auth import USER_HREF
from .errors import invalid, not_found, raise_invalid
from .queries import LABEL_QUERY, Query, check_query, label_matches
from .validation import label_errors, label_update_errors


class LabelStore:
    """The org's labels and their id counter."""

    def __init__(self, now: Callable[[], str]) -> None:
        self._now = now
        self.clear()

    def clear(self) -> None:
        self.load({}, next_id=1)

    def load(self, labels: dict[int, dict[str, Any]], *, next_id: int) -> None:
        """Hold exactly these labels (a reset, or a data file read back)."""
        self.labels: dict[int, dict[str, Any]] = labels
        self.deleted: dict[int, dict[str, Any]] = {}
        self.next_id = next_id
        # Look-ups a profile write makes per label, and a label write's uniqueness check,
        # without scanning the org; kept through create, update and delete.
        self._hrefs = {label["href"] for label in labels.values()}
        self._pairs = {(label["key"], label["value"]) for label in labels.values()}

    def exists(self, href: str) -> bool:
        return href in self._hrefs

    def _check_unique(self, key: str, value: str, label_id: int | None = None) -> None:
        own = self.labels.get(label_id) if label_id is not None else None
        if (key, value) in self._pairs and (own is None or own["value"] != value):
            raise invalid(f"A label with key {key!r} and value {value!r} already exists")

    def create(self, org_id: int, body: Any) -> dict[str, Any]:
        raise_invalid(label_errors(body))
        self._check_unique(body["key"], body["value"])
        label_id = self.next_id
        self.next_id += 1
        now = self._now()
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
        self._hrefs.add(label["href"])
        self._pairs.add((label["key"], label["value"]))
        return copy.deepcopy(label)

    def get(self, label_id: int) -> dict[str, Any]:
        label = self.labels.get(label_id) or self.deleted.get(label_id)
        if label is None:
            raise not_found(f"Label {label_id}")
        return copy.deepcopy(label)

    def _live(self, label_id: int) -> dict[str, Any]:
        """A label not deleted: PUT and DELETE of a deleted one are 404 here (no source
        shows what a PCE answers)."""
        label = self.labels.get(label_id)
        if label is None:
            raise not_found(f"Label {label_id}")
        return label

    def update(self, label_id: int, body: Any) -> None:
        """A partial update: the key is not among the PUT's properties (create-only)."""
        label = self._live(label_id)
        raise_invalid(label_update_errors(body))
        if "value" in body:
            self._check_unique(label["key"], body["value"], label_id)
            self._pairs.discard((label["key"], label["value"]))
            self._pairs.add((label["key"], body["value"]))
        label.update(body)
        label["updated_at"] = self._now()
        label["updated_by"] = {"href": USER_HREF}

    def delete(self, label_id: int) -> None:
        label = self._live(label_id)
        del self.labels[label_id]
        self._hrefs.discard(label["href"])
        self._pairs.discard((label["key"], label["value"]))
        label["deleted"] = True
        label["updated_at"] = self._now()
        self.deleted[label_id] = label

    def matching(self, query: Query) -> list[dict[str, Any]]:
        check_query(query, LABEL_QUERY)
        return [
            copy.deepcopy(label)
            for _, label in sorted(self.labels.items())
            if label_matches(label, query)
        ]
