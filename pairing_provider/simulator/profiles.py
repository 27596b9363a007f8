"""Pairing profiles and the pairing keys they issue (docs/pce-api.md, "Pairing profiles").

Plain data kept apart from HTTP and from locking: :class:`~.models.PCEState` serialises
access. Reads go through :func:`~.releases.render_profile`, so the stored form is one thing
and what each release shows another.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from .auth import USER_HREF
from .errors import ApiError, invalid, not_found, raise_invalid
from .queries import PROFILE_QUERY, Query, check_query, label_sets, profile_matches
from .releases import render_profile
from .validation import LEGACY_MODES, profile_errors

# Real activation codes are 81 lowercase hexadecimal characters.
ACTIVATION_CODE_LENGTH = 81

# The profiles a fresh PCE ships with (docs/pce-api.md, "A fresh PCE").
FACTORY_PROFILES = (("Default (Servers)", "server"), ("Default (Endpoints)", "endpoint"))


@dataclass
class IssuedKey:
    """An activation code the simulator handed out (kept for test introspection only)."""

    profile_href: str
    activation_code: str
    generated_at: str
    revoked: bool = False


def new_activation_code() -> str:
    return secrets.token_hex((ACTIVATION_CODE_LENGTH + 1) // 2)[:ACTIVATION_CODE_LENGTH]


def _new_profile(href: str, now: str) -> dict[str, Any]:
    """A profile with every default a PCE fills in for a POST that omits the field.

    ``name`` is a required string in the GET schema, so an unnamed profile stores "".
    """
    return {
        "href": href,
        "name": "",
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
        changes.setdefault("enforcement_mode", LEGACY_MODES[mode])
    if mode_lock is not None:
        changes.setdefault("enforcement_mode_lock", mode_lock)
    return changes


class ProfileStore:
    """The org's pairing profiles, their id counter and every key they issued."""

    def __init__(self, now: Callable[[], str], label_exists: Callable[[str], bool]) -> None:
        self._now = now
        self._label_exists = label_exists
        self.clear()

    def clear(self) -> None:
        self.load({}, next_id=1, issued_keys=[])

    def load(
        self, profiles: dict[int, dict[str, Any]], *, next_id: int, issued_keys: list[IssuedKey]
    ) -> None:
        """Hold exactly these profiles (a reset, or a data file read back)."""
        self.profiles: dict[int, dict[str, Any]] = profiles
        self.next_id = next_id
        self.issued_keys: list[IssuedKey] = issued_keys
        # Name -> ids holding it, so the uniqueness check of a write does not scan the org
        # (a set: a data file written by hand may hold a name twice). Names compare exactly.
        self._ids_by_name: dict[str, set[int]] = {}
        for profile_id, profile in profiles.items():
            self._index_name(profile_id, profile["name"])

    def _index_name(self, profile_id: int, name: str) -> None:
        if name:  # unnamed profiles ("") never clash
            self._ids_by_name.setdefault(name, set()).add(profile_id)

    def _unindex_name(self, profile_id: int, name: str) -> None:
        holders = self._ids_by_name.get(name)
        if holders is not None:
            holders.discard(profile_id)
            if not holders:
                del self._ids_by_name[name]

    def seed_factory_defaults(self, org_id: int) -> None:
        """Add the default profiles a new PCE has, as ``is_default`` profiles."""
        for name, ven_type in FACTORY_PROFILES:
            profile = self._insert(org_id, {"name": name, "ven_type": ven_type})
            profile["is_default"] = True

    # ----------------------------------------------------------------- reads

    def _profile(self, profile_id: int) -> dict[str, Any]:
        profile = self.profiles.get(profile_id)
        if profile is None:
            raise not_found(f"Pairing profile {profile_id}")
        return profile

    def get(self, profile_id: int, release: str) -> dict[str, Any]:
        return render_profile(self._profile(profile_id), release)

    def matching(self, query: Query, release: str) -> list[dict[str, Any]]:
        """Every profile matching the filters, sorted by id, as reads show them."""
        check_query(query, PROFILE_QUERY)
        wanted = label_sets(query["labels"]) if "labels" in query else None
        return [
            render_profile(p, release)
            for _, p in sorted(self.profiles.items())
            if profile_matches(p, query, wanted)
        ]

    # ----------------------------------------------------------------- writes

    def _check_references(self, body: dict[str, Any], profile_id: int | None) -> None:
        """What a schema cannot know: labels must exist, names must be unique in the org."""
        raise_invalid(
            [
                f"The property '#/labels/{index}' refers to label '{item['href'][:80]}', "
                "which does not exist in this org"
                for index, item in enumerate(body.get("labels", []))
                if not self._label_exists(item["href"])
            ]
        )
        name = body.get("name")
        if name and self._ids_by_name.get(name, set()) - {profile_id}:
            raise ApiError(406, "name_must_be_unique", "Name must be unique")

    def _insert(self, org_id: int, body: dict[str, Any]) -> dict[str, Any]:
        profile_id = self.next_id
        self.next_id += 1
        profile = _new_profile(f"/orgs/{org_id}/pairing_profiles/{profile_id}", self._now())
        profile.update(_writable_changes(body))
        self.profiles[profile_id] = profile
        self._index_name(profile_id, profile["name"])
        return profile

    def create(self, org_id: int, body: Any, release: str) -> dict[str, Any]:
        raise_invalid(profile_errors(body, creating=True))
        self._check_references(body, None)
        return render_profile(self._insert(org_id, body), release)

    def update(self, profile_id: int, body: Any) -> None:
        """A partial update: fields the body leaves out keep their values."""
        profile = self._profile(profile_id)
        raise_invalid(profile_errors(body, creating=False))
        self._check_references(body, profile_id)
        self._unindex_name(profile_id, profile["name"])
        profile.update(_writable_changes(body))
        self._index_name(profile_id, profile["name"])
        profile["updated_at"] = self._now()
        profile["updated_by"] = {"href": USER_HREF}

    def delete(self, profile_id: int) -> None:
        self._unindex_name(profile_id, self._profile(profile_id)["name"])
        del self.profiles[profile_id]

    # ----------------------------------------------------------------- keys

    def generate_key(self, profile_id: int, body: Any) -> dict[str, str]:
        """A fresh activation code, disabled profile or not; ``updated_at`` stays."""
        profile = self._profile(profile_id)
        if not isinstance(body, dict) or body != {}:
            raise invalid("The pairing key request body must be an empty JSON object {}")
        code = new_activation_code()
        now = self._now()
        profile["last_pairing_key_generated_at"] = now
        profile["last_pairing_key_generated_by"] = {"href": USER_HREF}
        self.issued_keys.append(IssuedKey(profile["href"], code, now))
        return {"activation_code": code}

    def revoke_keys(self, profile_id: int) -> None:
        """``DELETE .../pairing_keys``: revokes every key of the profile, whoever made it."""
        href = self._profile(profile_id)["href"]
        for key in self.issued_keys:
            if key.profile_href == href:
                key.revoked = True

    def keys(self) -> list[dict[str, Any]]:
        return [asdict(key) for key in self.issued_keys]
