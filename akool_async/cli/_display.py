"""Progress output of ``akool-async batch``: rich bars on a terminal, plain lines elsewhere.

Both displays are fed by :class:`~akool_async._batch.BatchRunner` (``on_progress`` and each
outcome) and measure throughput and ETA in real time, whatever clock the session runs on.
"""

from __future__ import annotations

import logging
import sys
import time
import unicodedata
from types import TracebackType
from typing import Any, Final, Literal, Protocol, TextIO

import attrs

from .._batch import BatchOutcome, BatchProgress, OutcomeState
from .._clock import SystemClock

__all__ = ["Display", "PlainDisplay", "RichDisplay", "make_display", "printable"]

#: Real seconds between two plain progress lines (unless a 10 % step comes first).
DEFAULT_LOG_INTERVAL: Final = 10.0

ProgressMode = Literal["auto", "rich", "plain", "none"]


def printable(text: str) -> str:
    """``text`` with control characters replaced: server messages must not drive the terminal."""
    return "".join(
        "?" if unicodedata.category(ch) in ("Cc", "Cf") and ch != "\n" else ch for ch in text
    )


def _rate_eta(
    progress: BatchProgress, elapsed: float, *, ended: bool = False
) -> tuple[float | None, float | None]:
    """Rows this run brought to an end per real second, and the seconds left at that rate.

    Only this run's work counts: rows an earlier run finished (``skipped``) and rows merely left
    incomplete (stopped, interrupted) are not throughput. No ETA once the run has ended.
    """
    p = progress
    worked = p.done + p.failed + p.unknown - p.skipped
    if elapsed <= 0 or worked <= 0:
        return None, None
    rate = worked / elapsed
    left = p.pending + p.creating + p.queueing + p.processing + p.downloading
    return rate, None if ended else left / rate


def _fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def progress_line(progress: BatchProgress, elapsed: float, *, ended: bool = False) -> str:
    """One plain line: rows done (the share the summary will show), every phase, rate, ETA."""
    p = progress
    share = 100.0 * p.done / p.total if p.total else 100.0
    rate, eta = _rate_eta(p, elapsed, ended=ended)
    speed = f"{rate:.1f} rows/s" if rate is not None else "- rows/s"
    return (
        f"[{_fmt_seconds(elapsed):>6}] {p.done}/{p.total} done ({share:.0f}%): "
        f"created {p.created}, queueing {p.queueing}, processing {p.processing}, "
        f"downloading {p.downloading}, failed {p.failed}, unknown {p.unknown}, "
        f"incomplete {p.incomplete} | {speed}, ETA {_fmt_seconds(eta) if not ended else '-'}"
    )


class Display(Protocol):
    """What the batch command tells its progress output."""

    def __enter__(self) -> Display: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def update(self, progress: BatchProgress) -> None:
        """A row changed phase."""

    def outcome(self, outcome: BatchOutcome) -> None:
        """A row finished."""

    def message(self, text: str) -> None:
        """A line for the person watching (interruptions, hints)."""

    def finish(self, progress: BatchProgress, *, stopped: bool) -> None:
        """The run ended (``stopped``: before every row could end): the final frame."""

    async def run(self) -> None:
        """Periodic output until cancelled."""


class PlainDisplay:
    """Periodic log lines, for pipes, files and CI logs.

    A line every ``interval`` real seconds while something changes (never more often), and a
    final one; failed and unknown rows are reported as they finish.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        interval: float = DEFAULT_LOG_INTERVAL,
        quiet: bool = False,
    ) -> None:
        self._stream = stream
        self._interval = interval
        self._quiet = quiet
        self._progress: BatchProgress | None = None
        self._printed: BatchProgress | None = None
        self._start = time.monotonic()
        self._clock = SystemClock()
        self._final = False

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def __enter__(self) -> PlainDisplay:
        self._start = time.monotonic()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._final and self._changed():
            assert self._progress is not None
            self._print(self._progress, ended=True)

    def _changed(self) -> bool:
        """Whether the counts moved since the last line (time passing alone is no news)."""
        now, then = self._progress, self._printed
        if now is None:
            return False
        return then is None or attrs.evolve(now, elapsed=0.0) != attrs.evolve(then, elapsed=0.0)

    def _print(self, progress: BatchProgress, *, ended: bool = False) -> None:
        if self._quiet:
            return
        self._printed = progress
        line = progress_line(progress, time.monotonic() - self._start, ended=ended)
        print(line, file=self.stream, flush=True)

    def update(self, progress: BatchProgress) -> None:
        self._progress = progress

    def finish(self, progress: BatchProgress, *, stopped: bool) -> None:
        self._progress = progress
        self._final = True
        self._print(progress, ended=True)
        left = progress.total - progress.done - progress.failed
        if stopped and left and not self._quiet:
            print(f"stopped with {left} row(s) not finished", file=self.stream, flush=True)

    def outcome(self, outcome: BatchOutcome) -> None:
        if self._quiet or outcome.resumed:
            return
        if outcome.state in (OutcomeState.FAILED, OutcomeState.UNKNOWN):
            print(
                printable(
                    f"{outcome.state.value}: {outcome.row_id} ({outcome.family}): {outcome.error}"
                ),
                file=self.stream,
                flush=True,
            )

    def message(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    async def run(self) -> None:
        while True:
            await self._clock.sleep(self._interval)
            if self._changed():
                assert self._progress is not None
                self._print(self._progress)


class RichDisplay:
    """Live progress bars on a terminal (rich).

    The bars count what the summary will count (done, failed, the rest), the rate and ETA are
    this run's own (see :func:`_rate_eta`), and nothing spins once the run has ended.
    """

    def __init__(self, console: Any | None = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.console = console if console is not None else Console(stderr=True)
        self._progress = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[detail]}"),
            console=self.console,
            transient=False,
            refresh_per_second=8,
        )
        self._start = time.monotonic()
        self._ended = False
        self._created: Any = None
        self._done: Any = None
        self._failed: Any = None

    def __enter__(self) -> RichDisplay:
        self._start = time.monotonic()
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def _ensure(self, total: int) -> None:
        if self._created is not None:
            return
        add = self._progress.add_task
        self._created = add("created", total=total, detail="")
        self._done = add("[green]done", total=total, detail="")
        self._failed = add("[red]failed", total=total, detail="")

    def update(self, progress: BatchProgress) -> None:
        p = progress
        self._ensure(p.total)
        up = self._progress.update
        rate, eta = _rate_eta(p, time.monotonic() - self._start, ended=self._ended)
        speed = f"{rate:.1f} rows/s" if rate is not None else "- rows/s"
        up(
            self._created,
            completed=p.created,
            detail=f"queueing {p.queueing}  processing {p.processing}  downloading {p.downloading}",
        )
        up(
            self._done,
            completed=p.done,
            detail=f"{speed}  ETA {_fmt_seconds(eta) if not self._ended else '-'}"
            + (f"  skipped {p.skipped}" if p.skipped else ""),
        )
        up(
            self._failed,
            completed=p.failed,
            detail=(f"unknown {p.unknown}  " if p.unknown else "")
            + (f"incomplete {p.incomplete}" if p.incomplete else ""),
        )

    def finish(self, progress: BatchProgress, *, stopped: bool) -> None:
        self._ended = True
        self.update(progress)
        for task in (self._created, self._done, self._failed):
            if task is not None:  # freeze the elapsed time of every bar
                self._progress.stop_task(task)
        left = progress.total - progress.done - progress.failed
        if stopped and left:
            self.console.print(f"stopped with {left} row(s) not finished", highlight=False)

    def outcome(self, outcome: BatchOutcome) -> None:
        if outcome.resumed:
            return
        if outcome.state in (OutcomeState.FAILED, OutcomeState.UNKNOWN):
            from rich.text import Text

            self.console.print(
                Text.assemble(
                    (outcome.state.value, "red"),
                    printable(f" {outcome.row_id} ({outcome.family}): {outcome.error}"),
                ),
                highlight=False,
            )

    def message(self, text: str) -> None:
        self.console.print(printable(text), markup=False, highlight=False)

    async def run(self) -> None:
        # rich refreshes on its own thread; nothing to do but wait.
        clock = SystemClock()
        while True:
            await clock.sleep(3600)


class NullDisplay:
    """No progress output (``--progress none``); messages still go to stderr."""

    def __enter__(self) -> NullDisplay:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def update(self, progress: BatchProgress) -> None:
        return None

    def outcome(self, outcome: BatchOutcome) -> None:
        return None

    def message(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def finish(self, progress: BatchProgress, *, stopped: bool) -> None:
        return None

    async def run(self) -> None:
        clock = SystemClock()
        while True:
            await clock.sleep(3600)


def rich_available() -> bool:
    """Whether the optional ``rich`` dependency is installed."""
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


def make_display(mode: ProgressMode, *, interval: float = DEFAULT_LOG_INTERVAL) -> Display:
    """The display for ``--progress``: ``auto`` picks rich bars on a terminal, plain lines else."""
    if mode == "none":
        return NullDisplay()
    if mode == "rich" or (mode == "auto" and sys.stderr.isatty()):
        if rich_available():
            return RichDisplay()
        if mode == "rich":
            logging.getLogger("akool_async.batch").warning(
                "rich is not installed (pip install 'akool-async[cli]'); plain progress instead"
            )
    return PlainDisplay(interval=interval)
