"""The v4 video and voice families against the fake over loopback: create, poll to the end,
failure, and partial refusals of the batch creates (nothing created is lost)."""

from __future__ import annotations

from pathlib import Path

import pytest

from akool_async import (
    CreatedJobs,
    InsufficientCredit,
    JobFailed,
    JobStatus,
    VoiceCloneOptions,
    VoiceOptions,
)
from akool_async._batch import DEFAULT_JOURNAL_NAME, Journal, OutcomeState, run_batch

from .helpers import IMG, MP3, fast_config, pair

pytestmark = pytest.mark.anyio


async def test_text_to_video_partial_refusal_keeps_the_created_jobs() -> None:
    """Credit for 2 of 3 videos: two jobs are tracked to completion, one refusal is typed."""
    async with pair(fast_config(credit=2)) as (fake, session):
        jobs = await session.text_to_video.create(prompt="a fox", count=3)
        results = await session.gather(jobs)
    assert isinstance(jobs, CreatedJobs) and len(jobs) == 2
    assert [(f.code, f.message) for f in jobs.failed] == [(1006, "Your quota is not enough")]
    assert {j.id for j in jobs} == set(fake.jobs)
    assert all(r.url == fake.result_url(r.id) for r in results)


async def test_batch_create_all_refused_raises_typed() -> None:
    """A batch create the credit cannot pay at all is refused with InsufficientCredit."""
    async with pair(fast_config(credit=0)) as (fake, session):
        with pytest.raises(InsufficientCredit):
            await session.image_to_video.create_batch(
                image_url=IMG, prompt="p", resolution="720p", video_length=5, count=2
            )
    assert fake.jobs == {}


async def test_batch_image_to_video_and_update_audio_complete() -> None:
    """create_batch gives one job per video; update_audio on a result gives a new job."""
    async with pair() as (fake, session):
        jobs = await session.image_to_video.create_batch(
            image_url=IMG, prompt="p", resolution="1080p", video_length=5, count=3
        )
        await session.gather(jobs)
        redo = await session.image_to_video.update_audio(
            pre_video_id=jobs[0].id, audio_url=MP3, audio_type=2
        )
        result = await redo
    assert len(jobs) == 3 and jobs.failed == ()
    assert result.url == fake.result_url(redo.id)
    assert fake.stats.create_bodies[-1] == {
        "pre_video_id": jobs[0].id,
        "audio_url": MP3,
        "audio_type": 2,
    }


async def test_voice_lab_families_complete_through_path_id_status() -> None:
    """TTS, changer and clone complete, polled with the id in the path, URL from preview."""
    async with pair() as (fake, session):
        tts = await session.voice_lab.tts(
            input_text="hello", voice_id="v1", voice_options=VoiceOptions(speed=1.1)
        )
        change = await session.voice_lab.change(voice_id="v1", source_voice_file=MP3)
        clone = await session.voice_lab.clone(
            source_voice_file=MP3, voice_options=VoiceCloneOptions(gender=["Female"])
        )
        results = await session.gather([tts, change, clone])
    assert [r.url for r in results] == [fake.result_url(j.id) for j in (tts, change, clone)]
    # The fake counts requests by route (the path template).
    assert fake.stats.requests["GET /api/open/v4/voice/resource/detail/{id}"] >= 2
    assert fake.stats.requests["GET /api/open/v4/voice/detail/{id}"] >= 1
    assert all(fake.stats.polls[j.id] >= 1 for j in (tts, change, clone))
    assert fake.stats.create_bodies[0]["voice_options"] == {"speed": 1.1}


async def test_voice_lab_tts_with_the_pages_extra_options_completes() -> None:
    """The fake takes the page's extra_options and top-level pitch, and the job completes."""
    extra = {
        "apply_text_normalization": "on",
        "audio_setting": {"sample_rate": 44100, "format": "wav", "channel": 1},
        "timber_weights": [{"voice_id": "v2", "weight": 100}],
        "voice_modify": {"pitch": -100, "sound_effects": "lofi_telephone"},
        "pitch": 12,
    }
    async with pair() as (fake, session):
        (job,) = await session.create(
            "voice_tts", {"input_text": "hi", "voice_id": "v1", "extra_options": extra, "pitch": 0}
        )
        result = await job
    assert result.url == fake.result_url(job.id)
    assert fake.stats.create_bodies[0]["extra_options"] == extra
    assert fake.stats.create_bodies[0]["pitch"] == 0


async def test_voice_families_fail_with_the_job_error() -> None:
    """A failing VoiceLab or v3 clone job ends JobFailed with the fake's audio error code."""
    async with pair(fast_config(failure_ratio=1.0)) as (_fake, session):
        tts = await session.voice_lab.tts(input_text="hello", voice_id="v1")
        clone = await session.tts.clone(input_text="hello", rate="100%", voice_url=MP3)
        outcomes = await session.gather([tts, clone], return_exceptions=True)
    assert all(isinstance(o, JobFailed) for o in outcomes)
    assert [o.error_code for o in outcomes if isinstance(o, JobFailed)] == [1201, 1201]
    assert tts.status is JobStatus.FAILED and clone.status is JobStatus.FAILED


async def test_batch_row_journals_every_created_video_and_the_refusals(tmp_path: Path) -> None:
    """A text2video row with count 3 and credit for 2 journals both job ids, then downloads."""
    rows = [{"id": "t", "family": "text2video", "prompt": "a fox", "count": 3}]
    async with (
        pair(fast_config(credit=2)) as (fake, session),
        run_batch(session, rows, out_dir=tmp_path) as batch,
    ):
        outcomes = [o async for o in batch]
    (outcome,) = outcomes
    assert outcome.state is OutcomeState.DONE
    with Journal.open(tmp_path / DEFAULT_JOURNAL_NAME) as journal:
        (row,) = journal.rows()
    assert set(row.job_ids) == set(fake.jobs) and len(row.job_ids) == 2
    assert len(outcome.files) == 2
