"""B11 batch throughput: rows per second through validate, journal and create.

The batch CLI's own path, in this process: ``load_manifest`` (parse and validate a JSONL file),
the CLI's ``open_journal`` (an SQLite journal on disk, ``synchronous=FULL``: every commit is
fsynced), then ``execute`` (the runner, a plain progress display into a buffer, the report).
N talking-photo rows against the fake server in its own process at clock speed 1000x, with
``--no-download``; the session's rate budget is lifted (``rate=None``) so it is the batch
machinery that is measured, not the budget (the default 20 requests per clock second would
allow 20,000 a real second at this speed anyway).

Side by side: *grouped* (the default: journal writes queued while a commit runs share the next
transaction, one fsync per group) and *per write* (``MAX_GROUP = 1``: every journal write is its
own transaction and fsync, as before grouping). Figures: create rows/s (from before the manifest
is read to the last row's job ids journaled), end-to-end rows/s (every row done), this
process's CPU per row, journal commits per row (each is one WAL fsync), and duplicate creates
at the server (must be 0).
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from akool_async import Session
from akool_async._batch import BatchProgress, groupcommit, load_manifest
from akool_async._clock import ScaledClock
from akool_async.cli._display import PlainDisplay
from akool_async.cli._run import BatchOptions, execute, open_journal

from ._common import API_KEY, BenchResult, FakeProcess, Level, md_table

NAME = "b11"
TITLE = "B11 batch throughput: rows/s through validate, journal and create"
TARGET_ROWS_PER_SECOND = 500.0


@dataclass(frozen=True)
class Params:
    rows: int
    concurrency: int
    modes: tuple[str, ...] = ("grouped", "per write")
    speed: float = 1000.0


PARAMS: dict[Level, Params] = {
    "smoke": Params(rows=60, concurrency=20),
    "quick": Params(rows=3000, concurrency=1000),
    "full": Params(rows=10000, concurrency=1000),
}


class _Display(PlainDisplay):
    """The CLI's plain display (into a buffer) that notes when every row has its job ids."""

    def __init__(self, total: int) -> None:
        super().__init__(io.StringIO(), interval=1.0)
        self.total = total
        self.all_created: float | None = None

    def update(self, progress: BatchProgress) -> None:
        if self.all_created is None and progress.created >= self.total:
            self.all_created = time.monotonic()
        super().update(progress)


def _manifest(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as f:
        for i in range(rows):
            f.write(
                f'{{"id": "r{i}", "family": "talking_photo", "photo": '
                f'"https://cdn.example.com/b11/{i}.jpg", "audio": "https://cdn.example.com/a.mp3"}}\n'
            )


async def _one(p: Params, mode: str, work: Path) -> dict[str, Any]:
    manifest_path = work / f"{mode.replace(' ', '_')}.jsonl"
    _manifest(manifest_path, p.rows)
    out = work / f"out-{mode.replace(' ', '_')}"
    old_max = groupcommit.MAX_GROUP
    groupcommit.MAX_GROUP = 1 if mode == "per write" else old_max  # type: ignore[misc]
    try:
        async with FakeProcess(speed=p.speed, seed=11) as fake:
            clock = ScaledClock(p.speed)
            session = Session(api_key=API_KEY, base_url=fake.base_url, clock=clock, rate=None)
            display = _Display(p.rows)
            server0 = await fake.clock()
            async with session:
                cpu0, real0 = time.process_time(), time.monotonic()
                manifest = load_manifest(manifest_path)
                journal = open_journal(out / ".akool-journal.sqlite", manifest, clock, out_dir=out)
                commits0 = journal.commits
                options = BatchOptions(
                    out_dir=out,
                    report_path=out / "report.json",
                    concurrency=p.concurrency,
                    download=False,
                    manifest_name=str(manifest_path),
                )
                try:
                    with contextlib.redirect_stdout(io.StringIO()):
                        code, report = await execute(session, manifest, journal, options, display)
                    commits = journal.commits - commits0
                finally:
                    journal.close()
                cpu1, real1 = time.process_time(), time.monotonic()
            server1 = await fake.clock()
            stats = await fake.stats()
    finally:
        groupcommit.MAX_GROUP = old_max  # type: ignore[misc]
    created_at = display.all_created if display.all_created is not None else real1
    jobs = int(stats["jobs_created"])
    return {
        "mode": mode,
        "rows": p.rows,
        "exit_code": code,
        "done": report["counts"].get("done", 0),
        "create_seconds": created_at - real0,
        "create_rows_per_second": p.rows / (created_at - real0),
        "total_seconds": real1 - real0,
        "rows_per_second": p.rows / (real1 - real0),
        "cpu_seconds": cpu1 - cpu0,
        "cpu_ms_per_row": (cpu1 - cpu0) / p.rows * 1000,
        "server_cpu_seconds": server1["cpu"] - server0["cpu"],
        "commits": commits,
        "commits_per_row": commits / p.rows,
        "jobs": jobs,
        "status_requests_per_row": sum(
            n for key, n in stats["requests"].items() if "infobymodelid" in key
        )
        / p.rows,
        "duplicate_creates": int(stats["creates"]) - jobs,
    }


async def run(level: Level) -> BenchResult:
    p = PARAMS[level]
    with tempfile.TemporaryDirectory(prefix="akool-b11-") as tmp:
        runs = [await _one(p, mode, Path(tmp)) for mode in p.modes]
    table = md_table(
        [
            "journal writes",
            "create rows/s",
            "end-to-end rows/s",
            "client CPU ms/row",
            "commits (fsyncs)/row",
            "duplicate creates",
            "exit",
        ],
        [
            [
                r["mode"],
                r["create_rows_per_second"],
                r["rows_per_second"],
                r["cpu_ms_per_row"],
                r["commits_per_row"],
                r["duplicate_creates"],
                r["exit_code"],
            ]
            for r in runs
        ],
    )
    md = (
        f"{p.rows} talking-photo rows through the batch CLI's path (`load_manifest`, "
        f"`open_journal`, `execute`), `--concurrency {p.concurrency}`, `--no-download`, an "
        f"SQLite journal on disk (synchronous=FULL), the fake at {p.speed:g}x, rate budget "
        f"lifted (`rate=None`); {os.cpu_count()} cores shared with the fake's process. Create "
        "rows/s: from before the manifest is read to the last row's job ids journaled.\n\n"
        f"{table}\n"
    )
    result = BenchResult(NAME, TITLE, {"params": p.__dict__, "runs": runs}, md)
    grouped = runs[0]
    result.target(
        f"at least {TARGET_ROWS_PER_SECOND:g} rows/s through validate, journal and create",
        grouped["create_rows_per_second"] >= TARGET_ROWS_PER_SECOND,
        f"{grouped['create_rows_per_second']:.0f} rows/s created "
        f"({grouped['rows_per_second']:.0f} end to end), "
        f"{grouped['commits_per_row']:.2f} commits/row",
    )
    result.target(
        "every row done, each created once",
        all(r["done"] == p.rows and r["duplicate_creates"] == 0 for r in runs),
        ", ".join(f"{r['mode']}: {r['done']}/{p.rows} done" for r in runs),
    )
    return result
