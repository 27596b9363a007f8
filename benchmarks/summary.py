"""The "what this shows" paragraph, written from the run's own numbers.

Generated rather than hand-written, so that a re-run never leaves text that contradicts the
tables beside it.
"""

from __future__ import annotations

from typing import Final

from benchmarks.overhead import FLOOR, HTTP_RATIO_GOAL
from benchmarks.pacing import provider_budget
from benchmarks.report import Report, Table

EXAMPLE_PCE_MS: Final[float] = 20.0  # an illustrative PCE response time, not a measurement


def number(table: Table, column: str, **match: str) -> float:
    value = table.find(**match)[column]
    if not isinstance(value, int | float):
        raise TypeError(f"{table.key}: {column} of {match} is {value!r}")
    return float(value)


def scope_text(report: Report) -> str:
    machine = dict(report.environment).get("machine", "this machine")
    text = (
        f"Every time below is this machine's: {machine}, shared with whatever else ran on "
        "it. Times move with the machine, so compare them only with runs on the same one; "
        "the goals on time are ratios to a baseline measured in the same run (the bare HTTP "
        "call, the no-op provider's check, `import pulumi`); request counts and sizes are "
        "exact anywhere."
    )
    if report.scale.mode == "full":
        return text
    return (
        f"{text} This is a --{report.scale.mode} run: every part is scaled down (e.g. "
        f"{report.scale.throughput_profiles:,} profiles to create, a "
        f"{report.scale.pacing.pce_window:g} s rate-limit window), so its numbers say how "
        "this machine behaves, not what a production stack would see."
    )


def requests_text(report: Report) -> str:
    table = report.table("requests")
    over = [f"{r['resource']} {r['operation']}" for r in table.rows if r["met"] != "yes"]
    if over:
        return f"Over their request budget: {', '.join(over)}."
    count = {(r["resource"], r["operation"]): r["requests"] for r in table.rows}
    profile = {op: count[("PairingProfile", op)] for op in ("create", "read", "update", "delete")}
    key = {op: count[("PairingKey", op)] for op in ("create", "create (bare href)", "read")}
    return (
        "Every operation stays within its request budget, counted at the PCE: a profile costs "
        f"{profile['create']} requests to create (a POST marked with a description only that "
        "create knows, then a PUT of the program's: the proof a lost answer's profile is its "
        "own; the Terraform provider sends 2), "
        f"{profile['read']} to read, {profile['update']} to update, {profile['delete']} to "
        f"delete, and check and diff send none; a key costs {key['create']} to make when "
        f"wired with pairing_profile= ({key['create (bare href)']} for a bare href), "
        f"{key['read']} to refresh, and none to delete (Terraform's delete revokes every key "
        "of the profile)."
    )


def overhead_text(report: Report) -> str:
    table = report.table("overhead")

    def engine(resource: str, operation: str) -> float:
        return number(table, "provider ms", resource=resource, operation=operation)

    local = [engine(r, o) for r in ("PairingProfile", "PairingKey") for o in ("check", "diff")]
    floor_check, floor_create = engine(FLOOR, "check"), engine(FLOOR, "create")
    create = {"resource": "PairingProfile", "operation": "create"}
    added = number(table, "overhead ms", **create)
    own = number(table, "package ms", **create)
    bare = number(table, "bare ms", **create)
    allowance = bare * (HTTP_RATIO_GOAL - 1)
    text = (
        f"Check and diff take {max(local):.2f} ms at most through the engine protocol; the "
        "no-op provider's check, what any call to a Python dynamic provider costs, took "
        f"{floor_check:.2f} ms in the same run. Create adds {added:.2f} ms to the "
        f"{bare:.2f} ms the simulator takes for the bare POST and PUT: {own:.2f} ms is this "
        "package's "
        "own code (in-process minus bare), the rest gRPC and the SDK's dynamic provider "
        f"server, whose floor is {floor_create:.2f} ms (the no-op provider's create)."
    )
    ratio_goal = next(g for g in report.goals if g.goal.startswith("create and read"))
    if ratio_goal.met:
        return f"{text} Create and read stay within {HTTP_RATIO_GOAL:g}x the bare call."
    why = (
        f" {HTTP_RATIO_GOAL:g}x of that bare POST and PUT leaves {allowance:.2f} ms for everything "
        "between the engine and the PCE"
    )
    if allowance < floor_create:
        why += ", less than the SDK server's own floor: no Python dynamic provider fits in it"
    pce_ms = EXAMPLE_PCE_MS * 2  # a create is two requests
    example = (pce_ms + added) / pce_ms
    return (
        f"{text}{why}; create and read miss that goal against this simulator. The added time "
        f"is fixed per call, not proportional: if the PCE took {EXAMPLE_PCE_MS:g} ms per "
        f"request, the same overhead would make a create {example:.2f}x the bare call."
    )


def throughput_text(report: Report) -> str:
    table = report.table("throughput")
    rates = {
        str(row["client"]): row["profiles/s"]
        for row in table.rows
        if isinstance(row["profiles/s"], float)
    }
    listed = "; ".join(f"{client}: {rate:.0f}/s" for client, rate in rates.items())
    n = int(number(table, "profiles", client="bare requests, 1 thread"))
    return f"Creating {n:,} profiles, profiles per second: {listed}."


def refresh_text(report: Report) -> str:
    table = report.table("refresh")
    provider, bare = table.rows
    return (
        f"A refresh of {provider['profiles']:,} profiles took {provider['requests']} requests "
        f"and {provider['seconds']:.2f} s, its provider process's start-up imports included; "
        f"one GET per profile, as the Terraform provider refreshes, took {bare['requests']:,} "
        f"requests and {bare['seconds']:.2f} s here, and would use "
        f"{bare['requests'] / 500:g} minutes' worth of a PCE's 500-per-minute budget."
    )


def footprint_text(report: Report) -> str:
    rows = {str(row["measure"]): row["value"] for row in report.table("footprint").rows}
    pickled = max(v for k, v in rows.items() if k.startswith("pickled") and isinstance(v, int))
    imported = next(v for k, v in rows.items() if k.startswith("import pairing_provider"))
    resources = next(v for k, v in rows.items() if k.startswith("from pairing_provider"))
    peak = next(v for k, v in rows.items() if "VmHWM" in k)
    return (
        f"The provider pickled into each resource's state is at most {pickled} characters, "
        f"`import pairing_provider` takes {imported:.1f} ms here (the resources, with the "
        f"Pulumi SDK parts they need, {resources:.0f} ms more once `pulumi` is imported), "
        f"and the provider process peaked at {peak:.1f} MB over "
        f"{report.scale.soak_operations:,} operations."
    )


def pacing_text(report: Report) -> str:
    paced, unpaced = report.table("pacing").rows
    text = (
        f"With its default pacing, the provider sent {paced['requests']} requests to a PCE "
        f"enforcing its rate limit and got {paced['429s from the PCE']} 429s, "
        f"{paced['errors at the engine']} errors, in {paced['seconds']:.1f} s (the sliding "
        f"window's floor is {paced['floor: last window opens, s']:g} s)."
    )
    refused = unpaced["429s from the PCE"]
    spec = report.scale.pacing
    spare = 1 - provider_budget(spec)[0] / spec.pce_limit
    return (
        f"{text} Without pacing the PCE answered {refused} 429s, and the engine still saw "
        f"{unpaced['errors at the engine']} errors in {unpaced['seconds']:.1f} s: each 429's "
        "Retry-After kept one of the provider process's 4 gRPC workers waiting, which held "
        "back the rest until the window reopened. Pacing's gain is that the PCE never has to "
        f"refuse, and that {spare:.0%} of the key's budget stays free for anything else using it."
    )


def up_cost_text(report: Report) -> str:
    mine, floor = report.table("up cost").rows
    text = (
        f"In an `up` of {int(mine['resources']) // 2:,} profiles and as many keys, the provider "
        f"process used {mine['CPU ms per resource']:.2f} ms of CPU per resource, "
        f"{mine['vs no-op provider']} the {floor['CPU ms per resource']:.2f} ms the no-op "
        "provider used for the same property bags in the same process. Each request goes out "
        "through the standard library's http.client over kept-alive connections (requests' "
        "session and urllib3 cost about 0.6 ms of CPU more per request), and each exchange's "
        "deadline is watched by one thread for the whole process."
    )
    goal = next(g for g in report.goals if g.goal.startswith("provider CPU per resource"))
    if goal.met is not False:
        return text
    return (
        f"{text} The difference is mostly the HTTP requests each resource costs (a profile "
        "two, a key one; http.client's header parsing is the largest part of each), then the "
        "SDK serialising larger output bags (some 35 properties a profile), and this package's "
        "own check and create. Ratios on this shared machine move by about a tenth from run "
        "to run."
    )


def simulator_scale_text(report: Report) -> str:
    spec = report.scale.simulator
    rows = {str(row["requests"]): row["ratio"] for row in report.table("simulator scale").rows}
    return (
        f"The simulator answers {spec.batch:,} POSTs in {rows['POST']} the time with "
        f"{spec.large:,} profiles held as with {spec.small:,}, and {spec.batch:,} GETs by href "
        f"in {rows['GET by href']}: the name-uniqueness check and look-ups by href go through "
        "indexes, not a scan of the org."
    )


def handover_text(report: Report) -> str:
    handed, alone = report.table("handover").rows
    spec = report.scale.handover
    return (
        f"`up` then `destroy` of {spec.profiles} pairs, each command a new provider process, "
        f"against a PCE allowing {spec.pce_limit} requests per {spec.pce_window:g} s: "
        f"{handed['up requests']} + {handed['destroy requests']} requests (the floor), "
        f"{handed['429s from the PCE']} 429s, because the destroy process started from the "
        f"budget the up process spent (its budget file). With the hand-over off, the destroy "
        f"process started from an empty budget and met {alone['429s from the PCE']} 429s."
    )


def missed_text(report: Report) -> str:
    missed = [goal.goal for goal in report.goals if goal.met is False]
    if not missed:
        return "Every goal measured in this run is met."
    return f"Missed in this run: {'; '.join(missed)} (explained above)."


def what_this_shows(report: Report) -> str:
    parts = [
        scope_text,
        requests_text,
        overhead_text,
        throughput_text,
        refresh_text,
        footprint_text,
        pacing_text,
        up_cost_text,
        simulator_scale_text,
        handover_text,
        missed_text,
    ]
    return "\n".join(f"- {part(report)}" for part in parts)
