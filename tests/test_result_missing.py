"""A job reported completed without a result URL ends at once with ResultMissing, every family."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from akool_async import FAMILIES, JobFailed, JobStatus, ResultMissing, RetryPolicy, ScaledClock
from akool_async._akool._common import parse_snapshot
from akool_async.testing import FakeConfig
from akool_async.testing._topview import FakeTopView, sample_media
from akool_async.topview import MediaTaskResult, TopViewSession
from akool_async.topview._families import TOPVIEW_FAMILIES
from akool_async.topview._models import parse_status

from .helpers import MINIMAL_FIELDS, fast_config, pair

pytestmark = pytest.mark.anyio

#: A long deadline: the job must end long before it, on the first answer without a URL.
MAX_WAIT = 3600.0


@pytest.mark.parametrize("name", sorted(FAMILIES))
async def test_akool_family_completed_without_url_fails_at_once(name: str) -> None:
    """Every Akool family: a completed answer without a URL raises ResultMissing on first sight."""
    async with pair() as (fake, session):
        jobs = await session.create(name, MINIMAL_FIELDS[name], max_wait=MAX_WAIT)
        for job in jobs:
            fake.complete(job.id, url="")
        for job in jobs:
            with pytest.raises(ResultMissing) as info:
                await job
            err = info.value
            assert isinstance(err, JobFailed) and err.family == name and err.job_id == job.id
            assert err.answer is err.snapshot.raw and err.answer.get("_id", job.id) == job.id
            assert err.where == FAMILIES[name].result_field and err.where in str(err)
            assert job.status is JobStatus.FAILED
            assert fake.stats.polls[job.id] <= 2


def test_akool_parser_reads_completed_without_url_as_failed() -> None:
    """parse_snapshot turns status 3 with an empty result field into a failed snapshot."""
    snap = parse_snapshot(
        {"_id": "j", "video_status": 3, "video": ""},
        status_field="video_status",
        result_field="video",
    )
    assert snap.status is JobStatus.FAILED and snap.missing_result == "video"
    assert snap.result_url is None and snap.error_reason is not None


def test_topview_parser_reads_success_without_url_as_failed() -> None:
    """parse_status turns a success without any URL into a failed snapshot naming the answer."""
    raw = {"taskId": "t", "status": "success", "videos": [{"originVideo": {}}]}
    snap = parse_status(raw, "t", "GET /q")
    assert snap.status is JobStatus.FAILED and snap.raw is raw
    assert snap.missing_result is not None and "videos" in snap.missing_result
    err = JobFailed(snap, "topview_image2video")
    assert type(err) is ResultMissing and "topview_image2video job t" in str(err)
    assert "taskId" in str(err) and "videos" in str(err)


def _tv_config() -> FakeConfig:
    return fast_config(speed=1000.0, seed=11)


async def _replace_key(tv: TopViewSession, fake: FakeTopView) -> dict[str, Any]:
    product = await tv.upload(sample_media("png"), format="png")
    job = await tv.product_avatar.replace(product_image_file_id=product, avatar_id="avatar-1")
    await job
    return {"product_replace_result_key": fake.jobs[job.id].replace_keys[0]}


def _image(fake: FakeTopView) -> str:
    return fake.upload_bytes(sample_media("jpg"), "jpg")


Fields = Callable[[TopViewSession, FakeTopView], Awaitable[dict[str, Any]]]


async def _product_replace(tv: TopViewSession, fake: FakeTopView) -> dict[str, Any]:
    return {"product_image_file_id": _image(fake), "avatar_id": "avatar-1"}


async def _video_avatar(tv: TopViewSession, fake: FakeTopView) -> dict[str, Any]:
    return {
        "avatar_source_from": 0,
        "audio_source_from": 0,
        "video_file_id": fake.upload_bytes(sample_media("mp4"), "mp4"),
        "audio_file_id": fake.upload_bytes(sample_media("wav"), "wav"),
    }


async def _image2video(tv: TopViewSession, fake: FakeTopView) -> dict[str, Any]:
    return {"image_file_id": _image(fake)}


async def _image2video_v2(tv: TopViewSession, fake: FakeTopView) -> dict[str, Any]:
    return {"first_frame_file_id": _image(fake)}


async def _product_v2(tv: TopViewSession, fake: FakeTopView) -> dict[str, Any]:
    return {"replace_product_task_image_id": "img-1", "tts_text": "hello"}


async def _text2image(tv: TopViewSession, fake: FakeTopView) -> dict[str, Any]:
    return {"model": "Nano Banana 2", "prompt": "a red fox", "aspect_ratio": "1:1"}


async def _text2video(tv: TopViewSession, fake: FakeTopView) -> dict[str, Any]:
    return {"model": "Standard", "prompt": "a red fox"}


#: Minimal fields of every TopView family (built against the fake: uploads, a replace key).
TV_FIELDS: dict[str, Fields] = {
    "topview_image2video": _image2video,
    "topview_image2video_v2": _image2video_v2,
    "topview_product_image2video": _replace_key,
    "topview_product_image2video_v2": _product_v2,
    "topview_product_replace": _product_replace,
    "topview_text2image": _text2image,
    "topview_text2video": _text2video,
    "topview_video_avatar": _video_avatar,
}


def test_topview_fields_cover_every_family() -> None:
    """The TopView case table names every TopView family."""
    assert set(TV_FIELDS) == set(TOPVIEW_FAMILIES)


@pytest.mark.parametrize("name", sorted(TOPVIEW_FAMILIES))
async def test_topview_family_success_without_url_fails_at_once(name: str) -> None:
    """Every TopView family: a success without any URL raises ResultMissing on first sight."""
    clock = ScaledClock(1000.0)
    async with (
        FakeTopView(_tv_config(), clock=clock, uid="uid") as fake,
        TopViewSession(
            "test-api-key",
            "uid",
            base_url=fake.base_url,
            clock=clock,
            seed=3,
            retry=RetryPolicy(base=0.5, cap=2.0),
        ) as tv,
    ):
        fields = await TV_FIELDS[name](tv, fake)
        (job,) = await tv.create(name, fields, max_wait=MAX_WAIT)
        fake.complete(job.id, without_url=True)
        with pytest.raises(ResultMissing) as info:
            await job
        err = info.value
        assert err.family == name and err.job_id == job.id
        assert err.answer.get("taskId") == job.id and err.where in str(err)
        assert fake.stats.polls[job.id] <= 2


async def test_topview_image2video_reads_origin_video_file_path() -> None:
    """Image to video's URLs come from videos[].originVideo.filePath, with costCredit."""
    clock = ScaledClock(1000.0)
    async with (
        FakeTopView(_tv_config(), clock=clock, uid="uid") as fake,
        TopViewSession("test-api-key", "uid", base_url=fake.base_url, clock=clock, seed=3) as tv,
    ):
        with pytest.warns(DeprecationWarning):
            job = await tv.common.image2video(image_file_id=_image(fake), generating_count=2)
        typed = await tv.result(job)
    assert isinstance(typed, MediaTaskResult)
    assert [m.url for m in typed.media] == [fake.result_url(job.id, i) for i in range(2)]
    videos = typed.raw["videos"]
    assert videos[0]["originVideo"]["filePath"] == typed.media[0].url
    assert typed.cost_credit == float(typed.raw["costCredit"])
