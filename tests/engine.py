"""Play the Pulumi engine's side of the dynamic-provider protocol, for tests.

No Pulumi CLI can be installed here, so tests start the very process the engine starts for
Python dynamic providers (the ``pulumi-resource-pulumi-python`` plugin, which runs
``python -u -m pulumi.dynamic``) and call it over gRPC the way the engine does. This exercises
the real SDK code path: the provider is pickled into ``__provider`` by
``pulumi.dynamic.dynamic.serialize_provider``, un-pickled by the child on every call, and every
value crosses the wire as a protobuf ``Struct``.

Typical use::

    from tests.engine import UNKNOWN, Engine

    with Engine() as engine:
        engine.configure({"illumio:pceHost": "pce.example.com"}, secret_keys={"illumio:apiKey"})
        check = engine.check(MyProvider(), {}, {"name": "web"})
        rid, outs = engine.create(MyProvider(), check.inputs)

What the provider sees, and what comes back (checked by ``tests/test_engine_harness.py``):

* **Numbers**: every number is a protobuf double. An ``int`` sent in arrives in the provider as
  a ``float`` (``3`` -> ``3.0``), and ints in results come back as floats too.
* **None** values are dropped from property bags (the key disappears), both ways.
* **Unknowns** (preview values): put :data:`UNKNOWN` (the SDK's wire sentinel
  ``04da6b54-80e4-46f7-96ec-b56ff0331ba9``) in ``news``. In ``check`` and ``diff`` the provider
  receives a ``pulumi.output.Unknown`` instance (the server deserializes with
  ``keep_unknowns=True``). In ``create``/``update``/``read``/``delete`` an unknown becomes
  ``None`` and the key is silently dropped; the real engine never sends unknowns there, because
  the dynamic provider does not announce ``supportsPreview``. Unknowns in *results* (e.g. a
  ``check`` that echoes an ``Unknown``) come back as the :data:`UNKNOWN` string, so tests can
  compare with ``==``; :func:`is_unknown` accepts both forms.
* **Secrets**: the dynamic server answers ``Configure`` with ``acceptSecrets=False``, so the real
  engine strips secret markers before calling Check/Diff/Create/...: secret inputs reach the
  provider as plain values. Only ``Configure`` carries secrets (secure stack config is sent in
  ``args`` wrapped in the secret signature and the SDK unwraps it). If a marked value is sent
  anyway (:func:`secret`) or returned by a provider, it surfaces as the signature dict
  ``{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": ...}``;
  :func:`is_secret` / :func:`unwrap` handle it.
* **Errors**: the server turns any exception into gRPC status ``UNKNOWN`` whose details are the
  full ``traceback.format_exc()`` text; this helper raises :class:`EngineError` with both.
* **``__provider``**: added to every property bag sent (except empty ``olds``, as for a fresh
  create) unless the caller already put one there; it is stripped from decoded results unless
  ``Engine(keep_provider_key=True)``. Do not send ``__provider: UNKNOWN`` in ``news``: the SDK
  3.272 server compares the *deserialized* value (a ``pulumi.output.Unknown``) with the
  sentinel string, so its fall-back to ``olds`` never fires and Check/Diff fail with
  ``TypeError ... not 'Unknown'`` (an SDK bug, seen with this helper).

Configuration: ``configure`` must run before the first call that uses a provider. The server
caches each distinct serialized provider and calls its ``configure(req)`` only once, with the
config known at that moment; re-configuring later does not reach an already-used provider.
Start a new :class:`Engine` for different config.

Start-up cost: about 0.35 s per ``Engine`` on this machine (process start + SDK import until the
port is printed). conftest's ``engine`` fixture therefore shares one configured process per test
session (per xdist worker) and empties its process-wide state before each test
(``tests/fixtures_engine/process_reset.py``); start your own only for other config or a process
you mean to break.

Whole engine operations (preview, up, replacement, refresh, ``get``, destroy), chained the way
the engine chains these calls over a stack's state, are played by the test kit's engine
(``pairing_provider.testing``; over gRPC with ``channels.over_grpc_process``).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import pickle
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, NamedTuple

import grpc
from google.protobuf import struct_pb2
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pulumi.runtime._serialization import _serialize
from pulumi.runtime.proto import provider_pb2

from pairing_provider.testing.process import DynamicProviderProcess

__all__ = [
    "DEFAULT_URN",
    "PROVIDER_KEY",
    "REPO_ROOT",
    "UNKNOWN",
    "CheckResult",
    "ConfigureResult",
    "CreateResult",
    "DiffResult",
    "Engine",
    "EngineError",
    "ReadResult",
    "is_secret",
    "is_unknown",
    "pickled_bytes",
    "secret",
    "serialized",
    "unknowns_to_sentinel",
    "unwrap",
]

UNKNOWN: Final[str] = rpc.UNKNOWN
"""The wire sentinel the engine sends for a value not known during preview."""

PROVIDER_KEY: Final[str] = "__provider"
"""Property that carries the pickled provider in every bag (``pulumi.dynamic`` reserves it)."""

DEFAULT_URN: Final[str] = "urn:pulumi:dev::proj::pulumi-python:dynamic/illumio:PairingProfile::name"
"""URN used when a call does not pass one: stack ``dev``, project ``proj``."""

REPO_ROOT: Final[Path] = Path(__file__).resolve().parents[1]
"""Repository root; put on the child's ``PYTHONPATH`` so pickled-by-reference classes import."""

_CONFIG_VARIABLE_PREFIX: Final[str] = "pulumi-python:config:"
_SECRET_SIG: Final[str] = rpc._special_secret_sig
_SIG_KEY: Final[str] = rpc._special_sig_key


class EngineError(Exception):
    """A provider call failed: carries the gRPC status and the details text.

    For an exception raised inside the provider, the SDK server aborts with
    ``grpc.StatusCode.UNKNOWN`` and ``details`` is the whole Python traceback, whose last line
    is ``"<ExceptionType>: <message>"`` (see :attr:`last_line`). This text is what the real
    engine prints to the user, so tests assert on it (field names, absence of secrets).
    """

    def __init__(self, method: str, code: grpc.StatusCode, details: str) -> None:
        """Keep the pieces separately so tests need not parse ``str(err)``."""
        super().__init__(f"{method} failed with {code.name}: {details}")
        self.method = method
        self.code = code
        self.details = details

    @property
    def last_line(self) -> str:
        """The last non-empty line of ``details``: the exception type and message."""
        lines = [line for line in self.details.splitlines() if line.strip()]
        return lines[-1] if lines else ""


@dataclass(frozen=True)
class ConfigureResult:
    """What the provider announced in ``ConfigureResponse`` (the engine adapts to it)."""

    accept_secrets: bool
    supports_preview: bool
    accept_resources: bool
    accept_outputs: bool


@dataclass(frozen=True)
class CheckResult:
    """Decoded ``CheckResponse``: normalised inputs and ``(property, reason)`` failures."""

    inputs: dict[str, Any]
    failures: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class DiffResult:
    """Decoded ``DiffResponse``.

    ``changes`` is ``True`` (DIFF_SOME), ``False`` (DIFF_NONE) or ``None`` (DIFF_UNKNOWN: the
    engine then diffs all old and new inputs itself, ``__provider`` included). The Python SDK
    server only forwards ``changes``, ``replaces`` and ``delete_before_replace``; ``stables``,
    ``diffs`` and ``detailed_diff`` are exposed for completeness and are always empty for a
    Python dynamic provider.
    """

    changes: bool | None
    replaces: list[str]
    stables: list[str]
    delete_before_replace: bool
    diffs: list[str] = field(default_factory=list)
    detailed_diff: dict[str, str] = field(default_factory=dict)
    raw_changes: int = provider_pb2.DiffResponse.DIFF_UNKNOWN


class CreateResult(NamedTuple):
    """Decoded ``CreateResponse``; unpacks as ``rid, outs = engine.create(...)``."""

    id: str
    outs: dict[str, Any]


class ReadResult(NamedTuple):
    """Decoded ``ReadResponse``; ``id == ""`` means the resource is gone.

    ``inputs`` is ``None`` when the provider did not return inputs (the engine then keeps the
    old ones).
    """

    id: str
    outs: dict[str, Any]
    inputs: dict[str, Any] | None


def serialized(provider: ResourceProvider) -> str:
    """Serialize ``provider`` exactly as ``pulumi.dynamic.Resource.__init__`` does.

    ``Resource`` calls ``_serialize(True, serialize_provider, provider)`` (dill, sorted dicts,
    base64) and then wraps the string in ``Output.secret``; the engine strips that secret mark
    before calling the provider (``acceptSecrets=False``), so the wire carries the plain string
    returned here.
    """
    # serialize_provider swaps pickle.Pickler globally while it runs, so two threads at once
    # corrupt each other. It also wraps pickle._Pickler._batch_setitems once more on every
    # call and never restores it (SDK 3.272), so a test process that serializes thousands of
    # times would hit RecursionError for any provider that pickles a dict: restore it here.
    with _SERIALIZE_LOCK:
        original = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]
        try:
            text, _contains_secrets = _serialize(True, serialize_provider, provider)
        finally:
            pickle._Pickler._batch_setitems = original  # type: ignore[attr-defined]
    return text


_SERIALIZE_LOCK = threading.Lock()


def secret(value: Any) -> dict[str, Any]:
    """Wrap ``value`` in the wire secret signature.

    The real engine never sends these to a dynamic provider; use it to see what a provider
    would get if one slipped through (the raw signature dict).
    """
    return {_SIG_KEY: _SECRET_SIG, "value": value}


def is_secret(value: Any) -> bool:
    """True for a decoded secret-signature dict."""
    return rpc.is_rpc_secret(value)


def unwrap(value: Any) -> Any:
    """The value inside a secret-signature dict; anything else is returned unchanged."""
    return rpc.unwrap_rpc_secret(value)


def is_unknown(value: Any) -> bool:
    """True for the :data:`UNKNOWN` sentinel string or a ``pulumi.output.Unknown``."""
    return isinstance(value, Unknown) or value == UNKNOWN


def _split_urn(urn: str) -> tuple[str, str]:
    """``(type, name)`` of a URN ``urn:pulumi:stack::project::[parent$]type::name``."""
    parts = urn.split("::", 3)
    if len(parts) != 4 or not parts[0].startswith("urn:pulumi:"):
        raise ValueError(f"not a Pulumi URN: {urn!r}")
    return parts[2].rsplit("$", 1)[-1], parts[3]


def _encode(props: Mapping[str, Any]) -> struct_pb2.Struct:
    """Encode a property bag with the SDK's own serializer (drops ``None``, ints -> doubles).

    Runs on a private event loop, as the SDK's dynamic server does, so it works from plain
    synchronous tests.
    """
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(dict(props), {}))
    finally:
        loop.close()


def unknowns_to_sentinel(value: Any) -> Any:
    """Replace ``pulumi.output.Unknown`` instances with :data:`UNKNOWN` (comparable with ==)."""
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: unknowns_to_sentinel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unknowns_to_sentinel(v) for v in value]
    return value


class Engine(DynamicProviderProcess):
    """A ``python -m pulumi.dynamic`` child process (the kit's
    :class:`~pairing_provider.testing.process.DynamicProviderProcess`) and one method per
    provider call, for protocol-level tests: each builds the request as the engine does."""

    def __init__(
        self,
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        *,
        keep_provider_key: bool = False,
        call_timeout: float = 30.0,
        start_timeout: float = 30.0,
        extra_pythonpath: Iterable[str | os.PathLike[str]] = (),
        record_requests: bool = False,
    ) -> None:
        """Configure, but do not start, the child.

        ``cwd`` defaults to the repository root (the engine runs the plugin in the project
        directory). ``env`` entries override ``os.environ``. ``PYTHONPATH`` gets the repository
        root (plus ``extra_pythonpath``) in front, so provider classes pickled by reference
        (e.g. ``tests.fixtures_engine.echo_provider``) import in the child.
        ``record_requests`` keeps every request sent in :attr:`requests`.
        """
        super().__init__(
            cwd if cwd is not None else REPO_ROOT,
            env,
            start_timeout=start_timeout,
            pythonpath=[REPO_ROOT, *extra_pythonpath],
            record_requests=record_requests,
        )
        self.keep_provider_key = keep_provider_key
        self.call_timeout = call_timeout

    # -- helpers -----------------------------------------------------------------------------

    serialized = staticmethod(serialized)

    def _call(self, method: str, request: Any) -> Any:
        try:
            return self.call(method, request, self.call_timeout)
        except grpc.RpcError as err:
            code = err.code() if isinstance(err, grpc.Call) else grpc.StatusCode.UNKNOWN
            details = (err.details() if isinstance(err, grpc.Call) else str(err)) or ""
            raise EngineError(method, code, details) from err

    def _bag(
        self, provider: ResourceProvider, props: Mapping[str, Any] | None, *, inject: bool = True
    ) -> struct_pb2.Struct:
        """Encode ``props`` with ``__provider`` added (unless present, or not ``inject``)."""
        bag = dict(props or {})
        if inject and PROVIDER_KEY not in bag:
            bag[PROVIDER_KEY] = serialized(provider)
        return _encode(bag)

    def decode(self, struct: struct_pb2.Struct) -> dict[str, Any]:
        """A request's or response's property bag as a test compares it (see :meth:`_decode`)."""
        return self._decode(struct)

    def _decode(self, struct: struct_pb2.Struct) -> dict[str, Any]:
        """Struct -> dict: SDK deserializer, unknowns as :data:`UNKNOWN`, secrets kept marked."""
        value = rpc.deserialize_properties(struct, keep_unknowns=True)
        decoded: dict[str, Any] = unknowns_to_sentinel(value)
        if not self.keep_provider_key:
            decoded.pop(PROVIDER_KEY, None)
        return decoded

    # -- engine calls ------------------------------------------------------------------------

    def configure(
        self,
        config: Mapping[str, Any],
        *,
        secret_keys: Iterable[str] = (),
    ) -> ConfigureResult:
        """Send ``Configure`` the way the engine configures the default ``pulumi-python`` provider.

        For dynamic providers the engine passes the *whole* stack config with namespaced keys
        (``"illumio:pceHost"``): ``args`` is a Struct of string values (secure keys wrapped in
        the secret signature), ``variables`` repeats them as ``"pulumi-python:config:<key>"``.
        The SDK reads only ``args``, unwraps top-level secrets and later calls the provider's
        ``configure(req)`` with ``req.config.get("illumio:pceHost") == "<value>"``. Non-string
        values are JSON-encoded, as the engine does for structured config. Must be called before
        the first call that uses a provider (see module docstring).
        """
        secrets = set(secret_keys)
        unknown_secret_keys = secrets - set(config)
        if unknown_secret_keys:
            raise ValueError(f"secret_keys not in config: {sorted(unknown_secret_keys)}")
        as_text = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
        args = {k: secret(v) if k in secrets else v for k, v in as_text.items()}
        request = provider_pb2.ConfigureRequest(
            variables={_CONFIG_VARIABLE_PREFIX + k: v for k, v in as_text.items()},
            args=_encode(args),
            acceptSecrets=True,
            acceptResources=True,
            sends_old_inputs=True,
            sends_old_inputs_to_delete=True,
        )
        response = self._call("Configure", request)
        return ConfigureResult(
            accept_secrets=response.acceptSecrets,
            supports_preview=response.supportsPreview,
            accept_resources=response.acceptResources,
            accept_outputs=response.acceptOutputs,
        )

    def check(
        self,
        provider: ResourceProvider,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        urn: str = DEFAULT_URN,
        random_seed: bytes = b"",
    ) -> CheckResult:
        """``Check(olds=old inputs, news=new inputs)``; ``olds={}`` for a resource being created."""
        typ, name = _split_urn(urn)
        request = provider_pb2.CheckRequest(
            urn=urn,
            name=name,
            type=typ,
            olds=self._bag(provider, olds, inject=bool(olds)),
            news=self._bag(provider, news),
            randomSeed=random_seed,
        )
        response = self._call("Check", request)
        failures = [(f.property, f.reason) for f in response.failures]
        return CheckResult(inputs=self._decode(response.inputs), failures=failures)

    def diff(
        self,
        provider: ResourceProvider,
        id: str,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        old_inputs: Mapping[str, Any] | None = None,
        urn: str = DEFAULT_URN,
        ignore_changes: Iterable[str] = (),
    ) -> DiffResult:
        """``Diff(olds=old *outputs*, news=new inputs)``.

        ``old_inputs`` defaults to ``olds``; the Python SDK server ignores it anyway.
        """
        typ, name = _split_urn(urn)
        request = provider_pb2.DiffRequest(
            id=id,
            urn=urn,
            name=name,
            type=typ,
            olds=self._bag(provider, olds, inject=bool(olds)),
            news=self._bag(provider, news),
            old_inputs=self._bag(provider, olds if old_inputs is None else old_inputs),
            ignoreChanges=list(ignore_changes),
        )
        response = self._call("Diff", request)
        raw = response.changes
        changes: bool | None = {
            provider_pb2.DiffResponse.DIFF_SOME: True,
            provider_pb2.DiffResponse.DIFF_NONE: False,
        }.get(raw)
        detailed = (
            {
                k: provider_pb2.PropertyDiff.Kind.Name(v.kind)
                for k, v in response.detailedDiff.items()
            }
            if response.hasDetailedDiff
            else {}
        )
        return DiffResult(
            changes=changes,
            replaces=list(response.replaces),
            stables=list(response.stables),
            delete_before_replace=response.deleteBeforeReplace,
            diffs=list(response.diffs),
            detailed_diff=detailed,
            raw_changes=raw,
        )

    def create(
        self,
        provider: ResourceProvider,
        inputs: Mapping[str, Any],
        *,
        urn: str = DEFAULT_URN,
        preview: bool = False,
        timeout: float = 0,
    ) -> CreateResult:
        """``Create(properties=checked inputs)`` -> ``(id, outs)``.

        ``preview=True`` only sets the request flag: the real engine never calls Create during
        preview for a dynamic provider (no ``supportsPreview``) and the SDK server ignores it.
        """
        typ, name = _split_urn(urn)
        request = provider_pb2.CreateRequest(
            urn=urn,
            name=name,
            type=typ,
            properties=self._bag(provider, inputs),
            preview=preview,
            timeout=timeout,
        )
        response = self._call("Create", request)
        return CreateResult(id=response.id, outs=self._decode(response.properties))

    def read(
        self,
        provider: ResourceProvider,
        id: str,
        props: Mapping[str, Any],
        inputs: Mapping[str, Any] | None = None,
        *,
        urn: str = DEFAULT_URN,
    ) -> ReadResult:
        """``Read(properties=old outputs, inputs=old inputs)`` -> ``(id, outs, inputs)``.

        On refresh the engine sends both. On a ``get`` it sends the get's inputs (just
        ``__provider``) as both (``ReadStep.Apply``); the kit's engine
        does that. With ``props={}`` nothing is sent in ``properties``, and SDK 3.272's server
        then looks for ``__provider`` in ``inputs``.
        """
        typ, name = _split_urn(urn)
        request = provider_pb2.ReadRequest(
            id=id,
            urn=urn,
            name=name,
            type=typ,
            properties=self._bag(provider, props, inject=bool(props)),
            inputs=self._bag(provider, inputs, inject=bool(inputs)),
        )
        response = self._call("Read", request)
        new_inputs = self._decode(response.inputs) if response.HasField("inputs") else None
        return ReadResult(id=response.id, outs=self._decode(response.properties), inputs=new_inputs)

    def update(
        self,
        provider: ResourceProvider,
        id: str,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        old_inputs: Mapping[str, Any] | None = None,
        urn: str = DEFAULT_URN,
        preview: bool = False,
        ignore_changes: Iterable[str] = (),
        timeout: float = 0,
    ) -> dict[str, Any]:
        """``Update(olds=old outputs, news=new checked inputs)`` -> new outputs."""
        typ, name = _split_urn(urn)
        request = provider_pb2.UpdateRequest(
            id=id,
            urn=urn,
            name=name,
            type=typ,
            olds=self._bag(provider, olds),
            news=self._bag(provider, news),
            old_inputs=self._bag(provider, olds if old_inputs is None else old_inputs),
            preview=preview,
            ignoreChanges=list(ignore_changes),
            timeout=timeout,
        )
        response = self._call("Update", request)
        return self._decode(response.properties)

    def delete(
        self,
        provider: ResourceProvider,
        id: str,
        props: Mapping[str, Any],
        *,
        old_inputs: Mapping[str, Any] | None = None,
        urn: str = DEFAULT_URN,
        timeout: float = 0,
    ) -> None:
        """``Delete(properties=old outputs)``."""
        typ, name = _split_urn(urn)
        request = provider_pb2.DeleteRequest(
            id=id,
            urn=urn,
            name=name,
            type=typ,
            properties=self._bag(provider, props),
            old_inputs=self._bag(provider, props if old_inputs is None else old_inputs),
            timeout=timeout,
        )
        self._call("Delete", request)


def pickled_bytes(text: str) -> bytes:
    """The dill pickle inside a serialized provider, to assert what travels in the state."""
    return base64.b64decode(text)
