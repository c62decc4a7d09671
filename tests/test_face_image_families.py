"""Face Swap Plus, Pro, reage, image upscale/variation and moderation against the fake server:
each creates, polls to completion or failure, and refuses bad arguments before any request."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from akool_async import (
    FaceInfo,
    FaceMapping,
    JobFailed,
    JobStatus,
    ManifestError,
    ModerationResult,
    NotFound,
    Session,
    SwapImage,
    ValidationError,
    parse_manifest,
)
from akool_async.testing._akool.moderation import FLAGGED_WORD

from .helpers import IMG, IMG2, MP4, pair

pytestmark = pytest.mark.anyio

Create = Callable[[Session], Awaitable[Any]]
FACES = [SwapImage(path=IMG, opts="1,2:3,4"), SwapImage(path=IMG2, opts="5,6:7,8")]

CREATES: dict[str, Create] = {
    "faceswap_plus": lambda s: s.faceswap.plus(
        source_url=IMG,
        target_url=MP4,
        face_mapping=[
            FaceMapping(
                source_face_info=FaceInfo(face_url=IMG), target_face_info=FaceInfo(face_url=IMG2)
            )
        ],
        model_style="lossless",
    ),
    "faceswap_v4": lambda s: s.faceswap.v4(source_image=FACES, target_image=FACES[::-1]),
    "reage_image": lambda s: s.reage.image(target_image=[IMG], face_reage=-12, modify_image=IMG2),
    "reage_video": lambda s: s.reage.video(target_image=[IMG], face_reage=30, modify_video=MP4),
    "image_button": lambda s: s.image.upscale(image_id="65d3206b83ccf5ab7d46cdc6", index=1),
    "moderation": lambda s: s.moderation.create(content=IMG, content_type="image"),
}


@pytest.mark.parametrize("family", sorted(CREATES))
async def test_new_family_creates_and_completes(family: str) -> None:
    """The method creates one job of its family, which the scheduler polls to completion."""
    async with pair() as (fake, session):
        job = await CREATES[family](session)
        result = await job
    assert job.family == family and fake.jobs[job.id].family == family
    assert result.snapshot.status is JobStatus.COMPLETED
    assert (result.url if result.is_file else result.text) and result.is_file == (
        family != "moderation"
    )
    assert fake.stats.creates_by_family[family] == 1


@pytest.mark.parametrize("family", sorted(CREATES))
async def test_new_family_failure_is_job_failed(family: str) -> None:
    """A job the fake fails ends in JobFailed carrying the fake's code and reason."""
    async with pair() as (fake, session):
        job = await CREATES[family](session)
        fake.fail(job.id, code=1015, reason="no face")
        with pytest.raises(JobFailed) as info:
            await job
    assert info.value.snapshot.error_code == 1015
    assert info.value.snapshot.error_reason == "no face"


async def test_plus_target_video_reports_a_video_entry() -> None:
    """A Face Swap Plus into a video is listed by listbyids as a video swap."""
    async with pair() as (fake, session):
        job = await CREATES["faceswap_plus"](session)
        result = await job
    assert result.snapshot.raw["faceswap_type"] == 2
    assert fake.stats.create_bodies[0]["face_mapping"][0]["source_face_info"] == {"face_url": IMG}


async def test_moderation_check_reads_the_verdict() -> None:
    """check() returns the verdict: compliant content and flagged content differ."""
    async with pair() as (_fake, session):
        fine = await session.moderation.check(content="a kind note", content_type="text")
        flagged = await session.moderation.check(
            content=f"https://cdn.example.com/{FLAGGED_WORD}.jpg", content_type=1
        )
    assert isinstance(fine, ModerationResult)
    assert fine.conclusion == "Compliant" and fine.compliant is True
    assert flagged.conclusion == "Non-Compliant" and flagged.compliant is False
    assert "Non-Compliant" in flagged.detail


async def test_delete_removes_results() -> None:
    """faceswap.delete sends the ids; the results are gone from listbyids afterwards."""
    async with pair() as (fake, session):
        job = await CREATES["reage_image"](session)
        await job
        await session.faceswap.delete([job.id])
        assert job.id not in fake.jobs
        with pytest.raises(NotFound):
            await session.status(job.id, family="reage_image")


BAD: list[tuple[Create, str]] = [
    (lambda s: s.faceswap.v4(source_image=[IMG, IMG2], target_image=FACES), "source_image[0].opts"),
    (lambda s: s.faceswap.v4(source_image=[IMG], target_image=FACES), "target_image"),
    (lambda s: s.faceswap.v4(source_image=FACES * 26, target_image=FACES * 26), "source_image"),
    (lambda s: s.faceswap.v4(source_image=[IMG], target_image=[IMG], model_name="x"), "model_name"),
    (
        lambda s: s.faceswap.image(
            source_image=[IMG], target_image=[IMG], modify_image=IMG, face_enhance=2
        ),
        "face_enhance",
    ),
    (lambda s: s.faceswap.plus(source_url=IMG, target_url=IMG), "face_mapping"),
    (
        lambda s: s.faceswap.plus(
            source_url=IMG, target_url=IMG, single_face_mode=True, model_style="cartoon"
        ),
        "model_style",
    ),
    (
        lambda s: s.faceswap.plus(
            source_url=IMG,
            target_url=IMG,
            face_mapping=[
                {"source_face_info": {"bbox": [1, 2, 3, 4]}, "target_face_info": {"face_url": IMG}}
            ],
        ),
        "face_mapping[0].source_face_info.face_url",
    ),
    (
        lambda s: s.faceswap.plus(
            source_url=IMG,
            target_url=IMG,
            face_mapping=[
                {"source_face_info": {"face_url": IMG}, "target_face_info": {"bbox": [1, 2]}}
            ],
        ),
        "face_mapping[0].target_face_info.bbox",
    ),
    (lambda s: s.reage.image(target_image=[IMG], face_reage=31, modify_image=IMG), "face_reage"),
    (lambda s: s.reage.video(target_image=[], face_reage=1, modify_video=MP4), "target_image"),
    (lambda s: s.image.button(image_id="a", button="U5"), "button"),
    (lambda s: s.image.variation(image_id="a", index=5), "index"),
    (lambda s: s.moderation.create(content="words", content_type="image"), "content"),
    (lambda s: s.moderation.create(content=IMG, content_type=5), "content_type"),
    (lambda s: s.faceswap.delete([]), "ids"),
    (lambda s: s.faceswap.delete(["a,b"]), "ids[0]"),
]


@pytest.mark.parametrize(("create", "field"), BAD, ids=[f for _, f in BAD])
async def test_bad_arguments_fail_before_any_request(create: Create, field: str) -> None:
    """Invalid arguments raise ValidationError naming the field, and nothing is sent."""
    async with pair() as (fake, session):
        with pytest.raises(ValidationError) as info:
            await create(session)
    assert info.value.field == field
    assert fake.stats.total_requests() == 0


def test_manifest_rows_of_the_new_families() -> None:
    """JSONL rows of each new family validate, with the API's spellings accepted as aliases."""
    rows = [
        {
            "family": "faceswap_plus",
            "source_url": IMG,
            "target_url": MP4,
            "face_mapping": [
                {"source_face_info": {"face_url": IMG}, "target_face_info": {"bbox": [1, 2, 3, 4]}}
            ],
        },
        {"family": "reage_image", "targetImage": [IMG], "face_reage": 5, "modifyImage": IMG2},
        {"family": "reage_video", "target_image": [IMG], "face_reage": -5, "modifyVideo": MP4},
        {"family": "image_upscale", "_id": "65d3206b83ccf5ab7d46cdc6", "button": "U1"},
        {"family": "moderation", "content": "plain words", "type": 4},
    ]
    manifest = parse_manifest("\n".join(json.dumps(r) for r in rows), format="jsonl")
    assert [r.family for r in manifest.rows] == [
        "faceswap_plus",
        "reage_image",
        "reage_video",
        "image_button",
        "moderation",
    ]
    assert manifest.rows[3].fields == {"image_id": "65d3206b83ccf5ab7d46cdc6", "button": "U1"}
    assert manifest.rows[4].fields == {"content": "plain words", "content_type": 4}


def test_manifest_row_with_a_bad_face_mapping_names_the_field() -> None:
    """A Face Swap Plus row whose mapping lacks the source face names that field."""
    row = {
        "family": "faceswap_plus",
        "source_url": IMG,
        "target_url": IMG2,
        "face_mapping": [
            {"source_face_info": {"bbox": [1, 2, 3, 4]}, "target_face_info": {"face_url": IMG}}
        ],
    }
    with pytest.raises(ManifestError) as info:
        parse_manifest(json.dumps(row), format="jsonl")
    assert info.value.problems[0].field == "face_mapping[0].source_face_info.face_url"
