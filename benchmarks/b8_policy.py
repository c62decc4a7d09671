"""B8 poll placement in simulation: the learned policy against the fixed per-job loop.

Every scenario of issue 14 (``benchmarks/scenarios.py``, shared with runs against the fake
server) runs in the discrete-event simulator (``benchmarks/_sim.py``: virtual time, no sockets):
the fixed loop at several intervals and :class:`PollPlacement` at several ``target_p95_delay``
settings. Reported: status requests per job, p50/p95/p99 detection delay, the *matched loop*
(the loop interval giving the policy's p95, interpolated on the loop's frontier) and the ratio
of its requests per job to ours; the same at every duration x10 (knob and intervals x10 too);
each scenario again without a media length (``blind``). The frontier is plotted to
``benchmarks/b8_frontier.png`` when matplotlib is installed, with the real scheduler's points
from the last B10 run (``benchmarks/b10_points.json``) on the same axes.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

from ._common import BenchResult, Level, md_table, percentiles
from ._sim import simulate
from .scenarios import SCENARIOS, Scenario

NAME = "b8"
TITLE = "B8 poll placement vs fixed loop (simulation)"
PARAMS: dict[str, dict[str, Any]] = {
    "smoke": {"scenarios": ("cold300", "plan200"), "jobs": 40, "scale": False, "plot": False},
    "quick": {"scenarios": None, "jobs": None, "scale": True, "plot": True},
    "full": {"scenarios": None, "jobs": None, "scale": True, "plot": True},
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


def _run(scn: Scenario) -> dict[str, Any]:
    loops = []
    # A loop per job shares no budget (under ours it never gets below a minute of p95).
    free = replace(scn, rate=None)
    for t in scn.loops:
        out = simulate(free, "loop", t)
        loops.append((t, out.per_job, percentiles(out.delays)["p95"]))
    ours = []
    for knob in scn.knobs:
        out = simulate(scn, "policy", knob)
        pct = percentiles(out.delays)
        match = _matched(loops, pct["p95"])
        ours.append(
            {
                "knob": knob,
                "req_per_job": out.per_job,
                "p50": pct["p50"],
                "p95": pct["p95"],
                "p99": pct["p99"],
                "matched_interval": None if match is None else match[0],
                "matched_req_per_job": None if match is None else match[1],
                "ratio": None if match is None else match[1] / out.per_job,
            }
        )
    return {"loops": loops, "ours": ours}


def _best(rows: list[dict[str, Any]]) -> float | None:
    ratios = [r["ratio"] for r in rows if r["ratio"] is not None]
    return max(ratios) if ratios else None


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


def scenario_targets(
    result: BenchResult,
    results: dict[str, dict[str, Any]],
    scenarios: list[Scenario] | tuple[Scenario, ...],
    *,
    tolerance: float,
) -> None:
    """Issue 14's targets: the best ratio of each scenario against its kind's target, and the
    largest relative change of the ratios at every duration x10 (at most ``tolerance``)."""
    for scn in scenarios:
        res = results.get(scn.name)
        if res is None:
            continue
        kind = "warm" if scn.warm else "plan" if scn.plan_cap else "cold"
        best = _best(res["ours"])
        result.target(
            f"{scn.name}: >= {_WANTS[kind]:g}x fewer requests than the matched loop",
            best is not None and best >= _WANTS[kind],
            f"best ratio {best:.2f}" if best is not None else "no matched loop",
        )
        x10 = results.get(f"{scn.name}_x10")
        if x10 is None:
            continue
        pairs = [
            (a["ratio"], b["ratio"])
            for a, b in zip(res["ours"], x10["ours"], strict=True)
            if a["ratio"] and b["ratio"]
        ]
        worst = max((abs(b / a - 1.0) for a, b in pairs), default=math.nan)
        result.target(
            f"{scn.name}: ratio independent of time scale (x10, within {tolerance:.0%})",
            bool(pairs) and worst <= tolerance,
            f"largest relative change {worst:.3f}",
        )


async def run(level: Level) -> BenchResult:
    """Simulate every scenario (and its x10 and blind variants) and compare with the loop."""
    params = PARAMS[level]
    chosen = [s for s in SCENARIOS if params["scenarios"] is None or s.name in params["scenarios"]]
    if params["jobs"] is not None:
        chosen = [Scenario(**{**s.__dict__, "jobs": params["jobs"]}) for s in chosen]
    results: dict[str, dict[str, Any]] = {}
    titles: dict[str, str] = {}
    for scn in chosen:
        variants = [scn, scn.blind()]
        if params["scale"]:
            variants.append(scn.scaled(10.0))
        for v in variants:
            results[v.name] = _run(v)
            titles[v.name] = scn.title
    table = []
    for name, res in results.items():
        for r in res["ours"]:
            table.append(
                [name, r["knob"], r["req_per_job"], r["p50"], r["p95"], r["p99"],
                 r["matched_interval"], r["matched_req_per_job"], r["ratio"]]
            )  # fmt: skip
    loop_table = [
        [name, t, req, p95] for name, res in results.items() for t, req, p95 in res["loops"]
    ]
    md = [
        "Simulated (virtual time; each poll is one single-id status request). `matched loop`: "
        "the fixed interval giving the loop our p95 (interpolated); `ratio`: its requests per "
        "job over ours. `_blind`: no media length known; `_x10`: every duration, knob and "
        "interval x10.",
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
    plotted = params["plot"] and _plot(results, titles, _points())
    if plotted:
        md.append("\nFrontier plot: `benchmarks/b8_frontier.png`.")
    result = BenchResult(NAME, TITLE, {"results": results}, "\n".join(md))
    scenario_targets(result, results, chosen, tolerance=0.05)
    short = results.get("cold300")
    if short is not None:
        ok = [r for r in short["ours"] if r["p95"] <= 3.0]
        result.target(
            "p95 detection <= 3 s on jobs of 5-15 s",
            bool(ok),
            f"{min(r['req_per_job'] for r in ok):.2f} req/job at p95 <= 3 s" if ok else "none",
        )
    return result
