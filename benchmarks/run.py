"""The benchmark runner: ``python -m benchmarks [--quick] [--only b1,b2] [--out DIR]``.

Runs each benchmark in turn (each starts its own fake server process), then writes
``RESULTS.md`` (tables, the command, the date, the machine) and ``results.json`` (every figure).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import os
import shlex
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from ._common import BenchResult, Level, dumps, machine_info

__all__ = ["BENCHMARKS", "main", "render", "run_all"]

#: Benchmark modules in run order.
BENCHMARKS: dict[str, str] = {
    "b1": "benchmarks.b1_overhead",
    "b2": "benchmarks.b2_efficiency",
    "b3": "benchmarks.b3_scale",
    "b4": "benchmarks.b4_batch",
    "b5": "benchmarks.b5_storm",
    "b6": "benchmarks.b6_end_to_end",
    "b7": "benchmarks.b7_webhooks",
    "b8": "benchmarks.b8_policy",
    "b9": "benchmarks.b9_fleet",
    "b10": "benchmarks.b10_scenarios",
    "b11": "benchmarks.b11_throughput",
}

OUT_DIR = Path(__file__).resolve().parent


def load(name: str) -> ModuleType:
    """The module of benchmark ``name`` (``b1``...)."""
    return importlib.import_module(BENCHMARKS[name])


async def run_one(name: str, level: Level) -> BenchResult:
    """Run one benchmark at ``level`` and time it."""
    module = load(name)
    gc.collect()
    started = time.monotonic()
    result: BenchResult = await module.run(level)
    result.seconds = time.monotonic() - started
    return result


async def run_all(
    names: Sequence[str], level: Level, *, verbose: bool = True, show: bool = False
) -> list[BenchResult]:
    """Run the named benchmarks in order."""
    results = []
    for name in names:
        if verbose:
            print(f"[{name}] {load(name).TITLE} ...", flush=True)
        result = await run_one(name, level)
        if verbose:
            for t in result.targets:
                mark = "met" if t["met"] else "MISSED"
                print(f"    {mark:6s} {t['target']}: {t['detail']}", flush=True)
            print(f"    ({result.seconds:.1f} s)", flush=True)
            if show:
                print(result.markdown, flush=True)
        results.append(result)
    return results


def render(results: Sequence[BenchResult], meta: dict[str, Any]) -> str:
    """RESULTS.md."""
    m = meta["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"- Command: `{meta['command']}` (level `{meta['level']}`)",
        f"- Date: {meta['date']} (total {meta['seconds']:.0f} s)",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM, {m['os']}",
        f"- Python {m['python']} ({m['implementation']}), aiohttp {m['aiohttp']}, "
        f"anyio {m['anyio']}, attrs {m['attrs']}, cattrs {m['cattrs']}, {m['event_loop']}",
        f"- Git: {meta.get('git', 'unknown')}",
        _load_line(meta),
        "",
        "The fake Akool server runs in a separate process on 127.0.0.1 with a fast clock; every",
        "client uses a `ScaledClock` of the same speed, so clock seconds below are API seconds.",
        "Detection delay = when the client learned a job ended - when it ended on the server",
        "(ground truth from the server process, compared on the machine-wide monotonic clock).",
        "How each figure is measured: `benchmarks/README.md` and each module's docstring.",
        "",
        "## Targets",
        "",
        "| benchmark | target | met | figure |",
        "|---|---|---|---|",
    ]
    for r in results:
        for t in r.targets:
            lines.append(
                f"| {r.name.upper()} | {t['target']} | {'yes' if t['met'] else '**no**'} "
                f"| {t['detail']} |"
            )
    for r in results:
        lines += ["", f"## {r.title}", "", r.markdown.rstrip(), "", f"_({r.seconds:.1f} s)_"]
    return "\n".join(lines) + "\n"


def _load_line(meta: dict[str, Any]) -> str:
    load = meta.get("load_average")
    if not load:
        return "- Load average: unknown"
    start, end = load["start"], load["end"]
    return (
        f"- Load average (1/5/15 min) at start {start[0]:.2f} / {start[1]:.2f} / {start[2]:.2f}, "
        f"at end {end[0]:.2f} / {end[1]:.2f} / {end[2]:.2f} (other work shares this machine; "
        "above ~1 the CPU figures are noisier)"
    )


def _git_head() -> str:
    import subprocess

    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=OUT_DIR.parent,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "akool_async"],
            cwd=OUT_DIR.parent,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}{' + uncommitted changes in akool_async/' if dirty else ''}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small run (about a minute)")
    parser.add_argument(
        "--only", default="", help="comma-separated benchmarks to run (default: all): b1,b2..."
    )
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="where to write the results")
    parser.add_argument("--no-write", action="store_true", help="print only; write no files")
    parser.add_argument("--show", action="store_true", help="print each benchmark's tables")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = build_parser().parse_args(argv)
    names = [n.strip().lower() for n in args.only.split(",") if n.strip()] or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    level: Level = "quick" if args.quick else "full"
    started = time.monotonic()
    load_start = os.getloadavg()
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    results = asyncio.run(run_all(names, level, show=args.show))
    meta = {
        "command": shlex.join([".venv/bin/python", "-m", "benchmarks", *(argv or sys.argv[1:])]),
        "level": level,
        "date": date,
        "seconds": time.monotonic() - started,
        "machine": machine_info(),
        "git": _git_head(),
        "load_average": {"start": load_start, "end": os.getloadavg()},
    }
    print(f"total {meta['seconds']:.0f} s", flush=True)
    if args.no_write:
        return 0
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    (out / "RESULTS.md").write_text(render(results, meta))
    payload = {
        "meta": meta,
        "results": {
            r.name: {"title": r.title, "seconds": r.seconds, "targets": r.targets, **r.data}
            for r in results
        },
    }
    (out / "results.json").write_text(dumps(payload) + "\n")
    print(f"wrote {out / 'RESULTS.md'} and {out / 'results.json'}", flush=True)
    return 0
