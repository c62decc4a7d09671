"""Running a batch from the command line: signals, progress, report, exit code.

Shared by ``akool-async batch`` and ``akool-async demo``.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import anyio
import anyio.to_thread
from attrs import define

from .._base import BaseSession
from .._batch import (
    BatchOutcome,
    BatchRunner,
    Journal,
    JournalCorrupt,
    JournalError,
    JournalLocked,
    Manifest,
    OutcomeState,
    RowConflict,
    run_batch,
)
from .._batch.claims import OutDirTaken, RetryFailed, claim_out_dir
from .._batch.fleet import DEFAULT_LEASE
from .._batch.journal import ChangedRows
from .._batch.journal.opening import is_postgres_url
from .._batch.journal.opening import open_journal as open_any_journal
from .._clock import Clock
from .._download import StorageError
from .._errors import ValidationError
from .._sentinel import NOT_GIVEN, NotGiven
from . import _signals
from ._display import Display, RichDisplay
from ._report import build_report, print_summary, write_report

__all__ = [
    "EXIT_AUTH",
    "EXIT_BAD_INPUT",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_JOURNAL",
    "EXIT_LOCKED",
    "EXIT_OK",
    "BatchOptions",
    "execute",
    "open_journal",
    "setup_logging",
]

#: Every row done.
EXIT_OK: Final = 0
#: Some rows failed, are unknown or not finished (or the run hit an error).
EXIT_FAILED: Final = 1
#: Bad input: manifest, arguments, credentials, a journal made for another manifest.
EXIT_BAD_INPUT: Final = 2
#: Interrupted (SIGINT/SIGTERM); the journal is consistent, run again to resume.
EXIT_INTERRUPTED: Final = 3
#: The provider refused the credentials (a wrong or revoked key): nothing more was sent.
EXIT_AUTH: Final = 4
#: The journal or the output directory failed during the run (deleted or replaced, disk full,
#: I/O error): the run stopped; what was recorded up to then stays valid.
EXIT_JOURNAL: Final = 5
#: Another run is writing the journal: nothing was done.
EXIT_LOCKED: Final = 6

logger = logging.getLogger("akool_async.batch")


@define
class BatchOptions:
    """What the command line asks of a batch run."""

    out_dir: Path
    report_path: Path
    concurrency: int
    download: bool = True
    retry_unknown: bool = False
    max_wait: float | NotGiven | None = NOT_GIVEN
    download_concurrency: int = 4
    manifest_name: str = "manifest"
    max_running: int | None = None
    lease: float = DEFAULT_LEASE
    changed_rows: ChangedRows = "refuse"
    retry_failed: RetryFailed | None = None
    #: Failed rows are expected (the demo's fake fails a few on purpose): they do not make the
    #: exit code 1 (unknown and unfinished rows still do).
    failures_ok: bool = False


@define
class _RunState:
    interrupted: bool = False
    aborted: bool = False


_HANDLER_NAME: Final = "akool-async-cli"


def setup_logging(verbosity: int, display: Display) -> None:
    """Send ``akool_async`` log records to stderr (through rich while bars are shown)."""
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    root = logging.getLogger("akool_async")
    if verbosity > 0:
        root.setLevel(level)
    for old in list(root.handlers):
        if old.get_name() == _HANDLER_NAME:
            root.removeHandler(old)
    handler: logging.Handler
    if isinstance(display, RichDisplay):
        from rich.logging import RichHandler

        handler = RichHandler(console=display.console, show_path=False, show_time=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.set_name(_HANDLER_NAME)
    handler.setLevel(level)
    root.addHandler(handler)


async def _watch_signals(
    runner: BatchRunner, hard: anyio.CancelScope, display: Display, state: _RunState
) -> None:
    """First SIGINT/SIGTERM: stop gracefully. Second: abort now."""
    if threading.current_thread() is not threading.main_thread():
        return  # signals are only delivered to the main thread (e.g. embedded in a test)
    with contextlib.ExitStack() as stack:
        try:
            signals = stack.enter_context(anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM))
        except (NotImplementedError, ValueError, RuntimeError):  # pragma: no cover  # Windows
            return
        try:
            await _signal_loop(signals, runner, hard, display, state)
        finally:
            # The receiver is gone: a signal from now on must not cut the summary short.
            stack.close()
            _signals.note_late()


async def _signal_loop(
    signals: Any, runner: BatchRunner, hard: anyio.CancelScope, display: Display, state: _RunState
) -> None:
    async for _ in signals:
        if not state.interrupted:
            state.interrupted = True
            display.message(
                "interrupted: journaling the creates in flight, then stopping "
                "(press Ctrl-C again to abort at once)"
            )
            runner.stop("interrupted")
        else:
            state.aborted = True
            display.message("aborting")
            hard.cancel()


def exit_code_for(error: BaseException) -> int:
    """The exit code an error that ended (or prevented) a run means."""
    if isinstance(error, JournalLocked):
        return EXIT_LOCKED
    if isinstance(error, JournalCorrupt | RowConflict | OutDirTaken | ValidationError):
        return EXIT_BAD_INPUT
    if isinstance(error, JournalError | StorageError | OSError):
        return EXIT_JOURNAL
    return EXIT_FAILED


def _exit_code(
    outcomes: Mapping[str, BatchOutcome],
    total: int,
    state: _RunState,
    error: BaseException | None,
    runner: BatchRunner,
    failures_ok: bool = False,
) -> int:
    if runner.auth_error is not None:
        return EXIT_AUTH
    if error is not None and exit_code_for(error) != EXIT_FAILED:
        return exit_code_for(error)
    if state.interrupted:
        return EXIT_INTERRUPTED
    if error is not None:
        return EXIT_FAILED
    ok = (OutcomeState.DONE, OutcomeState.FAILED) if failures_ok else (OutcomeState.DONE,)
    done = sum(1 for o in outcomes.values() if o.state in ok)
    return EXIT_OK if done == total else EXIT_FAILED


async def execute(
    session: BaseSession | Sequence[BaseSession],
    manifest: Manifest,
    journal: Journal,
    options: BatchOptions,
    display: Display,
) -> tuple[int, dict[str, Any]]:
    """Run the batch with signal handling and progress; write the report; the exit code.

    ``session`` is one open session, or one per provider the manifest uses (see ``run_batch``).

    Returns:
        The exit code and the report.
    """
    outcomes: dict[str, BatchOutcome] = {}
    state = _RunState()
    error: BaseException | None = None
    started_wall = time.time()
    started = time.monotonic()
    runner = run_batch(
        session,
        manifest,
        out_dir=options.out_dir,
        journal=journal,
        concurrency=options.concurrency,
        max_wait=options.max_wait,
        download=options.download,
        retry_unknown=options.retry_unknown,
        on_progress=display.update,
        download_concurrency=options.download_concurrency,
        max_running=options.max_running,
        lease=options.lease,
        changed_rows=options.changed_rows,
        retry_failed=options.retry_failed,
    )
    with display:
        with anyio.CancelScope() as hard:
            async with anyio.create_task_group() as tg:
                tg.start_soon(_watch_signals, runner, hard, display, state)
                tg.start_soon(display.run)
                try:
                    async with runner:
                        async for outcome in runner:
                            outcomes[outcome.row_id] = outcome
                            display.outcome(outcome)
                except Exception as exc:  # every failure ends with the summary and the report
                    error = exc
                    if not isinstance(exc, JournalError | StorageError | OSError):
                        logger.exception("the batch ended with an unexpected error")
                tg.cancel_scope.cancel()
        if hard.cancelled_caught or _signals.received():
            state.interrupted = True
        display.finish(runner.progress, stopped=runner.stopped or error is not None)
    code = _exit_code(outcomes, len(manifest.rows), state, error, runner, options.failures_ok)
    rows = None
    with anyio.CancelScope(shield=True):
        try:
            rows = await anyio.to_thread.run_sync(journal.rows)
        except Exception as exc:  # e.g. the journal was deleted: report what this run saw
            logger.error("cannot read the journal for the report: %s", exc)
    report = build_report(
        rows=rows,
        manifest_rows=manifest.rows,
        order=[r.row_id for r in manifest.rows],
        outcomes=outcomes,
        manifest=options.manifest_name,
        manifest_digest=manifest.digest,
        journal=journal.path,
        out_dir=str(options.out_dir.resolve()),
        started_wall=started_wall,
        finished_wall=time.time(),
        elapsed=time.monotonic() - started,
        interrupted=state.interrupted,
        exit_code=code,
        download=options.download,
        retried_unknown=runner.retried_unknown,
        retried_failed=runner.retried_failed,
        unjournaled=runner.unjournaled,
        halted=runner.halted,
        error=None if error is None else (str(error) or type(error).__name__),
        auth_error=None if runner.auth_error is None else str(runner.auth_error),
    )
    usage = runner.slot_usage
    if usage is not None:
        report["slots"] = {
            "max_running": usage.limit,
            "peak_running": usage.max_running,
            "idle_slot_seconds": round(usage.idle_seconds, 3),
        }
    try:
        write_report(options.report_path, report)
        report_path: Path | None = options.report_path
    except OSError as exc:  # a full disk must not hide the summary
        logger.error("cannot write the report %s: %s", options.report_path, exc)
        report_path = None
    print_summary(report, report_path)
    if usage is not None:
        print(
            f"slots: at most {usage.max_running} of --max-running {usage.limit} jobs on the "
            f"server; {usage.idle_seconds:.1f} slot-seconds idle while rows waited",
            flush=True,
        )
    return code, report


def open_journal(
    path: str | Path,
    manifest: Manifest,
    clock: Clock,
    *,
    out_dir: Path | None = None,
    changed_rows: ChangedRows = "refuse",
) -> Journal:
    """Open the journal for ``manifest`` (a ``postgresql://`` URL, or a file whose directory is
    created) as its only writer, and journal the manifest's rows.

    Everything a run would refuse is refused here, before any request: another run writing the
    journal, an output directory another journal owns, rows changed since they were journaled.

    Raises:
        JournalLocked: another process writes the journal.
        OutDirTaken: ``out_dir`` belongs to another journal's batch.
        RowsChanged: rows changed and ``changed_rows`` is ``"refuse"``.
        JournalError: not a journal, a newer schema, unreadable rows.
        OSError: the directory cannot be created.
        ImportError: a PostgreSQL URL without psycopg (``akool-async[fleet]``).
    """
    if not is_postgres_url(path):
        path = Path(path).absolute()
        path.parent.mkdir(parents=True, exist_ok=True)
    journal = open_any_journal(path, clock=clock)
    try:
        journal.lock_writer()
        if out_dir is not None:
            claim_out_dir(out_dir, journal.path)
        journal.add_rows(
            [(r.row_id, r.family, dict(r.fields)) for r in manifest.rows], changed=changed_rows
        )
        journal.rows()  # every row readable (exit 2 now rather than a traceback later)
    except BaseException:
        journal.close()
        raise
    return journal
