"""The resource options of one registration, read and applied as the Pulumi engine does.

Each rule follows a function of pulumi/pulumi's ``pkg/resource/deploy`` (docs/pulumi-engine.md,
"Resource options"): ``processIgnoreChanges`` and ``getOldResource``/``generateAliases`` in
``step_generator.go``, the protect checks of ``continueStepsFromDiff`` and
``DeleteStep.Apply``, and ``ImportStep.Apply`` for ``import_``. An option the kit cannot play
as the engine would is refused with a :class:`StackError` that says so, never approximated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from pulumi import get_project, get_stack

from pairing_provider.errors import StackError
from pairing_provider.testing.values import ResourceState

_TOP_LEVEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Options:
    """What the engine keeps of a registration's ``ResourceOptions``."""

    protect: bool
    retain_on_delete: bool
    delete_before_replace: bool | None  # None: the provider's answer decides
    ignore_changes: tuple[str, ...]
    aliases: tuple[str, ...]  # URNs, in the order the engine tries them
    import_id: str
    property_dependencies: dict[str, tuple[str, ...]]  # input name -> URNs it came from

    @classmethod
    def of(cls, request: Any) -> Options:
        names = tuple(request.ignoreChanges)
        for name in names:
            if not _TOP_LEVEL_NAME.fullmatch(name):
                raise StackError(
                    f"{request.type} {request.name!r}: ignore_changes path {name!r} is not "
                    "modelled by the test kit (only top-level input names are)"
                )
        return cls(
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            delete_before_replace=(
                request.deleteBeforeReplace if request.deleteBeforeReplaceDefined else None
            ),
            ignore_changes=names,
            aliases=tuple(_alias_urn(alias, request) for alias in request.aliases),
            import_id=request.importId,
            property_dependencies={
                name: tuple(deps.urns) for name, deps in request.propertyDependencies.items()
            },
        )

    def kept_by(self, state: ResourceState) -> ResourceState:
        """``state`` with the options the engine saves in it (the new registration's)."""
        return replace(
            state,
            protect=self.protect,
            retain_on_delete=self.retain_on_delete,
            dependencies=self.property_dependencies,
        )


def _alias_urn(alias: Any, request: Any) -> str:
    """``collapseAliasToUrn``: a whole URN as it is; a spec's blanks from the resource itself."""
    if alias.urn:
        return str(alias.urn)
    spec = alias.spec
    parent = "" if spec.noParent else (spec.parentUrn or request.parent)
    type_ = spec.type or request.type
    if parent:
        type_ = parent.split("::")[2].split("$")[-1] + "$" + type_
    parts = [spec.stack or get_stack(), spec.project or get_project(), type_]
    return "urn:pulumi:" + "::".join([*parts, spec.name or request.name])


def without_ignored_changes(
    news: dict[str, Any], olds: dict[str, Any], names: tuple[str, ...]
) -> dict[str, Any]:
    """``processIgnoreChanges``: each ignored input takes its old value (or is dropped when the
    old inputs had none), so no change to it is ever seen."""
    kept = dict(news)
    for name in names:
        if name in olds:
            kept[name] = olds[name]
        else:
            kept.pop(name, None)
    return kept


def refuse_import(request: Any, options: Options, dynamic: bool) -> None:
    """``import_=``: ``ImportStep.Apply`` sends Read(id) with no properties and no inputs."""
    if not options.import_id:
        return
    if dynamic:
        raise StackError(
            f"{request.type} {request.name!r}: import of {options.import_id!r} failed: the "
            "engine reads it with Read(id) and no properties, and the dynamic provider server "
            "then has no __provider to run (KeyError: '__provider', pulumi/pulumi#16175); "
            "adopt an existing profile with adopt_existing=True instead"
        )
    raise StackError(
        f"{request.type} {request.name!r}: import_ of a resource of another provider is not "
        "modelled by the test kit"
    )


def protected_replace(urn: str) -> StackError:
    """The words of ``continueStepsFromDiff`` for a replacement of a protected resource."""
    return StackError(
        f'unable to replace resource "{urn}"\nas it is currently marked for protection. To '
        "unprotect the resource, remove the `protect` flag from the resource in your Pulumi "
        "program and run `pulumi up`"
    )


def protected_delete(urn: str) -> StackError:
    """The words of ``DeleteStep.Apply`` (``deleteProtectedError``)."""
    return StackError(
        f'resource "{urn}" cannot be deleted\nbecause it is protected. To unprotect the '
        "resource, either remove the `protect` flag from the resource in your Pulumi program "
        f"and run `pulumi up`, or use the command:\n`pulumi state unprotect '{urn}'`"
    )
