"""Video translation against the fake: several languages, a refused language, the batch row."""

from __future__ import annotations

from pathlib import Path

import pytest

from akool_async import (
    OutcomeState,
    ParameterError,
    StudioVoice,
    TranslationJobs,
    ValidationError,
)
from akool_async._batch import DEFAULT_JOURNAL_NAME, Journal, RowState, run_batch

from .helpers import MP4, pair

pytestmark = pytest.mark.anyio


async def test_refused_language_is_reported_and_the_others_complete() -> None:
    """af-ZA without a voice id fails alone (1003); ja and fr are created, billed and complete."""
    async with pair() as (fake, session):
        credit = fake.config.credit
        jobs = await session.video_translation.create(url=MP4, language="ja,af-ZA,fr")
        results = await session.gather(jobs)
    assert isinstance(jobs, TranslationJobs)
    assert [fake.jobs[j.id].variant for j in jobs] == ["ja", "fr"]
    assert [(f.language, f.code) for f in jobs.failed] == [("af-ZA", 1003)]
    assert "voice_id" in jobs.failed[0].message
    assert all(r.url for r in results)
    assert fake.config.credit == credit - 2


async def test_voices_map_and_studio_voice_reach_the_body() -> None:
    """A voice id for af-ZA creates all three; studio_voice and voices_map go as documented."""
    async with pair() as (fake, session):
        jobs = await session.video_translation.create(
            url=MP4,
            language=["ja", "af-ZA", "fr"],
            source_language="DEFAULT",
            voices_map={"af-ZA": "6889b755662160e2caad5fdf"},
            studio_voice=StudioVoice(no_translate_words=["Akool"], style="calm"),
        )
    assert len(jobs) == 3 and jobs.failed == ()
    body = fake.stats.create_bodies[0]
    assert body["voices_map"] == {"af-ZA": {"voice_id": "6889b755662160e2caad5fdf"}}
    assert body["studio_voice"] == {
        "no_translate_words": ["Akool"],
        "fixed_words": {},
        "pronounced_words": {},
        "style": "calm",
    }


async def test_every_language_refused_is_a_typed_error() -> None:
    """When every language lacks its voice id the create is refused with 1003; nothing billed."""
    async with pair() as (fake, session):
        with pytest.raises(ParameterError):
            await session.video_translation.create(url=MP4, language="af-ZA")
    assert fake.stats.jobs_created == 0


async def test_untyped_fields_validate_studio_voice_and_voices_map() -> None:
    """session.create names a bad studio_voice style and a voice for an unrequested language."""
    async with pair() as (fake, session):
        with pytest.raises(ValidationError) as bad_style:
            await session.create(
                "video_translation",
                {"url": MP4, "language": "ja", "studio_voice": {"style": "loud"}},
            )
        with pytest.raises(ValidationError) as stray:
            await session.create(
                "video_translation",
                {"url": MP4, "language": "ja", "voices_map": {"fr": {"voice_id": "v"}}},
            )
        jobs = await session.create(
            "video_translation",
            {"url": MP4, "language": "ja", "studio_voice": {"fixed_words": {"hi": "hello"}}},
        )
    assert bad_style.value.field == "studio_voice.style"
    assert stray.value.field == "voices_map.fr"
    assert len(jobs) == 1 and fake.stats.creates == 1


async def test_batch_row_journals_refused_language_as_failed(tmp_path: Path) -> None:
    """A row with one refused language keeps both created jobs' files and fails naming it."""
    rows = [{"id": "t", "family": "video_translation", "url": MP4, "language": "ja,af-ZA,fr"}]
    async with pair() as (fake, session):
        async with run_batch(session, rows, out_dir=tmp_path) as batch:
            (outcome,) = [o async for o in batch]
        assert fake.stats.creates == 1 and fake.stats.jobs_created == 2
    assert outcome.state is OutcomeState.FAILED
    assert "[1003]" in (outcome.error or "")
    assert [Path(f.path).name for f in outcome.files] == ["t.ja.mp4", "t.fr.mp4"]
    with Journal.open(tmp_path / DEFAULT_JOURNAL_NAME) as journal:
        row = journal.row("t")
        assert row is not None
        states = {job.job_id: job.state for job in row.jobs}
    assert states["refused:t.af-ZA"] is RowState.FAILED
    assert sorted(s.name for s in states.values()) == ["DOWNLOADED", "DOWNLOADED", "FAILED"]
