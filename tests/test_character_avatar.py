"""Character swap and avatar upload against the fake over loopback: create, poll to the end,
failure, validation before sending, the fake's own checks, manifests; and the list-shaped
status answers (``StatusEndpoint(data_list=True)``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from akool_async import (
    FAMILIES,
    Avatar,
    JobFailed,
    JobStatus,
    StatusEndpoint,
    ValidationError,
    parse_manifest,
    run_batch,
)
from akool_async.testing._akool.avatar_upload import CREATE_PATH as AVATAR_CREATE
from akool_async.testing._akool.character_swap import CREATE_PATH as SWAP_CREATE

from .helpers import API_KEY, IMG, MP4, pair

pytestmark = pytest.mark.anyio

HOOK = "https://hooks.example.com/akool"


# -- character swap ---------------------------------------------------------------------------


async def test_character_swap_create_and_poll_to_completion() -> None:
    """character_swap.create sends the documented body and `await job` gives the video URL."""
    async with pair() as (fake, session):
        job = await session.character_swap.create(
            image=IMG,
            video=MP4,
            duration=12,
            resolution="1080p",
            mode="replace",
            prompt="calm",
            webhook_url=HOOK,
        )
        result = await job
    assert job.family == "character_swap" and job.status is JobStatus.COMPLETED
    assert result.url == fake.result_url(job.id)
    assert fake.stats.create_bodies == [
        {
            "image": IMG,
            "video": MP4,
            "duration": 12,
            "resolution": "1080p",
            "mode": "replace",
            "prompt": "calm",
            "webhookurl": HOOK,
        }
    ]
    raw = result.snapshot.raw
    assert raw["video_status"] == 3 and raw["image_url"] == IMG and raw["video_url"] == MP4
    assert raw["deduction_credit"] == 45  # 3 started 5 s at 1080p's 15 credits


async def test_character_swap_failure_reads_faceswap_fail_reason() -> None:
    """A failed character swap raises JobFailed with the fake's faceswap_fail_reason."""
    async with pair() as (fake, session):
        job = await session.character_swap.create(image=IMG, video=MP4)
        fake.fail(job.id, reason="no face in the image")
        with pytest.raises(JobFailed) as info:
            await job
    assert info.value.error_reason == "no face in the image"
    assert info.value.snapshot.raw["faceswap_fail_reason"] == "no face in the image"
    assert job.status is JobStatus.FAILED


async def test_one_failed_swap_leaves_the_others_completed() -> None:
    """With one of three swaps failed, the other two complete and every job is accounted for."""
    async with pair() as (fake, session):
        jobs = [await session.character_swap.create(image=IMG, video=MP4) for _ in range(3)]
        fake.fail(jobs[1].id)
        results = await session.gather(jobs, return_exceptions=True)
    assert isinstance(results[1], JobFailed) and results[1].job_id == jobs[1].id
    assert [r.url for r in (results[0], results[2]) if not isinstance(r, BaseException)] == [
        fake.result_url(jobs[0].id),
        fake.result_url(jobs[2].id),
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"duration": 0}, "duration"),
        ({"duration": 121}, "duration"),
        ({"duration": "10"}, "duration"),
        ({"resolution": "4k"}, "resolution"),
        ({"mode": "swap"}, "mode"),
        ({"prompt": "x" * 501}, "prompt"),
        ({"image": "ftp://cdn.example.com/a.png"}, "image"),
        ({"video": ""}, "video"),
    ],
)
async def test_character_swap_bad_argument_fails_before_sending(
    changes: dict[str, Any], field: str
) -> None:
    """A bad character-swap argument raises ValidationError naming it, and nothing is sent."""
    async with pair() as (fake, session):
        with pytest.raises(ValidationError) as info:
            await session.character_swap.create(**{"image": IMG, "video": MP4, **changes})
    assert info.value.field == field
    assert fake.stats.creates == 0


# -- avatar upload ----------------------------------------------------------------------------


async def test_avatar_upload_waits_until_ready() -> None:
    """avatar_upload.upload sends {url, avatar_id, type} and returns the ready avatar."""
    async with pair() as (fake, session):
        avatar = await session.avatar_upload.upload(url=MP4, avatar_id="myAvatar01", name="Me")
    assert fake.stats.create_bodies == [
        {"url": MP4, "avatar_id": "myAvatar01", "name": "Me", "type": 1}
    ]
    assert isinstance(avatar, Avatar)
    assert avatar.avatar_id == "myAvatar01" and avatar.name == "Me" and avatar.status == 3
    assert avatar.id is not None and avatar.url == fake.result_url(avatar.id)
    assert fake.stats.polls[avatar.id] >= 1


async def test_avatar_upload_job_polls_detail_to_completion() -> None:
    """An avatar job is polled at avatar/detail?id= and completes with the preview link as its
    result (not a file: no URL to download)."""
    async with pair() as (fake, session):
        job = await session.avatar_upload.create(
            url=MP4, avatar_id="stream1", name="S", avatar_type="streaming", url_from=1
        )
        result = await job
    assert job.status is JobStatus.COMPLETED and result.text == fake.result_url(job.id)
    assert not result.is_file and result.url == ""
    assert fake.stats.requests["GET /api/open/v3/avatar/detail"] >= 1
    assert fake.stats.create_bodies[0]["type"] == 2
    assert FAMILIES["avatar_upload"].result_is_file is False


async def test_avatar_upload_failure_is_job_failed() -> None:
    """An avatar the fake reports as status 4 ends its job with JobFailed."""
    async with pair() as (fake, session):
        job = await session.avatar_upload.create(url=MP4, avatar_id="abc")
        fake.fail(job.id)
        with pytest.raises(JobFailed) as info:
            await job
    assert info.value.job_id == job.id and info.value.family == "avatar_upload"
    assert job.status is JobStatus.FAILED


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"avatar_id": "my avatar"}, "avatar_id"),
        ({"avatar_id": "a_b"}, "avatar_id"),
        ({"avatar_id": ""}, "avatar_id"),
        ({"avatar_type": 3}, "avatar_type"),
        ({"avatar_type": "live"}, "avatar_type"),
        ({"url_from": 3}, "url_from"),
        ({"avatar_type": 2, "url_from": 1}, "name"),
        ({"avatar_type": 2, "name": "S"}, "url_from"),
        ({"url": "not a url"}, "url"),
    ],
)
async def test_avatar_upload_bad_argument_fails_before_sending(
    changes: dict[str, Any], field: str
) -> None:
    """A bad avatar-upload argument raises ValidationError naming it, and nothing is sent."""
    async with pair() as (fake, session):
        with pytest.raises(ValidationError) as info:
            await session.avatar_upload.create(**{"url": MP4, "avatar_id": "ok1", **changes})
    assert info.value.field == field
    assert fake.stats.creates == 0


# -- the fake's own checks --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (SWAP_CREATE, {"video": MP4}, "image"),
        (SWAP_CREATE, {"image": IMG, "video": MP4, "duration": "10"}, "duration"),
        (SWAP_CREATE, {"image": IMG, "video": MP4, "resolution": "4k"}, "resolution"),
        (SWAP_CREATE, {"image": IMG, "video": MP4, "mode": True}, "mode"),
        (AVATAR_CREATE, {"url": MP4, "type": 1}, "avatar_id"),
        (AVATAR_CREATE, {"url": MP4, "avatar_id": "a-b", "type": 1}, "avatar_id"),
        (AVATAR_CREATE, {"url": MP4, "avatar_id": "ab", "type": "1"}, "type"),
        (AVATAR_CREATE, {"url": MP4, "avatar_id": "ab", "type": 2, "url_from": 1}, "name"),
    ],
)
async def test_fake_refuses_bad_bodies_naming_the_field(
    path: str, body: dict[str, Any], field: str
) -> None:
    """The fake answers 1003 naming the field for a body its page does not allow."""
    async with (
        pair() as (fake, _session),
        aiohttp.ClientSession() as http,
        http.post(f"{fake.base_url}{path}", json=body, headers={"x-api-key": API_KEY}) as resp,
    ):
        answer = await resp.json()
    assert answer["code"] == 1003 and field in answer["msg"]
    assert fake.stats.jobs_created == 0


async def test_fake_avatar_answers_are_lists_of_one_record() -> None:
    """The fake's avatar create and detail answers put the record in a one-element list."""
    async with pair() as (fake, _session), aiohttp.ClientSession() as http:
        headers = {"x-api-key": API_KEY}
        body = {"url": MP4, "avatar_id": "ab1", "type": 1}
        async with http.post(f"{fake.base_url}{AVATAR_CREATE}", json=body, headers=headers) as r:
            created = await r.json()
        (record,) = created["data"]
        params = {"id": record["_id"]}
        async with http.get(
            f"{fake.base_url}/api/open/v3/avatar/detail", params=params, headers=headers
        ) as r:
            detail = await r.json()
    assert record["status"] == 1 and record["avatar_id"] == "ab1" and record["url"] == MP4
    (entry,) = detail["data"]
    assert entry["_id"] == record["_id"] and entry["status"] in (1, 2, 3)


# -- manifests --------------------------------------------------------------------------------


async def test_manifest_rows_of_both_families_run_to_the_end(tmp_path: Path) -> None:
    """A CSV manifest with a character-swap and an avatar-upload row runs both jobs to DONE."""
    text = (
        "id,family,image_url,video_url,duration,url,avatar_id,type\n"
        f"swap,character_swap,{IMG},{MP4},10,,,\n"
        f"face,upload_avatar,,,,{MP4},faceA1,1\n"
    )
    manifest = parse_manifest(text, source="m.csv")
    assert [r.family for r in manifest.rows] == ["character_swap", "avatar_upload"]
    assert manifest.rows[0].fields["duration"] == 10.0
    assert manifest.rows[1].fields == {"url": MP4, "avatar_id": "faceA1", "avatar_type": 1}
    async with (
        pair() as (fake, session),
        run_batch(session, manifest, out_dir=tmp_path) as batch,
    ):
        outcomes = {o.row_id: o async for o in batch}
    assert {row_id: o.ok for row_id, o in outcomes.items()} == {"swap": True, "face": True}
    assert fake.stats.creates_by_family == {"character_swap": 1, "avatar_upload": 1}


# -- list-shaped status answers ---------------------------------------------------------------

DETAIL = StatusEndpoint("/api/open/v3/avatar/detail", id_param="id", data_list=True)


def test_status_object_of_a_list_answer() -> None:
    """data_list picks the job's record, an only record without _id, and passes objects on."""
    mine = {"_id": "a", "status": 3}
    assert DETAIL.status_object([{"_id": "b"}, mine], "a") is mine
    assert DETAIL.status_object([{"status": 2}], "a") == {"status": 2}
    assert DETAIL.status_object([{"_id": "b", "status": 3}], "a") is None
    assert DETAIL.status_object([], "a") is None
    assert DETAIL.status_object(mine, "a") is mine
    plain = StatusEndpoint("/x", id_param="id", result_key="result")
    assert plain.status_object({"result": mine}, "a") is mine
    assert plain.status_object([mine], "a") == [mine]


@given(
    ids=st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=8, unique=True),
    pick=st.integers(min_value=0),
)
def test_status_object_finds_the_job_among_any_records(ids: list[str], pick: int) -> None:
    """Among records with distinct ids, data_list returns exactly the polled id's record."""
    records = [{"_id": ident, "n": n} for n, ident in enumerate(ids)]
    wanted = ids[pick % len(ids)]
    found = DETAIL.status_object(records, wanted)
    assert found is not None and found["_id"] == wanted
