"""``akool-async status --journal URL``: a fleet at a glance, from its shared journal.

Workers (alive or not, by heartbeat age), rows per state, recent throughput, and which worker
holds which rows. Heartbeat ages compare the database's clock with this machine's.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Final

from .._batch import Event, RowState
from .._batch.journal.opening import open_journal

__all__ = ["fleet_status", "format_fleet_status"]

#: Seconds of journal events the throughput is measured over.
THROUGHPUT_WINDOW: Final = 300.0
_ROW_ENDS: Final = frozenset({RowState.DOWNLOADED, RowState.FAILED, RowState.COMPLETED})


def _throughput(events: Sequence[Event]) -> float:
    """Rows finished per second over the last THROUGHPUT_WINDOW seconds of events."""
    ends = [e.at for e in events if e.job_id is None and e.state in _ROW_ENDS]
    if not ends:
        return 0.0
    last = max(e.at for e in events)
    recent = [at for at in ends if at >= last - THROUGHPUT_WINDOW]
    span = min(THROUGHPUT_WINDOW, last - min(e.at for e in events))
    return len(recent) / span if span > 0 else 0.0


def fleet_status(url: str, *, lease: float = 30.0, now: float | None = None) -> dict[str, Any]:
    """The fleet sharing the journal at ``url``, as a JSON-ready dict.

    A worker is alive if it has not retired and its last heartbeat is younger than ``lease``.
    """
    with open_journal(url) as journal:
        counts = journal.counts()
        events = journal.events()
        workers = list(getattr(journal, "workers", list)())
        holdings: dict[int, list[str]] = getattr(journal, "holdings", dict)()
        path = journal.path
    now = time.time() if now is None else now
    listed = []
    for w in workers:
        age = max(0.0, now - w.heartbeat)
        listed.append(
            {
                "id": w.id,
                "host": w.host,
                "pid": w.pid,
                "alive": w.stopped is None and age < lease,
                "stopped": w.stopped is not None,
                "heartbeat_age_seconds": round(age, 1),
                "holding": w.holding,
                "rows": holdings.get(w.id, []),
            }
        )
    return {
        "journal": path,
        "rows": {state.value: counts.get(state, 0) for state in RowState},
        "total_rows": sum(counts.values()),
        "rows_per_second": round(_throughput(events), 3),
        "workers": listed,
    }


def format_fleet_status(status: dict[str, Any]) -> str:
    """The status as lines of text."""
    lines = [f"journal {status['journal']}: {status['total_rows']} rows"]
    lines += [f"  {state:<11}{n:>8}" for state, n in status["rows"].items() if n]
    lines.append(f"throughput: {status['rows_per_second']:.2f} rows/s (last 5 min of events)")
    alive = [w for w in status["workers"] if w["alive"]]
    lines.append(f"workers: {len(alive)} alive of {len(status['workers'])} registered")
    for w in status["workers"]:
        state = "alive" if w["alive"] else "retired" if w["stopped"] else "dead"
        held = ", ".join(w["rows"]) + (" ..." if w["holding"] > len(w["rows"]) else "")
        lines.append(
            f"  #{w['id']:<4} {w['host']}:{w['pid']:<8} {state:<8}"
            f" heartbeat {w['heartbeat_age_seconds']:>7.1f}s ago, holds {w['holding']:>5}"
            + (f": {held}" if held else "")
        )
    return "\n".join(lines)
