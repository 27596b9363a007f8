"""Section 9: ``pulumi up`` then ``pulumi destroy``, each its own provider process, under the
PCE's rate limit: the second process must start from the budget the first one spent.

The PCE counts an API key's requests over a sliding window whatever process sent them; a new
provider process starting from an empty budget sends a window's worth at once and meets 429s.
The provider hands the window over in a budget file (pairing_provider/budget_file.py); the
same scenario runs with it switched off (``PAIRING_PROVIDER_BUDGET_DIR=off``) for comparison.
"""

from __future__ import annotations

import tempfile
from typing import Any, NamedTuple

from benchmarks.budget import KEY, PROFILE, expect
from benchmarks.pacing import provider_budget, provider_settings
from benchmarks.pce import SimulatorProcess, provider_process
from benchmarks.report import Goal, Section, Table
from benchmarks.scale import PacingScale, Scale
from benchmarks.timing import parallel, timed
from benchmarks.up_cost import IN_FLIGHT, key_inputs, profile_inputs
from pairing_provider.budget_file import DISABLED
from tests.engine import Engine

Created = tuple[str, dict[str, Any]]


class Outcome(NamedTuple):
    up_requests: int
    destroy_requests: int
    refused: int  # 429s the PCE answered, both commands together
    seconds: float


def up(engine: Engine, count: int) -> list[tuple[Created, Created]]:
    """Profiles, then a key wired to each, as the engine orders them; (profile, key) pairs."""

    def create(resource: Any, inputs: dict[str, Any]) -> Created:
        return engine.create(resource, engine.check(resource, {}, inputs).inputs)

    def profile(i: int) -> Created:
        return create(PROFILE, profile_inputs(f"handover-{i:04d}"))

    profiles = parallel(profile, range(count), threads=IN_FLIGHT)
    keys = parallel(lambda p: create(KEY, key_inputs(p[0])), profiles, threads=IN_FLIGHT)
    return list(zip(profiles, keys, strict=True))


def destroy(engine: Engine, pairs: list[tuple[Created, Created]]) -> None:
    """Keys first, then their profiles, as the engine deletes dependents first."""
    parallel(lambda pair: engine.delete(KEY, *pair[1]), pairs, threads=IN_FLIGHT)
    parallel(lambda pair: engine.delete(PROFILE, *pair[0]), pairs, threads=IN_FLIGHT)


def up_then_destroy(pce: SimulatorProcess, spec: PacingScale, budget_dir: str) -> Outcome:
    pce.reset()  # an empty org and an empty rate window
    settings = provider_settings(spec, paced=True)  # each command starts a process of its own
    with provider_process(pce, budget_dir=budget_dir, **settings) as engine:
        (pairs, up_seconds) = timed(lambda: up(engine, spec.profiles))
    up_log = pce.requests()
    with provider_process(pce, budget_dir=budget_dir, **settings) as engine:
        destroy_seconds = timed(lambda: destroy(engine, pairs))[1]
    log = pce.requests()
    deleted = [e for e in log if e["method"] == "DELETE" and e["status"] == 204]
    expect(len(deleted) == spec.profiles, "every profile deleted")
    refused = [entry["status"] for entry in log].count(429)
    return Outcome(len(up_log), len(log) - len(up_log), refused, up_seconds + destroy_seconds)


def measure_handover(scale: Scale) -> Section:
    spec = scale.handover
    with (
        SimulatorProcess(rate_limit=spec.pce_limit, rate_window=spec.pce_window) as pce,
        tempfile.TemporaryDirectory(prefix="benchmark-budget-") as budget_dir,
    ):
        handed = up_then_destroy(pce, spec, budget_dir)
        alone = up_then_destroy(pce, spec, DISABLED)
    return handover_section(spec, handed, alone)


def handover_section(spec: PacingScale, handed: Outcome, alone: Outcome) -> Section:
    budget, window = provider_budget(spec)
    n = spec.profiles
    table = Table(
        "handover",
        f"10. `up` of {n} profiles and {n} keys, then `destroy`, each in a new provider process, "
        f"against a PCE limited to {spec.pce_limit} requests per {spec.pce_window:g} s",
        [
            "budget hand-over",
            "up requests",
            "destroy requests",
            "429s from the PCE",
            "seconds",
            "floor: requests / limit, s",
        ],
        notes=[
            f"The provider's budget: {budget} requests per {window:g} s "
            f"({budget / spec.pce_limit:.0%} of the PCE's), {IN_FLIGHT} calls in flight. "
            f"Floor of requests: up {3 * n} (a profile's POST and PUT and a key POST a pair), "
            f"destroy {n} "
            "(a profile DELETE each; a key has nothing to delete). Seconds: both commands' "
            "calls, without the processes' start-up; floor: the requests the PCE answered at "
            "its own limit's steady rate.",
            "off: PAIRING_PROVIDER_BUDGET_DIR=off, each process starting from an empty budget "
            "(what every process did before the hand-over); 429s are retried, so both runs end "
            "with every resource created and deleted.",
        ],
    )
    for label, outcome in (("budget file (default)", handed), ("off", alone)):
        sent = outcome.up_requests + outcome.destroy_requests - outcome.refused
        table.add(label, *outcome, sent / spec.pce_limit * spec.pce_window)
    goal = Goal(
        f"`up` then `destroy` of {n} pairs at {spec.pce_limit} requests per {spec.pce_window:g} s",
        "0 429s",
        f"{handed.refused} 429s ({handed.up_requests} + {handed.destroy_requests} requests, "
        f"{handed.seconds:.1f} s); without the hand-over: {alone.refused} 429s",
        handed.refused == 0,
    )
    return Section([table], [goal])
