"""TopView's v2 product avatar image2Video and v2 image to video, over loopback against the fake."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from akool_async import (
    ConfigurationError,
    JobFailed,
    JobStatus,
    ResultMissing,
    RetryPolicy,
    ScaledClock,
    ValidationError,
)
from akool_async._batch import OutcomeState, run_batch
from akool_async._batch.manifest import parse_manifest
from akool_async.testing._topview import FakeTopView, sample_media
from akool_async.topview import (
    ImageToVideoV2Request,
    MediaTaskResult,
    ProductImageToVideoV2Request,
    TopViewSession,
    family_for_biz_type,
)
from akool_async.topview._families import TOPVIEW_FAMILIES
from akool_async.topview._models import build_request, request_body

from .helpers import fast_config

pytestmark = pytest.mark.anyio

UID = "test-uid"
SPEED = 1000.0
PRODUCT_V2 = "topview_product_image2video_v2"
I2V_V2 = "topview_image2video_v2"


@pytest.fixture
async def pair() -> AsyncIterator[tuple[FakeTopView, TopViewSession]]:
    """A fake TopView and an open session on it, on one fast clock."""
    clock = ScaledClock(SPEED)
    async with (
        FakeTopView(fast_config(speed=SPEED, seed=23), clock=clock, uid=UID) as fake,
        TopViewSession(
            "test-api-key",
            UID,
            base_url=fake.base_url,
            clock=clock,
            seed=5,
            retry=RetryPolicy(base=0.5, cap=2.0),
        ) as tv,
    ):
        yield fake, tv


# -- product avatar image2Video v2 -------------------------------------------------------------


async def test_product_v2_text_script_completes(pair: tuple[FakeTopView, TopViewSession]) -> None:
    """A text-script v2 product video is submitted in camelCase and ends at finishedVideoUrl."""
    fake, tv = pair
    job = await tv.product_avatar.image2video_v2(
        "img-123",
        mode="avatar4Fast",
        tts_text="Meet the bottle",
        voice_id="voice-9",
        caption_id="cap-1",
        aspect_ratio="9:16",
        video_length_type=2,
    )
    result = await job
    assert result.url == fake.result_url(job.id)
    assert job.family == PRODUCT_V2 and job.status is JobStatus.COMPLETED
    assert fake.stats.create_bodies[-1] == {
        "replaceProductTaskImageId": "img-123",
        "mode": "avatar4Fast",
        "scriptMode": "text",
        "ttsText": "Meet the bottle",
        "voiceId": "voice-9",
        "captionId": "cap-1",
        "aspectRatio": "9:16",
        "videoLengthType": 2,
    }


async def test_product_v2_audio_script_is_inferred(
    pair: tuple[FakeTopView, TopViewSession],
) -> None:
    """Given an uploaded track and no script_mode, the body says scriptMode audio."""
    fake, tv = pair
    voice = await tv.upload(sample_media("wav"), format="wav")
    job = await tv.product_avatar.image2video_v2("img-1", mode="pro", audio_file_id=voice)
    await job
    body = fake.stats.create_bodies[-1]
    assert body["scriptMode"] == "audio" and body["audioFileId"] == voice.file_id
    assert "ttsText" not in body


async def test_product_v2_failure_carries_the_reason(
    pair: tuple[FakeTopView, TopViewSession],
) -> None:
    """A failed v2 product task raises JobFailed with TopView's errorMsg."""
    fake, tv = pair
    job = await tv.product_avatar.image2video_v2("img-1", tts_text="hi")
    fake.fail(job.id, "avatar could not be animated")
    with pytest.raises(JobFailed) as info:
        await job
    assert info.value.job_id == job.id and "avatar could not be animated" in str(info.value)


async def test_product_v2_success_without_url_is_result_missing(
    pair: tuple[FakeTopView, TopViewSession],
) -> None:
    """A v2 product success with no finishedVideoUrl ends at once with ResultMissing."""
    fake, tv = pair
    job = await tv.product_avatar.image2video_v2("img-1", tts_text="hi", max_wait=3600.0)
    fake.complete(job.id, without_url=True)
    with pytest.raises(ResultMissing):
        await job
    assert fake.stats.polls[job.id] <= 2


# -- image to video v2 ---------------------------------------------------------------------------


async def test_image2video_v2_frames_complete_with_every_video(
    pair: tuple[FakeTopView, TopViewSession],
) -> None:
    """First and end frames, count 3: three typed videos read from videos[].filePath."""
    fake, tv = pair
    first = await tv.upload(sample_media("png"), format="png")
    end = await tv.upload(sample_media("jpg"), format="jpg")
    job = await tv.common.image2video_v2(
        first_frame_file_id=first,
        end_frame_file_id=end,
        model="Standard",
        prompt="the bottle turns",
        resolution=720,
        duration=5,
        sound="on",
        generating_count=3,
    )
    typed = await tv.result(job)
    assert isinstance(typed, MediaTaskResult) and typed.kind == "video"
    assert [m.url for m in typed.media] == [fake.result_url(job.id, i) for i in range(3)]
    assert typed.failed == () and typed.cost_credit == 30.0
    body = fake.stats.create_bodies[-1]
    assert body["firstFrameFileId"] == first.file_id and body["endFrameFileId"] == end.file_id
    assert body["generatingCount"] == 3 and body["sound"] == "on" and body["resolution"] == 720


async def test_image2video_v2_partial_failure_keeps_the_good_videos(
    pair: tuple[FakeTopView, TopViewSession],
) -> None:
    """A success with one of three videos failed yields the two URLs and the failure's reason."""
    fake, tv = pair
    image = fake.upload_bytes(sample_media("jpg"), "jpg")
    job = await tv.common.image2video_v2(first_frame_file_id=image, generating_count=3)
    fake.jobs[job.id].error_msg = "clip 3 was refused"
    fake.complete(job.id, failed_items=1)
    typed = await tv.result(job)
    assert isinstance(typed, MediaTaskResult)
    assert [m.url for m in typed.media] == [fake.result_url(job.id, i) for i in range(2)]
    assert typed.failed == ("clip 3 was refused",) and typed.url == fake.result_url(job.id, 0)


async def test_image2video_v2_every_video_failed_is_result_missing(
    pair: tuple[FakeTopView, TopViewSession],
) -> None:
    """A success whose every listed video failed has no URL: ResultMissing at once."""
    fake, tv = pair
    image = fake.upload_bytes(sample_media("jpg"), "jpg")
    job = await tv.common.image2video_v2(
        first_frame_file_id=image, generating_count=2, max_wait=3600.0
    )
    fake.complete(job.id, failed_items=2)
    with pytest.raises(ResultMissing):
        await job


async def test_image2video_v2_from_manifest_fields_with_references(
    pair: tuple[FakeTopView, TopViewSession],
) -> None:
    """The untyped create (a manifest row, camelCase) takes a list of reference images."""
    fake, tv = pair
    refs = [fake.upload_bytes(sample_media("png"), "png") for _ in range(2)]
    (job,) = await tv.create(
        I2V_V2, {"referenceImageFileIds": refs, "model": "Kling V3", "aspectRatio": "16:9"}
    )
    result = await job
    assert result.url == fake.result_url(job.id)
    assert fake.stats.create_bodies[-1]["referenceImageFileIds"] == refs


async def test_image2video_v2_notice_url_is_registered_then_sent(
    pair: tuple[FakeTopView, TopViewSession],
) -> None:
    """A v2 submit with webhook_url registers it first and sends it as noticeUrl."""
    fake, tv = pair
    image = fake.upload_bytes(sample_media("jpg"), "jpg")
    url = "https://hooks.example.com/topview"
    job = await tv.common.image2video_v2(first_frame_file_id=image, webhook_url=url)
    await job
    assert url in fake.notice_urls and fake.stats.create_bodies[-1]["noticeUrl"] == url


async def test_invalid_v2_arguments_send_nothing(pair: tuple[FakeTopView, TopViewSession]) -> None:
    """A bad count or a text script without text fails naming the field; nothing reaches TopView."""
    fake, tv = pair
    with pytest.raises(ValidationError) as info:
        await tv.common.image2video_v2(first_frame_file_id="f1", generating_count=5)
    assert info.value.field == "generating_count"
    with pytest.raises(ValidationError) as info:
        await tv.product_avatar.image2video_v2("img-1", script_mode="text")
    assert info.value.field == "tts_text"
    assert fake.stats.creates == 0


async def test_v2_families_run_from_a_csv_manifest(
    pair: tuple[FakeTopView, TopViewSession], tmp_path: Path
) -> None:
    """A CSV manifest with both v2 families (camelCase, a | list) runs to downloaded results."""
    fake, tv = pair
    refs = "|".join(fake.upload_bytes(sample_media("png"), "png") for _ in range(2))
    text = (
        "id,family,replaceProductTaskImageId,ttsText,videoLengthType,referenceImageFileIds\n"
        f"promo,{PRODUCT_V2},img-1,Hello there,2,\n"
        f"clip,{I2V_V2},,,,{refs}\n"
    )
    manifest = parse_manifest(text, source="rows.csv", format="csv")
    async with run_batch(tv, manifest, out_dir=tmp_path) as batch:
        outcomes = {o.row_id: o async for o in batch}
    assert {o.state for o in outcomes.values()} == {OutcomeState.DONE}
    assert fake.stats.creates_by_family[PRODUCT_V2] == fake.stats.creates_by_family[I2V_V2] == 1
    bodies = fake.stats.create_bodies
    assert [b["referenceImageFileIds"] for b in bodies if "referenceImageFileIds" in b] == [
        refs.split("|")
    ]


@pytest.mark.parametrize("cloudfront", [True, False])
async def test_cloudfront_choice_is_sent_with_every_query(cloudfront: bool) -> None:
    """With cloudfront_urls True or False, the fake takes the queries and the job completes."""
    clock = ScaledClock(SPEED)
    async with (
        FakeTopView(fast_config(speed=SPEED, seed=29), clock=clock, uid=UID) as fake,
        TopViewSession(
            "test-api-key", UID, base_url=fake.base_url, clock=clock, cloudfront_urls=cloudfront
        ) as tv,
    ):
        job = await tv.product_avatar.image2video_v2("img-1", tts_text="hi")
        result = await job
    assert result.url == fake.result_url(job.id) and fake.stats.polls[job.id] >= 1


def test_cloudfront_choice_must_be_a_bool() -> None:
    """A cloudfront_urls that is not True, False or None is refused at construction."""
    with pytest.raises(ConfigurationError) as info:
        TopViewSession("k", UID, cloudfront_urls="yes")  # type: ignore[arg-type]
    assert "cloudfront_urls" in str(info.value)


async def test_batch_rows_may_list_uploaded_references(
    pair: tuple[FakeTopView, TopViewSession], tmp_path: Path
) -> None:
    """A Python batch row listing UploadedFile references is journaled and sent as fileIds."""
    fake, tv = pair
    refs = [await tv.upload(sample_media("png"), format="png") for _ in range(2)]
    rows = [{"id": "r", "family": I2V_V2, "reference_image_file_ids": refs}]
    async with run_batch(tv, rows, out_dir=tmp_path) as batch:
        (outcome,) = [o async for o in batch]
    assert outcome.state is OutcomeState.DONE
    assert fake.stats.create_bodies[-1]["referenceImageFileIds"] == [r.file_id for r in refs]


def test_v2_request_types_are_exported() -> None:
    """The v2 request classes are public names of akool_async.topview."""
    import akool_async.topview as topview

    for name in ("ImageToVideoV2Request", "ProductImageToVideoV2Request"):
        assert name in topview.__all__ and getattr(topview, name).__name__ == name


# -- the fake refuses what the SDK would refuse ---------------------------------------------------


async def test_fake_refuses_bad_v2_bodies(pair: tuple[FakeTopView, TopViewSession]) -> None:
    """The fake answers 4000/4003 to a v2 body with a bad mode, count or missing frame."""
    fake, _ = pair
    headers = {"Authorization": "Bearer test-api-key", "Topview-Uid": UID}
    cases: list[tuple[str, dict[str, Any], str]] = [
        (
            "/v2/product_avatar/task/image2Video/submit",
            {
                "replaceProductTaskImageId": "i",
                "mode": "ultra",
                "scriptMode": "text",
                "ttsText": "x",
            },
            "4000",
        ),
        (
            "/v2/product_avatar/task/image2Video/submit",
            {"replaceProductTaskImageId": "i", "scriptMode": "text"},
            "4003",
        ),
        ("/v2/common_task/image2video/task/submit", {"generatingCount": 5}, "4000"),
        ("/v2/common_task/image2video/task/submit", {"model": "Standard"}, "4003"),
    ]
    async with aiohttp.ClientSession(headers=headers) as http:
        for path, body, code in cases:
            async with http.post(fake.base_url + path, json=body) as resp:
                answer = await resp.json()
            assert answer["code"] == code, (path, body, answer)
    assert fake.stats.creates == 0


# -- pure validation ------------------------------------------------------------------------------

BAD_PRODUCT: list[tuple[dict[str, Any], str]] = [
    ({"mode": "ultra", "tts_text": "x"}, "mode"),
    ({"script_mode": "video", "tts_text": "x"}, "script_mode"),
    ({"script_mode": "audio"}, "audio_file_id"),
    ({"script_mode": "audio", "audio_file_id": "a1", "voice_id": "v"}, "voice_id"),
    ({"tts_text": "x", "audio_file_id": "a1", "script_mode": "text"}, "audio_file_id"),
    ({"tts_text": "x", "aspect_ratio": "2:1"}, "aspect_ratio"),
    ({"tts_text": "x", "video_length_type": 4}, "video_length_type"),
    ({"tts_text": "x", "voice_speed": 1.0}, "voice_speed"),
    ({"tts_text": "x", "replace_product_task_image_id": ""}, "replace_product_task_image_id"),
]


@pytest.mark.parametrize(("fields", "name"), BAD_PRODUCT)
def test_product_v2_request_refuses_bad_fields(fields: dict[str, Any], name: str) -> None:
    """Every bad v2 product field is refused before any request, naming that field."""
    row = {"replace_product_task_image_id": "img-1", **fields}
    with pytest.raises(ValidationError) as info:
        build_request(ProductImageToVideoV2Request, row)
    assert info.value.field == name


BAD_I2V: list[tuple[dict[str, Any], str]] = [
    ({}, "first_frame_file_id"),
    ({"first_frame_file_id": "f", "generating_count": 0}, "generating_count"),
    ({"first_frame_file_id": "f", "resolution": 600}, "resolution"),
    ({"first_frame_file_id": "f", "resolution": "720"}, "resolution"),
    ({"first_frame_file_id": "f", "duration": 17}, "duration"),
    ({"first_frame_file_id": "f", "sound": True}, "sound"),
    ({"first_frame_file_id": "f", "aspect_ratio": "21:9"}, "aspect_ratio"),
    ({"reference_image_file_ids": ["only-one"]}, "reference_image_file_ids"),
    ({"reference_image_file_ids": "a,b"}, "reference_image_file_ids"),
    ({"first_frame_file_id": "bad id"}, "first_frame_file_id"),
]


@pytest.mark.parametrize(("fields", "name"), BAD_I2V)
def test_image2video_v2_request_refuses_bad_fields(fields: dict[str, Any], name: str) -> None:
    """Every bad image-to-video v2 field is refused before any request, naming that field."""
    with pytest.raises(ValidationError) as info:
        build_request(ImageToVideoV2Request, fields)
    assert info.value.field == name


def test_v2_bodies_are_camel_case_and_drop_unset_fields() -> None:
    """The v2 bodies carry TopView's names, the default count and mode, and nothing unset."""
    i2v = ImageToVideoV2Request(first_frame_file_id="f1", model="Standard")
    assert request_body(i2v) == {
        "firstFrameFileId": "f1",
        "model": "Standard",
        "generatingCount": 1,
    }
    product = ProductImageToVideoV2Request(replace_product_task_image_id="i", tts_text="t")
    assert request_body(product) == {
        "replaceProductTaskImageId": "i",
        "mode": "lite",
        "scriptMode": "text",
        "ttsText": "t",
    }


def test_v2_families_share_their_v1_biz_type() -> None:
    """Each v2 family reports its v1 family's bizType, which names the v1 family in callbacks."""
    for v2, v1 in ((PRODUCT_V2, "topview_product_image2video"), (I2V_V2, "topview_image2video")):
        fam = TOPVIEW_FAMILIES[v2]
        assert fam.webhook_type == TOPVIEW_FAMILIES[v1].webhook_type
        found = family_for_biz_type(fam.webhook_type)
        assert found is not None and found.name == v1
    assert TOPVIEW_FAMILIES[PRODUCT_V2].status.path == "/v2/product_avatar/task/image2Video/query"
    assert TOPVIEW_FAMILIES[I2V_V2].status.path == "/v2/common_task/image2video/task/query"
