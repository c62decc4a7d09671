"""TopView text to video, text to image and video avatar as TopView's client shows them, over
loopback against the fake (which mirrors the same evidence: see tests/contract/)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from akool_async import AuthenticationError, RetryPolicy, ScaledClock
from akool_async._errors import error_for_code
from akool_async.testing._topview import FakeTopView, sample_media
from akool_async.topview import TOPVIEW_CODES, MediaTaskResult, TopViewSession

from .helpers import fast_config

pytestmark = pytest.mark.anyio

UID = "test-uid"
HEADERS = {"Authorization": "Bearer test-api-key", "Topview-Uid": UID}


@pytest.fixture
async def pair() -> AsyncIterator[tuple[FakeTopView, TopViewSession]]:
    """A fake TopView and an open session on it, on one fast clock."""
    clock = ScaledClock(1000.0)
    async with (
        FakeTopView(fast_config(seed=31), clock=clock, uid=UID) as fake,
        TopViewSession(
            "test-api-key",
            UID,
            base_url=fake.base_url,
            clock=clock,
            seed=7,
            retry=RetryPolicy(base=0.5, cap=2.0),
        ) as tv,
    ):
        yield fake, tv


async def test_text2video_partial_failure_keeps_every_made_video(
    pair: tuple[FakeTopView, TopViewSession],
) -> None:
    """Three text-to-video videos with one failed: the task succeeds and both made ones are kept."""
    fake, tv = pair
    fake.config.record_create_bodies = True
    job = await tv.common.text2video(model="Kling V3", prompt="a fox", generating_count=3)
    fake.complete(job.id, failed_items=1)
    typed = await tv.result(job)
    assert isinstance(typed, MediaTaskResult)
    assert [m.url for m in typed.media] == [fake.result_url(job.id, i) for i in range(2)]
    assert typed.failed == (fake.jobs[job.id].error_msg,)
    assert fake.stats.create_bodies[-1] == {
        "model": "Kling V3",
        "prompt": "a fox",
        "generatingCount": 3,
    }


async def test_text2image_images_and_generate_count(
    pair: tuple[FakeTopView, TopViewSession],
) -> None:
    """Text to image sends ``generateCount`` and yields each image of ``images[].filePath``."""
    fake, tv = pair
    fake.config.record_create_bodies = True
    job = await tv.common.text2image(
        model="Nano Banana 2", prompt="an owl", aspect_ratio="4:5", resolution="1K",
        generating_count=2,
    )  # fmt: skip
    typed = await tv.result(job)
    assert isinstance(typed, MediaTaskResult) and typed.kind == "image"
    assert [m.url for m in typed.media] == [fake.result_url(job.id, i) for i in range(2)]
    assert fake.stats.create_bodies[-1]["generateCount"] == 2


async def test_video_avatar_photo_source_with_mode_type(
    pair: tuple[FakeTopView, TopViewSession],
) -> None:
    """A photo avatar (source 3) sends ``imageFileId`` and ``modeType`` and ends at
    ``outputVideoUrl``."""
    fake, tv = pair
    fake.config.record_create_bodies = True
    photo = fake.upload_bytes(sample_media("png"), "png")
    audio = fake.upload_bytes(sample_media("mp3"), "mp3")
    job = await tv.video_avatar.create(
        avatar_source_from=3, image_file_id=photo, audio_source_from=0, audio_file_id=audio, mode=2
    )
    result = await job
    assert result.url == fake.result_url(job.id)
    assert result.snapshot.raw["outputVideoUrl"] == result.url
    body = fake.stats.create_bodies[-1]
    assert body["modeType"] == 2 and body["imageFileId"] == photo and "mode" not in body


async def test_fake_refuses_what_topviews_client_never_sends(
    pair: tuple[FakeTopView, TopViewSession],
) -> None:
    """The fake answers 4000/4003 to the invented fields and missing required ones."""
    fake, _ = pair
    t2v = "/v1/common_task/text2video/task/submit"
    t2i = "/v1/common_task/text2image/task/submit"
    image = {"model": "m", "prompt": "p", "aspectRatio": "1:1"}
    avatar = {"avatarSourceFrom": 1, "aiAvatarId": "a", "audioSourceFrom": 1, "ttsText": "t"}
    cases: list[tuple[str, dict[str, Any], str]] = [
        (t2v, {"prompt": "p"}, "4003"),
        (t2v, {"model": "m", "prompt": "p", "mode": "lite"}, "4000"),
        (t2v, {"model": "m", "prompt": "p", "negativePrompt": "blur"}, "4000"),
        (t2v, {"model": "m", "prompt": "p", "resolution": "1080"}, "4000"),
        (t2i, {"model": "m", "prompt": "p"}, "4003"),
        (t2i, {**image, "generatingCount": 2}, "4000"),
        (t2i, {**image, "resolution": 1080}, "4000"),
        ("/v1/video_avatar/task/submit", {**avatar, "mode": 1}, "4000"),
        ("/v1/video_avatar/task/submit", {**avatar, "avatarSourceFrom": 3}, "4003"),
        ("/v1/product_avatar/task/image2Video/submit", {"image2videoPrompt": "x"}, "4000"),
    ]
    async with aiohttp.ClientSession(headers=HEADERS) as http:
        for path, body, code in cases:
            async with http.post(fake.base_url + path, json=body) as resp:
                answer = await resp.json()
            assert answer["code"] == code, (path, body, answer)
    assert fake.stats.creates == 0


async def test_fake_serves_query_only_where_the_evidence_puts_it(
    pair: tuple[FakeTopView, TopViewSession],
) -> None:
    """Text to video is queried at ``.../task/query`` only; the v1 product tasks answer both."""
    fake, tv = pair
    job = await tv.common.text2video(model="Standard", prompt="waves")
    async with aiohttp.ClientSession(headers=HEADERS) as http:
        base = fake.base_url + "/v1/common_task/text2video/task/"
        async with http.get(base + "query", params={"taskId": job.id}) as resp:
            assert (await resp.json())["result"]["status"] in ("init", "running", "success")
        async with http.get(base + "result", params={"taskId": job.id}) as resp:
            assert resp.status == 404
        for spelling in ("result", "query"):
            path = f"{fake.base_url}/v1/product_avatar/task/image_replace/{spelling}"
            async with http.get(path, params={"taskId": "none"}) as resp:
                assert (await resp.json())["code"] == "4004"
    await job


def test_code_401_is_an_authentication_error() -> None:
    """TopView's ``401`` (its client's "need to login again") raises AuthenticationError."""
    assert error_for_code("401", TOPVIEW_CODES) is AuthenticationError
    assert error_for_code(401, TOPVIEW_CODES) is AuthenticationError


async def test_image2video_v1_warns_and_names_its_v2_model(
    pair: tuple[FakeTopView, TopViewSession],
) -> None:
    """v1 image to video still completes, warning towards v2's ``"Topview <Mode>"`` model."""
    fake, tv = pair
    image = fake.upload_bytes(sample_media("png"), "png")
    with pytest.warns(DeprecationWarning, match='model="Topview Pro"'):
        job = await tv.common.image2video(image_file_id=image, mode="pro")
    assert (await job).url == fake.result_url(job.id)
