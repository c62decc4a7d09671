"""The batch journal: schema, state machine, resume plan, crash safety, concurrent readers."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from akool_async._batch import (
    SCHEMA_VERSION,
    Journal,
    JournalError,
    JournalRow,
    ManifestMismatch,
    RowConflict,
    RowState,
    SecretInRequest,
    StateError,
    UnknownRow,
    derive_row_state,
)

S = RowState
SHA = "ab" * 32
REQ: dict[str, Any] = {"video_url": "https://x/v.mp4", "audio_url": "https://x/a.mp3"}


class FakeClock:
    """A clock whose wall time only moves when told to."""

    def __init__(self) -> None:
        self.t = 1_700_000_000.0

    def now(self) -> float:
        return self.t

    def wall(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += seconds

    def to_real(self, seconds: float) -> float:
        return seconds


@pytest.fixture
def jpath(tmp_path: Path) -> Path:
    """A fresh journal path."""
    return tmp_path / "batch.journal"


@pytest.fixture
def journal(jpath: Path) -> Any:
    """An open journal with two pending rows, r1 and r2."""
    with Journal.open(jpath, manifest_digest="d1") as j:
        j.add_rows([("r1", "lipsync", REQ), ("r2", "translate", {"url": "u", "language": "ja,fr"})])
        yield j


def _state(j: Journal, row_id: str) -> RowState:
    row = j.row(row_id)
    assert row is not None
    return row.state


def _created(j: Journal, row_id: str, *job_ids: str) -> None:
    j.begin_create(row_id)
    j.record_created(row_id, job_ids)


# -- schema ------------------------------------------------------------------------------------


def test_schema_version_and_wal(jpath: Path) -> None:
    """A new journal is in WAL mode, versioned, and syncs every commit fully."""
    with Journal.open(jpath) as j:
        assert j._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    raw = sqlite3.connect(jpath)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"rows", "jobs", "events", "meta"} <= tables
    finally:
        raw.close()


def test_reopen_keeps_everything(jpath: Path) -> None:
    """Rows and jobs written before close are there after reopening."""
    with Journal.open(jpath) as j:
        j.add_rows([("r1", "lipsync", REQ)])
        _created(j, "r1", "job-1")
    with Journal.open(jpath) as j:
        row = j.row("r1")
        assert row is not None
        assert (row.state, row.job_ids, row.request, row.attempts) == (
            S.CREATED,
            ("job-1",),
            REQ,
            1,
        )


def test_other_manifest_refused(jpath: Path) -> None:
    """A journal made for one manifest digest refuses another unless told to accept it."""
    Journal.open(jpath, manifest_digest="aaa").close()
    with pytest.raises(ManifestMismatch, match="aaa"):
        Journal.open(jpath, manifest_digest="bbb")
    Journal.open(jpath).close()  # no digest given: no check
    with Journal.open(jpath, manifest_digest="bbb", allow_manifest_change=True) as j:
        assert j.manifest_digest() == "bbb"


def test_foreign_sqlite_file_refused(tmp_path: Path) -> None:
    """An SQLite file that is not a journal, or a newer journal, is refused and left as it was."""
    other = tmp_path / "other.db"
    raw = sqlite3.connect(other)
    raw.execute("CREATE TABLE t (x)")
    raw.commit()
    raw.close()
    with pytest.raises(JournalError, match="not an akool_async journal"):
        Journal.open(other)
    raw = sqlite3.connect(other)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    raw.close()

    newer = tmp_path / "newer.db"
    Journal.open(newer).close()
    raw = sqlite3.connect(newer)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(JournalError, match="upgrade"):
        Journal.open(newer)


def test_closed_journal_refuses_use(jpath: Path) -> None:
    """A closed journal raises JournalError; closing twice is fine."""
    j = Journal.open(jpath)
    j.close()
    j.close()
    with pytest.raises(JournalError, match="closed"):
        j.rows()


# -- adding rows -------------------------------------------------------------------------------


def test_add_rows_idempotent(journal: Journal) -> None:
    """Adding the same rows again adds nothing and leaves existing rows untouched."""
    _created(journal, "r1", "job-1")
    before = journal.rows()
    again = [("r1", "lipsync", REQ), ("r2", "translate", {"language": "ja,fr", "url": "u"})]
    assert journal.add_rows(again) == 0
    assert journal.rows() == before
    assert journal.add_rows([*again, ("r3", "lipsync", REQ)]) == 1
    assert [r.row_id for r in journal.rows()] == ["r1", "r2", "r3"]


def test_add_rows_conflict_names_row_and_writes_nothing(journal: Journal) -> None:
    """A known row id with another request is refused by name; the whole batch is rolled back."""
    changed = {**REQ, "audio_url": "https://x/other.mp3"}
    with pytest.raises(RowConflict, match=r"'r1'.*audio_url"):
        journal.add_rows([("r9", "lipsync", REQ), ("r1", "lipsync", changed)])
    with pytest.raises(RowConflict, match="family"):
        journal.add_rows([("r1", "talking_photo", REQ)])
    assert journal.row("r9") is None


@pytest.mark.parametrize(
    "request_body",
    [
        {"x-api-key": "sk-123"},
        {"Authorization": "Bearer abc123"},
        {"clientSecret": "s3cr3t"},
        {"token": "t0k3n"},
        {"options": {"access_token": "t0k3n"}},
        {"headers": [{"X_API_KEY": "sk-123"}]},
        {"note": "Bearer abc123"},
    ],
)
def test_credentials_refused(journal: Journal, request_body: dict[str, Any]) -> None:
    """A request holding a credential-like key or value is refused without echoing the value."""
    with pytest.raises(SecretInRequest) as info:
        journal.add_rows([("r9", "lipsync", request_body)])
    for secret in ("sk-123", "abc123", "s3cr3t", "t0k3n"):
        assert secret not in str(info.value)
    assert journal.row("r9") is None


def test_raw_create_answer_redacted(journal: Journal, jpath: Path) -> None:
    """Credential-like fields of a create answer are redacted before they are stored."""
    journal.begin_create("r1")
    raw = {"code": 1000, "data": {"_id": "job-1", "token": "leak-me"}, "auth": "Bearer leak-me"}
    journal.record_created("r1", ["job-1"], raw=raw)
    db = sqlite3.connect(jpath)
    stored = db.execute("SELECT create_response FROM rows WHERE row_id='r1'").fetchone()[0]
    db.close()
    assert "leak-me" not in stored
    assert "job-1" in stored


def test_non_json_request_refused(journal: Journal) -> None:
    """A request that is not JSON is refused with the row named."""
    with pytest.raises(ValueError, match="'r9'"):
        journal.add_rows([("r9", "lipsync", {"x": object()})])


# -- state machine -----------------------------------------------------------------------------


def test_single_job_lifecycle(jpath: Path) -> None:
    """A row goes PENDING -> CREATING -> CREATED -> ... -> DOWNLOADED, and every step is logged."""
    clock = FakeClock()
    with Journal.open(jpath, clock=clock) as j:
        j.add_rows([("r1", "lipsync", REQ)])
        assert j.begin_create("r1") == 1
        assert _state(j, "r1") is S.CREATING
        j.record_created("r1", ["job-1"])
        assert j.record_status("job-1", S.QUEUEING) is S.QUEUEING
        assert j.record_status("job-1", S.PROCESSING) is S.PROCESSING
        clock.t += 60
        assert j.record_status("job-1", S.COMPLETED, result_url="https://cdn/r.mp4") is S.COMPLETED
        row = j.row("r1")
        assert row is not None
        assert row.result_urls == ("https://cdn/r.mp4",)
        assert row.completed_at == clock.t
        assert j.record_download("job-1", "/out/r1.mp4", 10, SHA) is S.DOWNLOADED
        row = j.row("r1")
        assert row is not None
        assert [(f.job_id, f.path, f.size, f.sha256) for f in row.files] == [
            ("job-1", "/out/r1.mp4", 10, SHA)
        ]
        row_events = [e.state for e in j.events(row_id="r1") if e.job_id is None]
        assert row_events == [
            S.PENDING,
            S.CREATING,
            S.CREATED,
            S.QUEUEING,
            S.PROCESSING,
            S.COMPLETED,
            S.DOWNLOADED,
        ]


def test_multi_job_row_waits_for_every_job(journal: Journal) -> None:
    """A row with several jobs is COMPLETED/DOWNLOADED only once every job is."""
    _created(journal, "r2", "ja", "fr")
    journal.record_status("ja", S.COMPLETED, result_url="https://cdn/ja.mp4")
    assert _state(journal, "r2") is S.CREATED
    journal.record_status("fr", S.PROCESSING)
    assert _state(journal, "r2") is S.PROCESSING
    assert journal.record_status("fr", S.COMPLETED, result_url="https://cdn/fr.mp4") is S.COMPLETED
    assert journal.record_download("ja", "ja.mp4", 1, SHA) is S.COMPLETED
    assert journal.record_download("fr", "fr.mp4", 1, SHA) is S.DOWNLOADED


def test_failed_job_fails_row_once_siblings_finish(journal: Journal) -> None:
    """A failed job makes the row FAILED once no sibling is in flight; siblings still download."""
    _created(journal, "r2", "ja", "fr")
    journal.record_status("ja", S.FAILED, error="[1205] create video error")
    assert _state(journal, "r2") is S.CREATED  # fr still in flight: keep polling it
    journal.record_status("fr", S.COMPLETED, result_url="https://cdn/fr.mp4")
    row = journal.row("r2")
    assert row is not None
    assert row.state is S.FAILED
    assert row.error == "ja: [1205] create video error"
    plan = journal.to_resume()
    assert [(r.row_id, job.job_id) for r, job in plan.downloads] == [("r2", "fr")]


def test_stale_status_ignored(journal: Journal) -> None:
    """A status that would move a job backwards, or out of a terminal state, changes nothing."""
    _created(journal, "r1", "job-1")
    journal.record_status("job-1", S.PROCESSING)
    n_events = len(journal.events())
    assert journal.record_status("job-1", S.QUEUEING) is S.PROCESSING
    journal.record_status("job-1", S.COMPLETED, result_url="https://cdn/a.mp4")
    assert journal.record_status("job-1", S.FAILED, error="late") is S.COMPLETED
    assert journal.record_status("job-1", S.PROCESSING) is S.COMPLETED
    assert len(journal.events()) == n_events + 2  # the job's and the row's COMPLETED


def test_status_arguments_checked(journal: Journal) -> None:
    """COMPLETED needs a URL; only job statuses are accepted; unknown jobs are named."""
    _created(journal, "r1", "job-1")
    with pytest.raises(ValueError, match="result_url"):
        journal.record_status("job-1", S.COMPLETED)
    with pytest.raises(ValueError, match="not a job status"):
        journal.record_status("job-1", S.DOWNLOADED)
    with pytest.raises(UnknownRow, match="nope"):
        journal.record_status("nope", S.PROCESSING)
    with pytest.raises(StateError):
        journal.record_download("job-1", "x", 1, SHA)  # not completed yet
    journal.record_status("job-1", S.COMPLETED, result_url="u")
    with pytest.raises(ValueError, match="sha256"):
        journal.record_download("job-1", "x", 1, "not-a-sha")


def test_begin_create_only_once(journal: Journal) -> None:
    """begin_create applies to PENDING rows only, so a second runner cannot create a row twice."""
    journal.begin_create("r1")
    with pytest.raises(StateError, match="creating"):
        journal.begin_create("r1")
    with pytest.raises(UnknownRow):
        journal.begin_create("missing")


def test_begin_creates_is_one_commit_and_each_row_answers_alone(journal: Journal) -> None:
    """begin_creates records every PENDING row's intent in one commit; a row it cannot begin
    gets its own error and is left as it was, the others are begun."""
    journal.add_rows([("r3", "lipsync", REQ)])
    journal.begin_create("r2")
    before = journal.commits
    out = journal.begin_creates(["r1", "r2", "missing", "r3"])
    assert journal.commits == before + 1
    assert out[0] == 1 and out[3] == 1
    assert isinstance(out[1], StateError) and isinstance(out[2], UnknownRow)
    assert [_state(journal, r) for r in ("r1", "r2", "r3")] == [S.CREATING] * 3
    assert journal.row("r2").attempts == 1  # type: ignore[union-attr]


def test_grouped_calls_fail_alone_and_commit_together(journal: Journal) -> None:
    """In grouped(), a call that raises leaves nothing written (its savepoint is undone) and
    takes its exception's place; the other calls' writes are committed once, in order."""
    journal.begin_create("r1")

    def half_then_fail() -> None:
        journal.record_created("r1", ["job-1"])
        raise RuntimeError("after writing")

    before = journal.commits
    out = journal.grouped(
        [
            half_then_fail,
            lambda: journal.begin_create("r2"),
            lambda: journal.record_unknown("r2", "lost"),
            lambda: journal.record_created("r2", ["job-2"]),  # UNKNOWN accepts a late answer
            lambda: journal.record_status("job-1", S.QUEUEING),
        ]
    )
    assert journal.commits == before + 1
    assert isinstance(out[0], RuntimeError) and out[1:4] == [1, None, None]
    assert isinstance(out[4], UnknownRow)  # job-1 was never journaled: its write was undone
    assert _state(journal, "r1") is S.CREATING
    assert journal.row("r2").job_ids == ("job-2",)  # type: ignore[union-attr]


def test_grouped_writes_are_durable_for_another_connection(journal: Journal) -> None:
    """Once grouped() returns, another connection reads every write of the group."""
    journal.grouped([lambda: journal.begin_create("r1"), lambda: journal.begin_create("r2")])
    with Journal.open(journal.path) as other:
        assert [_state(other, r) for r in ("r1", "r2")] == [S.CREATING, S.CREATING]


def test_refused_goes_back_to_pending(journal: Journal) -> None:
    """A clear refusal returns the row to PENDING with its reason; a permanent one fails it."""
    journal.begin_create("r1")
    journal.record_refused("r1", "[1005] frequent operation")
    row = journal.row("r1")
    assert row is not None
    assert (row.state, row.error) == (S.PENDING, "[1005] frequent operation")
    assert journal.begin_create("r1") == 2
    journal.record_refused("r1", "[1003] parameter error", permanent=True)
    assert _state(journal, "r1") is S.FAILED


def test_unknown_then_retry(journal: Journal) -> None:
    """UNKNOWN and CREATING rows go back to PENDING only on request, all or none."""
    journal.begin_create("r1")
    journal.record_unknown("r1", "connection reset after sending")
    journal.begin_create("r2")
    with pytest.raises(StateError, match="'r1'"):
        journal.begin_create("r1")
    journal.add_rows([("r3", "lipsync", REQ)])
    with pytest.raises(StateError, match="'r3'"):
        journal.mark_unknown_for_retry(["r1", "r3"])
    assert _state(journal, "r1") is S.UNKNOWN
    assert journal.mark_unknown_for_retry(["r1", "r2"]) == 2
    assert (_state(journal, "r1"), _state(journal, "r2")) == (S.PENDING, S.PENDING)


def test_lost_answer_found_later(journal: Journal) -> None:
    """An UNKNOWN row accepts its job ids later; recording the same ids twice is a no-op."""
    journal.begin_create("r1")
    journal.record_unknown("r1", "timeout")
    journal.record_created("r1", ["job-1"])
    journal.record_created("r1", ["job-1"])
    assert _state(journal, "r1") is S.CREATED
    with pytest.raises(StateError):
        journal.record_created("r1", ["job-2"])


def test_job_id_belongs_to_one_row(journal: Journal) -> None:
    """The same job id cannot be recorded for two rows."""
    _created(journal, "r1", "job-1")
    journal.begin_create("r2")
    with pytest.raises(JournalError, match="'r1'"):
        journal.record_created("r2", ["job-1"])
    assert _state(journal, "r2") is S.CREATING


def test_invalid_rows(journal: Journal) -> None:
    """A PENDING row can be marked INVALID and lands in the plan's invalid bucket."""
    journal.record_invalid("r1", "audio_url: not a URL")
    assert [r.row_id for r in journal.to_resume().invalid] == ["r1"]


# -- resume ------------------------------------------------------------------------------------


def test_to_resume_classification(jpath: Path) -> None:
    """Every row lands in the bucket its state calls for; CREATING is never offered for create."""
    with Journal.open(jpath) as j:
        names = ["pend", "crea", "trk", "dl", "done", "fail", "unk", "inv"]
        j.add_rows((n, "lipsync", {"n": n}) for n in names)
        j.begin_create("crea")
        _created(j, "trk", "t1")
        _created(j, "dl", "d1")
        j.record_status("d1", S.COMPLETED, result_url="u")
        _created(j, "done", "o1")
        j.record_status("o1", S.COMPLETED, result_url="u")
        j.record_download("o1", "p", 1, SHA)
        _created(j, "fail", "f1")
        j.record_status("f1", S.FAILED)
        j.begin_create("unk")
        j.record_unknown("unk", "lost")
        j.record_invalid("inv", "bad")
    with Journal.open(jpath) as j:
        plan = j.to_resume()
        buckets = {
            name: [r.row_id for r in getattr(plan, name)]
            for name in (
                "pending",
                "creating",
                "tracked",
                "to_download",
                "done",
                "failed",
                "unknown",
                "invalid",
            )
        }
        assert buckets == {
            "pending": ["pend"],
            "creating": ["crea"],
            "tracked": ["trk"],
            "to_download": ["dl"],
            "done": ["done"],
            "failed": ["fail"],
            "unknown": ["unk"],
            "invalid": ["inv"],
        }
        assert [job.job_id for _, job in plan.downloads] == ["d1"]
        counts = j.counts()
        assert set(counts) == set(RowState)
        assert counts[S.CREATED] == 1
        assert counts[S.QUEUEING] == 0
        assert sum(counts.values()) == len(names)
        assert [r.row_id for r in j.rows({S.COMPLETED, S.DOWNLOADED})] == ["dl", "done"]
        assert j.rows([]) == []


# -- crash safety and concurrency --------------------------------------------------------------

_CRASH_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from akool_async._batch import Journal

    j = Journal.open(sys.argv[1])
    j.add_rows([("r1", "lipsync", {"video_url": "v", "audio_url": "a"})])
    j.begin_create("r1")
    if sys.argv[2] == "created":
        j.record_created("r1", ["job-1"])
    print("ready", flush=True)
    time.sleep(60)
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize(("stage", "state"), [("intent", S.CREATING), ("created", S.CREATED)])
def test_sigkill_loses_nothing(jpath: Path, stage: str, state: RowState) -> None:
    """A runner killed with SIGKILL after a write leaves that write in the reopened journal."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _CRASH_SCRIPT, str(jpath), stage], stdout=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    with Journal.open(jpath) as j:
        plan = j.to_resume()
        row = j.row("r1")
        assert row is not None
        assert (row.state, row.attempts) == (state, 1)
        if state is S.CREATING:
            assert [r.row_id for r in plan.creating] == ["r1"]
            assert plan.pending == ()
        else:
            assert [r.row_id for r in plan.tracked] == ["r1"]
            assert row.job_ids == ("job-1",)


def test_reader_not_blocked_by_open_write(jpath: Path) -> None:
    """In WAL mode a reader sees the last commit while a writer holds an open transaction."""
    with Journal.open(jpath) as j:
        j.add_rows([("r1", "lipsync", REQ)])
    writer = sqlite3.connect(jpath, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE rows SET state='creating'")
        with Journal.open(jpath, busy_timeout=0.1) as reader:
            assert _state(reader, "r1") is S.PENDING
            writer.execute("COMMIT")
            assert _state(reader, "r1") is S.CREATING
    finally:
        writer.close()


def test_concurrent_reader_while_writer_writes(jpath: Path) -> None:
    """A reader polling counts while another connection writes always sees whole transactions."""
    n = 60
    with Journal.open(jpath) as j:
        j.add_rows((f"r{i}", "lipsync", {"i": i}) for i in range(n))
    errors: list[BaseException] = []
    reading, stop = threading.Event(), threading.Event()
    seen: list[int] = []

    def read() -> None:
        try:
            with Journal.open(jpath) as reader:
                while True:
                    last = stop.is_set()
                    counts = reader.counts()
                    assert sum(counts.values()) == n
                    assert counts[S.CREATING] <= 1  # a begin_create and its answer never interleave
                    seen.append(counts[S.CREATED])
                    reading.set()
                    if last:
                        return
        except BaseException as exc:
            errors.append(exc)
            reading.set()

    thread = threading.Thread(target=read)
    thread.start()
    reading.wait()
    try:
        with Journal.open(jpath) as writer:
            for i in range(n):
                writer.begin_create(f"r{i}")
                writer.record_created(f"r{i}", [f"job-{i}"])
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert seen == sorted(seen)  # commits appear in order, never rolled back
    assert seen[0] == 0
    assert seen[-1] == n


@pytest.mark.anyio
async def test_usable_from_worker_threads(journal: Journal) -> None:
    """Calls may come from anyio worker threads (the connection is not tied to one thread)."""
    attempt = await anyio.to_thread.run_sync(journal.begin_create, "r1")
    await anyio.to_thread.run_sync(journal.record_created, "r1", ["job-1"])
    assert attempt == 1
    assert _state(journal, "r1") is S.CREATED


# -- property ----------------------------------------------------------------------------------

_JOB_STATUSES = [S.CREATED, S.QUEUEING, S.PROCESSING, S.COMPLETED, S.FAILED]
_ops = st.lists(
    st.one_of(
        st.tuples(st.just("begin"), st.integers(0, 2)),
        st.tuples(st.just("created"), st.integers(0, 2), st.integers(1, 3)),
        st.tuples(st.just("unknown"), st.integers(0, 2)),
        st.tuples(st.just("refused"), st.integers(0, 2), st.booleans()),
        st.tuples(st.just("invalid"), st.integers(0, 2)),
        st.tuples(st.just("retry"), st.integers(0, 2)),
        st.tuples(st.just("status"), st.integers(0, 8), st.sampled_from(_JOB_STATUSES)),
        st.tuples(st.just("download"), st.integers(0, 8)),
    ),
    max_size=40,
)


def _check_invariants(rows: list[JournalRow], attempts: dict[str, int]) -> None:
    for row in rows:
        assert row.attempts == attempts[row.row_id]
        if row.jobs:
            assert row.state is derive_row_state([j.state for j in row.jobs])
            assert row.attempts >= 1
        else:
            assert row.state in {S.PENDING, S.CREATING, S.UNKNOWN, S.INVALID, S.FAILED}
        for job in row.jobs:
            assert (job.file is not None) == (job.state is S.DOWNLOADED)
            done = job.state in (S.COMPLETED, S.DOWNLOADED)
            assert (job.result_url is not None) == done
            assert (job.completed_at is not None) == done
        if row.state is S.DOWNLOADED:
            assert len(row.files) == len(row.job_ids) > 0
        if row.state is S.COMPLETED:
            assert len(row.result_urls) == len(row.job_ids) > 0
            assert row.completed_at is not None
        if row.state in (S.CREATING, S.UNKNOWN):
            assert row.attempts >= 1


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=_ops)
def test_any_operation_sequence_keeps_rows_consistent(ops: list[tuple[Any, ...]]) -> None:
    """Whatever operations are recorded, derived row states agree with their jobs and files."""
    row_ids = ["a", "b", "c"]
    attempts = dict.fromkeys(row_ids, 0)
    jobs: list[str] = []
    with Journal.open(":memory:") as j:
        j.add_rows((r, "translate", {"r": r}) for r in row_ids)
        for op, *args in ops:
            with contextlib.suppress(StateError):
                if op == "begin":
                    j.begin_create(row_ids[args[0]])
                    attempts[row_ids[args[0]]] += 1
                elif op == "created":
                    row_id = row_ids[args[0]]
                    new = [f"{row_id}-{k}" for k in range(args[1])]
                    j.record_created(row_id, new)
                    jobs.extend(x for x in new if x not in jobs)
                elif op == "unknown":
                    j.record_unknown(row_ids[args[0]], "lost")
                elif op == "refused":
                    j.record_refused(row_ids[args[0]], "no", permanent=args[1])
                elif op == "invalid":
                    j.record_invalid(row_ids[args[0]], "bad")
                elif op == "retry":
                    j.mark_unknown_for_retry([row_ids[args[0]]])
                elif op == "status" and jobs:
                    state = args[1]
                    url = "https://cdn/x.mp4" if state is S.COMPLETED else None
                    j.record_status(jobs[args[0] % len(jobs)], state, result_url=url)
                elif op == "download" and jobs:
                    j.record_download(jobs[args[0] % len(jobs)], "f", 1, SHA)
            rows = j.rows()
            _check_invariants(rows, attempts)
            plan = j.to_resume()
            bucketed = [
                *plan.pending,
                *plan.creating,
                *plan.tracked,
                *plan.to_download,
                *plan.done,
                *plan.failed,
                *plan.unknown,
                *plan.invalid,
            ]
            assert sorted(r.row_id for r in bucketed) == row_ids
            assert sum(j.counts().values()) == len(row_ids)
