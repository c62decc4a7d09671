"""``akool-async demo``: a whole batch against the embedded fake server, on a fast clock.

The fake server and the session share one :class:`ScaledClock`, so a job that "takes" three
minutes finishes in a few real seconds; everything else (HTTP, polling, the journal, downloads,
progress, report) is exactly what ``akool-async batch`` does against Akool.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from pathlib import Path
from typing import Final

import anyio

from .._batch import DEFAULT_JOURNAL_NAME, load_manifest
from .._clock import ScaledClock
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

__all__ = ["DEMO_SPEED", "demo_config", "run_demo", "write_demo_manifest"]

#: Clock speed-up of the demo: ~3 minutes of the slowest job in ~5 real seconds.
DEMO_SPEED: Final = 40.0
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


def run_demo(args: argparse.Namespace) -> int:
    """Run the demo; returns the exit code its report states (failed jobs do not make it 1)."""
    out_dir = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="akool-demo-"))
    if (out_dir / DEFAULT_JOURNAL_NAME).exists():
        print(
            f"akool-async: error: {out_dir} holds an earlier run's journal; the demo's fake "
            "server starts empty, so give it a new directory",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    out_dir.mkdir(parents=True, exist_ok=True)
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
            code, _ = await execute(s, manifest, journal, options, display)
            display.message(
                f"fake server: {fake.stats.creates} creates, {sum(fake.stats.polls.values())} "
                f"status look-ups, {sum(fake.stats.downloads.values())} downloads"
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
