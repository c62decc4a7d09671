"""TopView through the shared session machinery, end to end against the fake over loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from akool_async import (
    APIError,
    AuthenticationError,
    CreationUnknown,
    InsufficientCredit,
    JobFailed,
    JobStatus,
    NotFound,
    ParameterError,
    RetryPolicy,
    ScaledClock,
    Session,
    ValidationError,
)
from akool_async._batch import OutcomeState, run_batch
from akool_async.testing import FakeAkool, FakeConfig
from akool_async.testing._topview import FakeTopView, sample_media
from akool_async.topview import (
    MediaTaskResult,
    ProductReplaceResult,
    SecurityRejected,
    ServerBusy,
    TaskInProgress,
    TopViewServerError,
    TopViewSession,
)

pytestmark = pytest.mark.anyio

KEY = "test-api-key"
UID = "test-uid"
SPEED = 1000.0


def fast_config(**overrides: Any) -> FakeConfig:
    """Jobs that take a few clock seconds (a few real milliseconds)."""
    settings: dict[str, Any] = {
        "speed": SPEED,
        "queue_time": (0.5, 1.0),
        "media_duration": (1.0, 2.0),
        "processing_factor": 2.0,
        "processing_jitter": 0.1,
        "seed": 11,
    }
    settings.update(overrides)
    return FakeConfig(**settings)


@pytest.fixture
def clock() -> ScaledClock:
    """One fast clock shared by the fake and the session."""
    return ScaledClock(SPEED)


@pytest.fixture
async def fake(clock: ScaledClock) -> AsyncIterator[FakeTopView]:
    """A running fake TopView."""
    async with FakeTopView(fast_config(), clock=clock, uid=UID) as server:
        yield server


def session_for(fake: FakeTopView, clock: ScaledClock, **kwargs: Any) -> TopViewSession:
    """A session pointed at ``fake`` with quick retries."""
    kwargs.setdefault("retry", RetryPolicy(base=0.5, cap=2.0))
    return TopViewSession(KEY, UID, base_url=fake.base_url, clock=clock, seed=3, **kwargs)


@pytest.fixture
async def tv(fake: FakeTopView, clock: ScaledClock) -> AsyncIterator[TopViewSession]:
    """An open session against ``fake``."""
    async with session_for(fake, clock) as session:
        yield session


async def test_product_replace_chains_into_product_image2video(
    tv: TopViewSession, fake: FakeTopView
) -> None:
    """Replace-product's productReplaceResult[].key feeds image2video, and both complete."""
    product = await tv.upload(sample_media("png", width=40, height=30), format="png")
    job = await tv.product_avatar.replace(product_image_file_id=product, avatar_id="avatar-1")
    replaced = await tv.result(job)
    assert isinstance(replaced, ProductReplaceResult)
    assert replaced.keys == list(fake.jobs[job.id].replace_keys)
    video = await tv.product_avatar.image2video(
        replaced, mode="pro", tts_text="Buy it", voice_speed=1.2
    )
    result = await video
    assert result.url == fake.result_url(video.id)
    body = fake.stats.create_bodies[-1]
    assert body["productReplaceResultKey"] == replaced.first.key and body["voiceSpeed"] == 1.2
    assert job.family == "topview_product_replace" and video.status is JobStatus.COMPLETED


async def test_video_avatar_end_to_end(tv: TopViewSession, fake: FakeTopView) -> None:
    """A video avatar from an uploaded video and audio completes with its video URL."""
    clip = await tv.upload(sample_media("mp4"), format="mp4")
    voice = await tv.upload(sample_media("wav"), format="wav")
    job = await tv.video_avatar.create(
        avatar_source_from=0, audio_source_from=0, video_file_id=clip, audio_file_id=voice
    )
    result = await job
    assert result.url == fake.result_url(job.id)
    assert fake.stats.create_bodies[-1]["videoFileId"] == clip.file_id


@pytest.mark.parametrize("count", [1, 3])
async def test_common_image2video_end_to_end(
    tv: TopViewSession, fake: FakeTopView, count: int
) -> None:
    """Image to video v1 (deprecated, with a warning) yields generating_count typed videos."""
    image = await tv.upload(sample_media("jpg"), format="jpg")
    with pytest.warns(DeprecationWarning, match="image2video_v2"):
        job = await tv.common.image2video(
            image_file_id=image, prompt="spin", generating_count=count
        )
    typed = await tv.result(job)
    assert isinstance(typed, MediaTaskResult) and typed.kind == "video"
    assert [m.url for m in typed.media] == [fake.result_url(job.id, i) for i in range(count)]


async def test_common_text2video_and_text2image_end_to_end(
    tv: TopViewSession, fake: FakeTopView
) -> None:
    """Text to video and text to image complete with typed results."""
    video = await tv.common.text2video(
        model="Standard", prompt="a cat surfing", aspect_ratio="9:16"
    )
    image = await tv.common.text2image(
        model="Nano Banana 2", aspect_ratio="1:1", prompt="a cat", generating_count=2
    )
    video_result, image_result = await tv.gather([video, image])
    assert video_result.url == fake.result_url(video.id)
    typed = await tv.result(image)
    assert isinstance(typed, MediaTaskResult) and typed.kind == "image" and len(typed.media) == 2
    assert image_result.family == "topview_text2image"


async def test_generic_create_takes_camel_case_rows(tv: TopViewSession, fake: FakeTopView) -> None:
    """``create(family, fields)`` accepts a manifest row in TopView's own spelling."""
    row = {"prompt": "a dog", "model": "Nano Banana 2", "aspectRatio": "1:1"}
    jobs = await tv.create("topview_text2image", {**row, "generateCount": 2})
    assert len(jobs) == 1
    assert (await jobs[0]).url == fake.result_url(jobs[0].id)
    with pytest.raises(ValidationError):
        await tv.create("topview_text2image", {**row, "generateCount": 9})
    with pytest.raises(ValidationError):
        await tv.create("talking_photo", {"prompt": "x"})
    assert fake.stats.creates == 1


async def test_headers_are_bearer_and_uid(fake: FakeTopView, clock: ScaledClock) -> None:
    """Requests carry Bearer auth and Topview-Uid; a wrong key or uid is an auth error."""
    async with session_for(fake, clock) as tv:
        await tv.common.text2image(model="Nano Banana 2", aspect_ratio="1:1", prompt="ok")
    assert fake.stats.auth_headers_seen["bearer"] >= 1
    async with TopViewSession("wrong", UID, base_url=fake.base_url, clock=clock) as bad:
        with pytest.raises(AuthenticationError):
            await bad.common.text2image(model="Nano Banana 2", aspect_ratio="1:1", prompt="x")
    async with TopViewSession(KEY, "other-uid", base_url=fake.base_url, clock=clock) as bad:
        with pytest.raises(AuthenticationError):
            await bad.common.text2image(model="Nano Banana 2", aspect_ratio="1:1", prompt="x")
    assert "test-api-key" not in repr(bad)


@pytest.mark.parametrize(("code", "cls"), [("4007", TaskInProgress), ("5003", ServerBusy)])
async def test_refused_submits_are_retried(
    tv: TopViewSession, fake: FakeTopView, code: str, cls: type[APIError]
) -> None:
    """4007 and 5003 refuse the submit: it is sent again after a backoff and then succeeds."""
    fake.faults.add(f"code_{code}", count=2, endpoint="/submit")
    job = await tv.common.text2image(model="Nano Banana 2", aspect_ratio="1:1", prompt="retry me")
    await job
    assert fake.counters.submits_refused[code] == 2
    assert fake.stats.creates == 1
    fake.faults.add(f"code_{code}", count=50, endpoint="/submit")
    with pytest.raises(cls):
        await tv.common.text2image(model="Nano Banana 2", aspect_ratio="1:1", prompt="never")
    assert fake.stats.creates == 1


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("4000", ParameterError),
        ("4001", ParameterError),
        ("4002", AuthenticationError),
        ("4004", NotFound),
        ("4100", InsufficientCredit),
        ("5000", TopViewServerError),
        ("5004", TopViewServerError),
        ("6001", SecurityRejected),
    ],
)
async def test_other_codes_are_typed_and_not_retried(
    tv: TopViewSession, fake: FakeTopView, code: str, cls: type[APIError]
) -> None:
    """Every other code raises its typed error after exactly one submit."""
    fake.faults.add(f"code_{code}", count=5, endpoint="/submit")
    with pytest.raises(cls) as info:
        await tv.common.text2video(model="Standard", prompt="no")
    assert info.value.code == code and info.value.message
    assert fake.counters.submits_refused[code] == 1


async def test_unknown_replace_key_is_not_found(tv: TopViewSession, fake: FakeTopView) -> None:
    """A key no replace task produced is refused by TopView as 4004 NotFound."""
    with pytest.raises(NotFound):
        await tv.product_avatar.image2video("no-such-key")


async def test_failed_task_raises_job_failed(tv: TopViewSession, fake: FakeTopView) -> None:
    """A task that ends in ``fail`` raises JobFailed carrying errorMsg."""
    job = await tv.common.text2video(model="Standard", prompt="doomed")
    fake.fail(job.id, "prompt rejected")
    with pytest.raises(JobFailed) as info:
        await job
    assert (
        info.value.error_reason == "prompt rejected" and info.value.family == "topview_text2video"
    )


async def test_transient_query_errors_do_not_fail_jobs(
    tv: TopViewSession, fake: FakeTopView
) -> None:
    """5xxx codes, 502s and truncated answers on queries are polled through."""
    fake.faults.add("code_5000", count=1, endpoint="/query")
    fake.faults.add("http_502", count=1, endpoint="/query")
    fake.faults.add("truncated_json", count=1, endpoint="/query")
    job = await tv.common.text2image(model="Nano Banana 2", aspect_ratio="1:1", prompt="patience")
    assert (await job).url == fake.result_url(job.id)
    assert fake.stats.faults_injected["code_5000"] == 1


async def test_lost_submit_is_never_resent(tv: TopViewSession, fake: FakeTopView) -> None:
    """A submit whose answer is lost raises CreationUnknown and is not sent twice."""
    fake.faults.add("lost_create", endpoint="/submit")
    with pytest.raises(CreationUnknown):
        await tv.common.text2image(model="Nano Banana 2", aspect_ratio="1:1", prompt="once")
    assert fake.stats.creates == 1


@pytest.mark.parametrize("style", ["query", "result"])
async def test_query_path_falls_back_to_the_other_spelling(clock: ScaledClock, style: str) -> None:
    """Whichever of ``/query`` or ``/result`` the server serves, jobs are polled to the end."""
    async with (
        FakeTopView(fast_config(), clock=clock, uid=UID, query_style=style) as fake,  # type: ignore[arg-type]
        session_for(fake, clock) as tv,
    ):
        a = await tv.common.text2image(model="Nano Banana 2", aspect_ratio="1:1", prompt="one")
        b = await tv.video_avatar.create(
            avatar_source_from=1, audio_source_from=1, ai_avatar_id="pub", tts_text="hi"
        )
        await tv.gather([a, b])
        second = await tv.common.text2image(model="Nano Banana 2", aspect_ratio="1:1", prompt="two")
        await second
    served = {k for k in fake.stats.requests if k.startswith("GET") and "task" in k}
    assert served and all(k.endswith(f"/{style}") for k in served)


async def test_tokens_resume_in_a_new_session(fake: FakeTopView, clock: ScaledClock) -> None:
    """A TopView job token resumes in another TopView session, not in an Akool one."""
    async with session_for(fake, clock) as tv:
        job = await tv.common.text2video(model="Standard", prompt="later")
        token = job.token()
    assert '"provider":"topview"' in token
    async with session_for(fake, clock) as tv2:
        resumed = tv2.resume(token)
        assert (await resumed).url == fake.result_url(job.id)
    async with Session(api_key="k", base_url="http://127.0.0.1:9") as akool:
        with pytest.raises(ValidationError):
            akool.resume(token)


async def test_status_reads_once(tv: TopViewSession, fake: FakeTopView) -> None:
    """``status`` reads a task once, mapping its word onto JobStatus."""
    job = await tv.common.text2image(model="Nano Banana 2", aspect_ratio="1:1", prompt="peek")
    fake.set_status(job.id, 2)
    snap = await tv.status(job.id, family="topview_text2image")
    assert snap.status is JobStatus.PROCESSING
    fake.set_status(job.id, None)
    await job


async def test_mixed_akool_and_topview_rows(clock: ScaledClock, tmp_path: Path) -> None:
    """One batch of Akool and TopView rows, routed by family, runs every row to DONE.

    The mixed batch is covered in depth (resume, refusals, manifests, CLI) in
    ``tests/test_batch_mixed.py``.
    """
    rows: list[dict[str, Any]] = [
        {
            "id": "photo",
            "family": "talking_photo",
            "talking_photo_url": "https://cdn.example/a.jpg",
            "audio_url": "https://cdn.example/a.mp3",
        },
        {
            "id": "tv-image",
            "family": "topview_text2image",
            "prompt": "a fox",
            "model": "Nano Banana 2",
            "aspectRatio": "1:1",
        },
        {"id": "image", "family": "image", "prompt": "a fox"},
        {
            "id": "tv-video",
            "family": "topview_text2video",
            "prompt": "a fox running",
            "model": "Standard",
            "duration": 10,
        },
    ]
    akool_config = FakeConfig(
        speed=SPEED, queue_time=(0.5, 1.0), media_duration=(1.0, 2.0), processing_factor=2.0
    )
    async with (
        FakeAkool(akool_config, clock=clock) as akool_fake,
        FakeTopView(fast_config(), clock=clock, uid=UID) as tv_fake,
        Session(api_key=KEY, base_url=akool_fake.base_url, clock=clock) as akool,
        session_for(tv_fake, clock) as tv,
        run_batch([akool, tv], rows, out_dir=tmp_path) as batch,
    ):
        outcomes = {o.row_id: o async for o in batch}
    assert {o.state for o in outcomes.values()} == {OutcomeState.DONE}
    assert [outcomes[r["id"]].family for r in rows] == [r["family"] for r in rows]
    assert tv_fake.stats.creates == 2 and akool_fake.stats.creates == 2


async def test_topview_routes_embed_in_the_fake_akool_app(clock: ScaledClock) -> None:
    """``add_topview_routes`` puts TopView beside the fake Akool in one server, both working."""
    from aiohttp import web

    from akool_async.testing._topview import add_topview_routes

    akool_fake = FakeAkool(
        FakeConfig(speed=SPEED, queue_time=(0.5, 1.0), media_duration=(1.0, 2.0)), clock=clock
    )
    tv_fake = FakeTopView(fast_config(), clock=clock, uid=UID)
    app = akool_fake.app()
    add_topview_routes(app, tv_fake)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    base = f"http://{host}:{port}"
    try:
        async with (
            Session(api_key=KEY, base_url=base, clock=clock) as akool,
            TopViewSession(KEY, UID, base_url=base, clock=clock) as tv,
        ):
            a = (await akool.create("image", {"prompt": "owl"}))[0]
            b = await tv.common.text2image(model="Nano Banana 2", aspect_ratio="1:1", prompt="owl")
            ra, rb = await a, await b
    finally:
        await runner.cleanup()
    assert ra.family == "image" and rb.url.startswith(base + "/tv-files/")
    assert akool_fake.stats.creates == 1 and tv_fake.stats.creates == 1
