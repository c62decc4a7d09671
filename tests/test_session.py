"""Session behaviour over loopback HTTP: every family's create and poll, reads, lifecycle."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

import anyio
import pytest
from aiohttp import web

from akool_async import (
    FAMILIES,
    AudioSplits,
    CapacityExceeded,
    CreationUnknown,
    Credit,
    InvalidResponse,
    Job,
    JobFailed,
    JobResult,
    JobStatus,
    JobStopped,
    JobTimeout,
    Language,
    NotFound,
    Session,
    SessionClosed,
    SwapImage,
    ValidationError,
)
from akool_async.testing import FakeAkool

from .helpers import (
    API_KEY,
    IMG,
    IMG2,
    MINIMAL_FIELDS,
    MP3,
    MP4,
    expected_result,
    fake_server,
    fast_config,
    pair,
    serve_app,
    session_for,
)

pytestmark = pytest.mark.anyio


def assert_completed(fake: FakeAkool, job: Job, result: JobResult, family: str) -> None:
    """A completed job's result names the job, its family and the fake's result file (or, for
    a family whose result is not a file, holds the result itself and no URL)."""
    assert isinstance(result, JobResult)
    assert result.id == job.id
    assert result.family == family
    assert result.is_file is FAMILIES[family].result_is_file
    assert (result.url if result.is_file else result.data) == expected_result(fake, job.id)
    assert bool(result.url) is result.is_file
    assert result.snapshot.status is JobStatus.COMPLETED
    assert job.done() and job.status is JobStatus.COMPLETED
    assert job.result() is result


# -- each family through its resource ---------------------------------------------------------


async def test_talking_photo_create_and_poll() -> None:
    """talking_photo.create sends the documented body and `await job` gives the video URL."""
    async with pair() as (fake, session):
        job = await session.talking_photo.create(
            talking_photo_url=IMG, audio_url=MP3, prompt="smile", resolution="1080"
        )
        assert isinstance(job, Job) and job.family == "talking_photo"
        result = await job
    assert_completed(fake, job, result, "talking_photo")
    assert fake.stats.create_bodies == [
        {"talking_photo_url": IMG, "audio_url": MP3, "prompt": "smile", "resolution": "1080"}
    ]
    assert fake.stats.creates_by_family == {"talking_photo": 1}
    assert fake.stats.polls[job.id] >= 1


async def test_lip_sync_create_and_poll() -> None:
    """lip_sync.create creates one job that completes with the video URL."""
    async with pair() as (fake, session):
        job = await session.lip_sync.create(video_url=MP4, audio_url=MP3)
        result = await job
    assert_completed(fake, job, result, "lip_sync")
    assert fake.stats.create_bodies == [{"video_url": MP4, "audio_url": MP3}]


async def test_video_translation_one_job_per_language() -> None:
    """Translating into three languages returns three jobs, in request order, each completed."""
    async with pair() as (fake, session):
        jobs = await session.video_translation.create(
            url=MP4, language=["ja", "fr", "de"], lipsync=True, caption_type=2, speaker_num=0
        )
        results = await session.gather(jobs)
    assert len(jobs) == 3 and len({j.id for j in jobs}) == 3
    assert [fake.jobs[j.id].variant for j in jobs] == ["ja", "fr", "de"]
    for job, result in zip(jobs, results, strict=True):
        assert_completed(fake, job, result, "video_translation")
        assert isinstance(result.audio_splits, AudioSplits)
        assert result.audio_splits.translated_srt_url is not None
        assert result.audio_splits.translated_srt_url.endswith(f"/{fake.jobs[job.id].variant}.srt")
        assert result.snapshot.progress == 100
    assert fake.stats.creates == 1 and fake.stats.jobs_created == 3
    body = fake.stats.create_bodies[0]
    assert body["language"] == "ja,fr,de" and body["caption_type"] == 2


async def test_video_translation_comma_string() -> None:
    """A comma-separated language string works like a list."""
    async with pair() as (fake, session):
        jobs = await session.video_translation.create(url=MP4, language="ja,fr")
        await session.gather(jobs)
    assert [fake.jobs[j.id].variant for j in jobs] == ["ja", "fr"]


async def test_talking_avatar_text_and_audio() -> None:
    """talking_avatar sends the documented canvas: avatar, background and audio elements."""
    async with pair() as (fake, session):
        spoken = await session.talking_avatar.create(
            avatar_id="dvp_Tristan", input_text="hello", voice_id="v1", background_url="#1A2B3C"
        )
        played = await session.talking_avatar.create(avatar_url=MP4, audio_url=MP3)
        results = await session.gather([spoken, played])
    assert_completed(fake, spoken, results[0], "talking_avatar")
    assert_completed(fake, played, results[1], "talking_avatar")
    first, second = fake.stats.create_bodies
    assert (first["width"], first["height"], first["avatar_from"]) == (3840, 2160, 2)
    assert [e["type"] for e in first["elements"]] == ["image", "avatar", "audio"]
    assert first["elements"][0]["url"] == "#1A2B3C"
    assert first["elements"][2] == {"type": "audio", "input_text": "hello", "voice_id": "v1"}
    assert second["avatar_from"] == 3
    assert second["elements"][0]["url"] == MP4 and "avatar_id" not in second["elements"][0]
    assert second["elements"][1] == {"type": "audio", "url": MP3}


async def test_faceswap_image_video_and_v4() -> None:
    """faceswap.image/.video/.v4 use their endpoints and spellings and complete via listbyids."""
    async with pair() as (fake, session):
        image = await session.faceswap.image(
            source_image=[SwapImage(path=IMG, opts="1,2:3,4")],
            target_image=[IMG2],
            modify_image=IMG,
            face_enhance=True,
        )
        video = await session.faceswap.video(
            source_image=[IMG], target_image=[IMG2], modify_video=MP4
        )
        v4 = await session.faceswap.v4(source_image=[IMG], target_image=[IMG2])
        results = await session.gather([image, video, v4])
    for job, result, family in zip(
        [image, video, v4],
        results,
        ["faceswap_image", "faceswap_video", "faceswap_v4"],
        strict=True,
    ):
        assert_completed(fake, job, result, family)
    assert results[0].url.endswith(".png") and results[1].url.endswith(".mp4")
    bodies = fake.stats.create_bodies
    assert bodies[0] == {
        "sourceImage": [{"path": IMG, "opts": "1,2:3,4"}],
        "targetImage": [{"path": IMG2}],
        "modifyImage": IMG,
        "face_enhance": 1,
    }
    assert type(bodies[0]["face_enhance"]) is int  # v3 takes 0/1, not a JSON boolean
    assert bodies[1]["modifyVideo"] == MP4
    assert "modifyImage" not in bodies[2] and "modifyVideo" not in bodies[2]
    assert fake.stats.requests["GET /api/open/v3/faceswap/result/listbyids"] >= 1


async def test_image_create_and_poll() -> None:
    """image.create polls image/infobymodelid and returns the image URL."""
    async with pair() as (fake, session):
        job = await session.image.create(prompt="a red fox", scale="16:9", source_image=IMG)
        result = await job
    assert_completed(fake, job, result, "image")
    assert result.url.endswith(".png")
    assert fake.stats.requests["GET /api/open/v3/content/image/infobymodelid"] >= 1


async def test_image_to_video_create_and_poll() -> None:
    """image_to_video.create polls the batch resultsByIds endpoint (POST) to completion."""
    async with pair() as (fake, session):
        job = await session.image_to_video.create(
            image_url=IMG,
            prompt="it blinks",
            negative_prompt="",
            resolution="1080p",
            audio_type=3,
            video_length=10,
        )
        result = await job
    assert_completed(fake, job, result, "image2video")
    assert fake.stats.requests["POST /api/open/v4/image2Video/resultsByIds"] >= 1


async def test_text_to_video_count_creates_several_jobs() -> None:
    """text_to_video.create(count=3) returns three jobs from one create, all completed."""
    async with pair() as (fake, session):
        jobs = await session.text_to_video.create(prompt="a fox", count=3, video_length=5)
        results = await session.gather(jobs)
    assert len(jobs) == 3 and len({j.id for j in jobs}) == 3
    for job, result in zip(jobs, results, strict=True):
        assert_completed(fake, job, result, "text2video")
    assert fake.stats.creates == 1 and fake.stats.jobs_created == 3


async def test_tts_create_and_poll() -> None:
    """tts.create polls audio/infobymodelid and returns the audio URL."""
    async with pair() as (fake, session):
        job = await session.tts.create(input_text="hello", voice_id="en-US-1", rate="80%")
        result = await job
    assert_completed(fake, job, result, "tts")
    assert result.url.endswith(".mp3")
    assert fake.stats.create_bodies == [
        {"input_text": "hello", "voice_id": "en-US-1", "rate": "80%"}
    ]


async def test_generic_create_every_family() -> None:
    """session.create(name, fields) creates and completes a job of every family."""
    async with pair() as (fake, session):
        jobs: list[Job] = []
        for name, fields in MINIMAL_FIELDS.items():
            created = await session.create(name, fields)
            assert len(created) == 1 and created[0].family == name
            jobs += created
        results = await session.gather(jobs)
    assert {r.family for r in results} == set(FAMILIES)
    for job, result in zip(jobs, results, strict=True):
        assert_completed(fake, job, result, job.family)
    assert fake.stats.creates == len(FAMILIES)


async def test_generic_create_webhook_spelling() -> None:
    """webhook_url becomes webhookUrl on v3 endpoints and webhookurl on v4 video endpoints."""
    hook = "https://hooks.example.com/akool"
    async with pair() as (fake, session):
        await session.create(
            "talking_photo", {**MINIMAL_FIELDS["talking_photo"], "webhook_url": hook}
        )
        await session.create("image2video", {**MINIMAL_FIELDS["image2video"], "webhook_url": hook})
    first, second = fake.stats.create_bodies
    assert first["webhookUrl"] == hook and "webhook_url" not in first
    assert second["webhookurl"] == hook and "webhookUrl" not in second


async def test_session_webhook_url_is_default() -> None:
    """A session-wide webhook_url is added to creates that do not name one."""
    hook = "https://hooks.example.com/akool"
    async with pair(webhook_url=hook) as (fake, session):
        job = await session.lip_sync.create(video_url=MP4, audio_url=MP3)
        assert job.webhook
    assert fake.stats.create_bodies[0]["webhookUrl"] == hook


async def test_session_webhook_url_skips_families_without_a_webhook_field() -> None:
    """A session-wide webhook_url never breaks a create whose page documents no webhook."""
    hook = "https://hooks.example.com/akool"
    async with pair(webhook_url=hook) as (fake, session):
        (job,) = await session.create("image2video_audio", MINIMAL_FIELDS["image2video_audio"])
        assert not job.webhook
        await job
    body = fake.stats.create_bodies[0]
    assert "webhookUrl" not in body and "webhookurl" not in body


# -- failures of jobs -------------------------------------------------------------------------


async def test_failed_job_raises_job_failed() -> None:
    """A job that ends in status 4 raises JobFailed with the API's code and reason."""
    async with pair(fast_config(failure_ratio=1.0)) as (_fake, session):
        job = await session.talking_photo.create(talking_photo_url=IMG, audio_url=MP3)
        with pytest.raises(JobFailed) as info:
            await job
    assert info.value.job_id == job.id and info.value.family == "talking_photo"
    assert info.value.error_code == 1015
    assert info.value.error_reason
    assert job.status is JobStatus.FAILED


async def test_max_wait_times_out() -> None:
    """A job still queued at its max_wait deadline raises JobTimeout."""
    async with pair() as (fake, session):
        job = await session.tts.create(input_text="hi", voice_id="v", rate="100%", max_wait=5.0)
        fake.set_status(job.id, 1)
        with pytest.raises(JobTimeout) as info:
            await job
    assert info.value.job_id == job.id


async def test_capacity_exceeded_sends_nothing() -> None:
    """Beyond max_tracked_jobs a create raises CapacityExceeded before anything is sent."""
    async with pair(max_tracked_jobs=2) as (fake, session):
        job = await session.tts.create(input_text="hi", voice_id="v", rate="100%")
        fake.set_status(job.id, 2)
        with pytest.raises(CapacityExceeded):
            await session.video_translation.create(url=MP4, language=["ja", "fr"])
        with pytest.raises(CapacityExceeded):
            await session.text_to_video.create(prompt="x", count=2)
        assert len(await session.text_to_video.create(prompt="x")) == 1
    assert fake.stats.creates == 2 and fake.stats.jobs_created == 2


async def test_multi_job_create_checks_capacity_for_every_job() -> None:
    """A 3-language translation into room for two is refused unsent (not created and billed)."""
    async with pair(max_tracked_jobs=2) as (fake, session):
        with pytest.raises(CapacityExceeded):
            await session.video_translation.create(url=MP4, language=["ja", "fr", "de"])
        assert not session.scheduler.jobs
    assert fake.stats.total_requests() == 0


# -- one-off reads ----------------------------------------------------------------------------


async def test_languages() -> None:
    """languages() returns the language list as Language objects."""
    async with pair() as (_fake, session):
        langs = await session.languages()
    assert all(isinstance(lang, Language) for lang in langs)
    by_code = {lang.lang_code: lang for lang in langs}
    assert by_code["ja"].lang_name == "Japanese"
    assert by_code["ja"].url is not None and by_code["ja"].url.endswith("/ja.svg")


async def test_credit() -> None:
    """credit() returns the balance and keeps the raw data; creates spend it."""
    async with pair(fast_config(credit=50.0)) as (_fake, session):
        before = await session.credit()
        await session.video_translation.create(url=MP4, language="ja,fr")
        after = await session.credit()
    assert isinstance(before, Credit)
    assert before.credit == 50.0 and after.credit == 48.0
    assert before.raw == {"credit": 50.0}


@pytest.mark.parametrize("family", sorted(FAMILIES))
async def test_status_once_for_every_family(family: str) -> None:
    """status(id, family=...) reads one snapshot through the family's status endpoint."""
    async with pair() as (fake, session):
        [job] = await session.create(family, MINIMAL_FIELDS[family])
        job.stop()
        fake.complete(job.id)
        snap = await session.status(job.id, family=family)
    assert snap.id == job.id
    assert snap.status is JobStatus.COMPLETED
    assert (snap.result_url or snap.result_value) == expected_result(fake, job.id)
    assert snap.raw["_id"] == job.id


@pytest.mark.parametrize("family", ["talking_photo", "faceswap_v4", "text2video", "tts"])
async def test_status_of_unknown_id_is_not_found(family: str) -> None:
    """status() of an id the API does not know raises NotFound (single and batch endpoints)."""
    async with pair() as (_fake, session):
        with pytest.raises(NotFound) as info:
            await session.status("0123456789abcdef01234567", family=family)
    assert info.value.code == 1008


async def test_status_unknown_family_is_validation_error() -> None:
    """status() with an unknown family name raises ValidationError naming `family`."""
    async with pair() as (fake, session):
        with pytest.raises(ValidationError) as info:
            await session.status("abc", family="nope")
    assert info.value.field == "family"
    assert fake.stats.total_requests() == 0


async def test_track_and_resume_a_job() -> None:
    """A job created elsewhere can be tracked by id, or resumed from its token."""
    async with pair() as (fake, session):
        [job] = await session.create("lip_sync", MINIMAL_FIELDS["lip_sync"])
        token = job.token()
        job.stop()
        with pytest.raises(JobStopped):
            await job
        resumed = session.resume(token)
        result = await resumed
    assert result.url == fake.result_url(job.id)


# -- lifecycle --------------------------------------------------------------------------------


async def test_unentered_session_refuses_work() -> None:
    """A session used before `async with` raises SessionClosed and sends nothing."""
    async with fake_server() as fake:
        session = session_for(fake)
        with pytest.raises(SessionClosed):
            await session.credit()
        with pytest.raises(SessionClosed):
            await session.lip_sync.create(video_url=MP4, audio_url=MP3)
        await session.aclose()
    assert fake.stats.total_requests() == 0


async def test_closed_session_refuses_work_and_cannot_reopen() -> None:
    """After aclose() every call raises SessionClosed, and the session cannot be re-entered."""
    async with fake_server() as fake:
        session = session_for(fake)
        async with session:
            await session.credit()
        for call in (
            session.credit(),
            session.languages(),
            session.status("x", family="tts"),
            session.create("tts", MINIMAL_FIELDS["tts"]),
            session.tts.create(input_text="hi", voice_id="v", rate="100%"),
        ):
            with pytest.raises(SessionClosed):
                await call
        with pytest.raises(SessionClosed):
            session.track("abc", family="tts")
        with pytest.raises(SessionClosed):
            await session.__aenter__()
    assert fake.stats.total_requests() == 1


async def test_aclose_twice_is_safe() -> None:
    """aclose() may be called twice (and after __aexit__)."""
    async with fake_server() as fake:
        session = session_for(fake)
        async with session:
            await session.aclose()
            await session.aclose()
        await session.aclose()
        with pytest.raises(SessionClosed):
            await session.credit()


async def test_aclose_stops_unfinished_jobs() -> None:
    """Closing the session resolves unfinished jobs with JobStopped."""
    async with fake_server() as fake:
        async with session_for(fake) as session:
            job = await session.tts.create(input_text="hi", voice_id="v", rate="100%")
            fake.set_status(job.id, 2)
        with pytest.raises(JobStopped):
            await job


async def test_many_jobs_complete_quickly() -> None:
    """Fifty jobs of mixed families complete well within a second of real time."""
    async with pair() as (_fake, session):
        with anyio.fail_after(5):
            jobs = [
                job
                for name in ("talking_photo", "faceswap_v4", "image2video", "tts", "image")
                for _ in range(10)
                for job in await session.create(name, MINIMAL_FIELDS[name])
            ]
            results = await session.gather(jobs)
    assert len(results) == 50
    assert all(r.url for r in results)


# -- odd answers ------------------------------------------------------------------------------


def _against(answers: dict[tuple[str, str], Any]) -> AbstractAsyncContextManager[str]:
    """An app answering each (method, path) with a fixed JSON body."""
    app = web.Application()
    for (method, path), body in answers.items():

        async def handler(request: web.Request, body: Any = body) -> web.Response:
            return web.json_response(body)

        app.router.add_route(method, path, handler)
    return serve_app(app)


async def test_create_answer_without_id_is_creation_unknown() -> None:
    """A success answer that names no job id raises CreationUnknown (billed, maybe: no retry)."""
    path = FAMILIES["lip_sync"].create_path
    answers = {("POST", path): {"code": 1000, "data": {"video_status": 1}}}
    async with _against(answers) as base, Session(api_key=API_KEY, base_url=base) as session:
        with pytest.raises(CreationUnknown) as info:
            await session.lip_sync.create(video_url=MP4, audio_url=MP3)
    assert info.value.request == {"video_url": MP4, "audio_url": MP3}
    assert info.value.endpoint == f"POST {path}"


@pytest.mark.parametrize(
    ("call", "path", "data"),
    [
        ("languages", "/api/open/v3/language/list", {"langs": []}),
        ("credit", "/api/open/v3/faceswap/quota/info", {"credit": "lots"}),
        ("credit", "/api/open/v3/faceswap/quota/info", {"credit": True}),
        ("status", "/api/open/v3/audio/infobymodelid", {"_id": "j1", "status": 9}),
        ("status", "/api/open/v3/audio/infobymodelid", None),
    ],
)
async def test_malformed_success_answers_are_invalid_response(
    call: str, path: str, data: Any
) -> None:
    """A code-1000 answer missing what the SDK reads raises InvalidResponse, not a KeyError."""
    answers = {("GET", path): {"code": 1000, "data": data}}
    async with _against(answers) as base, Session(api_key=API_KEY, base_url=base) as session:
        with pytest.raises(InvalidResponse) as info:
            if call == "status":
                await session.status("j1", family="tts")
            else:
                await getattr(session, call)()
    assert path in info.value.endpoint
