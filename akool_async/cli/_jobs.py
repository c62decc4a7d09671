"""What the one-off commands (a family's command, ``status``) share: waiting for a few jobs with
a progress line, downloading their results, and printing them for people or as one JSON document.

Progress goes to stderr, redrawn in place on a terminal (no spinner), and ends with a final frame
that stays; stdout carries only the result (with ``--json``, exactly one JSON document).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import anyio

from .._errors import AkoolError
from .._job import Job

__all__ = ["JobLine", "add_output_flags", "emit", "wait_all"]


class JobLine:
    """One input of a command and what became of it (a job, or the error that stopped it)."""

    __slots__ = ("error", "family", "file", "index", "job")

    def __init__(self, index: int, family: str) -> None:
        self.index = index
        self.family = family
        self.job: Job | None = None
        self.error: str | None = None
        self.file: str | None = None

    @property
    def state(self) -> str:
        """``created``, ``queueing``, ``processing``, ``completed``, ``failed`` or ``error``."""
        if self.error is not None:
            return "error"
        if self.job is None:
            return "pending"
        if self.job.done():
            return "failed" if self.job.exception() is not None else "completed"
        return str(self.job.status) if self.job.status is not None else "created"

    def as_dict(self) -> dict[str, Any]:
        """The line as plain JSON data."""
        job = self.job
        out: dict[str, Any] = {"input": self.index, "family": self.family, "state": self.state}
        if job is not None:
            out["id"] = job.id
            out["status"] = str(job.status) if job.status is not None else None
            snap = job.snapshot
            out["result_url"] = snap.result_url if snap is not None else None
            if snap is not None and snap.result_value is not None:
                out["result"] = snap.result_value  # a result that is not a file (moderation)
            out["progress"] = job.progress
            out["polls"] = job.polls
            exc = job.exception()
            if exc is not None:
                out["error"] = str(exc)
        if self.error is not None:
            out["error"] = self.error
        if self.file is not None:
            out["file"] = self.file
        return out


def add_output_flags(parser: argparse.ArgumentParser, *, wait_help: str) -> None:
    """``--wait``, ``--out DIR``, ``--max-wait S`` and ``--json``."""
    parser.add_argument("--wait", action="store_true", help=wait_help)
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="wait, then download each result file into DIR (named after its job id); "
        "results that are not files (moderation) are printed, not saved",
    )
    parser.add_argument(
        "--max-wait", type=float, metavar="S", help="seconds a job may take (default 3600)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON document on stdout, nothing else"
    )


class _Progress:
    """A one-line summary on a terminal, redrawn in place; silent when stderr is not one."""

    def __init__(self, lines: Sequence[JobLine], stream: TextIO) -> None:
        self._lines = lines
        self._stream = stream
        self._live = stream.isatty()
        self._start = time.monotonic()

    def text(self) -> str:
        counts: dict[str, int] = {}
        for line in self._lines:
            counts[line.state] = counts.get(line.state, 0) + 1
        order = ("created", "queueing", "processing", "completed", "failed", "error")
        parts = [f"{counts[s]} {s}" for s in order if counts.get(s)]
        elapsed = time.monotonic() - self._start
        return f"{len(self._lines)} job(s): {', '.join(parts)}  [{elapsed:.0f}s]"

    def draw(self) -> None:
        if self._live:
            self._stream.write("\r\x1b[K" + self.text())
            self._stream.flush()

    def finish(self) -> None:
        if self._live:
            self._stream.write("\r\x1b[K" + self.text() + "\n")
            self._stream.flush()


async def wait_all(lines: Sequence[JobLine], out_dir: Path | None, *, stream: TextIO) -> None:
    """Wait for every job of ``lines`` (and download each result into ``out_dir``), drawing the
    progress line meanwhile."""
    progress = _Progress(lines, stream)
    if out_dir is not None:
        await anyio.Path(out_dir).mkdir(parents=True, exist_ok=True)  # a dir, even if new

    async def one(line: JobLine) -> None:
        assert line.job is not None
        try:
            result = await line.job
        except AkoolError:
            return  # the job's exception is shown in its line
        if out_dir is not None and result.is_file:
            try:
                done = await result.download(out_dir)
            except AkoolError as exc:
                line.error = f"download failed: {exc}"
            else:
                line.file = str(done.path)

    async def draw() -> None:
        while True:
            progress.draw()
            await anyio.sleep(0.2)

    async with anyio.create_task_group() as outer:
        outer.start_soon(draw)
        async with anyio.create_task_group() as jobs:
            for line in lines:
                if line.job is not None:
                    jobs.start_soon(one, line)
        outer.cancel_scope.cancel()
    progress.finish()


def emit(
    lines: Sequence[JobLine], *, as_json: bool, waited: bool, extra: dict[str, Any] | None = None
) -> int:
    """Print the lines (a table, or one JSON document) and return the exit code: 0 when every
    line ended well, 1 otherwise."""
    bad = [
        line
        for line in lines
        if line.state in ("error", "failed") or (waited and line.state != "completed")
    ]
    if as_json:
        doc: dict[str, Any] = {"jobs": [line.as_dict() for line in lines], "ok": not bad}
        doc.update(extra or {})
        json.dump(doc, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for line in lines:
            data = line.as_dict()
            found = data.get("result")
            result = found if isinstance(found, str) else json.dumps(found) if found else ""
            shown = data.get("file") or data.get("result_url") or result or data.get("error") or ""
            shown = " ".join(str(shown).split())  # one line per job (findings text has several)
            print(f"{data.get('id', '-'):<26} {line.family:<18} {line.state:<11} {shown}")
    sys.stdout.flush()
    return 1 if bad else 0
