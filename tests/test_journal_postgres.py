"""The PostgreSQL journal: the SQLite journal's contract, many connections, claims and leases."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

from akool_async._batch import (
    Journal,
    JournalError,
    ManifestMismatch,
    ResumePlan,
    RowState,
    StateError,
    UnknownRow,
)
from akool_async._batch.journal.opening import open_journal
from akool_async._batch.journal.postgres import PostgresJournal

# The contract tests of the SQLite journal that take the `journal` fixture run here again, on
# PostgreSQL, through the `journal` fixture below.
from .test_journal import (  # noqa: F401
    REQ,
    SHA,
    FakeClock,
    _created,
    _ops,
    _state,
    test_add_rows_conflict_names_row_and_writes_nothing,
    test_add_rows_idempotent,
    test_begin_create_only_once,
    test_begin_creates_is_one_commit_and_each_row_answers_alone,
    test_credentials_refused,
    test_failed_job_fails_row_once_siblings_finish,
    test_grouped_calls_fail_alone_and_commit_together,
    test_invalid_rows,
    test_job_id_belongs_to_one_row,
    test_lost_answer_found_later,
    test_multi_job_row_waits_for_every_job,
    test_non_json_request_refused,
    test_refused_goes_back_to_pending,
    test_stale_status_ignored,
    test_status_arguments_checked,
    test_unknown_then_retry,
    test_usable_from_worker_threads,
)

S = RowState


@pytest.fixture
def pg(postgres_url: str, pg_schema: str) -> Callable[..., PostgresJournal]:
    """Opens PostgreSQL journals in this test's own schema."""

    def open_(**kwargs: Any) -> PostgresJournal:
        return PostgresJournal.open(postgres_url, schema=pg_schema, **kwargs)

    return open_


@pytest.fixture
def journal(pg: Callable[..., PostgresJournal]) -> Iterator[PostgresJournal]:
    """An open PostgreSQL journal with two pending rows, r1 and r2."""
    with pg(manifest_digest="d1") as j:
        j.add_rows([("r1", "lipsync", REQ), ("r2", "translate", {"url": "u", "language": "ja,fr"})])
        yield j


def _sql(url: str, schema: str, query: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"SET search_path TO {schema}")
        cur = conn.execute(query)
        return cur.fetchall() if cur.description else []


# -- opening -----------------------------------------------------------------------------------


def test_reopen_keeps_everything_and_checks_manifest(pg: Callable[..., PostgresJournal]) -> None:
    """A reopened journal has every row; another manifest is refused unless allowed."""
    with pg(manifest_digest="aaa") as j:
        j.add_rows([("r1", "lipsync", REQ)])
        _created(j, "r1", "job-1")
    with pytest.raises(ManifestMismatch):
        pg(manifest_digest="bbb")
    with pg() as j:  # no digest: no check
        row = j.row("r1")
        assert row is not None
        assert (row.state, row.job_ids) == (S.CREATED, ("job-1",))
    with pg(manifest_digest="bbb", allow_manifest_change=True) as j:
        assert j.manifest_digest() == "bbb"


def test_foreign_or_newer_schema_refused(postgres_url: str, pg_schema: str) -> None:
    """A schema holding other tables, or a newer journal schema, is refused with JournalError."""
    _sql(postgres_url, "public", f"CREATE SCHEMA {pg_schema}; CREATE TABLE {pg_schema}.x (a int)")
    with pytest.raises(JournalError, match="not an akool_async journal"):
        PostgresJournal.open(postgres_url, schema=pg_schema)
    _sql(postgres_url, "public", f"DROP TABLE {pg_schema}.x")
    PostgresJournal.open(postgres_url, schema=pg_schema).close()
    _sql(postgres_url, pg_schema, "UPDATE meta SET value='99' WHERE key='schema_version'")
    with pytest.raises(JournalError, match="upgrade akool_async"):
        PostgresJournal.open(postgres_url, schema=pg_schema)


def test_bad_schema_name_refused(postgres_url: str) -> None:
    """A schema name that is not a plain identifier fails before any connection, named."""
    with pytest.raises(ValueError, match="schema"):
        PostgresJournal.open("postgresql://nowhere.invalid/db", schema="a; DROP TABLE x")


def test_closed_journal_refuses_use(pg: Callable[..., PostgresJournal]) -> None:
    """Every call on a closed journal raises JournalError; closing twice is fine."""
    j = pg()
    j.close()
    j.close()
    with pytest.raises(JournalError, match="closed"):
        j.counts()
    with pytest.raises(JournalError, match="closed"):
        j.register_worker()


def test_open_journal_picks_the_backend(postgres_url: str, pg_schema: str, tmp_path: Path) -> None:
    """A path opens SQLite, a postgresql:// URL PostgreSQL, its #fragment naming the schema."""
    with open_journal(tmp_path / "j.sqlite") as j:
        assert type(j) is Journal
    with open_journal(f"{postgres_url}#{pg_schema}", manifest_digest="d") as j:
        assert isinstance(j, PostgresJournal)
        assert j.path.endswith(f"#{pg_schema}")
        with open_journal(j.path) as again:  # the name it shows opens it again
            assert again.manifest_digest() == "d"


def test_password_never_shown(postgres_url: str, pg_schema: str) -> None:
    """A URL's password is in no repr, path, error message or akool_async traceback local."""
    user, rest = postgres_url.split("://", 1)[1].split("@", 1)
    with_password = f"postgresql://{user}:hunter2secret@{rest}#{pg_schema}"
    with open_journal(with_password) as j:  # trust auth: the password is not checked
        assert "hunter2secret" not in repr(j) + j.path
    bad = f"postgresql://{user}:hunter2secret@127.0.0.1:1/db#{pg_schema}"
    with pytest.raises(JournalError) as info:
        open_journal(bad)
    assert "hunter2secret" not in str(info.value)
    seen = [info.value, info.value.__cause__, info.value.__context__]
    frames = [f for e in seen if e is not None for f, _ in traceback.walk_tb(e.__traceback__)]
    ours = [f for f in frames if "akool_async" in f.f_code.co_filename]
    assert ours  # the frames of open_journal and PostgresJournal.open
    for frame in ours:
        for value in frame.f_locals.values():
            assert "hunter2secret" not in repr(value)


def test_raw_create_answer_redacted(journal: PostgresJournal, postgres_url: str) -> None:
    """Credential-like fields of a create answer are redacted before they are stored."""
    journal.begin_create("r1")
    raw = {"code": 1000, "data": {"_id": "job-1", "token": "leak-me"}, "auth": "Bearer leak-me"}
    journal.record_created("r1", ["job-1"], raw=raw)
    schema = journal.path.rsplit("#", 1)[1]
    [(stored,)] = _sql(postgres_url, schema, "SELECT create_response FROM rows WHERE row_id='r1'")
    assert "leak-me" not in stored
    assert "job-1" in stored


def test_reconnects_after_losing_its_connection(
    journal: PostgresJournal, postgres_url: str
) -> None:
    """A journal whose server connection was killed reports that call and works on the next."""
    _sql(
        postgres_url,
        "public",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE application_name = 'akool_async' AND pid <> pg_backend_pid()",
    )
    with pytest.raises(JournalError):
        journal.counts()
    assert journal.begin_create("r1") == 1
    assert _state(journal, "r1") is S.CREATING


def test_commits_are_durable_even_if_the_server_says_otherwise(
    postgres_url: str, pg_schema: str
) -> None:
    """A session told synchronous_commit=off is set back to on: a commit is on disk at return."""
    url = f"{postgres_url}?options=-csynchronous_commit%3Doff#{pg_schema}"
    with open_journal(url) as j:
        assert isinstance(j, PostgresJournal)
        assert j._conn.execute("SHOW synchronous_commit").fetchone() == ("on",)


def test_readers_never_wait_and_writers_wait_at_most_busy_timeout(
    journal: PostgresJournal, postgres_url: str
) -> None:
    """While another worker holds the write lock, reads (and re-adding known rows) go on."""
    import psycopg

    schema = journal.path.rsplit("#", 1)[1]
    with psycopg.connect(postgres_url) as other:  # one open transaction
        other.execute(f"SET search_path TO {schema}")
        key = f"akool_async journal {schema}"
        other.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))
        other.execute("UPDATE rows SET state='creating' WHERE row_id='r1'")
        with PostgresJournal.open(postgres_url, schema=schema, busy_timeout=0.05) as waiting:
            assert _state(waiting, "r1") is S.PENDING
            with pytest.raises(JournalError, match="lock"):
                waiting.begin_create("r2")
            again = [("r1", "lipsync", REQ), ("r2", "translate", {"url": "u", "language": "ja,fr"})]
            assert waiting.add_rows(again) == 0  # all journaled already: checked without the lock
            with pytest.raises(JournalError, match="lock"):
                waiting.add_rows([*again, ("r3", "lipsync", REQ)])
            other.commit()
            assert _state(waiting, "r1") is S.CREATING
            assert waiting.begin_create("r2") == 1


# -- crash safety and many connections ---------------------------------------------------------

_CRASH_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from akool_async._batch.journal.opening import open_journal

    j = open_journal(sys.argv[1])
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
def test_sigkill_loses_nothing(
    postgres_url: str, pg_schema: str, stage: str, state: RowState
) -> None:
    """A runner killed with SIGKILL after a write leaves that write in the journal."""
    url = f"{postgres_url}#{pg_schema}"
    proc = subprocess.Popen(
        [sys.executable, "-c", _CRASH_SCRIPT, url, stage], stdout=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    with open_journal(url) as j:
        row = j.row("r1")
        assert row is not None
        assert (row.state, row.attempts) == (state, 1)
        assert [r.row_id for r in j.to_resume().creating] == (["r1"] if stage == "intent" else [])


def _race(workers: int, work: Callable[[int], None]) -> None:
    """Run work(i) in ``workers`` threads started together; re-raise the first failure."""
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            work(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def test_two_connections_never_begin_the_same_row(pg: Callable[..., PostgresJournal]) -> None:
    """Workers racing to begin every row: each row is begun exactly once, the loser told why."""
    n = 40
    with pg() as j:
        j.add_rows((f"r{i}", "lipsync", {"i": i}) for i in range(n))
    begun: list[list[str]] = [[], []]
    journals = [pg(), pg()]
    try:

        def work(w: int) -> None:
            for i in range(n):
                try:
                    journals[w].begin_create(f"r{i}")
                    begun[w].append(f"r{i}")
                except StateError as exc:
                    assert exc.state is S.CREATING

        _race(2, work)
    finally:
        for j in journals:
            j.close()
    assert sorted(begun[0] + begun[1]) == sorted(f"r{i}" for i in range(n))
    with pg() as j:
        assert {r.attempts for r in j.rows()} == {1}


# -- claims and leases -------------------------------------------------------------------------


def test_claims_never_overlap(pg: Callable[..., PostgresJournal]) -> None:
    """Three connections claiming in small batches: every row claimed once, none twice."""
    n = 90
    with pg() as j:
        j.add_rows((f"r{i}", "lipsync", {"i": i}) for i in range(n))
    journals = [pg() for _ in range(3)]
    got: list[list[str]] = [[], [], []]
    try:
        ids = [j.register_worker(host=f"h{k}", pid=k + 1) for k, j in enumerate(journals)]

        def work(w: int) -> None:
            while rows := journals[w].claim(ids[w], 4, lease=60):
                got[w].extend(r.row_id for r in rows)

        _race(3, work)
        held = [journals[w].heartbeat(ids[w], lease=60) for w in range(3)]
    finally:
        for j in journals:
            j.close()
    every = got[0] + got[1] + got[2]
    assert sorted(every) == sorted(f"r{i}" for i in range(n))
    assert [set(g) for g in got] == held


def test_expired_lease_is_taken_over(journal: PostgresJournal) -> None:
    """A live lease keeps a row from other workers; once it runs out another worker gets it."""
    dead, alive = journal.register_worker(), journal.register_worker()
    assert [r.row_id for r in journal.claim(dead, 1, lease=60)] == ["r1"]
    assert [r.row_id for r in journal.claim(alive, 5, lease=60)] == ["r2"]
    assert journal.holder("r1") == dead
    journal.release(alive)
    assert journal.claim(dead, 5, lease=0) != []  # r2, held for no time at all
    journal.heartbeat(dead, lease=0)  # r1's lease runs out too
    taken = journal.claim(alive, 5, lease=60)
    assert [r.row_id for r in taken] == ["r1", "r2"]
    assert journal.heartbeat(dead, lease=60) == frozenset()
    assert journal.holder("r1") == alive


def test_claim_offers_only_rows_with_work_left(journal: PostgresJournal) -> None:
    """Done, failed, unknown and invalid rows are never claimed; asking for them is refused."""
    journal.add_rows([("r3", "lipsync", {"n": 3}), ("r4", "lipsync", {"n": 4})])
    _created(journal, "r1", "j1")
    journal.record_status("j1", S.COMPLETED, result_url="u")
    journal.record_download("j1", "p", 1, SHA)
    journal.begin_create("r2")
    journal.record_unknown("r2", "lost")
    journal.record_invalid("r3", "bad")
    worker = journal.register_worker()
    claimed = journal.claim(worker, 10, lease=60)
    assert [(r.row_id, r.state) for r in claimed] == [("r4", S.PENDING)]
    with pytest.raises(ValueError, match="claimed"):
        journal.claim(worker, 1, lease=60, states=[S.DOWNLOADED])


def test_retired_worker_releases_and_cannot_claim(journal: PostgresJournal) -> None:
    """A retired worker's rows are free at once, it can claim nothing more, and shows stopped."""
    first, second = journal.register_worker(), journal.register_worker()
    journal.claim(first, 2, lease=60)
    assert journal.claim(second, 2, lease=60) == []
    journal.retire_worker(first)
    assert len(journal.claim(second, 2, lease=60)) == 2
    with pytest.raises(UnknownRow, match="worker"):
        journal.claim(first, 1, lease=60)
    shown = [(w.id, w.pid, w.stopped is not None, w.holding) for w in journal.workers()]
    assert shown == [(first, os.getpid(), True, 0), (second, os.getpid(), False, 2)]
    assert journal.release(second, ["r1"]) == 1
    assert journal.holder("r1") is None


# -- differential: PostgreSQL and SQLite agree -------------------------------------------------

_ROWS = ["a", "b", "c"]


def _apply(j: Journal, op: str, args: list[Any]) -> Any:
    """One of test_journal's operations; returns its result or the type and message it raised."""
    row_id, job_id = _ROWS[args[0] % 3], f"{_ROWS[args[0] % 3]}-{args[0] % 2}"
    calls: dict[str, Callable[[], Any]] = {
        "begin": lambda: j.begin_create(row_id),
        "created": lambda: j.record_created(row_id, [f"{row_id}-{k}" for k in range(args[-1])]),
        "unknown": lambda: j.record_unknown(row_id, "lost"),
        "refused": lambda: j.record_refused(row_id, "no", permanent=args[-1]),
        "invalid": lambda: j.record_invalid(row_id, "bad"),
        "retry": lambda: j.mark_unknown_for_retry([row_id]),
        "status": lambda: j.record_status(
            job_id, args[1], result_url="u" if args[1] is S.COMPLETED else None
        ),
        "download": lambda: j.record_download(job_id, "f", 1, SHA),
    }
    try:
        return calls[op]()
    except (JournalError, ValueError) as exc:
        return (type(exc), str(exc).replace(j.path, "<journal>"))


def _view(j: Journal) -> Any:
    """Everything a journal shows, events without their sequence numbers."""
    plan = j.to_resume()
    return (
        j.rows(),
        j.counts(),
        [(e.at, e.row_id, e.job_id, e.state, e.detail) for e in j.events()],
        {name: [r.row_id for r in getattr(plan, name)] for name in attrs.fields_dict(ResumePlan)},
        j.rows({S.COMPLETED, S.FAILED}),
    )


_examples = iter(range(1_000_000))


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=_ops)
def test_postgres_and_sqlite_agree_on_any_operation_sequence(
    postgres_url: str, pg_schema: str, ops: list[tuple[Any, ...]]
) -> None:
    """The same calls on both backends give the same results, errors and journal contents."""
    schema = f"{pg_schema}_{next(_examples)}"
    clock = FakeClock()
    lite = Journal.open(":memory:", clock=clock)
    post = PostgresJournal.open(postgres_url, schema=schema, clock=clock)
    try:
        for j in (lite, post):
            j.add_rows((r, "translate", {"r": r}) for r in _ROWS)
        for op, *args in ops:
            clock.t += 1
            assert _apply(post, op, args) == _apply(lite, op, args)
        assert _view(post) == _view(lite)
    finally:
        lite.close()
        post.close()
        _sql(postgres_url, "public", f"DROP SCHEMA {schema} CASCADE")


def test_begin_creates_counts_the_fleets_slots_row_by_row(journal: PostgresJournal) -> None:
    """A bound worker's grouped intents count the fleet's jobs row by row: with max_running 2,
    two of three rows are begun in the group and the third gets NoFreeSlot, left PENDING."""
    from akool_async._batch.journal.postgres import NoFreeSlot

    journal.add_rows([("r3", "lipsync", REQ)])
    journal.bind_worker(journal.register_worker(), max_running=2)
    out = journal.begin_creates(["r1", "r2", "r3"])
    assert out[:2] == [1, 1]
    assert isinstance(out[2], NoFreeSlot)
    assert [_state(journal, r) for r in ("r1", "r2", "r3")] == [S.CREATING, S.CREATING, S.PENDING]
