"""What happens to the old resource of a replacement, as the engine's step generator decides.

``continueStepsFromDiff`` (``step_generator.go``): with delete-before-replace (the resource
option overrides the provider's answer) the old and its dependents that would be replaced too
(``calculateDependentReplacements``) are deleted before the new one is created, and kept in the
state pending replacement; otherwise the old is deleted at the end of the run.
"""

from __future__ import annotations

from typing import Any

from pulumi.output import Unknown as SdkUnknown

from pairing_provider.testing.options import Options, protected_replace
from pairing_provider.testing.run_state import RunState
from pairing_provider.testing.values import ResourceState


def retire_old(run: RunState, old: ResourceState, diff: Any, options: Options) -> None:
    """Delete ``old`` now (delete-before-replace) or queue it for the end of the run; a
    preview deletes nothing, and an old already pending replacement was deleted before."""
    if run.preview or old.pending_replacement:
        return
    delete_first = diff.delete_before_replace
    if options.delete_before_replace is not None:
        delete_first = options.delete_before_replace
    if delete_first:
        delete_before_replace(run, old)
    else:
        run.replaced.append(old)


def delete_before_replace(run: RunState, root: ResourceState) -> None:
    """Delete the dependents that would be replaced (reverse order), then the old itself;
    each is kept in the state marked pending replacement once its Delete succeeded."""
    for dependent in reversed(dependents_replaced_with(run, root)):
        if dependent.protect:
            raise protected_replace(dependent.urn)
        run.delete(dependent, replacing=True)
        run.mark_pending_replacement(dependent)
    run.delete(root, replacing=True)
    run.mark_pending_replacement(root)


def dependents_replaced_with(run: RunState, root: ResourceState) -> list[ResourceState]:
    """``calculateDependentReplacements``: every later resource of the old state whose inputs
    come from one being replaced, asked Diff with those inputs unknown; replaced if the
    provider says so. Resources this run already registered cannot depend on the root."""
    replaced, found = {root.urn}, []
    for state in run.prior.values():
        if state.urn in run.registered or state.external:
            continue
        hit = [name for name, urns in state.dependencies.items() if replaced & set(urns)]
        provider = run.channels.for_resource(state.type, state.raw_outputs)
        if not hit or provider is None:
            continue
        made_unknown = {name: SdkUnknown() for name in hit}  # type: ignore[no-untyped-call]
        unknown = {**state.raw_inputs, **made_unknown}
        diff = provider.diff(state.urn, state.id, state.raw_outputs, unknown, state.raw_inputs)
        if diff.replace:
            replaced.add(state.urn)
            found.append(state)
    return found
