"""Batch fleets: workers sharing a PostgreSQL journal, --max-running slots, the shared budget."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from akool_async._batch import (
    BatchOutcome,
    Event,
    OutcomeState,
    RowState,
    run_batch,
    validate_rows,
)
from akool_async._batch.journal.postgres import PostgresJournal
from akool_async._batch.slots import LocalSlots, slot_usage
from akool_async._clock import SystemClock
from akool_async._ratelimit import RateBudget
from akool_async.cli import main
from akool_async.testing import FakeAkool

from .helpers import fake_server, fast_config, session_for
from .test_batch import photo_rows

pytestmark = pytest.mark.anyio


def server_peak(fake: FakeAkool) -> int:
    """The most jobs the fake had at once between their create and their end (clock time)."""
    edges = sorted(
        [(j.created_at, 1) for j in fake.jobs.values()]
        + [(j.proc_end, -1) for j in fake.jobs.values()]
    )
    peak = running = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


async def run_worker(
    fake: FakeAkool, url: str, rows: list[dict[str, Any]], out: Path, **kwargs: Any
) -> tuple[list[BatchOutcome], Any]:
    async with session_for(fake) as session:
        async with run_batch(session, rows, out_dir=out, journal=url, **kwargs) as batch:
            outcomes = [o async for o in batch]
        return outcomes, batch


async def test_two_workers_share_a_manifest(
    postgres_url: str, pg_schema: str, tmp_path: Path
) -> None:
    """Two workers on one PostgreSQL journal create every row once and both report every row."""
    rows = photo_rows(40)
    url = f"{postgres_url}#{pg_schema}"
    results: list[tuple[list[BatchOutcome], Any]] = []
    async with fake_server(fast_config(record_create_bodies=True)) as fake:

        async def one(name: str) -> None:
            results.append(await run_worker(fake, url, rows, tmp_path, concurrency=6, lease=3))

        async with anyio.create_task_group() as tg:
            tg.start_soon(one, "a")
            tg.start_soon(one, "b")
        assert fake.stats.duplicate_creates() == 0
        assert fake.stats.creates == 40
    for outcomes, _ in results:
        assert sorted(o.row_id for o in outcomes) == sorted(r["id"] for r in rows)
        assert {o.state for o in outcomes} == {OutcomeState.DONE}
    files = sorted(p.name for p in os.scandir(tmp_path) if not p.name.startswith("."))
    assert len(files) == 40
    journal = PostgresJournal.open(url)
    try:
        assert journal.counts()[RowState.DOWNLOADED] == 40
        assert all(w.stopped is not None and w.holding == 0 for w in journal.workers())
    finally:
        journal.close()


async def test_max_running_holds_for_the_fleet(
    postgres_url: str, pg_schema: str, tmp_path: Path
) -> None:
    """Three workers with --max-running 4 never have more than 4 jobs on the server."""
    rows = photo_rows(30)
    url = f"{postgres_url}#{pg_schema}"
    usages = []
    async with fake_server(fast_config()) as fake:

        async def one() -> None:
            _, batch = await run_worker(
                fake, url, rows, tmp_path, concurrency=5, max_running=4, lease=3
            )
            usages.append(batch.slot_usage)

        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(one)
        assert fake.stats.creates == 30
        assert server_peak(fake) <= 4
    assert [u.max_running if u else None for u in usages] == [4, 4, 4]


async def test_max_running_holds_on_one_machine(tmp_path: Path) -> None:
    """With the SQLite journal, --max-running 3 keeps at most 3 jobs on the server."""
    async with fake_server(fast_config()) as fake:
        async with session_for(fake) as session, run_batch(
            session, photo_rows(20), out_dir=tmp_path, concurrency=8, max_running=3
        ) as batch:
            outcomes = [o async for o in batch]
        assert server_peak(fake) <= 3
    assert len(outcomes) == 20 and {o.state for o in outcomes} == {OutcomeState.DONE}
    usage = batch.slot_usage
    assert usage is not None and usage.max_running == 3 and usage.creates == 20
    assert usage.idle_seconds >= 0


async def test_a_dead_workers_rows_are_taken_over(
    postgres_url: str, pg_schema: str, tmp_path: Path
) -> None:
    """Rows a worker claimed and left (its lease ran out) are tracked, not created again; a row
    whose create was in flight becomes unknown."""
    rows = photo_rows(6)
    url = f"{postgres_url}#{pg_schema}"
    async with fake_server(fast_config(record_create_bodies=True)) as fake:
        async with session_for(fake) as session:
            dead = PostgresJournal.open(url)
            manifest = validate_rows(rows)
            dead.add_rows([(r.row_id, r.family, dict(r.fields)) for r in manifest.rows])
            worker = dead.register_worker()
            assert len(dead.claim(worker, 3, lease=0.5)) == 3
            (job,) = await session.create("talking_photo", manifest.rows[0].fields)
            dead.begin_create("r0")
            dead.record_created("r0", [job.id])
            dead.begin_create("r1")  # the answer never came
            dead.close()
        await anyio.sleep(0.6)
        outcomes, _ = await run_worker(fake, url, rows, tmp_path, lease=3)
        assert fake.stats.creates == 1 + 4  # r0 by the dead worker, r2..r5 by the living one
    states = {o.row_id: o.state for o in outcomes}
    assert states == {
        "r0": OutcomeState.DONE,
        "r1": OutcomeState.UNKNOWN,
        **{f"r{i}": OutcomeState.DONE for i in range(2, 6)},
    }


async def test_rate_budget_shared_by_live_workers(
    postgres_url: str, pg_schema: str, tmp_path: Path
) -> None:
    """A worker takes 1/live of its session's configured rate while other workers are alive."""
    url = f"{postgres_url}#{pg_schema}"
    other = PostgresJournal.open(url)
    try:
        other.register_worker()  # alive (fresh heartbeat), holds nothing
        async with fake_server(fast_config()) as fake, session_for(fake, rate=10.0) as session:
            async with run_batch(
                session, photo_rows(2), out_dir=tmp_path, journal=url, lease=30
            ) as batch:
                [o async for o in batch]
            assert session.budget.max_rate == pytest.approx(5.0)
    finally:
        other.close()


def test_budget_rate_changes_at_runtime() -> None:
    """set_max_rate changes the configured rate and keeps a throttled rate's proportion."""
    budget = RateBudget(10.0, 5, SystemClock())
    budget.throttled(None)
    assert budget.rate == 5.0
    budget.set_max_rate(4.0)
    assert (budget.max_rate, budget.rate) == (4.0, 2.0)
    with pytest.raises(ValueError, match="rate"):
        budget.set_max_rate(0)


def _ev(seq: int, at: float, row: str, job: str | None, state: RowState) -> Event:
    return Event(seq, at, row, job, state, None)


def test_slot_usage_counts_intents_and_jobs() -> None:
    """A slot is held from the intent to the job's end; idle slot-seconds while rows waited."""
    events = [
        _ev(1, 0.0, "a", None, RowState.CREATING),
        _ev(2, 1.0, "a", "j1", RowState.CREATED),
        _ev(3, 1.0, "a", None, RowState.CREATED),
        _ev(4, 2.0, "b", None, RowState.CREATING),
        _ev(5, 3.0, "a", "j1", RowState.COMPLETED),
        _ev(6, 5.0, "c", None, RowState.CREATING),
    ]
    usage = slot_usage(events, 2, since=0.0)
    assert usage.max_running == 2
    assert usage.creates == 3
    # 0-2: one of two slots free (2 s); 2-3: none; 3-5: one free (2 s).
    assert usage.idle_seconds == pytest.approx(4.0)


@given(st.lists(st.integers(0, 5), min_size=1, max_size=30))
def test_slot_usage_idle_is_bounded(gaps: list[int]) -> None:
    """Idle slot-seconds never exceed the limit times the window, nor go negative."""
    events = [
        _ev(i, float(sum(gaps[: i + 1])), f"r{i}", None, RowState.CREATING)
        for i in range(len(gaps))
    ]
    usage = slot_usage(events, 3, since=0.0)
    window = events[-1].at
    assert 0.0 <= usage.idle_seconds <= 3 * window + 1e-9
    assert usage.max_running == len(gaps)


async def test_local_slots_wait_for_a_free_slot() -> None:
    """LocalSlots lets at most its limit in at once; held (resumed) rows count too."""
    slots = LocalSlots(2)
    slots.hold()
    peak = 0

    async def one() -> None:
        nonlocal peak
        async with slots.take():
            peak = max(peak, slots.used)
            await anyio.sleep(0.001)

    async with anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(one)
        await anyio.sleep(0.01)
        slots.release()
    assert peak <= 2 and slots.used == 0


def test_status_shows_the_fleet(
    postgres_url: str, pg_schema: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`akool-async status --journal URL` lists workers (alive, holding), rows per state."""
    url = f"{postgres_url}#{pg_schema}"
    with PostgresJournal.open(url) as journal:
        journal.add_rows([("a", "talking_photo", {"x": 1}), ("b", "talking_photo", {"x": 2})])
        worker = journal.register_worker(host="m1", pid=42)
        journal.claim(worker, 1, lease=60)
        gone = journal.register_worker(host="m2", pid=43)
        journal.retire_worker(gone)
    assert main(["status", "--journal", url, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["rows"]["pending"] == 2 and status["total_rows"] == 2
    alive = [(w["host"], w["alive"], w["holding"], w["rows"]) for w in status["workers"]]
    assert alive == [("m1", True, 1, ["a"]), ("m2", False, 0, [])]
    assert main(["status", "--journal", url]) == 0
    text = capsys.readouterr().out
    assert "1 alive of 2 registered" in text and "m1:42" in text
