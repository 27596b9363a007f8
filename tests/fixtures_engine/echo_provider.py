"""A tiny dynamic provider that echoes what it receives, to prove ``tests/engine.py`` works.

Every method reports what the provider *actually saw* after the trip through gRPC (value types,
configuration) in its results, because the provider runs in another process and its results are
the only channel back to the test.
"""

from __future__ import annotations

import sys
from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.output import Unknown

PROVIDER_KEY = "__provider"

# Filled by ``configure``. A module global (not an instance attribute) on purpose: instance
# attributes set before pickling travel into the resource state, module globals do not.
CONFIG: dict[str, Any] = {}


def _type_name(value: Any) -> str:
    """Fully qualified type name, so a test can tell ``pulumi.output.Unknown`` from a str."""
    return f"{type(value).__module__}.{type(value).__qualname__}"


def _user_props(props: dict[str, Any]) -> dict[str, Any]:
    """The properties without the serialized provider the dynamic server adds to every bag."""
    return {k: v for k, v in props.items() if k != PROVIDER_KEY}


class EchoProvider(ResourceProvider):
    """Echoes inputs back and reports the Python types it was given."""

    def configure(self, req: ConfigureRequest) -> None:
        """Record the configuration the dynamic server handed over (runs once per process)."""
        CONFIG["host"] = req.config.get("illumio:pceHost")
        secret = req.config.get("illumio:apiSecret")
        CONFIG["secret_type"] = _type_name(secret)
        CONFIG["secret_len"] = len(secret) if isinstance(secret, str) else -1
        CONFIG["unqualified_host"] = req.config.get("pceHost")

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Normalise ``name`` (strip + lower), report types, fail when ``name`` is missing."""
        inputs = _user_props(news)
        failures: list[CheckFailure] = []
        name = inputs.get("name")
        if isinstance(name, str):
            inputs["name"] = name.strip().lower()
        elif name is None:
            failures.append(CheckFailure("name", "name is required"))
        if inputs.get("explode"):
            raise ValueError(f"field 'explode' is not allowed (got {inputs['explode']!r})")
        inputs["seen_types"] = {k: _type_name(v) for k, v in _user_props(news).items()}
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Explicit diff; ``changes=None`` (DIFF_UNKNOWN) when any new input is unknown."""
        old, new = _user_props(olds), _user_props(news)
        if any(isinstance(v, Unknown) for v in new.values()):
            return DiffResult(changes=None, replaces=[], delete_before_replace=False)
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        replaces = [k for k in changed if k == "name"]
        return DiffResult(
            changes=bool(changed),
            replaces=replaces,
            stables=["id"],  # never reaches the engine: the SDK server drops stables
            delete_before_replace=bool(replaces),
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Echo the inputs plus what the provider observed; log to stderr for the test."""
        sys.stderr.write(f"echo-create name={props.get('name')!r}\n")
        outs = _user_props(props)
        outs["seen_types"] = {k: _type_name(v) for k, v in _user_props(props).items()}
        outs["config_host"] = CONFIG.get("host")
        outs["config_secret_type"] = CONFIG.get("secret_type")
        outs["config_secret_len"] = CONFIG.get("secret_len")
        outs["config_unqualified_host"] = CONFIG.get("unqualified_host")
        return CreateResult(f"echo-{props.get('name', 'unnamed')}", outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """``gone`` means deleted out of band: empty id and empty outs, as the engine expects."""
        if id_ == "gone":
            return ReadResult("", {})
        outs = _user_props(props)
        outs["refreshed"] = True
        return ReadResult(id_, outs, inputs={"name": outs.get("name")})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Return the full new outputs (``outs=None`` would wipe them)."""
        outs = _user_props(news)
        outs["previous_name"] = olds.get("name")
        return UpdateResult(outs)

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        """Refuse one id so a test can see a delete reach the provider."""
        if id_ == "undeletable":
            raise RuntimeError(f"cannot delete {id_}: field 'id' is protected")
