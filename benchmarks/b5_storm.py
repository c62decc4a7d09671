"""B5 429 storm: the server throttles everything for a while, then recovers.

N talking-photo jobs are created (before the storm) and tracked by one session with default
settings (20 requests/s clock budget, default poll policy). ``storm_start`` clock seconds after
the last create, ``POST /_fake/config`` makes every API request fail with HTTP 429
(``Retry-After: 1``) or code 1005 (about half each); ``storm`` clock seconds later the rates go
back to 0. Measured:

* requests sent during the storm (server count), against what the session sent before it and
  against a fixed 2 s per-job loop (N x storm / 2, what it would send if it did not back off);
* recovery: clock seconds from the storm's end to the first successful status poll, until the
  rate budget is back at its configured rate, and until every job that ended during the storm
  is detected (backlog cleared);
* failed jobs (must be zero): throttling is never a job failure.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from akool_async import Job, JobSnapshot

from ._common import (
    AUDIO,
    IMAGE,
    SHORT_JOBS,
    BenchResult,
    FakeProcess,
    Level,
    fmt,
    md_table,
    percentiles,
    session_for,
)

NAME = "b5"
TITLE = "B5 429 storm: requests during the storm, recovery, failed jobs"
FIELDS = {"talking_photo_url": IMAGE, "audio_url": AUDIO}
STORM_ON = {"faults": {"http_429": 0.5, "code_1005": 1.0, "retry_after": 1}}
STORM_OFF = {"faults": {"http_429": 0.0, "code_1005": 0.0}}


@dataclass(frozen=True)
class Params:
    jobs: int
    storm_start: float
    storm: float
    speed: float = 50.0
    bucket: float = 10.0
    server_args: tuple[str, ...] = ()


PARAMS: dict[Level, Params] = {
    "smoke": Params(
        jobs=12, storm_start=1.0, storm=2.0, speed=50.0, bucket=1.0, server_args=SHORT_JOBS
    ),
    "quick": Params(jobs=150, storm_start=30.0, storm=60.0),
    "full": Params(jobs=300, storm_start=30.0, storm=90.0),
}


async def run(level: Level) -> BenchResult:
    p = PARAMS[level]
    learned: dict[str, float] = {}
    successes: list[float] = []
    timeline: list[tuple[float, int, float | None]] = []
    async with (
        FakeProcess(speed=p.speed, seed=5, args=p.server_args) as fake,
        session_for(fake, seed=1) as session,
    ):
        clock = session.clock
        scheduler = session.scheduler
        # Instrumentation only: note when each status request succeeds.
        fetch = scheduler._fetch

        async def timed_fetch(
            endpoint: Any, fam: Any, ids: Sequence[str]
        ) -> Mapping[str, JobSnapshot]:
            found = await fetch(endpoint, fam, ids)
            successes.append(clock.now())
            return found

        scheduler._fetch = timed_fetch

        def on_done(job: Job) -> None:
            learned[job.id] = time.monotonic()

        jobs: list[Job] = []
        sem = asyncio.Semaphore(16)

        async def one() -> None:
            async with sem:
                created = await session.create("talking_photo", FIELDS)
            for job in created:
                job.add_done_callback(on_done)
                jobs.append(job)

        await asyncio.gather(*(one() for _ in range(p.jobs)))
        created_at = clock.now()
        stop_sampling = asyncio.Event()

        async def sample() -> None:
            while not stop_sampling.is_set():
                sent = sum(session.transport.sent.values())
                timeline.append((clock.now(), sent, session.budget.rate))
                await asyncio.sleep(0.005)

        sampler = asyncio.create_task(sample())
        gathered = asyncio.create_task(session.gather(jobs, return_exceptions=True))
        await clock.sleep(p.storm_start)
        before = await fake.stats()
        await fake.configure(STORM_ON)
        storm_begin, begin_mono = clock.now(), time.monotonic()
        await clock.sleep(p.storm)
        await fake.configure(STORM_OFF)
        storm_end, end_mono = clock.now(), time.monotonic()
        during = await fake.stats()
        results = await gathered
        stop_sampling.set()
        await sampler
        truth = await fake.jobs([j.id for j in jobs])
        final = await fake.stats()
        throttle_events = session.budget.throttle_events
        max_rate = session.budget.max_rate
    failed = [r for r in results if isinstance(r, BaseException)]
    return _report(
        p,
        before=before,
        during=during,
        final=final,
        created_at=created_at,
        storm_begin=storm_begin,
        storm_end=storm_end,
        storm_mono=(begin_mono, end_mono),
        timeline=timeline,
        successes=successes,
        learned=learned,
        truth=truth,
        failed=len(failed),
        failure_kinds=sorted({type(r).__name__ for r in failed}),
        throttle_events=throttle_events,
        max_rate=max_rate,
    )


def _report(
    p: Params,
    *,
    before: dict[str, Any],
    during: dict[str, Any],
    final: dict[str, Any],
    created_at: float,
    storm_begin: float,
    storm_end: float,
    storm_mono: tuple[float, float],
    timeline: list[tuple[float, int, float | None]],
    successes: list[float],
    learned: dict[str, float],
    truth: dict[str, dict[str, Any]],
    failed: int,
    failure_kinds: list[str],
    throttle_events: int,
    max_rate: float | None,
) -> BenchResult:
    storm_len = storm_end - storm_begin
    in_storm = during["total_requests"] - before["total_requests"]
    pre_len = storm_begin - created_at
    pre_requests = _sent_between(timeline, created_at, storm_begin)
    first_ok = min((t for t in successes if t >= storm_end), default=float("nan"))
    rate_back = next(
        (t for t, _, rate in timeline if t >= storm_end and rate == max_rate),
        float("nan"),
    )
    # Jobs that ended while the server throttled: detected how long after the storm's end?
    begin_mono, end_mono = storm_mono
    backlog = [
        (learned[job_id] - end_mono) * p.speed
        for job_id, t in truth.items()
        if job_id in learned and begin_mono <= t["done_mono"] <= end_mono
    ]
    min_rate = min((r for t, _, r in timeline if r is not None and t >= storm_begin), default=None)
    faults = {
        k: during["faults_injected"].get(k, 0) - before["faults_injected"].get(k, 0)
        for k in ("http_429", "code_1005")
    }
    fixed_2s = p.jobs * storm_len / 2.0
    buckets = _buckets(timeline, created_at, p.bucket)
    data = {
        "params": p.__dict__,
        "jobs": len(truth),
        "failed": failed,
        "failure_kinds": failure_kinds,
        "storm_seconds": storm_len,
        "requests_in_storm": in_storm,
        "requests_per_s_in_storm": in_storm / storm_len if storm_len else float("nan"),
        "requests_per_s_before": pre_requests / pre_len if pre_len else float("nan"),
        "faults_injected": faults,
        "throttle_events": throttle_events,
        "min_budget_rate": min_rate,
        "fixed_2s_loop_would_send": fixed_2s,
        "first_success_after_storm_s": first_ok - storm_end,
        "budget_back_to_max_after_s": rate_back - storm_end,
        "jobs_ended_in_storm": len(backlog),
        "backlog_delay_after_storm_end": percentiles(backlog),
        "total_status_requests": final["total_requests"],
        "buckets": buckets,
    }
    summary = md_table(
        ["figure", "value"],
        [
            ["jobs (failed)", f"{len(truth)} ({failed})"],
            ["storm length (clock s)", storm_len],
            ["requests sent during the storm", in_storm],
            [
                "... per clock second (before the storm)",
                f"{data['requests_per_s_in_storm']:.2f} ({data['requests_per_s_before']:.2f})",
            ],
            ["a fixed 2 s loop per job would have sent", fixed_2s],
            ["throttle events seen by the rate budget", throttle_events],
            ["lowest budget rate (req/s)", min_rate],
            [
                "first successful poll after the storm (clock s)",
                data["first_success_after_storm_s"],
            ],
            [
                "budget back at its configured rate after (clock s)",
                data["budget_back_to_max_after_s"],
            ],
            ["jobs that ended during the storm", len(backlog)],
            [
                "... detected after the storm's end, p50 / p95 / max (clock s)",
                f"{fmt(data['backlog_delay_after_storm_end']['p50'])} / "
                f"{fmt(data['backlog_delay_after_storm_end']['p95'])} / "
                f"{fmt(data['backlog_delay_after_storm_end']['max'])}",
            ],
        ],
    )
    bucket_table = md_table(
        ["clock s after creation", "requests sent", "phase"],
        [
            [
                f"{b['start']:.0f}-{b['start'] + p.bucket:.0f}",
                b["sent"],
                _phase(created_at + b["start"], storm_begin, storm_end, p.bucket),
            ]
            for b in buckets
        ],
    )
    md = (
        f"{p.jobs} jobs; storm from {p.storm_start:g} clock s after the last create for "
        f"{p.storm:g} clock s: every API request answered 429 (Retry-After 1) or code 1005. "
        f"Each phase below is in clock seconds.\n\n{summary}\n\n"
        f"<details><summary>Requests per {p.bucket:g} clock s</summary>\n\n{bucket_table}\n\n"
        f"</details>\n"
    )
    bl = data["backlog_delay_after_storm_end"]
    md += (
        f"\nReading it: while throttled the session pauses on every 429 (Retry-After) and "
        f"halves its rate budget per throttle, down to {fmt(min_rate)} requests/s; each "
        f"failed poll also pushes its jobs back with full-jitter exponential backoff (base "
        f"1 s, capped at the poll cap). After the storm the first poll succeeds "
        f"{fmt(data['first_success_after_storm_s'])} s later and the budget regains 2 % of "
        f"its rate per success (back to full after "
        f"{fmt(data['budget_back_to_max_after_s'])} s), but jobs that ended during the storm "
        f"wait for their own backoff to expire: found p50 {fmt(bl['p50'])} s / max "
        f"{fmt(bl['max'])} s after the storm's end. A success could reset the backoff of the "
        f"other jobs of the same endpoint (the storm is over for all of them) to shorten "
        f"that tail.\n"
    )
    result = BenchResult(NAME, TITLE, data, md)
    result.target("zero failed jobs", failed == 0, f"{failed} failed of {len(truth)}")
    result.target(
        "backs off during the storm (fewer requests than before it)",
        data["requests_per_s_in_storm"] < data["requests_per_s_before"],
        f"{data['requests_per_s_in_storm']:.2f} req/s in the storm vs "
        f"{data['requests_per_s_before']:.2f} before; fixed 2 s loop {fixed_2s / storm_len:.1f}",
    )
    return result


def _sent_between(timeline: list[tuple[float, int, float | None]], a: float, b: float) -> int:
    """Requests the client sent between clock times ``a`` and ``b`` (from the samples)."""
    inside = [sent for t, sent, _ in timeline if a <= t <= b]
    return inside[-1] - inside[0] if inside else 0


def _buckets(
    timeline: list[tuple[float, int, float | None]], origin: float, width: float
) -> list[dict[str, Any]]:
    """Requests sent per ``width`` clock seconds, from ``origin``."""
    out: list[dict[str, Any]] = []
    if not timeline:
        return out
    last = timeline[-1][0]
    start = origin
    while start < last:
        out.append({"start": start - origin, "sent": _sent_between(timeline, start, start + width)})
        start += width
    return out


def _phase(start: float, begin: float, end: float, width: float) -> str:
    if start + width <= begin:
        return "before"
    if start >= end:
        return "after"
    if start >= begin and start + width <= end:
        return "storm"
    return "storm edge"
