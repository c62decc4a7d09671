"""What a batch run claims before it starts: its output directory, and which failed rows it
creates again.

Two manifests with separate journals must not share an output directory: their default row ids
(``line-N``) would name the same files, and one run would overwrite the other's results. The
first run writes an ownership marker naming its journal into the directory; a run with another
journal is refused (see :func:`claim_out_dir`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final, Literal

from .._errors import AkoolError
from .journal import JournalRow, RowState
from .providers import lookup

__all__ = [
    "OWNER_FILE",
    "OutDirTaken",
    "RetryFailed",
    "claim_out_dir",
    "retryable_failure",
    "rows_to_retry",
]

#: The ownership marker in an output directory: JSON ``{"journal": <path>}``.
OWNER_FILE: Final = ".akool-owner.json"

#: Which FAILED rows ``retry_failed`` creates again: those the provider said to try again
#: later (``"retryable"``), or every one (``"all"``).
RetryFailed = Literal["retryable", "all"]

_CODE_RE: Final = re.compile(r"\[([0-9A-Za-z_]+)\]")


class OutDirTaken(AkoolError):
    """The output directory belongs to a run with another journal (its files would clash).

    Attributes:
        out_dir: the directory.
        journal: the journal that owns it.
    """

    def __init__(self, out_dir: str, journal: str) -> None:
        self.out_dir = out_dir
        self.journal = journal
        super().__init__(
            f"output directory {out_dir} holds the results of the batch journaled in {journal}; "
            "another manifest's files would overwrite them: give this batch its own output "
            "directory (or that same journal)"
        )


def claim_out_dir(out_dir: Path, journal: str) -> None:
    """Make ``out_dir`` this journal's (blocking); refuse one another journal owns.

    A directory owned by a journal that no longer exists is taken over (that batch is gone).

    Raises:
        OutDirTaken: another journal, still there, owns the directory.
        OSError: the directory or its marker cannot be written.
    """
    marker = out_dir / OWNER_FILE
    mine = os.path.abspath(journal)
    try:
        owner = json.loads(marker.read_text("utf-8")).get("journal")
    except FileNotFoundError:
        owner = None
    except (OSError, ValueError, AttributeError):
        owner = None
    if isinstance(owner, str) and owner == mine:
        return
    if isinstance(owner, str) and os.path.exists(owner):
        raise OutDirTaken(str(out_dir), owner)
    out_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{OWNER_FILE}.", dir=out_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"journal": mine}, f)
        os.replace(tmp, marker)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def retryable_failure(row: JournalRow) -> bool:
    """Whether a FAILED row failed only in ways its provider says to try again later.

    Every error code in the row's failure (``[1015] ...``) must be one its provider's error
    table marks retryable (Akool: 1005, 1015, 1201, 1205, 1211); no code at all is not.
    """
    if row.state is not RowState.FAILED or not row.error:
        return False
    found = lookup(row.family)
    codes = _CODE_RE.findall(row.error)
    return found is not None and bool(codes) and all(c in found[0].retryable_codes for c in codes)


def rows_to_retry(
    rows: Iterable[JournalRow], wanted: Mapping[str, object], mode: RetryFailed
) -> tuple[list[str], list[str]]:
    """The FAILED rows to create again, and those left failed because a job of theirs completed
    (creating them again would pay for that job twice)."""
    chosen: list[str] = []
    partial: list[str] = []
    for row in rows:
        if row.row_id not in wanted or row.state is not RowState.FAILED:
            continue
        if mode == "retryable" and not retryable_failure(row):
            continue
        if any(j.state in (RowState.COMPLETED, RowState.DOWNLOADED) for j in row.jobs):
            partial.append(row.row_id)
        else:
            chosen.append(row.row_id)
    return chosen, partial
