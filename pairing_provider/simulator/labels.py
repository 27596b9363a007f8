"""Labels: just enough of the label API for profiles to refer to (docs/pce-api.md)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .auth import USER_HREF
from .errors import invalid, not_found, raise_invalid
from .queries import LABEL_QUERY, Query, check_query, label_matches
from .validation import label_errors


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
        self.next_id = next_id
        # Look-ups a profile write makes per label, and a label create's uniqueness check,
        # without scanning the org.
        self._hrefs = {label["href"] for label in labels.values()}
        self._pairs = {(label["key"], label["value"]) for label in labels.values()}

    def exists(self, href: str) -> bool:
        return href in self._hrefs

    def create(self, org_id: int, body: Any) -> dict[str, Any]:
        raise_invalid(label_errors(body))
        if (body["key"], body["value"]) in self._pairs:
            raise invalid(
                f"A label with key {body['key']!r} and value {body['value']!r} already exists"
            )
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
        label = self.labels.get(label_id)
        if label is None:
            raise not_found(f"Label {label_id}")
        return copy.deepcopy(label)

    def matching(self, query: Query) -> list[dict[str, Any]]:
        check_query(query, LABEL_QUERY)
        return [
            copy.deepcopy(label)
            for _, label in sorted(self.labels.items())
            if label_matches(label, query)
        ]
