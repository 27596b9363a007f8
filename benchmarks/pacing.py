"""Section 6: a stack larger than one rate-limit window, against a PCE that enforces it.

The PCE allows 500 requests per minute per API key, in a sliding window. Creating 300 profiles
is 600 requests (a POST and a PUT each); the scenario creates the profiles and then deletes
them (``pulumi up`` then ``pulumi destroy``): 900 requests, more than one window holds. With
the default pacing (450 per minute) the PCE should never answer 429; without pacing it does,
and the client's retries absorb them.
"""

from __future__ import annotations

import math
from typing import Any, Final, NamedTuple

from benchmarks.budget import PROFILE, expect
from benchmarks.pce import UNPACED, SimulatorProcess, provider_process
from benchmarks.report import Goal, Section, Table
from benchmarks.scale import PacingScale, Scale
from benchmarks.timing import parallel, timed
from tests.engine import Engine, EngineError

DEFAULT_BUDGET: Final[int] = 450  # the provider's maxRequestsPerMinute default
DEFAULT_WINDOW: Final[float] = 60.0


def provider_settings(spec: PacingScale, paced: bool) -> dict[str, str]:
    settings: dict[str, str] = {}
    if spec.provider_window is not None:
        settings["rateWindow"] = f"{spec.provider_window:g}"
    if not paced:
        settings["maxRequestsPerMinute"] = UNPACED
    elif spec.provider_limit is not None:
        settings["maxRequestsPerMinute"] = str(spec.provider_limit)
    return settings


def provider_budget(spec: PacingScale) -> tuple[int, float]:
    """Requests the provider allows itself, and over how many seconds."""
    return spec.provider_limit or DEFAULT_BUDGET, spec.provider_window or DEFAULT_WINDOW


def up_then_destroy(engine: Engine, count: int) -> int:
    """Create ``count`` profiles, then delete them, from 8 threads; the errors seen."""

    def create(i: int) -> tuple[str, dict[str, Any]] | None:
        try:
            inputs = engine.check(PROFILE, {}, {"name": f"paced-{i:04d}", "enabled": True}).inputs
            return engine.create(PROFILE, inputs)
        except EngineError:
            return None

    def delete(created: tuple[str, dict[str, Any]] | None) -> bool | None:
        if created is None:
            return None  # its create failed: already counted
        try:
            engine.delete(PROFILE, *created)
        except EngineError:
            return False
        return True

    created = parallel(create, range(count))
    deleted = parallel(delete, created)
    return created.count(None) + deleted.count(False)


class Outcome(NamedTuple):
    requests: int
    refused: int  # 429s the PCE answered
    errors: int  # operations that failed at the engine
    seconds: float


def run_scenario(pce: SimulatorProcess, spec: PacingScale, paced: bool) -> Outcome:
    pce.reset()  # also empties the PCE's rate-limit window
    with provider_process(pce, **provider_settings(spec, paced)) as engine:
        errors, seconds = timed(lambda: up_then_destroy(engine, spec.profiles))
    requests = pce.requests()
    statuses = [r["status"] for r in requests]
    deleted = [r for r in requests if r["method"] == "DELETE" and r["status"] == 204]
    expect(len(deleted) == spec.profiles - errors, "every created profile was deleted")
    return Outcome(len(statuses), statuses.count(429), errors, seconds)


def measure_pacing(scale: Scale) -> Section:
    spec = scale.pacing
    with SimulatorProcess(rate_limit=spec.pce_limit, rate_window=spec.pce_window) as pce:
        paced = run_scenario(pce, spec, paced=True)
        unpaced = run_scenario(pce, spec, paced=False)
    return pacing_section(spec, paced, unpaced)


def pacing_section(spec: PacingScale, paced: Outcome, unpaced: Outcome) -> Section:
    sent = 3 * spec.profiles  # the budget: a POST, a PUT and a DELETE each
    steady = sent / spec.pce_limit * spec.pce_window
    floor = (math.ceil(sent / spec.pce_limit) - 1) * spec.pce_window
    budget, window = provider_budget(spec)
    default = " (default)" if spec.provider_limit is None else ""
    table = Table(
        "pacing",
        f"6. {spec.profiles} profiles created then deleted ({sent} requests) against a PCE "
        f"limited to {spec.pce_limit} requests per {spec.pce_window:g} s",
        [
            "provider pacing",
            "requests",
            "429s from the PCE",
            "errors at the engine",
            "seconds",
            "ideal: requests / limit, s",
            "floor: last window opens, s",
        ],
        notes=[
            "ideal: the time the PCE's limit allows at its steady rate; floor: a sliding "
            "window lets one window's worth go at once, so the last request can leave when the "
            f"last window opens. The provider's own budget is {budget / spec.pce_limit:.0%} of "
            f"the PCE's. 8 client threads; pacing off means maxRequestsPerMinute {UNPACED}.",
        ],
    )
    for label, outcome in ((f"{budget} per {window:g} s{default}", paced), ("off", unpaced)):
        table.add(label, *outcome, steady, floor)
    if spec.scaled:
        table.notes.append(
            f"Scaled run: the PCE's 500 per 60 s shrunk to {spec.pce_limit} per "
            f"{spec.pce_window:g} s, the provider's budget to {budget} per {window:g} s "
            "(rateWindow); the same behaviour, faster."
        )
    goal = Goal(
        "pacing under the PCE's rate limit",
        "0 429s, 0 errors",
        f"{paced.refused} 429s, {paced.errors} errors, {paced.seconds:.1f} s "
        f"(floor {floor:.3g} s, requests/limit {steady:.3g} s); unpaced: {unpaced.refused} 429s",
        paced.refused == 0 and paced.errors == 0,
    )
    return Section([table], [goal])
