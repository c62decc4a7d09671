"""B9 fleet: one manifest worked by 1, 2 and 4 ``akool-async batch`` workers sharing a journal.

Each worker is the batch CLI in its own process on this machine, all on one PostgreSQL journal
(a throwaway cluster started for the benchmark, or ``AKOOL_BENCH_POSTGRES_URL``) and one fake
server process. Figures: rows per second from the first worker's start to the last one's exit
(validate, journal, create, track, download), and status requests per job at the server (the
workers poll their own rows; a fleet shares no scheduler, so batching across workers is lost).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._common import (
    API_KEY,
    REPO,
    SHORT_JOBS,
    BenchResult,
    FakeProcess,
    Level,
    md_table,
)

NAME = "b9"
TITLE = "B9 fleet: rows/s and status requests per job with 1, 2 and 4 workers"
STATUS_KEY = "GET /api/open/v3/content/video/infobymodelid"


@dataclass(frozen=True)
class Params:
    rows: int
    workers: tuple[int, ...] = (1, 2, 4)
    speed: float = 50.0
    concurrency: int = 50
    server_args: tuple[str, ...] = ()


PARAMS: dict[Level, Params] = {
    "smoke": Params(rows=20, workers=(2,), server_args=SHORT_JOBS),
    "quick": Params(rows=400),
    "full": Params(rows=1500),
}


def _postgres() -> tuple[str, Any]:
    """A database URL and a stop function (a throwaway cluster unless one is named)."""
    named = os.environ.get("AKOOL_BENCH_POSTGRES_URL")
    if named:
        return named, lambda: None
    from tests.pg import _binary, _start

    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise RuntimeError("B9 needs PostgreSQL (initdb/pg_ctl) or AKOOL_BENCH_POSTGRES_URL")
    base = Path(tempfile.mkdtemp(prefix="akool-bench-pg-"))
    url, as_user = _start(initdb, pg_ctl, base)

    def stop() -> None:
        import subprocess

        subprocess.run(
            [*as_user, pg_ctl, "-D", str(base / "data"), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            timeout=30,
        )
        shutil.rmtree(base, ignore_errors=True)

    return url, stop


def _manifest(path: Path, rows: int) -> None:
    lines = [
        f'{{"id": "r{i}", "family": "talking_photo", "photo": '
        f'"https://cdn.example.com/b9/{i}.jpg", "audio": "https://cdn.example.com/a.mp3"}}'
        for i in range(rows)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def _one(p: Params, url: str, workers: int, work: Path) -> dict[str, Any]:
    manifest = work / f"m{workers}.jsonl"
    _manifest(manifest, p.rows)
    out = work / f"out{workers}"
    journal = f"{url}#b9_{workers}_{os.getpid()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AKOOL_")}
    env["AKOOL_API_KEY"] = API_KEY
    env["PYTHONPATH"] = str(REPO)
    async with FakeProcess(speed=p.speed, seed=8, args=p.server_args) as fake:
        cmd = [
            sys.executable, "-m", "akool_async.cli", "batch", str(manifest), "--out", str(out),
            "--journal", journal, "--base-url", fake.base_url, "--clock-speed", str(p.speed),
            "--concurrency", str(p.concurrency), "--progress", "none",
        ]  # fmt: skip
        # The manifest is loaded once first (one worker's first load holds the write lock).
        started = time.monotonic()
        procs = []
        for n in range(workers):
            procs.append(
                await asyncio.create_subprocess_exec(
                    *cmd,
                    "--report",
                    str(work / f"report{workers}-{n}.json"),
                    env=env,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                )
            )
        codes = [await proc.wait() for proc in procs]
        elapsed = time.monotonic() - started
        server = await fake.stats()
    jobs = int(server["jobs_created"])
    status = int(server["requests"].get(STATUS_KEY, 0))
    return {
        "workers": workers,
        "rows": p.rows,
        "exit_codes": codes,
        "seconds": elapsed,
        "rows_per_second": p.rows / elapsed,
        "jobs": jobs,
        "status_requests_per_job": status / max(1, jobs),
        "duplicate_creates": int(server["creates"]) - jobs,
    }


async def run(level: Level) -> BenchResult:
    p = PARAMS[level]
    url, stop = _postgres()
    work = Path(tempfile.mkdtemp(prefix="akool-b9-"))
    try:
        runs = [await _one(p, url, n, work) for n in p.workers]
    finally:
        stop()
        shutil.rmtree(work, ignore_errors=True)
    table = md_table(
        ["workers", "rows", "seconds", "rows/s", "status requests/job", "exit codes"],
        [
            [
                r["workers"],
                r["rows"],
                r["seconds"],
                r["rows_per_second"],
                r["status_requests_per_job"],
                ",".join(map(str, r["exit_codes"])),
            ]
            for r in runs
        ],
    )
    md = (
        f"{p.rows} talking-photo rows, fake at {p.speed:g}x, each worker `--concurrency "
        f"{p.concurrency}`, one PostgreSQL journal, all processes on this machine:\n\n{table}\n"
    )
    result = BenchResult(NAME, TITLE, {"params": p.__dict__, "runs": runs}, md)
    result.target(
        "every row done by every fleet size, each created once",
        all(set(r["exit_codes"]) == {0} and r["jobs"] == p.rows for r in runs),
        ", ".join(f"{r['workers']} workers: {r['jobs']} jobs" for r in runs),
    )
    return result
