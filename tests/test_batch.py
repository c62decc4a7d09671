"""The batch runner against the fake server: outcomes, journal, resume, downloads, stopping."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest

from akool_async import ScaledClock, Session
from akool_async._batch import (
    DEFAULT_JOURNAL_NAME,
    BatchOutcome,
    BatchProgress,
    Journal,
    ManifestError,
    OutcomeState,
    RowConflict,
    RowState,
    run_batch,
    validate_rows,
)
from akool_async._batch.claims import OWNER_FILE

from .helpers import IMG, MP3, MP4, fake_server, fast_config, session_for

pytestmark = pytest.mark.anyio


def photo_rows(n: int, prefix: str = "r") -> list[dict[str, Any]]:
    """``n`` talking-photo rows with distinct bodies."""
    return [
        {
            "id": f"{prefix}{i}",
            "family": "talking_photo",
            "photo": f"https://cdn.example.com/{prefix}{i}.jpg",
            "audio": MP3,
        }
        for i in range(n)
    ]


async def collect(session: Session, rows: Any, out: Path, **kwargs: Any) -> list[BatchOutcome]:
    """Run a batch to its end; every outcome, in arrival order."""
    async with run_batch(session, rows, out_dir=out, **kwargs) as batch:
        return [outcome async for outcome in batch]


def by_id(outcomes: Sequence[BatchOutcome]) -> dict[str, BatchOutcome]:
    """Outcomes keyed by row id (each row must appear once)."""
    result = {o.row_id: o for o in outcomes}
    assert len(result) == len(outcomes)
    return result


def read(path: str | Path) -> bytes:
    """A file's bytes (a sync helper: async tests must not block on files)."""
    return Path(path).read_bytes()


def when_created(n: int) -> tuple[anyio.Event, Any]:
    """An event set once ``n`` rows are created, and the ``on_progress`` that sets it."""
    event = anyio.Event()

    def on_progress(progress: BatchProgress) -> None:
        if progress.created >= n:
            event.set()

    return event, on_progress


def listing(path: Path) -> list[str]:
    """Names in a directory and its parent."""
    return os.listdir(path) + os.listdir(path.parent)


def journal_states(out: Path) -> dict[str, RowState]:
    """Row states in the default journal of ``out``."""
    with Journal.open(out / DEFAULT_JOURNAL_NAME) as journal:
        return {r.row_id: r.state for r in journal.rows()}


async def test_rows_created_tracked_downloaded(tmp_path: Path) -> None:
    """Every row is created once, ends DONE with its verified file, one outcome per row."""
    seen: list[BatchProgress] = []
    async with fake_server() as fake, session_for(fake) as session:
        outcomes = await collect(
            session, photo_rows(12), tmp_path, concurrency=3, on_progress=seen.append
        )
        assert fake.stats.creates == 12 and fake.stats.duplicate_creates() == 0
        results = by_id(outcomes)
        assert set(results) == {f"r{i}" for i in range(12)}
        for row_id, outcome in results.items():
            assert outcome.state is OutcomeState.DONE and outcome.ok and not outcome.resumed
            (job_id,) = outcome.job_ids
            (file,) = outcome.files
            assert Path(file.path) == (tmp_path / f"{row_id}.mp4").resolve()
            data = read(file.path)
            assert data == fake.expected_bytes(job_id)
            assert file.sha256 == hashlib.sha256(data).hexdigest() and file.size == len(data)
            assert outcome.urls == (fake.result_url(job_id),)
    # Rows in flight never exceeded the concurrency bound.
    assert max(p.creating + p.queueing + p.processing for p in seen) <= 3
    assert seen[-1].done == 12 and seen[-1].created == 12
    assert set(journal_states(tmp_path).values()) == {RowState.DOWNLOADED}


async def test_translation_row_gets_one_file_per_language(tmp_path: Path) -> None:
    """A translation into two languages: two jobs, files ``<id>.<lang>.mp4``."""
    rows = [{"id": "t", "family": "video_translation", "url": MP4, "language": "ja,fr"}]
    async with fake_server() as fake, session_for(fake) as session:
        (outcome,) = await collect(session, rows, tmp_path)
        assert fake.stats.creates == 1 and fake.stats.jobs_created == 2
    assert outcome.state is OutcomeState.DONE and len(outcome.job_ids) == 2
    assert [Path(f.path).name for f in outcome.files] == ["t.ja.mp4", "t.fr.mp4"]


async def test_failed_jobs_are_failed_rows(tmp_path: Path) -> None:
    """A job ending in status 4 makes its row FAILED with the reason; a re-run skips it."""
    async with fake_server(fast_config(failure_ratio=1.0)) as fake, session_for(fake) as session:
        outcomes = await collect(session, photo_rows(3), tmp_path)
        assert {o.state for o in outcomes} == {OutcomeState.FAILED}
        assert all("[1015] Create video error" in (o.error or "") for o in outcomes)
        again = await collect(session, photo_rows(3), tmp_path)
        assert all(o.resumed and o.state is OutcomeState.FAILED for o in again)
        assert fake.stats.creates == 3


async def test_rerun_skips_finished_rows(tmp_path: Path) -> None:
    """Finished rows are reported as resumed: nothing created, nothing downloaded again."""
    async with fake_server() as fake, session_for(fake) as session:
        await collect(session, photo_rows(5), tmp_path)
        downloads = sum(fake.stats.downloads.values())
        again = await collect(session, photo_rows(5), tmp_path)
        assert all(o.resumed and o.state is OutcomeState.DONE for o in again)
        assert fake.stats.creates == 5
        assert sum(fake.stats.downloads.values()) == downloads


async def test_missing_file_downloaded_again(tmp_path: Path) -> None:
    """A result file deleted after its run is downloaded again (same content) on re-run."""
    async with fake_server() as fake, session_for(fake) as session:
        (first,) = await collect(session, photo_rows(1), tmp_path)
        os.unlink(first.files[0].path)
        (second,) = await collect(session, photo_rows(1), tmp_path)
        assert second.state is OutcomeState.DONE and not second.resumed
        assert read(first.files[0].path) == fake.expected_bytes(first.job_ids[0])
        assert fake.stats.creates == 1


async def test_stop_then_resume_tracks_without_creating(tmp_path: Path) -> None:
    """Stopped mid-run: rows left in flight are tracked by the next run, never created twice."""
    # Queued for 1-1.5 real seconds: still in flight when stop() lands, even on a busy machine.
    config = fast_config(queue_time=(1000.0, 1500.0))
    async with fake_server(config) as fake, session_for(fake) as session:
        rows = photo_rows(6)
        created, on_progress = when_created(6)
        async with run_batch(
            session, rows, out_dir=tmp_path, concurrency=6, on_progress=on_progress
        ) as batch:
            with anyio.fail_after(10):
                await created.wait()
            batch.stop()
            first = by_id([o async for o in batch])
        assert batch.stopped
        assert {o.state for o in first.values()} == {OutcomeState.INCOMPLETE}
        states = journal_states(tmp_path)
        assert set(states.values()) <= {
            RowState.CREATED,
            RowState.QUEUEING,
            RowState.PROCESSING,
            RowState.COMPLETED,
        }
        second = by_id(await collect(session, rows, tmp_path))
        assert {o.state for o in second.values()} == {OutcomeState.DONE}
        assert fake.stats.creates == 6 and fake.stats.duplicate_creates() == 0
        assert all(second[k].job_ids == first[k].job_ids for k in first)


async def test_stop_before_creating_leaves_rows_pending(tmp_path: Path) -> None:
    """Rows never started get an INCOMPLETE outcome and stay pending in the journal."""
    async with fake_server() as fake, session_for(fake) as session:
        async with run_batch(session, photo_rows(4), out_dir=tmp_path, concurrency=1) as batch:
            batch.stop("test")
            outcomes = [o async for o in batch]
        assert len(outcomes) == 4 and {o.state for o in outcomes} == {OutcomeState.INCOMPLETE}
        assert fake.stats.creates <= 1
    assert not any(s is RowState.CREATING for s in journal_states(tmp_path).values())


async def test_intent_without_answer_is_unknown_and_not_recreated(tmp_path: Path) -> None:
    """A row journaled as 'creating' (killed before the answer) is listed, never re-created."""
    rows = photo_rows(3)
    manifest = validate_rows(rows)
    with Journal.open(tmp_path / DEFAULT_JOURNAL_NAME, manifest_digest=manifest.digest) as j:
        j.add_rows([(r.row_id, r.family, dict(r.fields)) for r in manifest.rows])
        j.begin_create("r1")  # ...and the process died here
    async with fake_server() as fake, session_for(fake) as session:
        async with run_batch(session, manifest, out_dir=tmp_path) as batch:
            outcomes = by_id([o async for o in batch])
        assert batch.unknown_rows == ["r1"]
        assert outcomes["r1"].state is OutcomeState.UNKNOWN and outcomes["r1"].resumed
        assert outcomes["r0"].ok and outcomes["r2"].ok
        assert fake.stats.creates == 2
        again = by_id(await collect(session, manifest, tmp_path))
        assert again["r1"].state is OutcomeState.UNKNOWN and fake.stats.creates == 2
        # Asked explicitly: created again (the earlier attempt may be billed too).
        async with run_batch(session, manifest, out_dir=tmp_path, retry_unknown=True) as batch:
            last = by_id([o async for o in batch])
        assert batch.retried_unknown == ["r1"]
        assert last["r1"].ok and fake.stats.creates == 3


async def test_lost_create_answer_is_unknown(tmp_path: Path) -> None:
    """A create whose answer is lost is UNKNOWN (the job exists) and not sent again."""
    async with fake_server() as fake, session_for(fake) as session:
        fake.faults.add("lost_create", count=1)
        outcomes = by_id(await collect(session, photo_rows(2), tmp_path, concurrency=1))
        assert outcomes["r0"].state is OutcomeState.UNKNOWN
        assert outcomes["r1"].ok
        assert fake.stats.creates == 2  # the lost one was created at the server
        again = by_id(await collect(session, photo_rows(2), tmp_path))
        assert again["r0"].state is OutcomeState.UNKNOWN and fake.stats.creates == 2
    assert journal_states(tmp_path)["r0"] is RowState.UNKNOWN


async def test_refusals(tmp_path: Path) -> None:
    """'Try later' refusals are retried in the run; a parameter refusal fails the row for good."""
    async with fake_server() as fake, session_for(fake) as session:
        fake.faults.add("code_1015", count=1, endpoint="createbytalkingphoto")
        (later,) = await collect(session, photo_rows(1), tmp_path / "a", create_retries=1)
        assert later.ok and fake.stats.creates == 1
        fake.faults.add("code_1003", count=1, endpoint="createbytalkingphoto")
        (bad,) = await collect(session, photo_rows(1, "p"), tmp_path / "b")
        assert bad.state is OutcomeState.FAILED and "[1003]" in (bad.error or "")
        assert fake.stats.creates == 1
        (again,) = await collect(session, photo_rows(1, "p"), tmp_path / "b")
        assert again.state is OutcomeState.FAILED and again.resumed
    assert journal_states(tmp_path / "b")["p0"] is RowState.FAILED


async def test_auth_refusal_halts_creating(tmp_path: Path) -> None:
    """A refusal every create would meet (bad key) stops creating; rows stay pending."""
    async with fake_server() as fake, session_for(fake, api_key="wrong-key") as session:
        async with run_batch(session, photo_rows(4), out_dir=tmp_path, concurrency=1) as batch:
            outcomes = [o async for o in batch]
        assert batch.halted is not None and "1101" in batch.halted
        assert {o.state for o in outcomes} == {OutcomeState.INCOMPLETE}
        assert fake.stats.creates == 0
    assert set(journal_states(tmp_path).values()) == {RowState.PENDING}


async def test_invalid_rows_rejected_before_sending(tmp_path: Path) -> None:
    """Bad rows raise ManifestError when the runner is made; nothing is sent."""
    rows = [*photo_rows(2), {"id": "bad", "family": "talking_photo", "photo": IMG}]
    async with fake_server() as fake, session_for(fake) as session:
        with pytest.raises(ManifestError, match="rows:3: audio_url: is required"):
            run_batch(session, rows, out_dir=tmp_path)
        assert fake.stats.total_requests() == 0
    assert not tmp_path.joinpath(DEFAULT_JOURNAL_NAME).exists()


async def test_changed_row_conflicts_with_journal(tmp_path: Path) -> None:
    """The same row id with another body in the same journal is refused (RowConflict)."""
    async with fake_server() as fake, session_for(fake) as session:
        with Journal.open(tmp_path / "j.sqlite") as journal:
            await collect(session, photo_rows(1), tmp_path, journal=journal)
            changed = photo_rows(1)
            changed[0]["audio"] = "https://cdn.example.com/other.mp3"
            with pytest.raises(RowConflict):
                await collect(session, changed, tmp_path, journal=journal)
        assert fake.stats.creates == 1


async def test_no_download_then_download(tmp_path: Path) -> None:
    """With download=False rows are done with URLs; a later run downloads the files."""
    async with fake_server() as fake, session_for(fake) as session:
        first = await collect(session, photo_rows(2), tmp_path, download=False)
        assert all(o.ok and o.urls and not o.files for o in first)
        assert sum(fake.stats.downloads.values()) == 0
        second = await collect(session, photo_rows(2), tmp_path)
        assert all(o.ok and len(o.files) == 1 and not o.resumed for o in second)
        assert fake.stats.creates == 2


async def test_deadline_leaves_row_for_next_run(tmp_path: Path) -> None:
    """A job past max_wait is INCOMPLETE, still in flight in the journal, resumed next time."""
    config = fast_config(queue_time=(50.0, 60.0))
    async with fake_server(config) as fake, session_for(fake) as session:
        (outcome,) = await collect(session, photo_rows(1), tmp_path, max_wait=5.0)
        assert outcome.state is OutcomeState.INCOMPLETE
        assert "deadline" in (outcome.error or "")
        assert journal_states(tmp_path)["r0"] in (RowState.CREATED, RowState.QUEUEING)
        (again,) = await collect(session, photo_rows(1), tmp_path, max_wait=600.0)
        assert again.ok and again.job_ids == outcome.job_ids and fake.stats.creates == 1


async def test_hard_cancel_leaves_no_row_creating(tmp_path: Path) -> None:
    """Cancelled mid-create: every row is pending, created or unknown; the journal is whole."""
    config = fast_config()
    config.faults.slow = 1.0
    config.faults.scope = "create"
    config.faults.slow_delay = 0.05
    async with fake_server(config) as fake, session_for(fake) as session:
        with anyio.move_on_after(0.12):
            await collect(session, photo_rows(20), tmp_path, concurrency=4)
        await anyio.sleep(0.1)  # let the server finish the requests it got
        created_at_server = fake.stats.creates
    states = journal_states(tmp_path)
    assert RowState.CREATING not in states.values()
    with Journal.open(tmp_path / DEFAULT_JOURNAL_NAME) as journal:
        with_ids = sum(1 for r in journal.rows() if r.jobs)
        unknown = sum(1 for r in journal.rows() if r.state is RowState.UNKNOWN)
    # Every job the server made is journaled, or its row is flagged unknown.
    assert with_ids <= created_at_server <= with_ids + unknown


async def test_cancel_while_creates_wait_on_the_rate_budget_leaves_them_pending(
    tmp_path: Path,
) -> None:
    """Rows whose create was still waiting for a rate-budget token when the run was cancelled
    never left this process: they are pending again (not unknown), and a resume creates each
    row exactly once."""
    # One request per 200 clock seconds (0.2 s real): the first create goes, the rest wait.
    async with fake_server() as fake:
        async with session_for(fake, rate=0.005, burst=1.0) as session:
            with anyio.move_on_after(0.1):
                await collect(session, photo_rows(6), tmp_path, concurrency=6)
        created = fake.stats.creates
        states = journal_states(tmp_path)
        assert 1 <= created < 6
        assert list(states.values()).count(RowState.PENDING) == 6 - created
        assert RowState.UNKNOWN not in states.values()
        async with session_for(fake) as session:
            again = await collect(session, photo_rows(6), tmp_path)
        assert all(o.ok for o in again) and fake.stats.creates == 6


async def test_download_names_stay_inside_out_dir(tmp_path: Path) -> None:
    """Row ids and result URLs cannot place a file outside the output directory."""
    ids = ["../escape", "/abs/path", "a/../../b", "CON", ".hidden", "..", "sp ace", "\u00e9t\u00e9"]
    rows = [
        {
            "id": i,
            "family": "talking_photo",
            "photo": f"https://cdn.example.com/{n}.jpg",
            "audio": MP3,
        }
        for n, i in enumerate(ids)
    ]
    out = tmp_path / "out"
    async with fake_server() as fake, session_for(fake) as session:
        async with run_batch(session, rows, out_dir=out, concurrency=8) as batch:
            outcomes = by_id([o async for o in batch])
        for outcome in outcomes.values():
            assert outcome.ok, outcome
    names = sorted(p.name for p in out.iterdir())
    ours = {DEFAULT_JOURNAL_NAME, DEFAULT_JOURNAL_NAME + ".lock", OWNER_FILE}
    assert all(not n.startswith(".") or n in ours for n in names)
    for outcome in outcomes.values():
        (file,) = outcome.files
        assert Path(file.path).parent == out.resolve()
    assert not (tmp_path / "escape.mp4").exists() and not (tmp_path / "b.mp4").exists()


async def test_forced_url_suffix_and_traversal(tmp_path: Path) -> None:
    """A result URL's odd path or suffix never decides where the file goes."""
    created, on_progress = when_created(1)
    async with (
        fake_server(fast_config(queue_time=(30.0, 40.0))) as fake,
        session_for(fake) as session,
        run_batch(session, photo_rows(1), out_dir=tmp_path, on_progress=on_progress) as batch,
    ):
        with anyio.fail_after(10):
            await created.wait()
        (job_id,) = fake.jobs
        real = fake.result_url(job_id)
        fake.complete(job_id, url=f"{real}/../../../../evil.exe?x=../../y")
        outcomes = [o async for o in batch]
    (outcome,) = outcomes
    # The forced URL is not servable, so the download fails, but nothing escapes either way.
    assert outcome.state is OutcomeState.INCOMPLETE and "download" in (outcome.error or "")
    assert not any(n.startswith("evil") or n.endswith(".exe") for n in listing(tmp_path))


async def test_symlink_at_final_name_not_followed(tmp_path: Path) -> None:
    """A symlink planted where a result goes is not written through."""
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "outside.mp4"
    outside.write_bytes(b"precious")
    (out / "r0.mp4").symlink_to(outside)
    async with fake_server() as fake, session_for(fake) as session:
        (outcome,) = await collect(session, photo_rows(1), out)
    assert outcome.state is OutcomeState.INCOMPLETE
    assert read(outside) == b"precious"


async def test_stale_part_files_removed(tmp_path: Path) -> None:
    """Part files a killed run left behind are removed by the next run."""
    tmp_path.joinpath(".r0.mp4.part-0123456789ab").write_bytes(b"half")
    tmp_path.joinpath(".keep-me").write_bytes(b"mine")
    async with fake_server() as fake, session_for(fake) as session:
        await collect(session, photo_rows(1), tmp_path)
    assert not tmp_path.joinpath(".r0.mp4.part-0123456789ab").exists()
    assert tmp_path.joinpath(".keep-me").exists()


class _PastClock:
    """A clock whose wall time is ``offset`` seconds behind ``inner``'s."""

    def __init__(self, inner: ScaledClock, offset: float) -> None:
        self._inner = inner
        self._offset = offset

    def now(self) -> float:
        return self._inner.now()

    def wall(self) -> float:
        return self._inner.wall() - self._offset

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)

    def to_real(self, seconds: float) -> float:
        return self._inner.to_real(seconds)


async def test_expiry_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Results completed long ago are downloaded with a warning about the 7-day expiry."""
    caplog.set_level(logging.WARNING, logger="akool_async.batch")
    async with fake_server() as fake, session_for(fake) as session:
        assert isinstance(session.clock, ScaledClock)
        past = _PastClock(session.clock, 6.5 * 24 * 3600)
        with Journal.open(tmp_path / "j.sqlite", clock=past) as journal:
            await collect(session, photo_rows(1), tmp_path, journal=journal, download=False)
        (outcome,) = await collect(session, photo_rows(1), tmp_path, journal=tmp_path / "j.sqlite")
    assert outcome.ok
    assert outcome.warnings and "download it now" in outcome.warnings[0]
    assert any("expires in" in r.getMessage() for r in caplog.records)


async def test_leaving_early_stops_gracefully(tmp_path: Path) -> None:
    """Breaking out of the loop stops the run; the journal keeps every created job."""
    async with fake_server() as fake, session_for(fake) as session:
        async with run_batch(session, photo_rows(8), out_dir=tmp_path, concurrency=2) as batch:
            async for _ in batch:
                break
        await anyio.sleep(0.05)
        created = fake.stats.creates
    with Journal.open(tmp_path / DEFAULT_JOURNAL_NAME) as journal:
        rows = journal.rows()
    assert sum(1 for r in rows if r.jobs) == created
    assert not any(r.state is RowState.CREATING for r in rows)


async def test_runner_arguments_checked(tmp_path: Path) -> None:
    """Out-of-range arguments are refused when the runner is made."""
    async with fake_server() as fake, session_for(fake) as session:
        with pytest.raises(ValueError, match="concurrency"):
            run_batch(session, photo_rows(1), out_dir=tmp_path, concurrency=0)
        with pytest.raises(ValueError, match="max_wait"):
            run_batch(session, photo_rows(1), out_dir=tmp_path, max_wait=-1)
        runner = run_batch(session, photo_rows(1), out_dir=tmp_path)
        with pytest.raises(RuntimeError):
            await runner.__anext__()
    assert not os.listdir(tmp_path)


async def test_the_journal_carries_the_poll_model_to_the_next_run(tmp_path: Path) -> None:
    """A run saves what the scheduler learned in its journal; the next run's session loads it."""
    async with fake_server() as fake, session_for(fake) as session:
        await collect(session, photo_rows(6), tmp_path)
        learned = session.export_poll_model()
    with Journal.open(tmp_path / DEFAULT_JOURNAL_NAME) as journal:
        saved = journal.meta("poll_model")
    assert saved is not None and json.loads(saved) == learned
    async with fake_server() as fake, session_for(fake) as fresh:
        await collect(fresh, photo_rows(6), tmp_path)
        assert fresh.export_poll_model()["families"].keys() == learned["families"].keys()
