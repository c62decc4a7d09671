"""B6 end to end: N jobs created, polled to completion and their results downloaded.

One session with default settings (20 requests/s clock budget shared by creates and polls, 16
polls in flight, default poll policy) creates N talking-photo jobs (16 creates at a time); each
job's result is downloaded as soon as it completes with :class:`akool_async._download.Downloader`
on the session's aiohttp session (8 downloads at a time) into a temporary directory. Reported:
real and clock wall time, this process's CPU (total and per job), the server process's CPU,
requests by kind, and the time from a job's end on the server to its file being on disk.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from akool_async import Job
from akool_async._download import Downloader, safe_filename

from ._common import (
    AUDIO,
    IMAGE,
    SHORT_JOBS,
    BenchResult,
    FakeProcess,
    Level,
    md_table,
    percentiles,
    session_for,
)

NAME = "b6"
TITLE = "B6 end to end: create, poll and download"
FIELDS = {"talking_photo_url": IMAGE, "audio_url": AUDIO}


@dataclass(frozen=True)
class Params:
    jobs: int
    speed: float = 50.0
    server_args: tuple[str, ...] = ()


PARAMS: dict[Level, Params] = {
    "smoke": Params(jobs=20, server_args=SHORT_JOBS),
    "quick": Params(jobs=300),
    "full": Params(jobs=1000),
}


async def run(level: Level) -> BenchResult:
    p = PARAMS[level]
    on_disk: dict[str, float] = {}
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="akool-bench-") as tmp:
        async with (
            FakeProcess(speed=p.speed, seed=6, args=p.server_args) as fake,
            session_for(fake, seed=1) as session,
        ):
            server0 = await fake.clock()
            clock = session.clock
            downloader = Downloader(session.transport.http, Path(tmp), concurrency=8, clock=clock)
            cpu0, real0, clock0 = time.process_time(), time.monotonic(), clock.now()
            sem = asyncio.Semaphore(16)
            sizes: list[int] = []

            async def one() -> None:
                async with sem:
                    jobs: list[Job] = await session.create("talking_photo", FIELDS)
                for job in jobs:
                    try:
                        result = await job
                        got = await downloader.download(
                            result.url, safe_filename(job.id, suffix=".mp4")
                        )
                    except Exception as exc:  # counted and reported, never hidden
                        errors.append(type(exc).__name__)
                        continue
                    on_disk[job.id] = time.monotonic()
                    sizes.append(got.size)

            await asyncio.gather(*(one() for _ in range(p.jobs)))
            cpu1, real1, clock1 = time.process_time(), time.monotonic(), clock.now()
            server1 = await fake.clock()
            stats = await fake.stats()
            truth = await fake.jobs(on_disk)
            sent = dict(session.transport.sent)
            sched = session.scheduler.stats.as_dict()
        # After the clock stopped: blocking file-system calls cannot skew the figures.
        files = sorted(Path(tmp).iterdir())  # noqa: ASYNC240 (outside the measured window)
        disk_bytes = sum(f.stat().st_size for f in files)
    lag = [(on_disk[i] - t["done_mono"]) * p.speed for i, t in truth.items()]
    status = sum(v for k, v in stats["requests"].items() if "infobymodelid" in k)
    creates = int(stats["creates"])
    downloads = int(stats["downloads"])
    data = {
        "params": p.__dict__,
        "jobs": p.jobs,
        "downloaded": len(on_disk),
        "errors": errors,
        "files_on_disk": len(files),
        "bytes_on_disk": disk_bytes,
        "real_seconds": real1 - real0,
        "clock_seconds": clock1 - clock0,
        "client_cpu_seconds": cpu1 - cpu0,
        "client_cpu_ms_per_job": (cpu1 - cpu0) / p.jobs * 1000,
        "server_cpu_seconds": server1["cpu"] - server0["cpu"],
        "creates": creates,
        "status_requests": status,
        "status_requests_per_job": status / p.jobs,
        "downloads": downloads,
        "client_sent": sent,
        "scheduler": sched,
        "end_to_disk": percentiles(lag),
    }
    table = md_table(
        ["figure", "value"],
        [
            ["jobs created / downloaded / errors", f"{p.jobs} / {len(on_disk)} / {len(errors)}"],
            ["files on disk (bytes)", f"{len(files)} ({disk_bytes:,})"],
            ["wall time, real s (clock s)", f"{real1 - real0:.1f} ({clock1 - clock0:,.0f})"],
            [
                "client CPU s (ms per job)",
                f"{cpu1 - cpu0:.2f} ({data['client_cpu_ms_per_job']:.2f})",
            ],
            ["server CPU s (separate process)", data["server_cpu_seconds"]],
            ["requests: creates / status / downloads", f"{creates} / {status} / {downloads}"],
            ["status requests per job", data["status_requests_per_job"]],
            [
                "job end -> file on disk, p50 / p95 / max (clock s)",
                " / ".join(f"{data['end_to_disk'][k]:.2f}" for k in ("p50", "p95", "max")),
            ],
        ],
    )
    md = (
        f"{p.jobs} talking-photo jobs, default session settings, the fake's default duration "
        f"mix (10-245 clock s per job) at clock speed {p.speed:g}x; 4 KiB result files.\n\n"
        f"{table}\n"
    )
    result = BenchResult(NAME, TITLE, data, md)
    result.target(
        "every job created, polled and downloaded",
        len(on_disk) == p.jobs and not errors and len(files) == p.jobs,
        f"{len(on_disk)}/{p.jobs} downloaded in {real1 - real0:.1f} s real, "
        f"{cpu1 - cpu0:.2f} s client CPU",
    )
    return result
