"""The three resources as the native face serves them: the dynamic providers' operations,
wrapped, in the declaration's snake_case names (``servicer.py`` maps them to camelCase).

What the native face adds to those operations:

- a detailed diff: each changed input with UPDATE or UPDATE_REPLACE;
- a preview of a create or an update with no request (the plugin announces
  ``supportsPreview``, so the engine asks it);
- import: a profile or a label read by its id alone (what ``pulumi import`` sends) comes back
  with the inputs a program would write; a profile's ``ven_type`` included from the PCE's
  ``ven_type`` filter (no GET carries it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pairing_provider.declaration import ADOPT_EXISTING, Declaration, literal_values
from pairing_provider.errors import IllumioError, LookupFailedError
from pairing_provider.key import PairingKeyProvider, changed_inputs
from pairing_provider.label import LabelProvider, changed_label_fields
from pairing_provider.models import VenType, changed_fields
from pairing_provider.native.names import KEY_TOKEN, LABEL_TOKEN, PROFILE_TOKEN
from pairing_provider.native.schema import KEY_IMPORT_NOTE
from pairing_provider.profile import PairingProfileProvider
from pairing_provider.provider_base import IllumioResourceProvider
from pairing_provider.ven_types import listed_ven_type

Kind = Literal["UPDATE", "UPDATE_REPLACE"]
# Asked first on import: the PCE's own default (docs/pce-api.md), so most imports cost 1 listing.
FIRST_VEN_TYPE = literal_values(VenType)[0]


@dataclass(frozen=True)
class Diff:
    changes: bool
    replaces: list[str]
    delete_before_replace: bool
    detailed: dict[str, Kind] = field(default_factory=dict)


@dataclass(frozen=True)
class Read:
    id: str
    outputs: dict[str, Any]
    inputs: dict[str, Any] | None


class NativeResource:
    """One resource type: its token and the dynamic provider doing the work (whose
    declaration the resource's is)."""

    token: str
    provider_class: type[IllumioResourceProvider]

    def __init__(self) -> None:
        self.provider = self.provider_class()
        self.declaration: Declaration[Any, Any] = self.provider.declaration

    def check(
        self, olds: dict[str, Any], news: dict[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        result = self.provider.check(olds, news)
        return dict(result.inputs), [(f.property, f.reason) for f in result.failures]

    def changed(self, olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
        raise NotImplementedError

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> Diff:
        result = self.provider.diff(id_, olds, news)
        replaces = list(result.replaces or [])
        changed = dict.fromkeys([*self.changed(olds, news), *replaces])
        detailed: dict[str, Kind] = {
            name: "UPDATE_REPLACE" if name in replaces else "UPDATE" for name in changed
        }
        return Diff(bool(result.changes), replaces, bool(result.delete_before_replace), detailed)

    def create(self, inputs: dict[str, Any], *, preview: bool) -> tuple[str, dict[str, Any]]:
        if preview:
            return "", dict(inputs)  # what the program said; the rest is not known yet
        result = self.provider.create(inputs)
        return str(result.id), dict(result.outs or {})

    def update(
        self, id_: str, olds: dict[str, Any], news: dict[str, Any], *, preview: bool
    ) -> dict[str, Any]:
        if preview:
            return {**olds, **news}
        result = self.provider.update(id_, olds, news)
        return dict(result.outs or {})

    def read(self, id_: str, props: dict[str, Any], inputs: dict[str, Any]) -> Read:
        if props or inputs:
            return self._read(id_, props)
        return self._import(id_)

    def _read(self, id_: str, props: dict[str, Any]) -> Read:
        result = self.provider.read(id_, props)
        return Read(str(result.id or ""), dict(result.outs or {}), result.inputs)

    def _import(self, id_: str) -> Read:
        """``pulumi import`` (Read with the id alone). Inputs are what a program would write,
        so the program the CLI writes from them previews with no change: no
        ``adopt_existing`` (this provider's own flag, at its default)."""
        read = self._read(id_, {})
        if not read.id:  # gone: a refresh drops it, an import has nothing to take
            raise LookupFailedError(
                f"{self.token} {id_!r}: nothing to import there (the PCE has no such object, "
                "or keeps it marked deleted)"
            )
        inputs = {**(read.inputs or {})}
        inputs.pop(ADOPT_EXISTING, None)
        return Read(read.id, read.outputs, inputs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self.provider.delete(id_, props)


class ProfileResource(NativeResource):
    token = PROFILE_TOKEN
    provider_class = PairingProfileProvider

    def changed(self, olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
        return changed_fields(olds, news)

    def _import(self, id_: str) -> Read:
        """The GET, then the ``ven_type`` listings (at most 3). Inputs leave out
        ``log_traffic``/``log_traffic_lock`` (sent only when set; the read leaves them out)
        and hold ``ven_type`` only when a listing named it (no guess of a default)."""
        provider = self.provider
        assert isinstance(provider, PairingProfileProvider)
        with provider.client.operation():
            read = super()._import(id_)
            outputs = read.outputs
            ven_type = listed_ven_type(
                provider.client, outputs, expected=FIRST_VEN_TYPE, name=outputs["name"]
            )
        inputs = read.inputs or {}
        if ven_type is not None:
            outputs["ven_type"] = inputs["ven_type"] = ven_type
        return Read(read.id, outputs, inputs)


class KeyResource(NativeResource):
    token = KEY_TOKEN
    provider_class = PairingKeyProvider

    def changed(self, olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
        return changed_inputs(olds, news)

    def read(self, id_: str, props: dict[str, Any], inputs: dict[str, Any]) -> Read:
        if "activation_code" not in props:
            raise IllumioError(
                f"{KEY_TOKEN} {id_!r} cannot be imported or read by id. {KEY_IMPORT_NOTE} "
                "Declare a new PairingKey instead."
            )
        return super().read(id_, props, inputs)


class LabelResource(NativeResource):
    """A label: ``key`` replaces (the PCE takes it only at creation; the new label is made
    before the old one goes), ``value`` and the external data change in place. Import is
    the one GET."""

    token = LABEL_TOKEN
    provider_class = LabelProvider

    def changed(self, olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
        return changed_label_fields(olds, news)


def resources() -> dict[str, NativeResource]:
    served = (ProfileResource(), KeyResource(), LabelResource())
    return {resource.token: resource for resource in served}
