"""Batches mixing Akool and TopView rows: routing, one journal, resume, manifests and the CLI."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest

from akool_async import RetryPolicy, ScaledClock, Session, ValidationError
from akool_async._base import BaseSession
from akool_async._batch import (
    DEFAULT_JOURNAL_NAME,
    BatchOutcome,
    Journal,
    ManifestError,
    OutcomeState,
    RowState,
    parse_manifest,
    run_batch,
    validate_rows,
)
from akool_async.cli import EXIT_BAD_INPUT, EXIT_OK, main
from akool_async.testing import FakeAkool, FakeConfig
from akool_async.testing._jobs import result_bytes
from akool_async.testing._topview import FakeTopView
from akool_async.topview import TopViewSession
from akool_async.topview._common_tasks import TextToVideoRequest
from akool_async.topview._models import build_request

from .helpers import API_KEY, IMG, MP3, SPEED, fast_config

UID = "test-uid"
FAST_RETRY = RetryPolicy(base=0.001, cap=0.01)


def mixed_rows() -> list[dict[str, Any]]:
    """Two Akool rows and three TopView rows (one in TopView's camelCase), interleaved."""
    return [
        {"id": "tp0", "family": "talking_photo", "photo": IMG, "audio": MP3},
        {"id": "img0", "family": "topview_text2image", "prompt": "a red fox",
         "model": "Nano Banana 2", "aspect_ratio": "1:1"},
        {"id": "tp1", "family": "talking_photo", "photo": "https://cdn.example.com/b.jpg",
         "audio": MP3},
        {"id": "vid0", "family": "topview_text2video", "prompt": "a fox runs", "model": "Standard",
         "aspectRatio": "16:9", "duration": 10},
        {"id": "img1", "family": "topview_text2image", "prompt": "an owl", "model": "Seedream 4.0",
         "aspect_ratio": "3:4", "resolution": "2K"},
    ]  # fmt: skip


@asynccontextmanager
async def fakes(
    akool_config: FakeConfig | None = None, topview_config: FakeConfig | None = None
) -> AsyncIterator[tuple[FakeAkool, FakeTopView]]:
    """A fake Akool and a fake TopView on 127.0.0.1, sharing one fast clock."""
    clock = ScaledClock(SPEED)
    async with (
        FakeAkool(akool_config or fast_config(), clock=clock) as akool,
        FakeTopView(topview_config or fast_config(), clock=clock, uid=UID) as topview,
    ):
        yield akool, topview


def akool_session(fake: FakeAkool, **kwargs: Any) -> Session:
    """A (not yet entered) Akool session on ``fake``'s clock."""
    kwargs.setdefault("api_key", API_KEY)
    return Session(base_url=fake.base_url, clock=fake.clock, retry=FAST_RETRY, **kwargs)


def topview_session(fake: FakeTopView, key: str = API_KEY) -> TopViewSession:
    """A (not yet entered) TopView session on ``fake``'s clock."""
    return TopViewSession(key, UID, base_url=fake.base_url, clock=fake.clock, retry=FAST_RETRY)


async def collect(sessions: Sequence[BaseSession], rows: Any, out: Path) -> dict[str, BatchOutcome]:
    """Run a batch to its end; outcomes by row id (one per row)."""
    async with run_batch(sessions, rows, out_dir=out, concurrency=4) as batch:
        outcomes = [o async for o in batch]
    result = {o.row_id: o for o in outcomes}
    assert len(result) == len(outcomes)
    return result


def journal_rows(out: Path) -> dict[str, tuple[str, RowState]]:
    """Family and state of every row in the default journal of ``out``."""
    with Journal.open(out / DEFAULT_JOURNAL_NAME) as journal:
        return {r.row_id: (r.family, r.state) for r in journal.rows()}


def read(path: str) -> bytes:
    """A file's bytes (a sync helper: async tests must not block on files)."""
    return Path(path).read_bytes()


def expected(akool: FakeAkool, topview: FakeTopView, outcome: BatchOutcome) -> bytes:
    """What the row's (single) result file must hold, from whichever fake made it."""
    (job_id,) = outcome.job_ids
    if outcome.family.startswith("topview_"):
        (file,) = outcome.files
        return result_bytes(f"{job_id}-0", topview.config.result_size, Path(file.path).suffix)
    return akool.expected_bytes(job_id)


# -- the Python API --------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_mixed_batch_end_to_end(tmp_path: Path) -> None:
    """Each row goes to its provider's session; every row is done with its verified file."""
    async with (
        fakes() as (akool_fake, tv_fake),
        akool_session(akool_fake) as akool,
        topview_session(tv_fake) as tv,
    ):
        outcomes = await collect([akool, tv], mixed_rows(), tmp_path)
        assert akool_fake.stats.creates == 2 and akool_fake.stats.duplicate_creates() == 0
        assert tv_fake.stats.creates == 3
        assert dict(tv_fake.stats.creates_by_family) == {
            "topview_text2image": 2,
            "topview_text2video": 1,
        }
        # The camelCase field reached TopView as TopView spells it.
        (vid_job,) = outcomes["vid0"].job_ids
        assert tv_fake.jobs[vid_job].params["aspectRatio"] == "16:9"
        for row_id, outcome in outcomes.items():
            assert outcome.state is OutcomeState.DONE, (row_id, outcome.error)
            (file,) = outcome.files
            assert read(file.path) == expected(akool_fake, tv_fake, outcome)
    names = {o.row_id: Path(o.files[0].path).name for o in outcomes.values()}
    assert names == {
        "tp0": "tp0.mp4", "tp1": "tp1.mp4", "img0": "img0.png", "img1": "img1.png",
        "vid0": "vid0.mp4",
    }  # fmt: skip
    journaled = journal_rows(tmp_path)
    assert journaled["img0"] == ("topview_text2image", RowState.DOWNLOADED)
    assert {state for _, state in journaled.values()} == {RowState.DOWNLOADED}


@pytest.mark.anyio
async def test_resume_tracks_each_job_at_its_own_provider(tmp_path: Path) -> None:
    """Stopped with jobs in flight, a new run (new sessions, other order) tracks each job at
    the provider that created it, creates nothing, and finishes every row."""
    # Queued for 1-1.5 real seconds: still in flight when stop() lands, even on a busy machine.
    slow = fast_config(queue_time=(1000.0, 1500.0))
    rows = mixed_rows()
    async with fakes(slow, slow) as (akool_fake, tv_fake):
        created = anyio.Event()
        async with (
            akool_session(akool_fake) as akool,
            topview_session(tv_fake) as tv,
            run_batch(
                [akool, tv],
                rows,
                out_dir=tmp_path,
                concurrency=len(rows),
                on_progress=lambda p: created.set() if p.created == len(rows) else None,
            ) as batch,
        ):
            with anyio.fail_after(10):
                await created.wait()
            batch.stop()
            first = {o.row_id: o async for o in batch}
        assert {o.state for o in first.values()} == {OutcomeState.INCOMPLETE}
        assert {s for _, s in journal_rows(tmp_path).values()} <= {
            RowState.CREATED,
            RowState.QUEUEING,
        }
        polls_before = dict(tv_fake.stats.polls)

        # A new process: fresh sessions, TopView's first this time.
        async with topview_session(tv_fake) as tv, akool_session(akool_fake) as akool:
            second = await collect([tv, akool], rows, tmp_path)
        assert {o.state for o in second.values()} == {OutcomeState.DONE}
        assert all(second[k].job_ids == first[k].job_ids for k in first)
        assert akool_fake.stats.creates == 2 and tv_fake.stats.creates == 3
        tv_jobs = {j for k in ("img0", "img1", "vid0") for j in second[k].job_ids}
        for job_id in tv_jobs:
            assert tv_fake.stats.polls[job_id] > polls_before.get(job_id, 0)
            assert job_id not in akool_fake.stats.polls
        akool_jobs = {j for k in ("tp0", "tp1") for j in second[k].job_ids}
        assert not akool_jobs & set(tv_fake.stats.polls)
        for outcome in second.values():
            assert read(outcome.files[0].path) == expected(akool_fake, tv_fake, outcome)


@pytest.mark.anyio
async def test_refusal_at_one_provider_halts_only_its_rows(tmp_path: Path) -> None:
    """A TopView key refused: TopView rows are not started, the Akool rows still finish."""
    async with (
        fakes() as (akool_fake, tv_fake),
        akool_session(akool_fake) as akool,
        topview_session(tv_fake, key="wrong-key") as tv,
    ):
        async with run_batch([akool, tv], mixed_rows(), out_dir=tmp_path, concurrency=1) as batch:
            outcomes = {o.row_id: o async for o in batch}
        assert batch.halted is not None and batch.halted.startswith("topview: create refused")
        assert tv_fake.stats.creates == 0 and akool_fake.stats.creates == 2
    assert outcomes["tp0"].ok and outcomes["tp1"].ok
    for row_id in ("img0", "img1", "vid0"):
        assert outcomes[row_id].state is OutcomeState.INCOMPLETE
    journaled = journal_rows(tmp_path)
    assert all(journaled[k][1] is RowState.PENDING for k in ("img0", "img1", "vid0"))


def test_rows_without_their_session_refused_before_sending(tmp_path: Path) -> None:
    """A row whose provider has no session, or a family two sessions serve, is refused at once."""
    akool = Session(api_key=API_KEY, base_url="http://127.0.0.1:9")
    tv = TopViewSession(API_KEY, UID, base_url="http://127.0.0.1:9")
    with pytest.raises(ManifestError) as exc:
        run_batch(akool, mixed_rows(), out_dir=tmp_path)
    assert [str(p) for p in exc.value.problems] == [
        f"rows:{line}: family: no topview session was given for {family!r} (sessions: akool)"
        for line, family in ((2, "topview_text2image"), (4, "topview_text2video"),
                             (5, "topview_text2image"))
    ]  # fmt: skip
    with pytest.raises(
        ManifestError, match="rows:1: family: no akool session was given for 'talking_photo'"
    ):
        run_batch([tv], mixed_rows(), out_dir=tmp_path)
    other = Session(api_key=API_KEY, base_url="http://127.0.0.1:9")
    with pytest.raises(ValidationError, match="2 sessions serve family 'talking_photo'"):
        run_batch([akool, tv, other], mixed_rows(), out_dir=tmp_path)
    with pytest.raises(ValidationError, match="at least one session"):
        run_batch([], mixed_rows(), out_dir=tmp_path)
    # TopView-only rows need only a TopView session (and it offers ``batch`` itself).
    runner = tv.batch([r for r in mixed_rows() if r["family"].startswith("topview_")], out_dir=".")
    assert runner.sessions == (tv,)
    assert not os.listdir(tmp_path)


# -- manifests -----------------------------------------------------------------------------------


def test_manifest_mixes_providers_with_canonical_fields() -> None:
    """A manifest may mix Akool and TopView rows; TopView's camelCase becomes snake_case."""
    text = "\n".join(
        json.dumps(r)
        for r in [
            {"id": "a", "family": "talking_photo", "photo": IMG, "audio": MP3},
            {"id": "b", "family": "topview_text2image", "prompt": "fox", "model": "m",
             "aspectRatio": "1:1", "generatingCount": 2, "noticeUrl": "https://hooks.example.com/tv"},
            {"id": "c", "family": "TopView-Text2Video", "prompt": "fox", "model": "m",
             "board-id": "x"},
        ]
    )  # fmt: skip
    manifest = parse_manifest(text, source="m.jsonl")
    assert manifest.providers == {"akool", "topview"}
    assert [(r.family, r.provider) for r in manifest.rows] == [
        ("talking_photo", "akool"),
        ("topview_text2image", "topview"),
        ("topview_text2video", "topview"),
    ]
    assert manifest.rows[1].fields == {
        "prompt": "fox",
        "model": "m",
        "aspect_ratio": "1:1",
        "generating_count": 2,
        "webhook_url": "https://hooks.example.com/tv",
    }
    assert manifest.rows[2].fields == {"prompt": "fox", "model": "m", "board_id": "x"}


def test_topview_csv_cells_are_typed() -> None:
    """CSV cells of TopView rows are converted to the types TopView's request classes take."""
    text = (
        "id,family,prompt,model,duration,generatingCount,voice_speed,avatar_source_from,"
        "audio_source_from,ai_avatar_id,tts_text\n"
        "v,topview_text2video,fox,Standard,10,3,,,,,\n"
        "a,topview_video_avatar,,,,,1.1,1,1,av-1,hello\n"
    )
    manifest = parse_manifest(text, source="m.csv")
    assert manifest.rows[0].fields == {
        "prompt": "fox",
        "model": "Standard",
        "duration": 10,
        "generating_count": 3,
    }
    assert manifest.rows[1].fields == {
        "voice_speed": 1.1,
        "avatar_source_from": 1,
        "audio_source_from": 1,
        "ai_avatar_id": "av-1",
        "tts_text": "hello",
    }


def test_topview_rows_validated_with_line_numbers() -> None:
    """Bad TopView rows are cited by line, with the problem TopView's own validation finds."""
    text = (
        "# a mixed manifest\n"
        f'{{"id": "ok", "family": "talking_photo", "photo": "{IMG}", "audio": "{MP3}"}}\n'
        '{"family": "topview_text2video", "prompt": "fox", "duration": 7}\n'
        '{"family": "topview_text2image", "model": "m", "aspectRatio": "1:1"}\n'
        '{"family": "topview_text2image", "prompt": "a", "model": "m", "aspectRatio": "1:1", '
        '"fooBar": 1}\n'
        '{"family": "topview_text2image", "prompt": "a", "model": "m", "aspectRatio": "1:1", '
        '"aspect_ratio": "1:1"}\n'
        '{"family": "topview_nope", "prompt": "a"}\n'
        '{"family": "topview_video_avatar", "avatar_source_from": 0, "audio_source_from": 1}\n'
    )
    with pytest.raises(ManifestError) as exc:
        parse_manifest(text, source="m.jsonl")
    problems = [str(p) for p in exc.value.problems]
    # The same words TopViewSession.create would raise, from the same code.
    with pytest.raises(ValidationError) as direct:
        build_request(TextToVideoRequest, {"prompt": "fox", "duration": 7})
    assert problems[0] == f"m.jsonl:3: {direct.value.field}: {direct.value.problem}"
    assert problems[1] == "m.jsonl:4: prompt: is required"
    assert problems[2].startswith("m.jsonl:5: foobar: unknown field; expected one of ")
    assert problems[3].startswith("m.jsonl:6: aspect_ratio: given twice")
    assert problems[4].startswith("m.jsonl:7: family: unknown family 'topview_nope'; known: ")
    assert "topview_text2image" in problems[4] and "talking_photo" in problems[4]
    assert problems[5] == "m.jsonl:8: video_file_id: is required when avatar_source_from is 0"
    assert len(problems) == 6


def test_uploaded_files_given_in_python_are_journaled_as_file_ids() -> None:
    """A row given in Python may name an ``UploadedFile``; the manifest keeps its fileId."""
    from akool_async.topview import UploadedFile

    upload = UploadedFile("f-123", "png", 10, 64, 64)
    manifest = validate_rows(
        [{"family": "topview_image2video", "image_file_id": upload, "prompt": "blink"}]
    )
    assert manifest.rows[0].fields == {"image_file_id": "f-123", "prompt": "blink"}
    with pytest.raises(ManifestError, match="rows:1: image_file_id: must be an image"):
        validate_rows(
            [{"family": "topview_image2video", "image_file_id": UploadedFile("f", "mp3", 1)}]
        )


# -- the command line ------------------------------------------------------------------------------

_ENV = (
    "AKOOL_API_KEY",
    "AKOOL_CLIENT_ID",
    "AKOOL_CLIENT_SECRET",
    "AKOOL_BASE_URL",
    "TOPVIEW_API_KEY",
    "TOPVIEW_UID",
    "TOPVIEW_BASE_URL",
)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No credentials unless a test sets them; the CLI's log handler removed afterwards."""
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    yield monkeypatch
    logger = logging.getLogger("akool_async")
    for handler in list(logger.handlers):
        if handler.get_name() == "akool-async-cli":
            logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    """A JSONL manifest of ``rows``."""
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


async def run_main(*args: str) -> int:
    """``akool-async ARGS`` in a worker thread (it runs its own event loop)."""
    return await anyio.to_thread.run_sync(main, list(args))


@pytest.mark.anyio
async def test_cli_runs_a_mixed_manifest(
    tmp_path: Path, cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``akool-async batch`` on a mixed JSONL manifest: both fakes serve, every row done."""
    cli_env.setenv("AKOOL_API_KEY", API_KEY)
    cli_env.setenv("TOPVIEW_API_KEY", API_KEY)
    cli_env.setenv("TOPVIEW_UID", UID)
    manifest = write_jsonl(tmp_path / "mixed.jsonl", mixed_rows())
    out = tmp_path / "out"
    async with fakes() as (akool_fake, tv_fake):
        code = await run_main(
            "batch", str(manifest), "--out", str(out), "--base-url", akool_fake.base_url,
            "--topview-base-url", tv_fake.base_url, "--clock-speed", str(SPEED),
            "--progress", "none",
        )  # fmt: skip
        assert akool_fake.stats.creates == 2 and tv_fake.stats.creates == 3
        report = json.loads((out / "report.json").read_text("utf-8"))
        assert code == EXIT_OK, report
        assert report["counts"]["done"] == 5 and report["counts"]["total"] == 5
        families = {r["id"]: r["family"] for r in report["rows"]}
        assert families["vid0"] == "topview_text2video" and families["tp0"] == "talking_photo"
        for row in report["rows"]:
            (file,) = row["files"]
            assert Path(file["path"]).parent == out.resolve()
            assert os.stat(file["path"]).st_size == file["size"]
    assert "akool-async batch: 5 rows" in capsys.readouterr().out


@pytest.mark.anyio
async def test_cli_topview_only_needs_no_akool_credentials(
    tmp_path: Path, cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A TopView-only manifest runs with only TOPVIEW_API_KEY and TOPVIEW_UID set."""
    cli_env.setenv("TOPVIEW_API_KEY", API_KEY)
    cli_env.setenv("TOPVIEW_UID", UID)
    rows = [r for r in mixed_rows() if r["family"].startswith("topview_")]
    manifest = write_jsonl(tmp_path / "tv.jsonl", rows)
    out = tmp_path / "out"
    async with fakes() as (akool_fake, tv_fake):
        cli_env.setenv("TOPVIEW_BASE_URL", tv_fake.base_url)
        code = await run_main(
            "batch", str(manifest), "--out", str(out), "--clock-speed", str(SPEED),
            "--progress", "none",
        )  # fmt: skip
        assert tv_fake.stats.creates == 3 and akool_fake.stats.total_requests() == 0
    assert code == EXIT_OK
    assert json.loads((out / "report.json").read_text("utf-8"))["counts"]["done"] == 3
    capsys.readouterr()


@pytest.mark.parametrize("present", [(), ("TOPVIEW_API_KEY",), ("TOPVIEW_UID",)])
def test_cli_topview_rows_without_credentials_exit_2(
    tmp_path: Path,
    cli_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    present: tuple[str, ...],
) -> None:
    """TopView rows without TOPVIEW_API_KEY / TOPVIEW_UID: exit 2 naming what is missing."""
    cli_env.setenv("AKOOL_API_KEY", API_KEY)
    for name in present:
        cli_env.setenv(name, "set")
    manifest = write_jsonl(tmp_path / "mixed.jsonl", mixed_rows())
    out = tmp_path / "out"
    assert main(["batch", str(manifest), "--out", str(out)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "TopView (topview_*) families need" in err
    for name in ("TOPVIEW_API_KEY", "TOPVIEW_UID"):
        assert (name in err) is (name not in present)
    assert not out.exists()
    # Checking the manifest needs no credentials at all.
    assert main(["batch", str(manifest), "--check"]) == EXIT_OK
    assert "5 rows OK" in capsys.readouterr().out


def test_cli_bad_topview_row_cited_by_line(
    tmp_path: Path, cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad TopView row in a mixed manifest: exit 2 before any credential is needed."""
    rows = [*mixed_rows(), {"id": "bad", "family": "topview_text2image", "prompt": ""}]
    manifest = write_jsonl(tmp_path / "mixed.jsonl", rows)
    assert main(["batch", str(manifest), "--out", str(tmp_path / "out")]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "mixed.jsonl:6: prompt: is required" in err


@pytest.mark.anyio
async def test_cli_status_of_a_topview_task(
    cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``status ID --family topview_*`` asks TopView, with TopView's credentials only."""
    cli_env.setenv("TOPVIEW_API_KEY", API_KEY)
    cli_env.setenv("TOPVIEW_UID", UID)
    async with fakes() as (akool_fake, tv_fake), topview_session(tv_fake) as tv:
        (job,) = await tv.create(
            "topview_text2image", {"prompt": "owl", "model": "m", "aspect_ratio": "1:1"}
        )
        tv_fake.complete(job.id)
        base = ["--topview-base-url", tv_fake.base_url]
        assert await run_main("status", job.id, "--family", "topview_text2image", *base) == 0
        shown = json.loads(capsys.readouterr().out)
        assert shown["status"] == "completed" and shown["result_url"] == tv_fake.result_url(job.id)
        assert akool_fake.stats.total_requests() == 0
        cli_env.delenv("TOPVIEW_UID")
        code = await run_main("status", job.id, "--family", "topview_text2image", *base)
        assert code == EXIT_BAD_INPUT and "TOPVIEW_UID" in capsys.readouterr().err
