"""TopView uploads: credential -> PUT to the pre-signed URL -> check, and the local checks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from akool_async import ParameterError, RetryPolicy, ScaledClock, ValidationError
from akool_async.testing import FakeConfig
from akool_async.testing._topview import FakeTopView, sample_media
from akool_async.topview import TopViewSession, UploadedFile, UploadFailed

pytestmark = pytest.mark.anyio

KEY = "test-api-key"
UID = "test-uid"
SPEED = 1000.0
FORMATS = ["png", "jpg", "jpeg", "bmp", "webp", "mp3", "wav", "m4a", "mp4", "avi", "mov"]


def fast_config(**overrides: Any) -> FakeConfig:
    """Jobs that take a few clock seconds."""
    settings: dict[str, Any] = {
        "speed": SPEED,
        "queue_time": (0.5, 1.0),
        "media_duration": (1.0, 2.0),
        "processing_factor": 2.0,
        "seed": 5,
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


@pytest.fixture
async def tv(fake: FakeTopView, clock: ScaledClock) -> AsyncIterator[TopViewSession]:
    """An open session with quick retries."""
    async with TopViewSession(
        KEY,
        UID,
        base_url=fake.base_url,
        clock=clock,
        retry=RetryPolicy(base=0.5, cap=2.0),
        max_upload_bytes={"image": 4096},
    ) as session:
        yield session


@pytest.mark.parametrize("fmt", FORMATS)
async def test_every_format_uploads_through_the_three_steps(
    tv: TopViewSession, fake: FakeTopView, fmt: str
) -> None:
    """Each accepted format goes credential -> PUT -> check and comes back as a fileId."""
    data = sample_media(fmt, width=12, height=9)
    uploaded = await tv.upload(data, format=fmt)
    assert fake.files[uploaded.file_id].data == data
    assert uploaded.size == len(data) and uploaded.format == fmt
    if fmt in ("png", "jpg", "jpeg", "bmp", "webp"):
        assert uploaded.dimensions == (12, 9)
    requests = fake.stats.requests
    assert requests["GET /v1/upload/credential"] == 1
    assert requests["PUT /_storage/{file_id}"] == 1
    assert requests["GET /v1/upload/check"] == 1


async def test_storage_put_gets_no_credentials(tv: TopViewSession, fake: FakeTopView) -> None:
    """The pre-signed PUT carries neither the bearer key nor the uid."""
    await tv.upload(sample_media("mp3"), format="mp3")
    assert fake.counters.storage_puts == 1 and fake.counters.storage_auth_leaks == 0


async def test_upload_from_a_path_uses_its_suffix(
    tv: TopViewSession, fake: FakeTopView, tmp_path: Path
) -> None:
    """A path uploads with the format its suffix names, streamed for audio and video."""
    clip = tmp_path / "clip.MP4"
    clip.write_bytes(sample_media("mp4", size=300_000))
    uploaded = await tv.upload(clip)
    assert uploaded.format == "mp4" and fake.files[uploaded.file_id].data == clip.read_bytes()
    photo = tmp_path / "face.webp"
    photo.write_bytes(sample_media("webp", width=5, height=4))
    assert (await tv.upload(str(photo))).dimensions == (5, 4)


@pytest.mark.parametrize(
    ("data", "fmt", "field"),
    [
        (sample_media("png"), "gif", "format"),
        (sample_media("png"), "jpg", "format"),
        (b"not really audio", "mp3", "format"),
        (b"", "png", "source"),
        (sample_media("png", width=200, height=200) + b"\x00" * 5000, "png", "source"),
        (sample_media("png"), None, "format"),
    ],
)
async def test_local_checks_refuse_before_sending(
    tv: TopViewSession, fake: FakeTopView, data: bytes, fmt: str | None, field: str
) -> None:
    """Bad format, mismatched content, empty or oversized files fail before any request."""
    with pytest.raises(ValidationError) as info:
        await tv.upload(data, format=fmt)
    assert info.value.field == field
    assert fake.stats.total_requests() == 0


async def test_put_is_retried_after_a_storage_error(tv: TopViewSession, fake: FakeTopView) -> None:
    """A 502 or a reset from storage is retried; the file arrives once."""
    fake.faults.add("http_502", endpoint="/_storage/")
    fake.faults.add("reset", endpoint="/_storage/")
    uploaded = await tv.upload(sample_media("wav"), format="wav")
    assert fake.files[uploaded.file_id].data is not None
    assert fake.counters.storage_puts == 1  # the faulted attempts never reached the handler
    assert fake.stats.faults_injected["http_502"] == 1 and fake.stats.faults_injected["reset"] == 1


async def test_put_that_keeps_failing_raises_upload_failed(
    tv: TopViewSession, fake: FakeTopView
) -> None:
    """Storage that never accepts the bytes ends in UploadFailed naming the fileId."""
    fake.faults.add("http_500", count=20, endpoint="/_storage/")
    with pytest.raises(UploadFailed) as info:
        await tv.upload(sample_media("mp3"), format="mp3")
    assert info.value.file_id in fake.files
    assert "X-Amz-Signature" not in str(info.value)


async def test_unconfirmed_upload_raises_upload_failed(
    tv: TopViewSession, fake: FakeTopView
) -> None:
    """A check that never confirms the file raises UploadFailed after a few looks."""
    fake.lose_uploads = True
    with pytest.raises(UploadFailed) as info:
        await tv.upload(sample_media("mp3"), format="mp3")
    assert info.value.file_id in fake.files
    assert fake.counters.checks > 1


async def test_mask_of_another_size_is_refused_before_upload(
    tv: TopViewSession, fake: FakeTopView
) -> None:
    """``upload_mask`` refuses a mask whose size differs from its image's, sending nothing."""
    image = await tv.upload(sample_media("png", width=20, height=10), format="png")
    before = fake.stats.total_requests()
    with pytest.raises(ValidationError) as info:
        await tv.upload_mask(sample_media("png", width=10, height=10), image=image, format="png")
    assert info.value.field == "mask" and fake.stats.total_requests() == before
    mask = await tv.upload_mask(sample_media("png", width=20, height=10), image=image, format="png")
    assert mask.dimensions == image.dimensions


async def test_mask_sizes_are_checked_for_plain_file_ids(
    tv: TopViewSession, fake: FakeTopView
) -> None:
    """Masks named by fileId are still checked against this session's uploads at submit."""
    image = await tv.upload(sample_media("png", width=20, height=10), format="png")
    mask = await tv.upload(sample_media("png", width=10, height=20), format="png")
    with pytest.raises(ValidationError) as info:
        await tv.create(
            "topview_product_replace",
            {
                "productImageFileId": image.file_id,
                "productMaskFileId": mask.file_id,
                "avatarId": "a",
            },
        )
    assert info.value.field == "product_mask_file_id" and fake.stats.creates == 0


async def test_server_refuses_masks_uploaded_elsewhere(
    tv: TopViewSession, fake: FakeTopView
) -> None:
    """Files this session never saw are checked by TopView itself (4000 ParameterError)."""
    image = fake.upload_bytes(sample_media("png", width=20, height=10), "png")
    mask = fake.upload_bytes(sample_media("png", width=21, height=10), "png")
    with pytest.raises(ParameterError):
        await tv.product_avatar.replace(
            product_image_file_id=image, product_mask_file_id=mask, avatar_id="a"
        )
    same = fake.upload_bytes(sample_media("png", width=20, height=10), "png")
    job = await tv.product_avatar.replace(
        product_image_file_id=image, product_mask_file_id=same, avatar_id="a"
    )
    await job


async def test_uploaded_file_kinds_are_checked(tv: TopViewSession) -> None:
    """An audio upload is refused where a video is required, before any submit."""
    voice = UploadedFile("f1", "mp3", 10)
    with pytest.raises(ValidationError) as info:
        await tv.video_avatar.create(
            avatar_source_from=0, audio_source_from=0, video_file_id=voice, audio_file_id=voice
        )
    assert info.value.field == "video_file_id"
