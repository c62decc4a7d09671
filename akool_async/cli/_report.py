"""The JSON report and the final summary of ``akool-async batch``."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TextIO

from .._batch import BatchOutcome, JournalRow, ManifestRow, OutcomeState, RowState
from .._batch.claims import retryable_failure
from .._batch.outcomes import needs_files, results_of
from ._display import printable

__all__ = ["REPORT_VERSION", "build_report", "print_summary", "write_report"]

REPORT_VERSION: Final = 1
#: Rows listed by name in the summary, per state.
_LISTED: Final = 20

_STATE_OF: Final[Mapping[RowState, OutcomeState]] = {
    RowState.DOWNLOADED: OutcomeState.DONE,
    RowState.FAILED: OutcomeState.FAILED,
    RowState.INVALID: OutcomeState.FAILED,
    RowState.UNKNOWN: OutcomeState.UNKNOWN,
    RowState.CREATING: OutcomeState.UNKNOWN,
}


def _iso(wall: float) -> str:
    return datetime.fromtimestamp(wall, UTC).isoformat(timespec="seconds")


def _unread(row: ManifestRow) -> JournalRow:
    """A row the journal could not give back (it failed): only what the manifest says."""
    return JournalRow(row.row_id, row.family, dict(row.fields), RowState.PENDING, 0, (), None, 0, 0)


def _row_entry(jrow: JournalRow, outcome: BatchOutcome | None, download: bool) -> dict[str, Any]:
    if outcome is not None:
        state, error, warnings = outcome.state, outcome.error, list(outcome.warnings)
    else:  # no outcome this run (aborted): what the journal says
        state = _STATE_OF.get(jrow.state, OutcomeState.INCOMPLETE)
        if jrow.state is RowState.COMPLETED and not needs_files(jrow, download):
            state = OutcomeState.DONE
        error = None if state is OutcomeState.DONE else (jrow.error or "not finished")
        warnings = []
    files = jrow.files or (outcome.files if outcome is not None else ())
    urls, results = results_of(jrow)
    return {
        "id": jrow.row_id,
        "family": jrow.family,
        "state": state.value,
        "job_ids": list(jrow.job_ids or (outcome.job_ids if outcome is not None else ())),
        "files": [
            {"job_id": f.job_id, "path": f.path, "size": f.size, "sha256": f.sha256} for f in files
        ],
        "urls": list(urls or (outcome.urls if outcome is not None else ())),
        # Results that are not files (a moderation verdict): the result itself, per job.
        "results": list(results or (outcome.results if outcome is not None else ())),
        "error": error,
        # The provider said to try again later: --retry-failed creates it again.
        "retryable": state is OutcomeState.FAILED and retryable_failure(jrow),
        "warnings": warnings,
        "attempts": jrow.attempts,
        "resumed": outcome.resumed if outcome is not None else False,
    }


def build_report(
    *,
    rows: Sequence[JournalRow] | None,
    manifest_rows: Sequence[ManifestRow],
    order: Sequence[str],
    outcomes: Mapping[str, BatchOutcome],
    manifest: str,
    manifest_digest: str,
    journal: str,
    out_dir: str,
    started_wall: float,
    finished_wall: float,
    elapsed: float,
    interrupted: bool,
    exit_code: int,
    download: bool,
    retried_unknown: Sequence[str] = (),
    retried_failed: Sequence[str] = (),
    unjournaled: Mapping[str, Sequence[str]] | None = None,
    halted: str | None = None,
    error: str | None = None,
    auth_error: str | None = None,
) -> dict[str, Any]:
    """The JSON report: counts, then every manifest row (in manifest order) with its files.

    ``rows`` is None when the journal could not be read: the rows are reported from this run's
    outcomes (and the manifest) alone.
    """
    by_id = (
        {r.row_id: r for r in rows}
        if rows is not None
        else {r.row_id: _unread(r) for r in manifest_rows}
    )
    entries = [_row_entry(by_id[i], outcomes.get(i), download) for i in order if i in by_id]
    counts = {state.value: 0 for state in OutcomeState}
    for entry in entries:
        counts[entry["state"]] += 1
    return {
        "version": REPORT_VERSION,
        "manifest": manifest,
        "manifest_digest": manifest_digest,
        "journal": journal,
        "out_dir": out_dir,
        "started_at": _iso(started_wall),
        "finished_at": _iso(finished_wall),
        "elapsed_seconds": round(elapsed, 3),
        "interrupted": interrupted,
        "exit_code": exit_code,
        "error": error,
        "auth_error": auth_error,
        "halted": halted,
        "counts": {"total": len(entries), **counts},
        "unknown_rows": [e["id"] for e in entries if e["state"] == OutcomeState.UNKNOWN.value],
        "retried_unknown": list(retried_unknown),
        "retried_failed": list(retried_failed),
        "retryable_rows": [e["id"] for e in entries if e["retryable"]],
        # Jobs created (and billed) whose ids the journal could not record: only here and in
        # the log. Track them with `akool-async status ID --family FAMILY`.
        "unjournaled_jobs": {k: list(v) for k, v in (unjournaled or {}).items()},
        "rows": entries,
    }


def write_report(path: Path, report: Mapping[str, Any]) -> None:
    """Write ``report`` as JSON, atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2, ensure_ascii=False)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _advice(report: Mapping[str, Any]) -> list[str]:
    counts = report["counts"]
    lines = []
    if counts["unknown"]:
        lines.append(
            f"{counts['unknown']} row(s) have an unknown create outcome (the answer was lost; the "
            "job may exist and be billed). They are not created again. Check your Akool (or "
            "TopView) account, then re-run with --retry-unknown to create them again (they may "
            "be billed twice)."
        )
    retryable = report.get("retryable_rows", [])
    if retryable:
        lines.append(
            f"{len(retryable)} failed row(s) are retryable (the provider said to try again "
            "later): run again with --retry-failed to create them again."
        )
    if counts["failed"] > len(retryable):
        lines.append(
            f"{counts['failed'] - len(retryable)} failed row(s) are not retryable as they are "
            "(fix them, or use --retry-failed=all to create every failed row again)."
        )
    if report.get("unjournaled_jobs"):
        jobs = ", ".join(f"{r}: {','.join(j)}" for r, j in report["unjournaled_jobs"].items())
        lines.append(f"Jobs created but not journaled (they exist and are billed): {jobs}")
    if report.get("auth_error"):
        lines.append("Nothing more was sent: fix the credentials, then run the same command again.")
    elif report["interrupted"] or counts["incomplete"]:
        lines.append("Run the same command again to resume: finished rows are skipped.")
    return lines


def _listed(report: Mapping[str, Any], state: OutcomeState) -> list[dict[str, Any]]:
    return [row for row in report["rows"] if row["state"] == state.value]


def print_summary(
    report: Mapping[str, Any], report_path: Path | None, *, stream: TextIO | None = None
) -> None:
    """The final summary: a rich table on a terminal, plain text otherwise."""
    out = stream if stream is not None else sys.stdout
    counts = report["counts"]
    listed = [OutcomeState.FAILED, OutcomeState.UNKNOWN]
    if not report["interrupted"]:  # after an interruption, unfinished rows are expected
        listed.append(OutcomeState.INCOMPLETE)
    problems = [(row, state) for state in listed for row in _listed(report, state)]
    elapsed = report["elapsed_seconds"]
    title = f"akool-async batch: {counts['total']} rows in {elapsed:.1f}s"
    if report["interrupted"]:
        title += " (interrupted)"
    if out.isatty() and _rich_console(out) is not None:
        _print_rich(report, report_path, problems, title, out)
        return
    print(title, file=out)
    for state in OutcomeState:
        print(f"  {state.value:<11}{counts[state.value]:>7}", file=out)
    print(f"  {'total':<11}{counts['total']:>7}", file=out)
    shown = problems[:_LISTED]
    for row, state in shown:
        tag = " [retryable]" if row.get("retryable") else ""
        line = f"  {state.value:<11}{row['id']}  {row['family']}  {row['error'] or ''}{tag}"
        print(printable(line), file=out)
    if len(problems) > len(shown):
        print(f"  ... and {len(problems) - len(shown)} more (see the report)", file=out)
    if report.get("error"):
        print(printable(f"error: {report['error']}"), file=out)
    for line in _advice(report):
        print(line, file=out)
    if report_path is not None:
        print(f"report: {report_path}", file=out)
    out.flush()


def _rich_console(out: TextIO) -> Any:
    try:
        from rich.console import Console
    except ImportError:
        return None
    return Console(file=out)


def _print_rich(
    report: Mapping[str, Any],
    report_path: Path | None,
    problems: Sequence[tuple[dict[str, Any], OutcomeState]],
    title: str,
    out: TextIO,
) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(file=out)
    counts = report["counts"]
    console.print(title, markup=False, highlight=False)
    table = Table(show_footer=True)
    table.add_column("state", footer="total")
    table.add_column("rows", justify="right", footer=str(counts["total"]))
    styles = {"done": "green", "failed": "red", "unknown": "yellow", "incomplete": "cyan"}
    for state in OutcomeState:
        table.add_row(f"[{styles[state.value]}]{state.value}", str(counts[state.value]))
    console.print(table)
    if problems:
        detail = Table(show_header=True, header_style="bold")
        detail.add_column("state")
        detail.add_column("row")
        detail.add_column("family")
        detail.add_column("error", overflow="fold")
        for row, state in problems[:_LISTED]:
            tag = " [retryable]" if row.get("retryable") else ""
            detail.add_row(
                state.value,
                escape(printable(row["id"])),
                row["family"],
                escape(printable((row["error"] or "") + tag)),
            )
        console.print(detail)
        if len(problems) > _LISTED:
            console.print(f"... and {len(problems) - _LISTED} more (see the report)")
    if report.get("error"):
        console.print(f"[red]error:[/red] {escape(printable(report['error']))}", highlight=False)
    for line in _advice(report):
        console.print(line, markup=False, highlight=False)
    if report_path is not None:
        console.print(f"report: {report_path}", markup=False, highlight=False)
