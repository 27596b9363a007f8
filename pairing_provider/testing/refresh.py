"""``pulumi refresh`` as the engine plays it, without the program: a Read of every resource.

Run on its own (:meth:`~pairing_provider.testing.stack.Stack.refresh`) or before an ``up``,
``preview`` or ``destroy`` (``--refresh``, or the project's ``options: refresh: always``),
with the providers configured by the config the last ``up`` saved.
"""

from __future__ import annotations

from dataclasses import replace

from pairing_provider.testing.records import Step
from pairing_provider.testing.run_state import RunState
from pairing_provider.testing.wire import plain_outputs


def refresh(run: RunState) -> None:
    """Read(id, old outputs) of every resource of ``run.prior`` into ``run.state``.

    An empty id drops the resource; otherwise the answer becomes its outputs, and its
    ``ReadResult.inputs`` (SDK 3.216 and later) its inputs. Resources of other providers,
    and those pending replacement (``RefreshStep.Apply``), are kept as they are.
    """
    for urn, old in run.prior.items():
        provider = run.channels.for_resource(old.type, old.raw_outputs)
        if provider is None or old.pending_replacement:
            run.state[urn] = old
            continue
        result = provider.read(urn, old.id, old.raw_outputs, old.raw_inputs)
        if not result.id:
            run.steps.append(Step(old.name, old.type, "delete"))
            continue
        outputs, secret = plain_outputs(result.outputs, old.secret_outputs)
        inputs = old.raw_inputs if result.inputs is None else result.inputs
        # For display only, the inverse of an up's diff: the refreshed state as the olds.
        provider.diff(urn, result.id, outputs, old.raw_inputs, inputs)
        same = outputs == old.raw_outputs and inputs == old.raw_inputs
        run.steps.append(Step(old.name, old.type, "same" if same else "update"))
        run.state[urn] = replace(
            old, id=result.id, raw_inputs=inputs, raw_outputs=outputs, secret_outputs=secret
        )
