"""Behaviour of the fake Akool server, over real loopback HTTP with a plain aiohttp session."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import anyio
import pytest
from aiohttp import web

import akool_async.testing as testing_pkg
from akool_async._clock import ScaledClock
from akool_async.testing import FakeAkool, FakeConfig, FaultPlan, FaultRates

pytestmark = pytest.mark.anyio

KEY = "test-api-key"
TALKING_PHOTO = "/api/open/v3/content/video/createbytalkingphoto"
TRANSLATE = "/api/open/v3/content/video/createbytranslate"
VIDEO_INFO = "/api/open/v3/content/video/infobymodelid"
IMAGE_INFO = "/api/open/v3/content/image/infobymodelid"
AUDIO_INFO = "/api/open/v3/audio/infobymodelid"
FACESWAP_RESULTS = "/api/open/v3/faceswap/result/listbyids"
I2V_RESULTS = "/api/open/v4/image2Video/resultsByIds"
I2V_CREATE = "/api/open/v4/image2Video/createBySourcePrompt"
T2V_CREATE = "/api/open/v4/text2Video/createByPrompt/batch"
#: The fields ``image2video.mdx`` marks required for a single image-to-video create.
I2V_BODY: Json = {
    "image_url": "https://cdn.example.com/face.jpg",
    "prompt": "p",
    "negative_prompt": "",
    "resolution": "720p",
    "audio_type": 3,
    "video_length": 5,
}
LANGUAGES = "/api/open/v3/language/list"
QUOTA = "/api/open/v3/faceswap/quota/info"
TOKEN = "/api/open/v3/getToken"

IMG = "https://cdn.example.com/face.jpg"
MP3 = "https://cdn.example.com/voice.mp3"
MP4 = "https://cdn.example.com/clip.mp4"
TP_BODY: dict[str, Any] = {"talking_photo_url": IMG, "audio_url": MP3}
TALKING_AVATAR = "/api/open/v3/talkingavatar/create"
#: Elements of a talking-avatar body as ``talking-avatar.mdx`` shows them.
_PLACED = {"scale_x": 1, "scale_y": 1, "offset_x": 1920, "offset_y": 1080}
TA_AVATAR = {"type": "avatar", "avatar_id": "dvp_Tristan", "width": 1080, "height": 1080, **_PLACED}
TA_OWN_AVATAR = {"type": "avatar", "url": MP4, **_PLACED}
TA_AUDIO = {"type": "audio", "input_text": "Hi", "voice_id": "v1"}
TA_TEXT_BODY = {"width": 3840, "height": 2160, "avatar_from": 2, "elements": [TA_AVATAR, TA_AUDIO]}

Json = dict[str, Any]


def fast_config(**overrides: Any) -> FakeConfig:
    """A config whose jobs finish within a few real milliseconds."""
    settings: dict[str, Any] = {
        "speed": 1000.0,
        "queue_time": (0.5, 1.0),
        "media_duration": (1.0, 2.0),
        "processing_factor": 2.0,
        "processing_jitter": 0.1,
        "seed": 7,
    }
    settings.update(overrides)
    return FakeConfig(**settings)


@pytest.fixture
async def fake() -> AsyncIterator[FakeAkool]:
    """A running fast fake server."""
    async with FakeAkool(fast_config()) as server:
        yield server


@pytest.fixture
async def http(fake: FakeAkool) -> AsyncIterator[aiohttp.ClientSession]:
    """A session pointed at ``fake`` that sends the test API key."""
    async with aiohttp.ClientSession(fake.base_url, headers={"x-api-key": KEY}) as session:
        yield session


async def get_json(session: aiohttp.ClientSession, path: str, **params: str) -> Json:
    async with session.get(path, params=params) as response:
        assert response.status == 200
        body: Json = await response.json()
        return body


async def post_json(session: aiohttp.ClientSession, path: str, body: Any) -> Json:
    async with session.post(path, json=body) as response:
        assert response.status == 200
        out: Json = await response.json()
        return out


async def wait_for(
    probe: Callable[[], Awaitable[Json]], done: Callable[[Json], bool], within: float = 3.0
) -> list[Json]:
    """Call ``probe`` until ``done`` holds; return every reading."""
    readings: list[Json] = []
    with anyio.fail_after(within):
        while True:
            reading = await probe()
            readings.append(reading)
            if done(reading):
                return readings
            await anyio.sleep(0.003)


async def poll_video(session: aiohttp.ClientSession, job_id: str) -> list[Json]:
    async def probe() -> Json:
        data: Json = (await get_json(session, VIDEO_INFO, video_model_id=job_id))["data"]
        return data

    return await wait_for(probe, lambda d: d["video_status"] in (3, 4))


# -- auth -------------------------------------------------------------------------------------


async def test_api_key_auth_accepts_known_key_only(fake: FakeAkool) -> None:
    """A known x-api-key passes, an unknown one answers 1101, no header answers 1102."""
    async with aiohttp.ClientSession(fake.base_url) as session:
        ok = await get_json_with(session, LANGUAGES, {"x-api-key": KEY})
        bad = await get_json_with(session, LANGUAGES, {"x-api-key": "nope"})
        none = await get_json_with(session, LANGUAGES, {})
    assert ok["code"] == 1000
    assert bad["code"] == 1101
    assert none["code"] == 1102
    assert fake.stats.auth_headers_seen == {"x-api-key": 2, "none": 1}


async def get_json_with(session: aiohttp.ClientSession, path: str, headers: dict[str, str]) -> Json:
    async with session.get(path, headers=headers) as response:
        out: Json = await response.json()
        return out


async def test_bearer_token_from_get_token(fake: FakeAkool) -> None:
    """getToken with the right credentials gives a token that authorises requests."""
    config = fake.config
    async with aiohttp.ClientSession(fake.base_url) as session:
        good = await post_json(
            session, TOKEN, {"clientId": config.client_id, "clientSecret": config.client_secret}
        )
        wrong = await post_json(session, TOKEN, {"clientId": config.client_id, "clientSecret": "x"})
        missing = await post_json(session, TOKEN, {"clientId": config.client_id})
        token = good["token"]
        ok = await get_json_with(session, QUOTA, {"Authorization": f"Bearer {token}"})
        forged = await get_json_with(session, QUOTA, {"Authorization": "Bearer forged"})
    assert good["code"] == 1000 and isinstance(token, str) and len(token) >= 16
    assert wrong["code"] == 1101 and "token" not in wrong
    assert missing == {"code": 1003, "msg": "clientSecret is required"}
    assert ok["code"] == 1000 and ok["data"]["credit"] == config.credit
    assert forged["code"] == 1101
    assert fake.stats.token_requests == 3
    assert fake.stats.auth_headers_seen["bearer"] == 2


async def test_authorization_header_wins_over_api_key(fake: FakeAkool) -> None:
    """With both headers, only the bearer token decides (Akool discards x-api-key)."""
    token = fake.issue_token()
    async with aiohttp.ClientSession(fake.base_url) as session:
        bad_bearer = await get_json_with(
            session, QUOTA, {"x-api-key": KEY, "Authorization": "Bearer wrong"}
        )
        good_bearer = await get_json_with(
            session, QUOTA, {"x-api-key": "wrong", "Authorization": f"Bearer {token}"}
        )
    assert bad_bearer["code"] == 1101
    assert good_bearer["code"] == 1000
    assert fake.stats.auth_headers_seen["both"] == 2


async def test_token_expires_after_ttl() -> None:
    """A token older than token_ttl clock seconds answers 1101; a fresh one works."""
    clock = ScaledClock(speed=10_000)
    async with FakeAkool(FakeConfig(token_ttl=1000.0), clock=clock) as fake:
        token = fake.issue_token()
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession(fake.base_url) as session:
            before = await get_json_with(session, QUOTA, headers)
            await anyio.sleep(0.15)  # 1500 clock seconds
            after = await get_json_with(session, QUOTA, headers)
            fresh = await get_json_with(
                session, QUOTA, {"Authorization": f"Bearer {fake.issue_token()}"}
            )
    assert (before["code"], after["code"], fresh["code"]) == (1000, 1101, 1000)


# -- families ---------------------------------------------------------------------------------

SWAP = {"sourceImage": [{"path": IMG, "opts": "1,2:3,4"}], "targetImage": [{"path": IMG}]}

# (family, create path, body, poll kind, status field, result field, extension)
FAMILY_CASES: list[tuple[str, str, Json, str, str, str, str]] = [
    ("talking_photo", TALKING_PHOTO, TP_BODY, "video", "video_status", "video", "mp4"),
    (
        "lip_sync",
        "/api/open/v3/content/video/lipsync",
        {"video_url": MP4, "audio_url": MP3},
        "video",
        "video_status",
        "video",
        "mp4",
    ),
    (
        "video_translation",
        TRANSLATE,
        {"url": MP4, "language": "ja", "lipsync": True, "speaker_num": 2, "caption_type": 1},
        "video",
        "video_status",
        "video",
        "mp4",
    ),
    (
        "talking_avatar",
        "/api/open/v3/talkingavatar/create",
        TA_TEXT_BODY,
        "video",
        "video_status",
        "video",
        "mp4",
    ),
    (
        "talking_avatar",
        "/api/open/v3/talkingavatar/create",
        {
            **TA_TEXT_BODY,
            "avatar_from": 3,
            "elements": [TA_OWN_AVATAR, {"type": "audio", "url": MP3}],
        },
        "video",
        "video_status",
        "video",
        "mp4",
    ),
    (
        "faceswap_image",
        "/api/open/v3/faceswap/highquality/specifyimage",
        {**SWAP, "modifyImage": IMG, "face_enhance": 1},
        "faceswap",
        "faceswap_status",
        "url",
        "png",
    ),
    (
        "faceswap_video",
        "/api/open/v3/faceswap/highquality/specifyvideo",
        {**SWAP, "modifyVideo": MP4, "face_enhance": 0},
        "faceswap",
        "faceswap_status",
        "url",
        "mp4",
    ),
    (
        "faceswap_v4",
        "/api/open/v4/faceswap/faceswapByImage",
        {"sourceImage": [{"path": IMG}], "targetImage": [{"path": IMG}], "face_enhance": True},
        "faceswap",
        "faceswap_status",
        "url",
        "png",
    ),
    (
        "faceswap_plus",
        "/api/open/v4/faceswap/faceswapPlusByImage",
        {
            "source_url": IMG,
            "target_url": MP4,
            "model_style": "beautify",
            "face_mapping": [
                {"source_face_info": {"face_url": IMG}, "target_face_info": {"bbox": [1, 2, 3, 4]}}
            ],
        },
        "faceswap",
        "faceswap_status",
        "url",
        "png",
    ),
    (
        "reage_image",
        "/api/open/v3/faceswap/highquality/imgreage",
        {"targetImage": [{"path": IMG, "opts": "1,2:3,4"}], "face_reage": 10, "modifyImage": IMG},
        "faceswap",
        "faceswap_status",
        "url",
        "png",
    ),
    (
        "reage_video",
        "/api/open/v3/faceswap/highquality/vidreage",
        {"targetImage": [{"path": IMG}], "face_reage": -30, "modifyVideo": MP4},
        "faceswap",
        "faceswap_status",
        "url",
        "mp4",
    ),
    (
        "image_button",
        "/api/open/v3/content/image/createbybutton",
        {"_id": "65d3206b83ccf5ab7d46cdc6", "button": "V3"},
        "image",
        "image_status",
        "image",
        "png",
    ),
    (
        "image",
        "/api/open/v3/content/image/createbyprompt",
        {"prompt": "a lighthouse", "scale": "16:9"},
        "image",
        "image_status",
        "image",
        "png",
    ),
    (
        "image2video",
        I2V_CREATE,
        {**I2V_BODY, "prompt": "waves", "resolution": "1080p", "video_length": 10},
        "i2v",
        "status",
        "video_url",
        "mp4",
    ),
    (
        "text2video",
        T2V_CREATE,
        {"prompt": "a cat", "video_length": 5},
        "i2v",
        "status",
        "video_url",
        "mp4",
    ),
    (
        "tts",
        "/api/open/v3/audio/create",
        {"input_text": "Hello", "voice_id": "en-US-1", "rate": "90%"},
        "audio",
        "status",
        "url",
        "mp3",
    ),
    (
        "voice_clone_v3",
        "/api/open/v3/audio/clone",
        {"input_text": "Hello", "rate": "100%", "voice_url": "https://cdn.example.com/v.mp3"},
        "audio",
        "status",
        "url",
        "mp3",
    ),
    (
        "image2video_batch",
        "/api/open/v4/image2Video/createBySourcePrompt/batch",
        {"image_url": IMG, "prompt": "p", "resolution": "720p", "video_length": 5, "count": 2},
        "i2v",
        "status",
        "video_url",
        "mp4",
    ),
    (
        "voice_tts",
        "/api/open/v4/voice/tts",
        {"input_text": "Hello", "voice_id": "v1", "voice_options": {"speed": 1.1}},
        "voice_result",
        "status",
        "preview",
        "mp3",
    ),
    (
        "voice_change",
        "/api/open/v4/voice/change",
        {"voice_id": "v1", "source_voice_file": "https://cdn.example.com/v.mp3"},
        "voice_result",
        "status",
        "preview",
        "mp3",
    ),
    (
        "voice_clone",
        "/api/open/v4/voice/clone",
        {"source_voice_file": "https://cdn.example.com/v.mp3", "name": "Mine"},
        "voice",
        "status",
        "preview",
        "mp3",
    ),
]


async def poll_once(session: aiohttp.ClientSession, kind: str, job_id: str) -> Json | None:
    """One status reading of ``job_id`` through its family's endpoint (None if absent)."""
    if kind == "video":
        body = await get_json(session, VIDEO_INFO, video_model_id=job_id)
    elif kind == "image":
        body = await get_json(session, IMAGE_INFO, image_model_id=job_id)
    elif kind == "audio":
        body = await get_json(session, AUDIO_INFO, audio_model_id=job_id)
    elif kind == "voice_result":
        body = await get_json(session, f"/api/open/v4/voice/resource/detail/{job_id}")
        assert body["code"] == 1000, body
        result: Json = body["data"]["result"]
        return result
    elif kind == "voice":
        body = await get_json(session, f"/api/open/v4/voice/detail/{job_id}")
    else:
        if kind == "faceswap":
            body = await get_json(session, FACESWAP_RESULTS, _ids=job_id)
        else:
            body = await post_json(session, I2V_RESULTS, {"_ids": job_id})
        assert body["code"] == 1000
        results = body["data"]["result"]
        return results[0] if results else None
    assert body["code"] == 1000, body
    data: Json = body["data"]
    return data


@pytest.mark.parametrize(
    ("family", "path", "body", "kind", "status_field", "result_field", "ext"),
    FAMILY_CASES,
    ids=[f"{case[0]}-{i}" for i, case in enumerate(FAMILY_CASES)],
)
async def test_family_create_poll_download(
    fake: FakeAkool,
    http: aiohttp.ClientSession,
    family: str,
    path: str,
    body: Json,
    kind: str,
    status_field: str,
    result_field: str,
    ext: str,
) -> None:
    """Each family creates a job that moves 1 -> 3 and whose result file downloads."""
    created = await post_json(http, path, body)
    assert created["code"] == 1000, created
    data = created["data"]
    if "successList" in data:
        data = data["successList"][0]
    job_id = data["_id"]
    assert len(job_id) == 24 and int(job_id, 16) >= 0

    async def probe() -> Json:
        reading = await poll_once(http, kind, job_id)
        assert reading is not None
        return reading

    readings = await wait_for(probe, lambda d: d[status_field] in (3, 4))
    statuses = [r[status_field] for r in readings]
    assert statuses == sorted(statuses) and statuses[-1] == 3
    url = readings[-1][result_field]
    assert url == f"{fake.base_url}/files/{job_id}.{ext}"
    async with http.get(url) as response:
        assert response.status == 200
        assert response.content_length == fake.config.result_size
        assert await response.read() == fake.expected_bytes(job_id)
    assert fake.stats.creates_by_family[family] == 1
    assert fake.stats.downloads[job_id] == 1
    assert fake.stats.create_bodies == [body]


async def test_talking_photo_create_matches_seed_shape(http: aiohttp.ClientSession) -> None:
    """The create answer carries the seed page's odd fields, with video_status 1."""
    created = await post_json(http, TALKING_PHOTO, TP_BODY)
    data = created["data"]
    assert created["msg"] == "OK"
    for key in (
        "faceswap_quality",
        "storage_loc",
        "_id",
        "create_time",
        "uid",
        "type",
        "from",
        "video_lock_duration",
        "deduction_lock_duration",
        "external_video",
        "talking_photo",
        "video",
        "__v",
    ):
        assert key in data, key
    assert data["video_status"] == 1 and data["video"] == ""
    assert data["talking_photo"] == IMG
    assert 1.0 <= data["video_lock_duration"] <= 2.0


async def test_talking_photo_create_echoes_prompt_and_resolution(
    http: aiohttp.ClientSession,
) -> None:
    """As the spec's create example shows, the answer echoes the prompt and the resolution."""
    body = {**TP_BODY, "prompt": "Keep natural hand movements.", "resolution": "1080"}
    data = (await post_json(http, TALKING_PHOTO, body))["data"]
    assert (data["prompt"], data["resolution"]) == (body["prompt"], "1080")
    plain = (await post_json(http, TALKING_PHOTO, TP_BODY))["data"]
    assert "prompt" not in plain and "resolution" not in plain


async def test_translation_creates_one_job_per_language(
    fake: FakeAkool, http: aiohttp.ClientSession
) -> None:
    """language "ja,fr,de" makes three jobs, one envelope each in all_results beside data."""
    credit = fake.config.credit
    created = await post_json(http, TRANSLATE, {"url": MP4, "language": "ja,fr,de"})
    assert created["data"] == {}
    assert [r["code"] for r in created["all_results"]] == [1000, 1000, 1000]
    results = [r["data"] for r in created["all_results"]]
    assert [r["language"] for r in results] == ["ja", "fr", "de"]
    assert all(r["video_status"] == 1 for r in results)
    assert len({r["_id"] for r in results}) == 3
    assert fake.config.credit == credit - 3
    assert (fake.stats.creates, fake.stats.jobs_created) == (1, 3)
    for result in results:
        final = (await poll_video(http, result["_id"]))[-1]
        assert final["language"] == result["language"]
        assert final["progress"] == 100
        assert set(final["audio_splits"]) == {
            "original_srt_url",
            "translated_srt_url",
            "no_caption_video_url",
        }


async def test_translation_progress_rises_while_processing() -> None:
    """Video translation reports progress 0 while queued and 0-99 while processing."""
    config = fast_config(speed=200.0, queue_time=(0.0, 0.0), media_duration=(10.0, 10.0))
    async with (
        FakeAkool(config) as fake,
        aiohttp.ClientSession(fake.base_url, headers={"x-api-key": KEY}) as http,
    ):
        created = await post_json(http, TRANSLATE, {"url": MP4, "language": "en"})
        readings = await poll_video(http, created["data"]["_id"])
    processing = [r["progress"] for r in readings if r["video_status"] == 2]
    assert processing and all(0 <= p <= 99 for p in processing)
    assert processing == sorted(processing)


async def test_text2video_count_makes_a_success_list(
    fake: FakeAkool, http: aiohttp.ClientSession
) -> None:
    """text2video answers ``{successList, errorList}`` with one job per ``count``."""
    created = await post_json(http, T2V_CREATE, {"prompt": "a cat", "count": 3})
    data = created["data"]
    assert set(data) == {"successList", "errorList"} and data["errorList"] == []
    assert len(data["successList"]) == 3
    assert all(job["status"] == 1 and job["batch_count"] == 3 for job in data["successList"])
    assert fake.stats.jobs_created == 3


async def test_batch_video_create_refuses_what_the_credit_does_not_cover(
    fake: FakeAkool, http: aiohttp.ClientSession
) -> None:
    """With credit for 2 of 4 videos, 2 are created and 2 refused in errorList with 1006."""
    fake.config.credit = 2
    created = await post_json(http, T2V_CREATE, {"prompt": "a cat", "count": 4})
    assert created["code"] == 1000
    assert len(created["data"]["successList"]) == 2
    assert [e["code"] for e in created["data"]["errorList"]] == [1006, 1006]
    assert len(fake.jobs) == 2 and fake.config.credit == 0


async def test_language_list_and_quota(fake: FakeAkool, http: aiohttp.ClientSession) -> None:
    """The language list has real codes with names and URLs; quota reports the credit."""
    langs = (await get_json(http, LANGUAGES))["data"]["lang_list"]
    codes = {lang["lang_code"] for lang in langs}
    assert {"en", "zh", "ja", "ko", "fr", "de", "es", "it", "pt", "ru", "ar", "hi"} <= codes
    assert all(lang["lang_name"] and lang["url"].startswith("http") for lang in langs)
    assert (await get_json(http, QUOTA))["data"]["credit"] == fake.config.credit == 1e9


async def test_credit_runs_out_with_1006(fake: FakeAkool, http: aiohttp.ClientSession) -> None:
    """Each job costs one credit; a create that cannot be paid answers 1006 and creates nothing."""
    fake.config.credit = 2
    assert (await post_json(http, TALKING_PHOTO, TP_BODY))["code"] == 1000
    too_many = await post_json(http, TRANSLATE, {"url": MP4, "language": "ja,fr"})
    assert too_many["code"] == 1006
    assert (await post_json(http, TALKING_PHOTO, TP_BODY))["code"] == 1000
    assert (await post_json(http, TALKING_PHOTO, TP_BODY))["code"] == 1006
    assert (await get_json(http, QUOTA))["data"]["credit"] == 0
    assert len(fake.jobs) == 2


# -- status lookups ---------------------------------------------------------------------------


async def test_unknown_or_missing_video_id(http: aiohttp.ClientSession) -> None:
    """An unknown id answers 1008; a missing id parameter answers 1003 naming it."""
    assert (await get_json(http, VIDEO_INFO, video_model_id="0" * 24))["code"] == 1008
    missing = await get_json(http, VIDEO_INFO)
    assert missing["code"] == 1003 and "video_model_id" in missing["msg"]


async def test_status_endpoints_only_know_their_families(http: aiohttp.ClientSession) -> None:
    """A talking-photo id is 1008 on the image endpoint and absent from face-swap results."""
    job_id = (await post_json(http, TALKING_PHOTO, TP_BODY))["data"]["_id"]
    assert (await get_json(http, IMAGE_INFO, image_model_id=job_id))["code"] == 1008
    listed = await get_json(http, FACESWAP_RESULTS, _ids=job_id)
    assert listed == {"code": 1000, "msg": "OK", "data": {"result": []}}


async def test_faceswap_batch_skips_unknown_ids_and_caps_size(
    fake: FakeAkool, http: aiohttp.ClientSession
) -> None:
    """listbyids returns known ids only, counts a poll per id, and refuses > max_batch_ids."""
    body = {**SWAP, "modifyImage": IMG}
    path = "/api/open/v3/faceswap/highquality/specifyimage"
    ids = [(await post_json(http, path, body))["data"]["_id"] for _ in range(3)]
    unknown = "f" * 24
    listed = await get_json(http, FACESWAP_RESULTS, _ids=",".join([ids[0], unknown, *ids[1:]]))
    result = listed["data"]["result"]
    assert [r["_id"] for r in result] == ids
    for entry in result:
        assert {"faceswap_status", "url", "userId", "uid", "createdAt", "update_time"} <= set(entry)
    assert fake.stats.polls[unknown] == 1 and all(fake.stats.polls[i] == 1 for i in ids)
    repeated = await get_json(http, FACESWAP_RESULTS, _ids=",".join([ids[0]] * 150))
    assert len(repeated["data"]["result"]) == 1  # repeats collapse into one id
    many = ",".join(f"{i:024x}" for i in range(101))
    refused = await get_json(http, FACESWAP_RESULTS, _ids=many)
    assert refused["code"] == 1003 and "_ids" in refused["msg"]
    fake.config.max_batch_ids = 200
    assert (await get_json(http, FACESWAP_RESULTS, _ids=many))["code"] == 1000


async def test_faceswap_v3_create_answers_the_result_url_at_once(
    fake: FakeAkool, http: aiohttp.ClientSession
) -> None:
    """As the spec's example shows, a v3 create answers {_id, url, job_id}, the url already
    the one the result will have."""
    path = "/api/open/v3/faceswap/highquality/specifyimage"
    data = (await post_json(http, path, {**SWAP, "modifyImage": IMG}))["data"]
    assert set(data) == {"_id", "url", "job_id"}
    assert data["url"] == fake.result_url(data["_id"])


async def test_i2v_batch_by_post_body(fake: FakeAkool, http: aiohttp.ClientSession) -> None:
    """resultsByIds takes ``{"_ids": "a,b"}`` and returns image2video and text2video jobs."""
    i2v = (await post_json(http, I2V_CREATE, I2V_BODY))["data"]["_id"]
    t2v_answer = await post_json(http, T2V_CREATE, {"prompt": "p", "count": 2})
    t2v = [j["_id"] for j in t2v_answer["data"]["successList"]]
    listed = await post_json(http, I2V_RESULTS, {"_ids": ",".join([i2v, *t2v, "0" * 24])})
    result = listed["data"]["result"]
    assert [r["_id"] for r in result] == [i2v, *t2v]
    assert all({"status", "video_url", "webhookUrl", "only_add_audio"} <= set(r) for r in result)
    refused = await post_json(
        http, I2V_RESULTS, {"_ids": ",".join(f"{i:024x}" for i in range(101))}
    )
    assert refused["code"] == 1003
    assert (await post_json(http, I2V_RESULTS, {}))["code"] == 1003


# -- validation -------------------------------------------------------------------------------

FS_V3 = "/api/open/v3/faceswap/highquality"
FS_PRO = "/api/open/v4/faceswap/faceswapByImage"
FS_PLUS = "/api/open/v4/faceswap/faceswapPlusByImage"
SENTIMENT = "/api/open/v3/content/analysis/sentiment"

V4_TTS = "/api/open/v4/voice/tts"
V4_TTS_BODY: Json = {"input_text": "hi", "voice_id": "v"}

VALIDATION_CASES: list[tuple[str, Json, str]] = [
    (TALKING_PHOTO, {"audio_url": MP3}, "talking_photo_url is required"),
    (TALKING_PHOTO, {"talking_photo_url": "ftp://x/y.jpg", "audio_url": MP3}, "talking_photo_url"),
    (TALKING_PHOTO, {**TP_BODY, "resolution": 720}, "resolution"),
    (TALKING_PHOTO, {**TP_BODY, "webhookUrl": "not a url"}, "webhookUrl"),
    ("/api/open/v3/content/video/lipsync", {"video_url": MP4}, "audio_url is required"),
    (TRANSLATE, {"url": MP4}, "language is required"),
    (TRANSLATE, {"url": MP4, "language": "ja,xx"}, "language"),
    (TRANSLATE, {"url": MP4, "language": "ja", "speaker_num": 11}, "speaker_num"),
    (TRANSLATE, {"url": MP4, "language": "ja", "caption_type": 5}, "caption_type"),
    (TRANSLATE, {"url": MP4, "language": "ja", "lipsync": "yes"}, "lipsync"),
    (TALKING_AVATAR, {**TA_TEXT_BODY, "width": 1280}, "width"),
    (TALKING_AVATAR, {**TA_TEXT_BODY, "avatar_from": 1}, "avatar_from"),
    (TALKING_AVATAR, {**TA_TEXT_BODY, "elements": [TA_AVATAR]}, "audio element"),
    (
        TALKING_AVATAR,
        {**TA_TEXT_BODY, "elements": [TA_AVATAR, {"type": "audio", "input_text": "hi"}]},
        "voice_id is required",
    ),
    (
        TALKING_AVATAR,
        {**TA_TEXT_BODY, "elements": [{**TA_AVATAR, "avatar_id": ""}, TA_AUDIO]},
        "avatar_id is required",
    ),
    (
        TALKING_AVATAR,
        {**TA_TEXT_BODY, "elements": [{**TA_AVATAR, "scale_x": None}, TA_AUDIO]},
        "elements[0].scale_x is required",
    ),
    (
        TALKING_AVATAR,
        {**TA_TEXT_BODY, "elements": [{"type": "video", "url": MP4}, TA_AVATAR, TA_AUDIO]},
        "elements[0].type",
    ),
    (
        "/api/open/v3/faceswap/highquality/specifyimage",
        {"sourceImage": [{"path": IMG}], "modifyImage": IMG},
        "targetImage is required",
    ),
    (
        "/api/open/v3/faceswap/highquality/specifyvideo",
        {**SWAP, "modifyImage": IMG},
        "modifyVideo is required",
    ),
    (f"{FS_V3}/specifyimage", {**SWAP, "modifyImage": IMG, "face_enhance": True}, "face_enhance"),
    (
        f"{FS_V3}/specifyvideo",
        {
            "sourceImage": [{"path": IMG, "opts": "1,2:3,4"}, {"path": IMG}],
            "targetImage": [{"path": IMG, "opts": "1,2:3,4"}, {"path": IMG, "opts": "5,6:7,8"}],
            "modifyVideo": MP4,
        },
        "sourceImage[1].opts is required",
    ),
    (
        FS_PRO,
        {"sourceImage": [{"path": IMG}] * 2, "targetImage": [{"path": IMG}] * 2},
        "sourceImage[0].opts is required",
    ),
    (FS_PRO, {**SWAP, "model_name": "other"}, "model_name"),
    (FS_PRO, {**SWAP, "single_face_mode": 1}, "single_face_mode"),
    (FS_PLUS, {"source_url": IMG, "target_url": IMG}, "face_mapping is required"),
    (
        FS_PLUS,
        {"source_url": IMG, "target_url": IMG, "single_face_mode": True, "model_style": "x"},
        "model_style",
    ),
    (
        FS_PLUS,
        {
            "source_url": IMG,
            "target_url": IMG,
            "face_mapping": [{"source_face_info": {}, "target_face_info": {}}],
        },
        "face_mapping[0].source_face_info.face_url is required",
    ),
    (
        f"{FS_V3}/imgreage",
        {"targetImage": [{"path": IMG}], "modifyImage": IMG},
        "face_reage is required",
    ),
    (
        f"{FS_V3}/vidreage",
        {"targetImage": [{"path": IMG}], "face_reage": 31, "modifyVideo": MP4},
        "face_reage",
    ),
    ("/api/open/v3/content/image/createbybutton", {"_id": "a", "button": "U5"}, "button"),
    ("/api/open/v3/content/image/createbybutton", {"button": "U1"}, "_id is required"),
    (SENTIMENT, {"content": IMG, "type": 5}, "type"),
    (SENTIMENT, {"content": "plain words", "type": 1}, "content must be an http(s) url"),
    ("/api/open/v3/content/image/createbyprompt", {"prompt": ""}, "prompt is required"),
    ("/api/open/v3/content/image/createbyprompt", {"prompt": "x", "scale": "5:4"}, "scale"),
    (I2V_CREATE, {**I2V_BODY, "video_length": 7}, "video_length"),
    (I2V_CREATE, {**I2V_BODY, "resolution": None}, "resolution is required"),
    (I2V_CREATE, {**I2V_BODY, "audio_type": 2}, "audio_url"),
    (I2V_CREATE, {k: v for k, v in I2V_BODY.items() if k != "negative_prompt"}, "negative_prompt"),
    (T2V_CREATE, {"prompt": "p", "count": 11}, "count"),
    (T2V_CREATE, {"prompt": "p" * 5001}, "prompt"),
    (T2V_CREATE, {"prompt": "p", "webhookurl": "https://h.example/" + "w" * 2040}, "webhookurl"),
    ("/api/open/v3/audio/create", {"input_text": "hi", "rate": "1%"}, "voice_id is required"),
    ("/api/open/v3/audio/create", {"input_text": "hi", "voice_id": "v", "rate": 1}, "rate"),
    ("/api/open/v3/audio/create", {"input_text": "hi", "voice_id": "v", "rate": "120%"}, "rate"),
    ("/api/open/v3/audio/clone", {"input_text": "hi", "rate": "1%"}, "voice_url"),
    ("/api/open/v4/voice/tts", {"input_text": "hi"}, "voice_id is required"),
    (
        "/api/open/v4/voice/tts",
        {"input_text": "hi", "voice_id": "v", "voice_options": {"speed": 2}},
        "voice_options.speed",
    ),
    ("/api/open/v4/voice/clone", {"source_voice_file": "x"}, "source_voice_file"),
    (
        "/api/open/v4/voice/change",
        {"voice_id": "v", "source_voice_file": IMG, "voice_options": {"file_format": "ogg"}},
        "voice_options.file_format",
    ),
    ("/api/open/v4/image2Video/updateVideoAudio", {"pre_video_id": "x"}, "audio_url"),
    (V4_TTS, {**V4_TTS_BODY, "pitch": 13}, "pitch"),
    (
        V4_TTS,
        {**V4_TTS_BODY, "extra_options": {"audio_setting": {"sample_rate": 12345}}},
        "extra_options.audio_setting.sample_rate",
    ),
    (
        V4_TTS,
        {**V4_TTS_BODY, "extra_options": {"timber_weights": [{"voice_id": "a"}]}},
        "extra_options.timber_weights[0].weight is required",
    ),
    (
        V4_TTS,
        {**V4_TTS_BODY, "extra_options": {"voice_modify": {"sound_effects": "reverb"}}},
        "extra_options.voice_modify.sound_effects",
    ),
    (V4_TTS, {**V4_TTS_BODY, "extra_options": {"speed": 1}}, "extra_options.speed"),
    (
        "/api/open/v4/voice/clone",
        {"source_voice_file": MP3, "voice_model_name": "Akool Multilingual 2"},
        "voice_model_name",
    ),
    (
        "/api/open/v4/voice/change",
        {"voice_id": "v", "source_voice_file": MP3, "voice_model_name": "Akool Multilingual 3"},
        "voice_model_name",
    ),
]


@pytest.mark.parametrize(("path", "body", "needle"), VALIDATION_CASES)
async def test_invalid_create_names_the_field(
    fake: FakeAkool, http: aiohttp.ClientSession, path: str, body: Json, needle: str
) -> None:
    """A bad create body answers 1003 with the field in msg and creates no job."""
    answer = await post_json(http, path, body)
    assert answer["code"] == 1003
    assert needle in answer["msg"]
    assert fake.jobs == {} and fake.stats.creates == 0


async def test_non_json_body_is_a_parameter_error(
    fake: FakeAkool, http: aiohttp.ClientSession
) -> None:
    """A body that is not a JSON object answers 1003."""
    async with http.post(TALKING_PHOTO, data=b"{oops") as response:
        assert (await response.json())["code"] == 1003
    assert (await post_json(http, TALKING_PHOTO, [1, 2]))["code"] == 1003


async def test_v4_endpoints_read_lowercase_webhookurl(
    fake: FakeAkool, http: aiohttp.ClientSession
) -> None:
    """image2video keeps ``webhookurl`` and ignores ``webhookUrl`` (the v4 spelling)."""
    hook = "http://127.0.0.1:9/hook"
    a = await post_json(http, I2V_CREATE, {**I2V_BODY, "webhookurl": hook})
    b = await post_json(http, I2V_CREATE, {**I2V_BODY, "webhookUrl": hook})
    assert fake.jobs[a["data"]["_id"]].webhook_url == hook
    assert fake.jobs[b["data"]["_id"]].webhook_url is None


# -- failures and forced states ---------------------------------------------------------------


async def test_failure_ratio_one_fails_every_job(
    http: aiohttp.ClientSession, fake: FakeAkool
) -> None:
    """With failure_ratio 1 jobs end in status 4 carrying error_code and error_reason."""
    fake.config.failure_ratio = 1.0
    job_id = (await post_json(http, TALKING_PHOTO, TP_BODY))["data"]["_id"]
    final = (await poll_video(http, job_id))[-1]
    assert final["video_status"] == 4 and final["video"] == ""
    assert final["error_code"] == 1015 and final["error_reason"]
    async with http.get(fake.result_url(job_id)) as response:
        assert response.status == 404


async def test_failure_ratio_is_reproducible_with_a_seed() -> None:
    """Half the jobs fail at ratio 0.5, and the same seed fails the same jobs."""
    outcomes: list[list[bool]] = []
    for _ in range(2):
        async with (
            FakeAkool(fast_config(failure_ratio=0.5, seed=42)) as fake,
            aiohttp.ClientSession(fake.base_url, headers={"x-api-key": KEY}) as http,
        ):
            for _ in range(40):
                await post_json(http, TALKING_PHOTO, TP_BODY)
            outcomes.append([job.fails for job in fake.jobs.values()])
    assert outcomes[0] == outcomes[1]
    assert 8 <= sum(outcomes[0]) <= 32


async def test_forcing_states(fake: FakeAkool, http: aiohttp.ClientSession) -> None:
    """complete/fail/set_status override the clock; set_status(None) releases the job."""
    fake.config.queue_time = (1e6, 1e6)  # would queue for ever
    ids = [(await post_json(http, TALKING_PHOTO, TP_BODY))["data"]["_id"] for _ in range(3)]
    fake.complete(ids[0], url="https://elsewhere.example/v.mp4")
    fake.fail(ids[1], code=1205, reason="boom")
    fake.set_status(ids[2], 2)
    first = (await poll_video(http, ids[0]))[-1]
    second = (await poll_video(http, ids[1]))[-1]
    assert first["video_status"] == 3 and first["video"] == "https://elsewhere.example/v.mp4"
    assert second["video_status"] == 4
    assert (second["error_code"], second["error_reason"]) == (1205, "boom")
    pinned = await get_json(http, VIDEO_INFO, video_model_id=ids[2])
    assert pinned["data"]["video_status"] == 2
    fake.set_status(ids[2], None)
    released = await get_json(http, VIDEO_INFO, video_model_id=ids[2])
    assert released["data"]["video_status"] == 1
    with pytest.raises(KeyError):
        fake.complete("nope")
    with pytest.raises(ValueError, match="status"):
        fake.set_status(ids[2], 7)


async def test_result_files(fake: FakeAkool, http: aiohttp.ClientSession) -> None:
    """Files need no auth, are 404 until completed or unknown, and honour result_size."""
    fake.config.result_size = 100_000
    job_id = (await post_json(http, TALKING_PHOTO, TP_BODY))["data"]["_id"]
    fake.set_status(job_id, 2)
    async with aiohttp.ClientSession() as anonymous:
        async with anonymous.get(fake.result_url(job_id)) as early:
            assert early.status == 404
        fake.set_status(job_id, None)
        await poll_video(http, job_id)
        async with anonymous.get(fake.result_url(job_id)) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "video/mp4"
            assert await response.read() == fake.expected_bytes(job_id)
        async with anonymous.get(f"{fake.base_url}/files/{job_id}.png") as wrong_ext:
            assert wrong_ext.status == 404
        async with anonymous.get(f"{fake.base_url}/files/nothing.mp4") as unknown:
            assert unknown.status == 404
    assert len(fake.expected_bytes(job_id)) == 100_000
    assert fake.stats.downloads[job_id] == 1


async def test_large_result_file_streams(fake: FakeAkool, http: aiohttp.ClientSession) -> None:
    """Result files above the in-memory limit stream with the right length and bytes."""
    fake.config.result_size = 5 * 1024 * 1024 + 7
    job_id = (await post_json(http, TALKING_PHOTO, TP_BODY))["data"]["_id"]
    fake.complete(job_id)
    async with http.get(fake.result_url(job_id)) as response:
        assert response.content_length == fake.config.result_size
        assert await response.read() == fake.expected_bytes(job_id)


# -- faults -----------------------------------------------------------------------------------


async def expect_fault(http: aiohttp.ClientSession, kind: str) -> None:
    """Send one create and check the answer has ``kind``'s signature."""
    started = time.monotonic()
    if kind in ("reset", "lost_create"):
        with pytest.raises(aiohttp.ClientError):
            async with http.post(TALKING_PHOTO, json=TP_BODY) as response:
                await response.read()
        return
    async with http.post(TALKING_PHOTO, json=TP_BODY) as response:
        raw = await response.read()
        if kind in ("http_502", "http_500", "http_429"):
            assert response.status == int(kind[-3:])
            assert response.content_type == "text/html"
            assert raw.startswith(b"<html>") and kind[-3:].encode() in raw
            if kind == "http_429":
                assert response.headers["Retry-After"] == "1"
        elif kind.startswith("code_"):
            assert response.status == 200
            assert json.loads(raw)["code"] == int(kind[5:])
        elif kind == "truncated_json":
            assert response.status == 200 and response.content_type == "application/json"
            with pytest.raises(ValueError):
                json.loads(raw)
            assert raw.startswith(b'{"code":1000')
        elif kind == "slow":
            assert json.loads(raw)["code"] == 1000
            assert time.monotonic() - started >= 0.05
        else:  # pragma: no cover - the parametrisation is exhaustive
            raise AssertionError(kind)


ALL_PLAN_KINDS = [
    "http_502",
    "http_500",
    "http_429",
    "code_1005",
    "code_1101",
    "code_1015",
    "truncated_json",
    "slow",
    "reset",
    "lost_create",
]
#: Whether the job is created despite the fault.
CREATES_JOB = {"truncated_json", "slow", "lost_create"}


@pytest.mark.parametrize("kind", ALL_PLAN_KINDS)
async def test_planned_fault(fake: FakeAkool, http: aiohttp.ClientSession, kind: str) -> None:
    """A planned fault hits the next matching request once, then service is normal."""
    fake.config.faults.slow_delay = 0.05
    fake.faults.add(kind)
    await expect_fault(http, kind)
    assert fake.stats.faults_injected == {kind: 1}
    assert len(fake.jobs) == (1 if kind in CREATES_JOB else 0)
    assert fake.stats.creates == (1 if kind in CREATES_JOB else 0)
    assert len(fake.faults) == 0
    assert (await post_json(http, TALKING_PHOTO, TP_BODY))["code"] == 1000


RANDOM_KINDS = [
    "http_502",
    "http_429",
    "code_1005",
    "truncated_json",
    "slow",
    "reset",
    "lost_create",
]


@pytest.mark.parametrize("kind", RANDOM_KINDS)
async def test_random_fault_rate_one(
    fake: FakeAkool, http: aiohttp.ClientSession, kind: str
) -> None:
    """A rate of 1 injects the fault on every create; a rate of 0 stops it."""
    fake.config.faults = FaultRates(slow_delay=0.05)
    setattr(fake.config.faults, kind, 1.0)
    await expect_fault(http, kind)
    await expect_fault(http, kind)
    assert fake.stats.faults_injected[kind] == 2
    setattr(fake.config.faults, kind, 0.0)
    assert (await post_json(http, TALKING_PHOTO, TP_BODY))["code"] == 1000


async def test_lost_create_bills_the_job(fake: FakeAkool, http: aiohttp.ClientSession) -> None:
    """A lost create drops the answer after the job exists and its credit is spent."""
    fake.faults.add("lost_create")
    await expect_fault(http, "lost_create")
    (job,) = fake.jobs.values()
    assert fake.config.credit == 1e9 - 1
    assert fake.stats.create_bodies == [TP_BODY]
    # The job runs to completion like any other.
    assert (await poll_video(http, job.id))[-1]["video_status"] == 3


async def test_fault_plan_filters_and_order(fake: FakeAkool, http: aiohttp.ClientSession) -> None:
    """Plan entries match by path substring in FIFO order; lost_create skips non-creates."""
    fake.faults.add("lost_create")
    fake.faults.add("code_1008", endpoint="infobymodelid")
    fake.faults.add("http_502", count=2, endpoint="language")
    fake.faults.add("code_1005", endpoint="infobymodelid")
    assert len(fake.faults) == 5
    # The quota request matches nothing queued.
    assert (await get_json(http, QUOTA))["code"] == 1000
    async with http.get(LANGUAGES) as response:
        assert response.status == 502
    first = await get_json(http, VIDEO_INFO, video_model_id="x")
    second = await get_json(http, VIDEO_INFO, video_model_id="x")
    assert (first["code"], second["code"]) == (1008, 1005)
    async with http.get(LANGUAGES) as response:
        assert response.status == 502
    assert [p.kind for p in fake.faults.pending()] == ["lost_create"]
    fake.faults.clear()
    assert len(fake.faults) == 0
    with pytest.raises(ValueError, match="kind"):
        FaultPlan().add("meteor")


async def test_fault_scope_limits_random_faults(
    fake: FakeAkool, http: aiohttp.ClientSession
) -> None:
    """scope "status" faults status endpoints only; file downloads are never faulted."""
    job_id = (await post_json(http, TALKING_PHOTO, TP_BODY))["data"]["_id"]
    fake.complete(job_id)
    fake.config.faults = FaultRates(http_502=1.0, scope="status")
    async with http.get(VIDEO_INFO, params={"video_model_id": job_id}) as response:
        assert response.status == 502
    assert (await post_json(http, TALKING_PHOTO, TP_BODY))["code"] == 1000
    async with http.get(fake.result_url(job_id)) as response:
        assert response.status == 200
    fake.config.faults.scope = "create"
    assert (await get_json(http, VIDEO_INFO, video_model_id=job_id))["code"] == 1000
    async with http.post(TALKING_PHOTO, json=TP_BODY) as response:
        assert response.status == 502


async def test_random_fault_rate_is_roughly_honoured(
    fake: FakeAkool, http: aiohttp.ClientSession
) -> None:
    """At rate 0.3 about 30 % of requests are faulted."""
    fake.config.faults.code_1005 = 0.3
    codes = [(await get_json(http, QUOTA))["code"] for _ in range(200)]
    faulted = codes.count(1005)
    assert 30 <= faulted <= 90
    assert fake.stats.faults_injected["code_1005"] == faulted


def test_config_rejects_bad_values() -> None:
    """Rates outside [0, 1], unknown scopes and a zero speed are refused with the field name."""
    with pytest.raises(ValueError, match="http_502"):
        FaultRates(http_502=1.5)
    with pytest.raises(ValueError, match="scope"):
        FaultRates(scope="everything")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="speed"):
        FakeConfig(speed=0)
    config = FakeConfig()
    with pytest.raises(ValueError, match="failure_ratio"):
        config.failure_ratio = 2.0


# -- stats and control endpoints --------------------------------------------------------------


async def test_stats_counters(fake: FakeAkool, http: aiohttp.ClientSession) -> None:
    """Requests are keyed by method and path, polls by id, creates by family and body."""
    a = (await post_json(http, TALKING_PHOTO, TP_BODY))["data"]["_id"]
    await post_json(http, TALKING_PHOTO, {**TP_BODY, "webhookUrl": "http://127.0.0.1:9/h"})
    for _ in range(3):
        await get_json(http, VIDEO_INFO, video_model_id=a)
    stats = fake.stats
    assert stats.requests[f"POST {TALKING_PHOTO}"] == 2
    assert stats.requests[f"GET {VIDEO_INFO}"] == 3
    assert stats.polls[a] == 3
    assert stats.creates == 2 and stats.creates_by_family == {"talking_photo": 2}
    assert len(stats.create_bodies) == 2
    assert stats.duplicate_creates() == 1  # same body apart from the webhook URL
    assert stats.total_requests() == 5
    stats.reset()
    assert stats.total_requests() == 0 and stats.create_bodies == []


async def test_fake_stats_endpoint(fake: FakeAkool, http: aiohttp.ClientSession) -> None:
    """GET /_fake/stats needs no auth and mirrors the counters without counting itself."""
    job_id = (await post_json(http, TALKING_PHOTO, TP_BODY))["data"]["_id"]
    await get_json(http, VIDEO_INFO, video_model_id=job_id)
    async with aiohttp.ClientSession(fake.base_url) as anonymous:
        async with anonymous.get("/_fake/stats") as response:
            stats = await response.json()
        async with anonymous.get("/_fake/stats", params={"detail": "1"}) as response:
            detailed = await response.json()
    assert stats["creates"] == 1 and stats["jobs"] == 1
    assert stats["requests"] == {f"POST {TALKING_PHOTO}": 1, f"GET {VIDEO_INFO}": 1}
    assert stats["polls"] == 1 and stats["credit"] == 1e9 - 1
    assert detailed["polls_by_job"] == {job_id: 1}
    assert detailed["create_bodies"] == [TP_BODY]


async def test_fake_config_endpoint(fake: FakeAkool) -> None:
    """POST /_fake/config patches config and fault rates; bad fields answer 400."""
    async with aiohttp.ClientSession(fake.base_url) as session:
        patch = {"failure_ratio": 0.25, "queue_time": [0, 1], "faults": {"http_502": 0.5}}
        async with session.post("/_fake/config", json=patch) as response:
            assert response.status == 200
            shown = await response.json()
        async with session.post("/_fake/config", json={"code_1005": 0.1}) as response:
            assert response.status == 200
        async with session.post("/_fake/config", json={"nope": 1}) as response:
            assert response.status == 400
            assert "nope" in (await response.json())["error"]
        async with session.post("/_fake/config", json={"failure_ratio": 3}) as response:
            assert response.status == 400
        async with session.post("/_fake/faults", json={"kind": "code_1015"}) as response:
            assert (await response.json()) == {"pending": 1}
        async with session.get("/_fake/config") as response:
            current = await response.json()
    assert fake.config.failure_ratio == 0.25 and fake.config.queue_time == (0.0, 1.0)
    assert fake.config.faults.http_502 == 0.5 and fake.config.faults.code_1005 == 0.1
    assert shown["faults"]["http_502"] == 0.5
    assert current["client_secret"] == "<redacted>" and KEY not in json.dumps(current)
    assert [p.kind for p in fake.faults.pending()] == ["code_1015"]


def test_public_names_are_exported() -> None:
    """``akool_async.testing.__all__`` is sorted and lists exactly the public names."""
    public = {
        name
        for name in vars(testing_pkg)
        if not name.startswith("_") and name not in {"annotations"}
    }
    assert testing_pkg.__all__ == sorted(testing_pkg.__all__)
    assert set(testing_pkg.__all__) == public


async def test_embedded_app_serves_requests() -> None:
    """``FakeAkool.app()`` runs inside a caller's own aiohttp runner."""
    fake = FakeAkool(fast_config())
    runner = web.AppRunner(fake.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        async with aiohttp.ClientSession(
            f"http://127.0.0.1:{port}", headers={"x-api-key": KEY}
        ) as http:
            created = await post_json(http, TALKING_PHOTO, TP_BODY)
            final = (await poll_video(http, created["data"]["_id"]))[-1]
    finally:
        await runner.cleanup()
    assert final["video"].startswith(f"http://127.0.0.1:{port}/files/")


async def test_standalone_module_serves() -> None:
    """``python -m akool_async.testing`` prints its address, serves, and exits on SIGTERM."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "akool_async.testing",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--speed",
        "100",
        "--seed",
        "3",
        "--failure-ratio",
        "0",
        "--fault-http_502",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        with anyio.fail_after(10):
            line = (await process.stdout.readline()).decode().strip()
        assert line.startswith("akool-fake listening on http://127.0.0.1:")
        base_url = line.rsplit(" ", 1)[1]
        async with aiohttp.ClientSession(base_url, headers={"x-api-key": KEY}) as http:
            langs = await get_json(http, LANGUAGES)
        assert langs["code"] == 1000
    finally:
        if process.returncode is None:
            process.terminate()
        with anyio.fail_after(10):
            _, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()


# -- webhooks ---------------------------------------------------------------------------------


def open_webhook(body: Json, client_id: str, client_secret: str) -> Json:
    """Verify and decrypt a delivery with the documented algorithm (cryptography directly)."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    parts = sorted([client_id, str(body["timestamp"]), str(body["nonce"]), body["dataEncrypt"]])
    expected = hashlib.sha1("".join(parts).encode()).hexdigest()
    assert hmac.compare_digest(expected, body["signature"])
    iv = client_id.encode()[:16].ljust(16, b"\0")
    decryptor = Cipher(algorithms.AES(client_secret.encode()), modes.CBC(iv)).decryptor()
    padded = decryptor.update(base64.b64decode(body["dataEncrypt"])) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    plaintext = unpadder.update(padded) + unpadder.finalize()
    event: Json = json.loads(plaintext)
    return event


def require_sealer() -> None:
    """Skip when the webhook helper module is not available yet."""
    try:
        from akool_async._webhooks import seal_event  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"akool_async._webhooks.seal_event is not importable yet: {exc}")


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[Json]]]:
    """A small aiohttp server that records webhook bodies; yields (url, bodies)."""
    bodies: list[Json] = []

    async def hook(request: web.Request) -> web.Response:
        bodies.append(await request.json())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/hook", bodies
    finally:
        await runner.cleanup()


async def until(predicate: Callable[[], bool], within: float = 3.0) -> None:
    """Wait (polling every 5 ms) until ``predicate`` holds."""
    with anyio.fail_after(within):
        while True:
            if predicate():
                return
            await anyio.sleep(0.005)


async def test_webhooks_delivered_sealed(
    fake: FakeAkool, http: aiohttp.ClientSession, receiver: tuple[str, list[Json]]
) -> None:
    """A job with webhookUrl posts sealed status 2 and 3 events that verify and decrypt."""
    require_sealer()
    url, bodies = receiver
    created = await post_json(http, TALKING_PHOTO, {**TP_BODY, "webhookUrl": url})
    job_id = created["data"]["_id"]
    await until(lambda: len(bodies) >= 2)
    events = [open_webhook(b, fake.config.client_id, fake.config.client_secret) for b in bodies]
    events.sort(key=lambda e: int(e["status"]))  # concurrent deliveries may swap
    assert [e["status"] for e in events] == [2, 3]
    assert all(e["_id"] == job_id and e["type"] == "talking photo" for e in events)
    assert events[0]["url"] == "" and events[1]["url"] == fake.result_url(job_id)
    assert all(isinstance(b["timestamp"], int) and str(b["nonce"]).isdigit() for b in bodies)
    assert fake.stats.webhooks_sent == 2 and fake.stats.webhooks_failed == 0


async def test_webhook_failure_duplicates_and_v4_spelling(
    fake: FakeAkool, http: aiohttp.ClientSession, receiver: tuple[str, list[Json]]
) -> None:
    """Failed jobs send status 4 with the error; duplicates resend the same body."""
    require_sealer()
    url, bodies = receiver
    fake.config.failure_ratio = 1.0
    fake.config.webhook_duplicates = 1.0
    created = await post_json(http, I2V_CREATE, {**I2V_BODY, "webhookurl": url})
    await until(lambda: len(bodies) >= 4)
    events = [open_webhook(b, fake.config.client_id, fake.config.client_secret) for b in bodies]
    # Deliveries of different statuses run concurrently and may arrive in either order.
    assert sorted(e["status"] for e in events) == [2, 2, 4, 4]
    for status in (2, 4):
        copies = [b for b, e in zip(bodies, events, strict=True) if e["status"] == status]
        assert copies[0] == copies[1]  # a redelivery: the very same sealed body
    final = next(e for e in events if e["status"] == 4)
    assert final["_id"] == created["data"]["_id"] and final["type"] == "image2video"
    assert final["error_code"] == 1015 and final["error_reason"]


async def test_webhook_drop_and_forced_completion(
    fake: FakeAkool, http: aiohttp.ClientSession, receiver: tuple[str, list[Json]]
) -> None:
    """Dropped webhooks are counted, not sent; a forced completion sends its own event."""
    require_sealer()
    url, bodies = receiver
    fake.config.webhook_drop = 1.0
    await post_json(http, TALKING_PHOTO, {**TP_BODY, "webhookUrl": url})
    await until(lambda: fake.stats.webhooks_dropped >= 2)
    assert bodies == []
    fake.config.webhook_drop = 0.0
    fake.config.queue_time = (1e6, 1e6)
    job_id = (await post_json(http, TALKING_PHOTO, {**TP_BODY, "webhookUrl": url}))["data"]["_id"]
    fake.complete(job_id)
    await until(lambda: len(bodies) >= 1)
    (event,) = [open_webhook(b, fake.config.client_id, fake.config.client_secret) for b in bodies]
    assert (event["_id"], event["status"], event["url"]) == (job_id, 3, fake.result_url(job_id))
