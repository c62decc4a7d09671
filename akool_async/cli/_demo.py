"""``akool-async demo``: a whole batch against the embedded fake server, on a fast clock.

The fake server and the session share one :class:`ScaledClock`, so a job that "takes" three
minutes finishes in a few real seconds; everything else (HTTP, polling, the journal, downloads,
progress, report) is exactly what ``akool-async batch`` does against Akool.
"""

from __future__ import annotations

import argparse
import csv
import math
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

import anyio

from .._batch import DEFAULT_JOURNAL_NAME, load_manifest
from .._clock import ScaledClock
from .._events import EventStream
from .._session import Session
from ..testing import FakeAkool, FakeConfig
from ._display import make_display
from ._run import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    BatchOptions,
    execute,
    open_journal,
    setup_logging,
)

__all__ = [
    "DEFAULT_DEMO_DIR",
    "DEMO_SPEED",
    "demo_config",
    "fixed_loop",
    "fixed_loop_polls",
    "matched_loop",
    "run_demo",
    "write_demo_manifest",
]

#: Clock speed-up of the demo: ~3 minutes of the slowest job in ~5 real seconds.
DEMO_SPEED: Final = 40.0
#: Where the demo puts its files unless told otherwise (reused, and cleaned, by the next run).
DEFAULT_DEMO_DIR: Final = Path("akool-demo")
#: The default interval of :func:`fixed_loop_polls` (seconds).
FIXED_LOOP_INTERVAL: Final = 5.0
_MARKER: Final = "demo-manifest.csv"
#: The key the embedded fake server accepts (not a real credential).
_DEMO_KEY: Final = "test-api-key"


def demo_config(seed: int) -> FakeConfig:
    """Realistic timings: 5-60 s of media, processing about 3x the media, 3 % failures."""
    return FakeConfig(
        seed=seed,
        queue_time=(2.0, 20.0),
        media_duration=(5.0, 60.0),
        processing_factor=3.0,
        processing_jitter=0.3,
        failure_ratio=0.03,
        result_size=64 * 1024,
    )


def write_demo_manifest(path: Path, jobs: int) -> None:
    """A talking-photo manifest of ``jobs`` rows (the format ``akool-async batch`` reads)."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "family", "talking_photo_url", "audio_url"])
        for i in range(1, jobs + 1):
            writer.writerow(
                [
                    f"clip-{i:03d}",
                    "talking_photo",
                    f"https://media.example.com/photos/face-{i:03d}.jpg",
                    f"https://media.example.com/voice/line-{i:03d}.mp3",
                ]
            )


def fixed_loop_polls(duration: float, interval: float = FIXED_LOOP_INTERVAL) -> int:
    """Status requests a ``sleep(interval); poll`` loop spends on a job lasting ``duration``."""
    return max(1, math.ceil(max(0.0, duration) / interval - 1e-9))


def fixed_loop(durations: Sequence[float], interval: float) -> tuple[float, list[float]]:
    """A loop per job polling every ``interval`` from its creation, at best (no latency, no
    rate limit): status requests per job and each job's detection delay."""
    polls = [fixed_loop_polls(d, interval) for d in durations]
    delays = [n * interval - max(0.0, d) for n, d in zip(polls, durations, strict=True)]
    return sum(polls) / max(1, len(polls)), delays


def p95(values: Sequence[float]) -> float:
    """Nearest-rank 95th percentile (NaN when empty)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(0.95 * len(ordered)) - 1))]


def matched_loop(durations: Sequence[float], target: float) -> tuple[float, float] | None:
    """(interval, requests per job) of the best-case fixed loop whose p95 detection delay on
    these jobs equals ``target`` (log-log interpolation on a fine grid of intervals); None when
    no interval from 1 % to 300 % of ``target`` reaches it."""
    if not durations or not target > 0:
        return None
    grid = [target * 0.01 * 1.02**k for k in range(290)]  # 1 % ... ~310 % of the target
    prev: tuple[float, float, float] | None = None
    for t in grid:
        req, delays = fixed_loop(durations, t)
        point = (t, req, p95(delays))
        if prev is not None and prev[2] <= target <= point[2]:
            (t0, r0, p0), (t1, r1, p1) = prev, point
            w = (
                0.0
                if p1 <= p0
                else (math.log(target) - math.log(max(p0, 1e-12)))
                / (math.log(p1) - math.log(max(p0, 1e-12)))
            )
            return t0 * (t1 / t0) ** w, r0 * (r1 / r0) ** w
        prev = point
    return None


async def _record_ends(events: EventStream, clock: ScaledClock, seen: dict[str, float]) -> None:
    """When the session learned each job ended (clock seconds), from its event stream."""
    async for event in events:
        if event.status.terminal:
            seen.setdefault(event.job_id, clock.now())


def _comparison(fake: FakeAkool, seen: Mapping[str, float]) -> str:
    """Our status requests and p95 detection delay beside the fixed loop of the same p95."""
    jobs = [j for j in fake.jobs.values() if j.id in seen]
    per = max(1, len(jobs))
    ours = sum(fake.stats.polls[j.id] for j in jobs)
    delay = p95([max(0.0, seen[j.id] - j.proc_end) for j in jobs])
    text = (
        f"status requests: {ours} ({ours / per:.1f} per job) by this SDK, detection delay "
        f"p95 {delay:.1f} s"
    )
    match = matched_loop([j.proc_end - j.created_at for j in jobs], delay)
    if match is None:
        return text
    interval, loop = match
    return (
        f"{text}; a loop polling each job every {interval:.1f} s (the interval giving it the "
        f"same p95 on these jobs, at best: no latency, no rate limit) would have sent "
        f"{loop * per:.0f} ({loop:.1f} per job, {loop * per / max(1, ours):.1f}x as many)"
    )


def _prepare(out_dir: Path) -> str | None:
    """Empty ``out_dir`` for a new run if it is new, empty or an earlier demo's; else say why
    not."""
    if out_dir.exists():
        if not out_dir.is_dir():
            return f"{out_dir} is not a directory"
        if any(out_dir.iterdir()) and not (out_dir / _MARKER).is_file():
            return f"{out_dir} is not empty and holds no earlier demo; give another --out"
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    return None


def run_demo(args: argparse.Namespace) -> int:
    """Run the demo; returns the exit code its report states (failed jobs do not make it 1)."""
    out_dir = Path(args.out) if args.out else DEFAULT_DEMO_DIR
    problem = _prepare(out_dir)
    if problem is not None:
        print(f"akool-async: error: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    manifest_path = out_dir / "demo-manifest.csv"
    write_demo_manifest(manifest_path, args.jobs)
    manifest = load_manifest(manifest_path)
    speed = args.speed or DEMO_SPEED
    clock = ScaledClock(speed)
    display = make_display(args.progress, interval=args.log_interval)
    setup_logging(args.verbose, display)
    journal = open_journal(out_dir / DEFAULT_JOURNAL_NAME, manifest, clock)
    options = BatchOptions(
        out_dir=out_dir,
        report_path=out_dir / "report.json",
        concurrency=args.concurrency,
        manifest_name=str(manifest_path),
        failures_ok=True,
    )

    async def run() -> int:
        async with (
            FakeAkool(demo_config(args.seed), clock=clock) as fake,
            Session(api_key=_DEMO_KEY, base_url=fake.base_url, clock=clock, seed=args.seed) as s,
        ):
            display.message(
                f"demo: {args.jobs} talking-photo jobs on a fake Akool at {fake.base_url} "
                f"(clock x{speed:g}; media 5-60 s, processing ~3x media, ~3% failures), "
                f"{args.concurrency} at a time; results in {out_dir}"
            )
            seen: dict[str, float] = {}
            async with anyio.create_task_group() as tg:
                events = s.events(max_buffer=8 * max(1, args.jobs))
                tg.start_soon(_record_ends, events, clock, seen)
                code, _ = await execute(s, manifest, journal, options, display)
                await events.aclose()
            display.message(_comparison(fake, seen))
            display.message(
                f"fake server: {fake.stats.creates} creates, "
                f"{sum(fake.stats.downloads.values())} downloads; results, report.json and the "
                f"journal are in {out_dir.resolve()} (the next demo run cleans it)"
            )
            return code

    try:
        code = anyio.run(run)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    finally:
        journal.close()
    # The report's exit code (failures are part of the demo: they do not make it 1).
    return code
