"""Group commit of journal writes: many writers, one transaction each group, same durability."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest

from akool_async._batch import Journal, JournalError, RowState, UnknownRow, run_batch
from akool_async._batch.groupcommit import GroupCommit

from .helpers import MP3, fake_server, session_for

pytestmark = pytest.mark.anyio

REQ: dict[str, Any] = {"video_url": "https://x/v.mp4", "audio_url": "https://x/a.mp3"}


def _journal(tmp_path: Path, rows: int) -> Journal:
    journal = Journal.open(tmp_path / "j.sqlite")
    journal.add_rows([(f"r{i}", "lipsync", REQ) for i in range(rows)])
    return journal


async def test_concurrent_writers_share_commits_and_each_write_is_durable_on_return(
    tmp_path: Path,
) -> None:
    """Fifty writers (intent, then ids) need fewer commits than writes; when a writer's call
    returns, another connection already reads what it wrote."""
    journal = _journal(tmp_path, 50)
    commits = GroupCommit(anyio.CapacityLimiter(1))
    seen: list[RowState] = []
    before = journal.commits

    async def row(i: int) -> None:
        assert await commits.write(journal, lambda: journal.begin_create(f"r{i}")) == 1
        with Journal.open(journal.path) as other:
            found = other.row(f"r{i}")
            assert found is not None
            seen.append(found.state)
        await commits.write(journal, lambda: journal.record_created(f"r{i}", [f"job-{i}"]))

    with journal:
        async with anyio.create_task_group() as tg:
            for i in range(50):
                tg.start_soon(row, i)
        assert commits.writes == 100
        assert journal.commits - before == commits.groups < 100
        assert seen.count(RowState.CREATING) + seen.count(RowState.CREATED) == 50
        assert journal.counts()[RowState.CREATED] == 50


async def test_an_error_goes_to_its_writer_only(tmp_path: Path) -> None:
    """A write that fails in a group raises in its own writer; the group's other writes hold."""
    journal = _journal(tmp_path, 3)
    commits = GroupCommit(anyio.CapacityLimiter(1))
    errors: list[BaseException] = []

    async def write(row_id: str) -> None:
        try:
            await commits.write(journal, lambda: journal.begin_create(row_id))
        except UnknownRow as exc:
            errors.append(exc)

    with journal:
        async with anyio.create_task_group() as tg:
            for row_id in ("r0", "missing", "r1", "r2"):
                tg.start_soon(write, row_id)
        assert len(errors) == 1 and "missing" in str(errors[0])
        assert journal.counts()[RowState.CREATING] == 3


async def test_a_cancelled_writer_not_yet_taken_writes_nothing(tmp_path: Path) -> None:
    """A writer cancelled while its write waits behind the commit in progress withdraws it:
    the row stays PENDING; the writes of the commit in progress and the next one hold."""
    journal = _journal(tmp_path, 3)
    limiter = anyio.CapacityLimiter(1)
    commits = GroupCommit(limiter)
    with journal:
        async with anyio.create_task_group() as tg:
            await limiter.acquire()  # the journal thread is busy: the first commit waits
            tg.start_soon(commits.write, journal, lambda: journal.begin_create("r0"))
            await anyio.wait_all_tasks_blocked()
            tg.start_soon(commits.write, journal, lambda: journal.begin_create("r2"))
            await anyio.wait_all_tasks_blocked()
            victim = anyio.CancelScope()

            async def cancelled_writer() -> None:
                with victim:
                    await commits.write(journal, lambda: journal.begin_create("r1"))

            tg.start_soon(cancelled_writer)
            await anyio.wait_all_tasks_blocked()
            victim.cancel()
            await anyio.wait_all_tasks_blocked()
            limiter.release()
        states = {r.row_id: r.state for r in journal.rows()}
        assert states == {"r0": RowState.CREATING, "r1": RowState.PENDING, "r2": RowState.CREATING}


class _FailingCommit:
    """A journal whose group commit fails (a full disk at COMMIT)."""

    def grouped(self, calls: Sequence[Callable[[], Any]]) -> list[Any]:
        raise JournalError("database or disk is full")


async def test_a_failed_commit_fails_every_write_of_the_group() -> None:
    """When the group's commit fails, every writer of the group gets the error."""
    commits = GroupCommit(anyio.CapacityLimiter(1))
    journal: Any = _FailingCommit()
    errors: list[str] = []

    async def write() -> None:
        try:
            await commits.write(journal, lambda: None)
        except JournalError as exc:
            errors.append(str(exc))

    async with anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(write)
    assert errors == ["database or disk is full"] * 5


async def test_a_batch_run_commits_far_fewer_times_than_it_writes(tmp_path: Path) -> None:
    """Forty rows in flight at once: every row done, created once, with fewer journal commits
    than rows (each row writes at least its intent, its job ids and its end)."""
    rows = [
        {"id": f"r{i}", "family": "talking_photo", "photo": f"https://c.example.com/{i}.jpg",
         "audio": MP3}
        for i in range(40)
    ]  # fmt: skip
    with Journal.open(tmp_path / "j.sqlite") as journal:
        async with fake_server() as fake, session_for(fake) as session:
            async with run_batch(
                session, rows, out_dir=tmp_path / "out", journal=journal, concurrency=40,
                download=False,
            ) as batch:  # fmt: skip
                assert all([o.ok async for o in batch])
            assert fake.stats.creates == 40
        assert journal.counts()[RowState.COMPLETED] == 40
        assert journal.commits < 40, journal.commits
