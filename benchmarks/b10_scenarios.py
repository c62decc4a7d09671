"""B10 the issue's scenarios against the real scheduler and the fake server, beside the fixed loop.

Each scenario of ``benchmarks/scenarios.py`` runs through a real :class:`Session` (transport,
rate budget, scheduler) against ``akool_async.testing.FakeAkool`` on 127.0.0.1, sharing one fast
:class:`ScaledClock` with it: the fixed loop (``PollPolicy(fixed_interval=...)``) at several
intervals and the learned placement at several ``target_p95_delay`` settings. Warm scenarios run
one cold wave first and hand its ``export_poll_model()`` to a fresh session. Reported: status
requests per job (what the server counted), p50/p95 detection delay (clock seconds from the
fake's true end to the SDK resolving the job), the matched loop (interpolated at our p95, as in
B8) and the ratio; with ``scale`` the same at every duration x10.
"""

from __future__ import annotations

import asyncio
from typing import Any

from akool_async import PollPolicy, ScaledClock, Session
from akool_async.testing import FakeAkool

from ._common import AUDIO, IMAGE, BenchResult, Level, md_table, percentiles
from .b8_policy import _matched
from .scenarios import SCENARIOS, Scenario

NAME = "b10"
TITLE = "B10 scenarios on the real scheduler and the fake server"
STATUS_KEY = "GET /api/open/v3/content/video/infobymodelid"
FIELDS = {"talking_photo_url": IMAGE, "audio_url": AUDIO}
PARAMS: dict[str, dict[str, Any]] = {
    "smoke": {"scenarios": ("cold300",), "jobs": 20, "scale": False, "speed": 50.0,
              "knobs": 1, "loops": 2},
    "quick": {"scenarios": ("cold300", "cold200", "plan200", "warm2000"), "jobs": 200,
              "scale": True, "speed": 5.0, "knobs": 2, "loops": 4},
    "full": {"scenarios": None, "jobs": None, "scale": True, "speed": 5.0, "knobs": 3,
             "loops": 5},
}  # fmt: skip


async def _wave(
    scn: Scenario, policy: PollPolicy, *, seed: int, speed: float, model: Any = None
) -> tuple[float, list[float], Any]:
    """One wave: requests per job, detection delays, and the model learned."""
    clock = ScaledClock(speed)
    ended: dict[str, float] = {}
    async with (
        FakeAkool(scn.fake_config(seed=seed), clock=clock) as fake,
        Session(
            api_key="test-api-key",
            base_url=fake.base_url,
            clock=clock,
            rate=scn.rate,
            burst=2 * scn.rate if scn.rate else 40.0,
            poll_policy=policy,
            poll_model=model,
            seed=seed,
            max_wait=None,
        ) as session,
    ):
        sem = asyncio.Semaphore(64)
        jobs = []

        async def one() -> None:
            async with sem:
                job = await session.talking_photo.create(**FIELDS)
            job.add_done_callback(lambda j: ended.__setitem__(j.id, clock.now()))
            jobs.append(job)

        await asyncio.gather(*(one() for _ in range(scn.jobs)))
        await asyncio.gather(*jobs)
        delays = [max(0.0, ended[j.id] - fake.jobs[j.id].proc_end) for j in jobs]
        requests = fake.stats.requests.get(STATUS_KEY, 0)
        return requests / scn.jobs, delays, session.export_poll_model()


async def _scenario(scn: Scenario, p: dict[str, Any]) -> dict[str, Any]:
    # x10 durations at x10 speed: the same real-time request rates, so the client's CPU limits
    # both alike and the ratios compare.
    speed = p["speed"] * (10.0 if scn.name.endswith("_x10") else 1.0)
    loops = []
    for t in scn.loops[: p["loops"]]:
        req, delays, _ = await _wave(scn, PollPolicy(fixed_interval=t), seed=1, speed=speed)
        loops.append((t, req, percentiles(delays)["p95"]))
    ours = []
    for knob in scn.knobs[: p["knobs"]]:
        policy = PollPolicy(target_p95_delay=knob)
        model = None
        if scn.warm:
            _, _, model = await _wave(scn, policy, seed=1001, speed=speed)
        req, delays, _ = await _wave(scn, policy, seed=1, speed=speed, model=model)
        pct = percentiles(delays)
        match = _matched(loops, pct["p95"])
        ours.append(
            {
                "knob": knob,
                "req_per_job": req,
                "p50": pct["p50"],
                "p95": pct["p95"],
                "matched_req_per_job": None if match is None else match[1],
                "ratio": None if match is None else match[1] / req,
            }
        )
    return {"loops": loops, "ours": ours}


async def run(level: Level) -> BenchResult:
    """Run the chosen scenarios (and their x10 variants) on the real scheduler."""
    p = PARAMS[level]
    chosen = [s for s in SCENARIOS if p["scenarios"] is None or s.name in p["scenarios"]]
    if p["jobs"] is not None:
        chosen = [Scenario(**{**s.__dict__, "jobs": min(s.jobs, p["jobs"])}) for s in chosen]
    results: dict[str, dict[str, Any]] = {}
    for scn in chosen:
        for v in [scn, scn.scaled(10.0)] if p["scale"] else [scn]:
            results[v.name] = await _scenario(v, p)
    rows = []
    for name, res in results.items():
        for t, req, p95 in res["loops"]:
            rows.append([name, f"loop {t:g} s", req, "", p95, "", ""])
        for r in res["ours"]:
            rows.append(
                [name, f"knob {r['knob']:g} s", r["req_per_job"], r["p50"], r["p95"],
                 r["matched_req_per_job"] or "-", r["ratio"] or "-"]
            )  # fmt: skip
    table = md_table(
        ["scenario", "setting", "req/job", "p50 s", "p95 s", "matched loop req/job", "ratio"],
        rows,
    )
    text = (
        "Real `Session` + scheduler against the in-process fake server on a shared fast clock; "
        "detection delay = clock seconds from the fake's true end to the job resolving. Matched "
        "loop: the fixed loop interpolated at our p95 (None: outside the loop range run).\n\n"
        + table
    )
    result = BenchResult(NAME, TITLE, results, text)
    ratios = [r["ratio"] for res in results.values() for r in res["ours"] if r["ratio"]]
    result.target(
        "fewer requests than the matched loop",
        bool(ratios) and min(ratios) >= 1.0,
        f"ratios {', '.join(f'{x:.2f}' for x in ratios) or 'none matched'}",
    )
    return result
