"""How big each part of the benchmark is, for a full, a quick and a smoke run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PacingScale:
    """The rate-limit scenario: the PCE's limit, and the provider's own budget.

    ``provider_limit``/``provider_window`` None mean the provider's defaults (450 per 60 s).
    """

    profiles: int
    pce_limit: int
    pce_window: float
    provider_limit: int | None = None
    provider_window: float | None = None

    @property
    def scaled(self) -> bool:
        return self.pce_window != 60.0


@dataclass(frozen=True)
class SimulatorScale:
    """Org sizes the simulator's per-request time is compared at, and the batch timed."""

    small: int
    large: int
    batch: int
    rounds: int


@dataclass(frozen=True)
class Scale:
    mode: str
    overhead_rounds: int  # paired (engine, bare) samples per operation
    throughput_profiles: int
    throughput_rounds: int
    refresh_profiles: int
    refresh_rounds: int
    import_runs: int
    soak_operations: int
    pacing: PacingScale
    kit_pairs: tuple[int, ...]  # the test kit's up, in-process and over gRPC
    up_profiles: int  # profiles (and as many keys) of the `up` whose CPU is measured
    up_rounds: int
    simulator: SimulatorScale
    handover: PacingScale  # `up` then `destroy` in two processes; profiles = pairs


FULL = Scale(
    mode="full",
    overhead_rounds=300,
    throughput_profiles=1000,
    throughput_rounds=3,
    refresh_profiles=1000,
    refresh_rounds=3,
    import_runs=7,
    soak_operations=10_000,
    pacing=PacingScale(profiles=300, pce_limit=500, pce_window=60.0),
    kit_pairs=(100, 300, 500),
    up_profiles=500,
    up_rounds=3,
    simulator=SimulatorScale(small=1000, large=10_000, batch=1000, rounds=3),
    handover=PacingScale(
        profiles=100, pce_limit=50, pce_window=5.0, provider_limit=45, provider_window=5.0
    ),
)
# The PCE's 500 per minute scaled down tenfold in time and count: the same behaviour in 6 s.
QUICK = Scale(
    mode="quick",
    overhead_rounds=60,
    throughput_profiles=300,
    throughput_rounds=1,
    refresh_profiles=1000,
    refresh_rounds=1,
    import_runs=3,
    soak_operations=2_000,
    pacing=PacingScale(
        profiles=30, pce_limit=50, pce_window=6.0, provider_limit=45, provider_window=6.0
    ),
    kit_pairs=(100,),
    up_profiles=200,
    up_rounds=3,
    simulator=SimulatorScale(small=500, large=5000, batch=300, rounds=3),
    handover=PacingScale(
        profiles=100, pce_limit=50, pce_window=5.0, provider_limit=45, provider_window=5.0
    ),
)
# For the test suite: every row present, request counts exact, in about a minute (most of
# it the four provider processes of the up-then-destroy scenario, and their waits).
SMOKE = Scale(
    mode="smoke",
    overhead_rounds=5,
    throughput_profiles=5,
    throughput_rounds=1,
    refresh_profiles=5,
    refresh_rounds=1,
    import_runs=1,
    soak_operations=50,
    # The provider's budget at half the PCE's limit: a burst sent at the end of one window and
    # the next one's burst can then never add up to a 429, however the two processes' clocks
    # and a loaded machine's delays line up (asserted by the test).
    pacing=PacingScale(
        profiles=5, pce_limit=6, pce_window=0.5, provider_limit=3, provider_window=0.5
    ),
    kit_pairs=(5,),
    up_profiles=5,
    up_rounds=1,
    simulator=SimulatorScale(small=20, large=200, batch=20, rounds=1),
    handover=PacingScale(
        profiles=4, pce_limit=6, pce_window=2.0, provider_limit=5, provider_window=2.0
    ),
)
SCALES = {scale.mode: scale for scale in (FULL, QUICK, SMOKE)}
