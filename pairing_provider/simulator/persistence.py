"""The ``--data-file``: what survives a restart (objects and counters, not test control)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .labels import LabelStore
from .profiles import IssuedKey, ProfileStore

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
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("version") != DATA_FILE_VERSION or data.get("org_id") != org_id:
        raise ValueError(
            f"{path}: not a simulator data file for org {org_id} "
            f"(version {data.get('version')!r}, org {data.get('org_id')!r})"
        )
    stored = data["pairing_profiles"]
    for profile in stored:
        # Files written before unnamed profiles stored "" carry null.
        profile["name"] = profile.get("name") or ""
    profiles.load(
        {_id_of(p["href"]): p for p in stored},
        next_id=data["next_profile_id"],
        issued_keys=[IssuedKey(**key) for key in data["pairing_keys"]],
    )
    labels.load(
        {_id_of(label["href"]): label for label in data["labels"]},
        next_id=data["next_label_id"],
    )


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
