"""Results that are not files (moderation's verdict): typed on the result, never downloaded,
journaled and reported by the batch runner as done, and not redone on resume. Over loopback
against the fake server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest

from akool_async import JobResult, ModerationResult, OutcomeState, ResultNotAFile, run_batch
from akool_async._batch import DEFAULT_JOURNAL_NAME, BatchOutcome, Journal, RowState
from akool_async.testing._akool.head_swap import analysis_result
from akool_async.testing._akool.moderation import FLAGGED_WORD, verdict

from .helpers import IMG, MP3, MP4, fake_server, pair, session_for

pytestmark = pytest.mark.anyio

#: Content the fake judges non-compliant.
FLAGGED = f"https://cdn.example.com/{FLAGGED_WORD}.jpg"
ROWS: list[dict[str, Any]] = [
    {"id": "clean", "family": "moderation", "content": IMG, "type": 1},
    {"id": "flagged", "family": "moderation", "content": FLAGGED, "type": 1},
    {"id": "photo", "family": "talking_photo", "photo": IMG, "audio": MP3},
]


async def test_moderation_result_is_typed_data_not_a_url() -> None:
    """A moderation job's result holds the findings as text, no URL, and says it is no file."""
    async with pair() as (fake, session):
        job = await session.moderation.create(content=FLAGGED, content_type="image")
        result = await job
        text, conclusion = verdict(fake.jobs[job.id])
    assert isinstance(result, JobResult)
    assert not result.is_file and result.url == "" and result.snapshot.result_url is None
    assert result.text == result.data == text
    assert ModerationResult.from_result(result).conclusion == conclusion == "Non-Compliant"


async def test_download_of_a_result_that_is_not_a_file_raises_and_fetches_nothing(
    tmp_path: Path,
) -> None:
    """job.download() raises ResultNotAFile at once (before the job ends), and so does
    result.download(); no request for a file is made and nothing is written."""
    async with pair() as (fake, session):
        job = await session.moderation.create(content=IMG, content_type="image")
        with pytest.raises(ResultNotAFile) as info:
            await job.download(tmp_path)
        assert not job.done()
        assert (info.value.job_id, info.value.family) == (job.id, "moderation")
        result = await job
        with pytest.raises(ResultNotAFile):
            await result.download(tmp_path)
        assert not fake.stats.downloads
    assert [p async for p in anyio.Path(tmp_path).iterdir()] == []


async def collect(session: Any, out: Path, **options: Any) -> dict[str, BatchOutcome]:
    """Run the batch of ROWS to its end; the outcomes by row id."""
    async with run_batch(session, ROWS, out_dir=out, **options) as batch:
        return {o.row_id: o async for o in batch}


def journaled(out: Path) -> dict[str, tuple[RowState, tuple[str, ...]]]:
    """Each row's state and its jobs' journaled results."""
    with Journal.open(out / DEFAULT_JOURNAL_NAME) as journal:
        return {r.row_id: (r.state, r.result_urls) for r in journal.rows()}


async def test_moderation_batch_is_done_without_download_and_the_verdict_journaled(
    tmp_path: Path,
) -> None:
    """Moderation rows end DONE (download on) with their verdict journaled and in the outcome,
    nothing downloaded for them; the talking-photo row beside them is downloaded as usual."""
    async with fake_server() as fake, session_for(fake) as session:
        outcomes = await collect(session, tmp_path)
        texts = {
            row: verdict(fake.jobs[outcomes[row].job_ids[0]])[0] for row in ("clean", "flagged")
        }
        downloaded = set(fake.stats.downloads)
    assert {o.state for o in outcomes.values()} == {OutcomeState.DONE}
    for row, text in texts.items():
        assert outcomes[row].results == (text,) and outcomes[row].urls == ()
        assert outcomes[row].files == () and outcomes[row].error is None
    assert "Non-Compliant" in texts["flagged"] and "Result: Compliant" in texts["clean"]
    assert downloaded == set(outcomes["photo"].job_ids) and outcomes["photo"].results == ()
    state = journaled(tmp_path)
    assert state["clean"] == (RowState.COMPLETED, (texts["clean"],))
    assert state["flagged"] == (RowState.COMPLETED, (texts["flagged"],))
    assert state["photo"][0] is RowState.DOWNLOADED


async def test_resume_does_not_redo_moderation_rows(tmp_path: Path) -> None:
    """A second run creates, polls and downloads nothing: every row is resumed DONE, the
    moderation rows with their journaled verdict."""
    async with fake_server() as fake, session_for(fake) as session:
        first = await collect(session, tmp_path)
        before = (fake.stats.creates, sum(fake.stats.polls.values()), len(fake.stats.downloads))
        again = await collect(session, tmp_path)
        after = (fake.stats.creates, sum(fake.stats.polls.values()), len(fake.stats.downloads))
    assert after == before
    assert all(o.resumed and o.state is OutcomeState.DONE for o in again.values())
    assert again["flagged"].results == first["flagged"].results != ()


async def test_no_download_run_reports_the_same_verdicts(tmp_path: Path) -> None:
    """With download=False moderation rows end exactly as with it: DONE with their verdict."""
    async with fake_server() as fake, session_for(fake) as session:
        outcomes = await collect(session, tmp_path, download=False)
        assert not fake.stats.downloads
    assert {o.state for o in outcomes.values()} == {OutcomeState.DONE}
    assert "Non-Compliant" in outcomes["flagged"].results[0]


async def test_data_results_are_journaled_as_json_and_not_downloaded(tmp_path: Path) -> None:
    """A head-swap analysis row (its result is an object) ends DONE with the object journaled
    as JSON in its outcome's ``results``, no URL, no file, nothing downloaded."""
    rows = [{"id": "people", "family": "head_swap_analysis", "video_url": MP4 + "?heads=2"}]
    async with fake_server() as fake, session_for(fake) as session:
        async with run_batch(session, rows, out_dir=tmp_path) as batch:
            (outcome,) = [o async for o in batch]
        expected = analysis_result(fake.jobs[outcome.job_ids[0]])
        assert not fake.stats.downloads
    assert outcome.state is OutcomeState.DONE and outcome.urls == () and outcome.files == ()
    (recorded,) = outcome.results
    assert json.loads(recorded) == expected and expected
