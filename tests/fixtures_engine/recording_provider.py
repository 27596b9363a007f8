"""A dynamic provider that writes down every call it receives, to test the engine sequences.

It runs in the ``python -m pulumi.dynamic`` child, so it appends one JSON line per call to the
file named by ``$RECORDING_PROVIDER_LOG``: the method, the id and the property bags exactly as
the provider got them (``__provider`` left out, ``pulumi.output.Unknown`` written as
``"<unknown>"``).

Behaviour, small and predictable:

* ``check`` returns the news as the inputs.
* ``diff`` compares the inputs it is given with the old outputs; a changed (or unknown) ``kind``
  means a replacement, with ``delete_before_replace`` taken from the new ``dbr`` input;
  ``{"diff": "unknown"}`` answers DIFF_UNKNOWN so the engine diffs by itself.
* ``create`` gives ``<name>-<n>`` ids (``n`` counts creates in this process) and adds an output
  ``serial`` that no input has; ``update`` keeps the serial; ``read`` answers gone for an id
  listed in the ``$RECORDING_PROVIDER_GONE`` file, returns inputs when the state has
  ``read_inputs``, and adds ``refreshed``.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
from pathlib import Path
from typing import Any

from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.output import Unknown

PROVIDER_KEY = "__provider"
UNKNOWN_TEXT = "<unknown>"
LOG_VARIABLE = "RECORDING_PROVIDER_LOG"
GONE_VARIABLE = "RECORDING_PROVIDER_GONE"
OUTPUT_ONLY = ("serial", "refreshed")  # what the provider adds: never an input

_COUNTER = itertools.count(1)
_LOCK = threading.Lock()


def _plain(value: Any) -> Any:
    """JSON-able: unknowns as text, the serialized provider left out."""
    if isinstance(value, Unknown):
        return UNKNOWN_TEXT
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != PROVIDER_KEY}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _record(method: str, **fields: Any) -> None:
    line = json.dumps({"method": method, **{k: _plain(v) for k, v in fields.items()}})
    with _LOCK, Path(os.environ[LOG_VARIABLE]).open("a", encoding="utf-8") as log:
        log.write(line + "\n")


def _inputs(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != PROVIDER_KEY and k not in OUTPUT_ONLY}


class RecordingProvider(ResourceProvider):
    """Echoes inputs and records each call (stateless: it pickles by reference)."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        _record("check", olds=olds, news=news)
        return CheckResult(_inputs(news), [])

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        _record("diff", id=id_, olds=olds, news=news)
        if news.get("diff") == "unknown":
            return DiffResult(changes=None)
        old, new = _inputs(olds), _inputs(news)
        changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        replaces = [k for k in changed if k == "kind"]
        return DiffResult(
            changes=bool(changed),
            replaces=replaces,
            delete_before_replace=bool(replaces) and bool(news.get("dbr")),
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        _record("create", props=props)
        serial = next(_COUNTER)
        return CreateResult(
            f"{props.get('name', 'r')}-{serial}", {**_inputs(props), "serial": serial}
        )

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        _record("read", id=id_, props=props)
        gone_file = os.environ.get(GONE_VARIABLE)
        if gone_file and id_ in Path(gone_file).read_text(encoding="utf-8").split():
            return ReadResult("", {})
        outs = {k: v for k, v in props.items() if k != PROVIDER_KEY}
        outs["refreshed"] = True
        if props.get("read_inputs"):
            return ReadResult(id_, outs, inputs={**_inputs(props), "from_read": True})
        return ReadResult(id_, outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _record("update", id=id_, olds=olds, news=news)
        return UpdateResult({**_inputs(news), "serial": olds.get("serial")})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        _record("delete", id=id_, props=props)
