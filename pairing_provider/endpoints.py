"""The PCE's endpoints this provider uses: pairing profiles, pairing keys, labels.

Hrefs are relative to ``/api/v2``. A write to a profile (create, update, delete, a new key)
is announced through ``profile_written(href)`` once it has ended, so a cache of profiles
(``batch_reads.ProfileReader``) knows which of its entries may be older than the PCE's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pairing_provider.answers import json_object, unexpected
from pairing_provider.errors import UnexpectedResponseError
from pairing_provider.hrefs import LABEL_HREF, PROFILE_HREF, href_problem
from pairing_provider.listings import ListingSession
from pairing_provider.session import FindCreated

PROFILE_FILTERS = (
    "name",
    "description",
    "agent_software_release",
    "external_data_set",
    "external_data_reference",
    "ven_type",
)


class PCEEndpoints(ListingSession):
    """Calls for the objects this provider manages, each answer checked for its shape."""

    def profile_written(self, href: str) -> None:
        """A write to the profile at ``href`` has ended: nothing here keeps a copy of it (a
        client with caches overrides this)."""

    @property
    def org_href(self) -> str:
        return self.settings.org_href

    def _object_at(self, href: str) -> dict[str, Any]:
        """GET one object; it must be the one asked for."""
        response = self.request("GET", href)
        body = json_object(response, "GET", href)
        if body.get("href") != href:
            got = body.get("href")
            raise unexpected(
                response, "GET", href, f"another object ({str(got)[:100]!r}) than the one asked for"
            )
        return body

    # -- pairing profiles ----------------------------------------------------------------------

    def list_pairing_profiles(
        self,
        *,
        labels: Sequence[Sequence[str]] | None = None,
        max_results: int | None = None,
        **filters: str | None,
    ) -> list[dict[str, Any]]:
        """Profiles matching the PCE's filters (``name`` is a partial match on the PCE)."""
        unknown = set(filters) - set(PROFILE_FILTERS)
        if unknown:
            raise TypeError(f"unknown pairing profile filter(s): {', '.join(sorted(unknown))}")
        params: dict[str, Any] = dict(filters)
        if labels is not None:
            params["labels"] = json.dumps([list(group) for group in labels])
        params["max_results"] = max_results
        return self.get_collection(f"{self.org_href}/pairing_profiles", params)

    def get_pairing_profile(self, href: str) -> dict[str, Any]:
        return self._object_at(href)

    def create_pairing_profile(
        self, body: Mapping[str, Any], *, find_created: FindCreated | None = None
    ) -> dict[str, Any]:
        path = f"{self.org_href}/pairing_profiles"
        created = self.create(path, body, find_created=find_created)
        href = created.get("href")
        if href_problem(PROFILE_HREF, href, "", self.settings.org_id) is not None:
            raise UnexpectedResponseError(
                status=0, method="POST", path=path, detail="the created profile has no valid href"
            )
        self.profile_written(str(href))
        return created

    def update_pairing_profile(self, href: str, body: Mapping[str, Any]) -> None:
        try:
            self.request("PUT", href, json_body=body)
        finally:
            self.profile_written(href)  # after the PUT ended: a listing taken meanwhile is old

    def delete_pairing_profile(self, href: str) -> None:
        try:
            self.request("DELETE", href)
        finally:
            self.profile_written(href)

    def generate_pairing_key(self, profile_href: str) -> str:
        """A new activation code for the profile. The code is a secret: never log it."""
        path = f"{profile_href}/pairing_key"
        try:
            response = self.request("POST", path, json_body={})
        finally:
            self.profile_written(profile_href)  # its last_pairing_key_generated_* changed
        code = json_object(response, "POST", path).get("activation_code")
        if not isinstance(code, str) or not code:
            raise unexpected(response, "POST", path, "no activation_code text")
        return code

    # -- labels --------------------------------------------------------------------------------

    def list_labels(
        self, *, key: str | None = None, value: str | None = None, max_results: int | None = None
    ) -> list[dict[str, Any]]:
        params = {"key": key, "value": value, "max_results": max_results}
        return self.get_collection(f"{self.org_href}/labels", params)

    def get_label(self, href: str) -> dict[str, Any]:
        return self._object_at(href)

    def create_label(
        self, body: Mapping[str, Any], *, find_created: FindCreated | None = None
    ) -> dict[str, Any]:
        path = f"{self.org_href}/labels"
        created = self.create(path, body, find_created=find_created)
        if href_problem(LABEL_HREF, created.get("href"), "", self.settings.org_id) is not None:
            raise UnexpectedResponseError(
                status=0, method="POST", path=path, detail="the created label has no valid href"
            )
        return created

    def update_label(self, href: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """PUT (a partial update), then the label as it now is."""
        self.request("PUT", href, json_body=body)
        return self._object_at(href)

    def delete_label(self, href: str) -> None:
        self.request("DELETE", href)
