"""B8 poll placement on virtual time: the real scheduler against the fixed per-job loop.

Every scenario of issue 14 (``benchmarks/scenarios.py``, shared with runs against the fake
server) runs through the real :class:`~akool_async._scheduler.Scheduler` on an event loop whose
time is virtual (``benchmarks/_sim.py``: no sockets, no sleeps; jobs drawn by the fake's own
``Lifecycle``, an in-memory status fetch, the real rate budget): the fixed loop at several
intervals and ``PollPolicy(target_p95_delay=...)`` at several settings, each on a few seeds
(different jobs). Reported: status requests per job, p50/p95/p99 detection delay, the *matched
loop* (the loop interval giving the policy's p95, interpolated on the loop's frontier of the
same seed) and the ratio of its requests per job to ours, as means over the seeds with the
ratio's range; the same at every duration x10 (knob and intervals x10 too); each scenario again
without a media length (``blind``). The frontier is plotted to ``benchmarks/b8_frontier.png``
when matplotlib is installed, with the points from the last B10 run (the same scheduler over
real sockets against the fake, ``benchmarks/b10_points.json``) on the same axes.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

from akool_async import PollPolicy

from ._common import BenchResult, Level, md_table, percentiles
from ._sim import simulate
from .scenarios import SCENARIOS, Scenario

NAME = "b8"
TITLE = "B8 poll placement vs fixed loop (real scheduler, virtual time)"
PARAMS: dict[str, dict[str, Any]] = {
    "smoke": {
        "scenarios": ("cold300", "plan200"),
        "jobs": 40,
        "scale": False,
        "plot": False,
        "seeds": (1,),
    },
    "quick": {"scenarios": None, "jobs": None, "scale": True, "plot": True, "seeds": (1,)},
    "full": {"scenarios": None, "jobs": None, "scale": True, "plot": True, "seeds": (1, 2, 3)},
}
PNG = Path(__file__).resolve().parent / "b8_frontier.png"


def _matched(loops: list[tuple[float, float, float]], p95: float) -> tuple[float, float] | None:
    """(interval, requests per job) of the loop whose p95 equals ``p95`` (log-log interpolation
    between the two loop settings around it); None outside the range measured."""
    pts = sorted((p, req, t) for t, req, p in loops if p > 0)
    for (p0, r0, t0), (p1, r1, t1) in itertools.pairwise(pts):
        if p0 <= p95 <= p1:
            w = 0.0 if p1 == p0 else (math.log(p95) - math.log(p0)) / (math.log(p1) - math.log(p0))
            return t0 * (t1 / t0) ** w, r0 * (r1 / r0) ** w
    return None


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _run(scn: Scenario, seeds: tuple[int, ...]) -> dict[str, Any]:
    """The loop's frontier and the policy's rows, each a mean over ``seeds`` (the ratio is
    taken per seed, against the loop on that seed's jobs)."""
    # A loop per job shares no budget (under ours it never gets below a minute of p95).
    free = replace(scn, rate=None)
    frontier: dict[int, list[tuple[float, float, float]]] = {}
    for seed in seeds:
        frontier[seed] = []
        for t in scn.loops:
            out = simulate(free, "loop", t, seed=seed)
            frontier[seed].append((t, out.per_job, percentiles(out.delays)["p95"]))
    loops = [
        (t, _mean([frontier[s][k][1] for s in seeds]), _mean([frontier[s][k][2] for s in seeds]))
        for k, t in enumerate(scn.loops)
    ]
    ours = []
    for knob in scn.knobs:
        runs = []
        for seed in seeds:
            out = simulate(scn, "policy", knob, seed=seed)
            pct = percentiles(out.delays)
            runs.append((out.per_job, pct, _matched(frontier[seed], pct["p95"])))
        ours.append(seed_row(knob, runs))
    return {"seeds": list(seeds), "loops": loops, "ours": ours}


#: One seed's run of a knob: requests per job, its percentiles, the matched loop (or None).
Run = tuple[float, dict[str, float], tuple[float, float] | None]


def seed_row(knob: float, runs: list[Run]) -> dict[str, Any]:
    """One knob's row from its runs, one per seed: (requests per job, percentiles, the matched
    loop's (interval, requests per job) or None). Means over the seeds; the ratio is taken per
    seed (``ratios``) and averaged over the seeds that had a matched loop."""
    matched = [(m, req) for req, _, m in runs if m is not None]
    ratios = [m[1] / req for m, req in matched]
    return {
        "knob": knob,
        "req_per_job": _mean([r[0] for r in runs]),
        **{p: _mean([r[1][p] for r in runs]) for p in ("p50", "p95", "p99")},
        "matched_interval": _mean([m[0] for m, _ in matched]) if matched else None,
        "matched_req_per_job": _mean([m[1] for m, _ in matched]) if matched else None,
        "ratio": _mean(ratios) if ratios else None,
        "ratios": [None if m is None else m[1] / req for req, _, m in runs],
    }


def _ratios(row: dict[str, Any]) -> list[float | None]:
    """The row's ratio per seed (a row of one run: its ratio)."""
    ratios: list[float | None] = row.get("ratios", [row["ratio"]])
    return ratios


def _spread(row: dict[str, Any]) -> str:
    """The ratio's range over the seeds (and how many seeds had a matched loop)."""
    every = _ratios(row)
    ratios = [r for r in every if r is not None]
    if not ratios:
        return "n/a"
    text = f"{min(ratios):.2f}-{max(ratios):.2f}"
    missing = len(every) - len(ratios)
    return text if not missing else f"{text} ({len(ratios)}/{len(ratios) + missing} seeds)"


def _best(rows: list[dict[str, Any]]) -> float | None:
    ratios = [r["ratio"] for r in rows if r["ratio"] is not None]
    return max(ratios) if ratios else None


def _best_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return max((r for r in rows if r["ratio"] is not None), key=lambda r: r["ratio"])


def _points() -> dict[str, Any] | None:
    """The real-scheduler points B10 last wrote (``benchmarks/b10_points.json``), if any."""
    path = PNG.with_name("b10_points.json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _plot(
    results: dict[str, dict[str, Any]],
    titles: dict[str, str],
    points: dict[str, Any] | None = None,
) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    names = [n for n in results if not n.endswith(("_x10", "_blind"))]
    cols = 3
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 4 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        res = results[name]
        ax.plot([p for _, _, p in res["loops"]], [r for _, r, _ in res["loops"]], "o-",
                label="fixed loop")  # fmt: skip
        ax.plot([r["p95"] for r in res["ours"]], [r["req_per_job"] for r in res["ours"]], "s-",
                label="policy (target_p95_delay)")  # fmt: skip
        real = (points or {}).get(name)
        if real:
            ax.plot([p for _, _, p in real["loops"]], [r for _, r, _ in real["loops"]], "x:",
                    color="gray", label="fixed loop, same jobs (B10)")  # fmt: skip
            ax.plot([r["p95"] for r in real["ours"]], [r["req_per_job"] for r in real["ours"]],
                    "D", color="red", label="this scheduler on the fake (B10)")  # fmt: skip
        blind = results.get(f"{name}_blind")
        if blind:
            ax.plot([r["p95"] for r in blind["ours"]], [r["req_per_job"] for r in blind["ours"]],
                    "^--", label="policy, no media length")  # fmt: skip
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(titles[name], fontsize=8)
        ax.set_xlabel("p95 detection delay (s)")
        ax.set_ylabel("status requests per job")
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(names) :]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(PNG, dpi=90)
    plt.close(fig)
    return True


_WANTS = {"cold": 2.0, "warm": 3.0, "plan": 3.0}
#: The knob a session uses unless told otherwise.
_DEFAULT_KNOB = PollPolicy().target_p95_delay


def scenario_targets(
    result: BenchResult,
    results: dict[str, dict[str, Any]],
    scenarios: list[Scenario] | tuple[Scenario, ...],
    *,
    tolerance: float,
) -> None:
    """Issue 14's targets: the best (mean) ratio of each scenario against its kind's target,
    and the largest relative change of the ratios at every duration x10 (at most
    ``tolerance``; where rows carry ``ratios`` per seed, of their mean over the seeds matched
    at both scales)."""
    for scn in scenarios:
        res = results.get(scn.name)
        if res is None:
            continue
        kind = "warm" if scn.warm else "plan" if scn.plan_cap else "cold"
        best = _best(res["ours"])
        result.target(
            f"{scn.name}: >= {_WANTS[kind]:g}x fewer requests than the matched loop",
            best is not None and best >= _WANTS[kind],
            f"best ratio {best:.2f} ({_spread(_best_row(res['ours']))})"
            if best is not None
            else "no matched loop",
        )
        default = next((r for r in res["ours"] if r["knob"] == _DEFAULT_KNOB), None)
        if default is not None:
            ratio = default["ratio"]
            result.target(
                f"{scn.name}: >= {_WANTS[kind]:g}x at the default target_p95_delay "
                f"({_DEFAULT_KNOB:g} s)",
                ratio is not None and ratio >= _WANTS[kind],
                f"ratio {ratio:.2f} ({_spread(default)}) at p95 {default['p95']:.2f} s"
                if ratio is not None
                else "no matched loop",
            )
        x10 = results.get(f"{scn.name}_x10")
        if x10 is None:
            continue
        pairs = []
        for a, b in zip(res["ours"], x10["ours"], strict=True):
            # The mean ratio over the seeds matched at both scales.
            both = [(ra, rb) for ra, rb in zip(_ratios(a), _ratios(b), strict=True) if ra and rb]
            if both:
                pairs.append((_mean([x for x, _ in both]), _mean([y for _, y in both])))
        worst = max((abs(b / a - 1.0) for a, b in pairs), default=math.nan)
        result.target(
            f"{scn.name}: ratio independent of time scale (x10, within {tolerance:.0%})",
            bool(pairs) and worst <= tolerance,
            f"largest relative change {worst:.3f}",
        )


#: A time scale that is exact in binary floating point: every duration, knob and rate times 16
#: gives the very same run if no constant of the scheduler is in absolute seconds.
EXACT = 16.0


def exact_scale(scn: Scenario, seed: int = 1) -> list[float]:
    """The knobs at which ``scn`` scaled by :data:`EXACT` does *not* give the same run (the
    same requests, every detection delay times EXACT): none if the scheduler is scale-free."""
    scaled = scn.scaled(EXACT)
    out = []
    for knob in scn.knobs:
        a = simulate(scn, "policy", knob, seed=seed)
        b = simulate(scaled, "policy", knob * EXACT, seed=seed)
        if a.polls != b.polls or sorted(d * EXACT for d in a.delays) != sorted(b.delays):
            out.append(knob)
    return out


async def run(level: Level) -> BenchResult:
    """Run every scenario (and its x10 and blind variants) on the real scheduler in virtual
    time and compare with the loop."""
    params = PARAMS[level]
    chosen = [s for s in SCENARIOS if params["scenarios"] is None or s.name in params["scenarios"]]
    if params["jobs"] is not None:
        chosen = [Scenario(**{**s.__dict__, "jobs": params["jobs"]}) for s in chosen]
    results: dict[str, dict[str, Any]] = {}
    titles: dict[str, str] = {}
    result_exact: list[tuple[str, list[float]]] = []
    for scn in chosen:
        variants = [scn, scn.blind()]
        if params["scale"]:
            variants.append(scn.scaled(10.0))
        for v in variants:
            results[v.name] = _run(v, params["seeds"])
            titles[v.name] = scn.title
    table = []
    for name, res in results.items():
        for r in res["ours"]:
            table.append(
                [name, r["knob"], r["req_per_job"], r["p50"], r["p95"], r["p99"],
                 r["matched_interval"], r["matched_req_per_job"], r["ratio"], _spread(r)]
            )  # fmt: skip
    loop_table = [
        [name, t, req, p95] for name, res in results.items() for t, req, p95 in res["loops"]
    ]
    md = [
        "The real scheduler on virtual time (each poll is one single-id status request), "
        f"means over seeds {', '.join(map(str, params['seeds']))}. `matched loop`: the fixed "
        "interval giving the loop our p95 (interpolated, on the same seed's jobs); `ratio`: its "
        "requests per job over ours (mean over seeds; `range`: lowest-highest seed). `_blind`: "
        "no media length known; `_x10`: every duration, knob and interval x10. Targets also check "
        "that every duration x16 (exact in binary floating point) gives the very same run: "
        "then no constant of the scheduler is in absolute seconds, and what moves at x10 is "
        "rounding reordering polls that fall due at one instant.",
        "",
        md_table(
            [
                "scenario",
                "target_p95_delay",
                "req/job",
                "p50",
                "p95",
                "p99",
                "matched loop (s)",
                "loop req/job",
                "ratio",
                "range",
            ],
            table,
        ),
        "",
        "<details><summary>fixed loop frontier</summary>",
        "",
        md_table(["scenario", "interval", "req/job", "p95"], loop_table),
        "",
        "</details>",
    ]
    if params["scale"]:
        for scn in chosen:
            differ = exact_scale(scn)
            results[scn.name]["exact_x16_differs"] = differ
            result_exact.append((scn.name, differ))
    plotted = params["plot"] and _plot(results, titles, _points())
    if plotted:
        md.append("\nFrontier plot: `benchmarks/b8_frontier.png`.")
    result = BenchResult(NAME, TITLE, {"results": results}, "\n".join(md))
    scenario_targets(result, results, chosen, tolerance=0.05)
    for name, differ in result_exact:
        result.target(
            f"{name}: the same run at every duration x{EXACT:g} (no absolute time constant)",
            not differ,
            "identical requests and delays at every knob (seed 1)"
            if not differ
            else f"differs at target_p95_delay {', '.join(f'{k:g}' for k in differ)}",
        )
    short = results.get("cold300")
    if short is not None:
        ok = [r for r in short["ours"] if r["p95"] <= 3.0]
        result.target(
            "p95 detection <= 3 s on jobs of 5-15 s",
            bool(ok),
            f"{min(r['req_per_job'] for r in ok):.2f} req/job at p95 <= 3 s" if ok else "none",
        )
    return result
