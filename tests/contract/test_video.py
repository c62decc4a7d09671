"""Image to video and text to video against their pages (``image2video.mdx``,
``text2video.mdx``).

Fixtures are typed from the pages: each create's body table (required fields, types, enums),
the example answers (one video, ``{successList, errorList}`` for the batch creates,
update-audio), and the ``resultsByIds`` answer. The pages show ``resultsByIds`` for other ids
than their create examples; the fixtures below reuse that documented entry under the created
ids (nothing else changes).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from akool_async import (
    CreatedJobs,
    InsufficientCredit,
    JobStatus,
    RefusedJob,
    ScaledClock,
    ValidationError,
)

from .docserver import Endpoint, doc_server, session_on
from .runs import run_one

pytestmark = pytest.mark.anyio


I2V_PAGE = "ai-tools-suite/image2video.mdx"
T2V_PAGE = "ai-tools-suite/text2video.mdx"
I2V_CREATE = "/api/open/v4/image2Video/createBySourcePrompt"
I2V_BATCH = "/api/open/v4/image2Video/createBySourcePrompt/batch"
UPDATE_AUDIO = "/api/open/v4/image2Video/updateVideoAudio"
T2V_CREATE = "/api/open/v4/text2Video/createByPrompt/batch"
RESULTS = "/api/open/v4/image2Video/resultsByIds"
IMG = "https://drz0f01yeq1cx.cloudfront.net/1753772478686-9524-b6e4169bb1b44d5d8361936b3f6eddb8.png"
AUDIO = "https://drz0f01yeq1cx.cloudfront.net/1753772497950-9213-1749809724426audio.mp3"

_S = {"type": "string"}
_B = {"type": "boolean"}
_I = {"type": "integer"}

#: "Create Image to Video" body table.
I2V_SCHEMA = {
    "type": "object",
    "required": [
        "image_url",
        "prompt",
        "negative_prompt",
        "resolution",
        "audio_type",
        "video_length",
    ],
    "properties": {
        "image_url": _S,
        "prompt": _S,
        "negative_prompt": _S,
        "extend_prompt": _B,
        "resolution": {"type": "string", "enum": ["720p", "1080p", "4k"]},
        "audio_url": _S,
        "audio_type": {"type": "integer", "enum": [1, 2, 3]},
        "video_length": {"type": "integer", "enum": [5, 10]},
        "is_premium_model": _B,
        "effect_code": _S,
        "webhookurl": _S,
    },
    "additionalProperties": False,
}

#: "Create Batch Image to Video" body table.
I2V_BATCH_SCHEMA = {
    "type": "object",
    "required": ["image_url", "prompt", "resolution", "video_length"],
    "properties": {
        "image_url": _S,
        "prompt": _S,
        "model_name": _S,
        "negative_prompt": _S,
        "extend_prompt": _B,
        "resolution": _S,
        "video_length": _I,
        "last_image_url": _S,
        "count": {"type": "integer", "minimum": 1, "maximum": 10},
        "webhookurl": _S,
    },
    "additionalProperties": False,
}

#: "Update Video Audio" body table.
UPDATE_AUDIO_SCHEMA = {
    "type": "object",
    "required": ["pre_video_id", "audio_url", "audio_type"],
    "properties": {
        "pre_video_id": _S,
        "audio_url": _S,
        "audio_type": {"type": "integer", "enum": [1, 2]},
    },
    "additionalProperties": False,
}

#: "Create Batch Text to Video" body table.
T2V_SCHEMA = {
    "type": "object",
    "required": ["prompt"],
    "properties": {
        "prompt": {"type": "string", "maxLength": 5000},
        "model_name": _S,
        "negative_prompt": {"type": "string", "maxLength": 1000},
        "extend_prompt": _B,
        "resolution": _S,
        "video_length": _I,
        "count": {"type": "integer", "minimum": 1, "maximum": 10},
        "webhookurl": {"type": "string", "maxLength": 2048},
    },
    "additionalProperties": False,
}

#: "Get Image to Video Results" body table.
RESULTS_SCHEMA = {
    "type": "object",
    "required": ["_ids"],
    "properties": {"_ids": _S},
    "additionalProperties": False,
}

#: The single create's example answer.
I2V_ANSWER: dict[str, Any] = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "create_time": 1754362985482,
        "uid": 101400,
        "team_id": "6805fb69e92d9edc7ca0b409",
        "status": 1,
        "webhookUrl": "",
        "resolution": "4k",
        "file_name": "Image2Video_Animate this image with .mp4",
        "effect_name": "Squish",
        "_id": "689174694b4dbdd4ab3d28c9",
        "image_url": IMG,
        "prompt": "Animate this image with smooth camera movement and subtle object motion.",
        "negative_prompt": "blurry, distorted hands, missing fingers",
        "extend_prompt": True,
        "audio_type": 2,
        "audio_url": AUDIO,
        "deduction_credit": 60,
        "effect_code": "squish_89244231312",
    },
}


def _t2v_entry(job_id: str, create_time: int) -> dict[str, Any]:
    """One ``successList`` entry of the text-to-video example answer."""
    return {
        "_id": job_id,
        "create_time": create_time,
        "uid": 101400,
        "team_id": "6805fb69e92d9edc7ca0b409",
        "status": 1,
        "webhookUrl": "",
        "resolution": "720p",
        "file_name": "Text2Video_A serene mountain landscape.mp4",
        "prompt": "A serene mountain landscape at sunset.",
        "negative_prompt": "blurry, distorted, low quality, text, watermark",
        "extend_prompt": True,
        "deduction_credit": 20,
        "model_name": "seedance-1-0-lite-i2v-250428",
        "batch_id": "1754362985482_101400",
        "batch_count": 3,
    }


T2V_IDS = ["689174694b4dbdd4ab3d28c9", "689174694b4dbdd4ab3d28ca", "689174694b4dbdd4ab3d28cb"]
#: The text-to-video example answer: three videos, none refused.
T2V_ANSWER: dict[str, Any] = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "successList": [_t2v_entry(i, 1754362985482 + n) for n, i in enumerate(T2V_IDS)],
        "errorList": [],
    },
}


def _batch_i2v_entry(job_id: str) -> dict[str, Any]:
    """One ``successList`` entry of the batch image-to-video example answer."""
    entry = _t2v_entry(job_id, 1754362985482)
    entry.update(
        file_name="Image2Video_Animate this image with .mp4",
        image_url=IMG,
        negative_prompt="blurry, distorted, low quality",
        deduction_credit=5,
    )
    return entry


I2V_BATCH_ANSWER: dict[str, Any] = {
    "code": 1000,
    "msg": "OK",
    "data": {"successList": [_batch_i2v_entry(i) for i in T2V_IDS], "errorList": []},
}

#: The update-audio example answer.
UPDATE_AUDIO_ANSWER: dict[str, Any] = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "create_time": 1754374697629,
        "uid": 101400,
        "team_id": "6805fb69e92d9edc7ca0b409",
        "update_time": 1754374394023,
        "video_duration": 5.063,
        "webhookUrl": "",
        "resolution": "4k",
        "file_name": "Image2Video_Animate this image with .mp4",
        "effect_name": "Squish",
        "_id": "6891a2295d612f78c9204f77",
        "pre_video_id": "6891a07f5d612f78c9204f1c",
        "image_url": IMG,
        "prompt": "Animate this image with smooth camera movement and subtle object motion.",
        "negative_prompt": "",
        "extend_prompt": False,
        "audio_type": 2,
        "audio_url": AUDIO,
        "deduction_credit": 5,
        "effect_code": "squish_89244231312",
        "status": 1,
        "only_add_audio": True,
    },
}

RESULT_URL = "https://d2qf6ukcym4kn9.cloudfront.net/1754377291791-1423.mp4"
#: The completed entry of the ``resultsByIds`` example answer.
DONE_ENTRY: dict[str, Any] = {
    "_id": "6891abe782f7cd2a890c44ba",
    "create_time": 1754377191100,
    "uid": 101400,
    "team_id": "6805fb69e92d9edc7ca0b409",
    "sub_type": 1501,
    "video_duration": 5.063,
    "webhookUrl": "",
    "file_name": "Image2Video_Animate this image with .mp4",
    "effect_name": "Squish",
    "update_time": 1754377293090,
    "image_url": IMG,
    "prompt": "Animate this image with smooth camera movement and subtle object motion.",
    "resolution": "4k",
    "audio_type": 2,
    "audio_url": AUDIO,
    "deduction_credit": 30,
    "effect_code": "squish_89244231312",
    "video_url": RESULT_URL,
    "status": 3,
    "only_add_audio": False,
}


def results_answer(*ids: str) -> dict[str, Any]:
    """The documented ``resultsByIds`` answer, its completed entry under each of ``ids``."""
    result = []
    for job_id in ids:
        entry = copy.deepcopy(DONE_ENTRY)
        entry["_id"] = job_id
        result.append(entry)
    return {"code": 1000, "msg": "OK", "data": {"result": result}}


def _results(*ids: str) -> Endpoint:
    return Endpoint("POST", RESULTS, I2V_PAGE, RESULTS_SCHEMA, [results_answer(*ids)])


async def test_image_to_video_request_and_answers_follow_the_page() -> None:
    """The single create fits its table; the documented answers yield the job and its URL."""
    job_id = I2V_ANSWER["data"]["_id"]
    endpoints = [
        Endpoint("POST", I2V_CREATE, I2V_PAGE, I2V_SCHEMA, [I2V_ANSWER]),
        _results(job_id),
    ]
    server, job, result = await run_one(
        endpoints,
        lambda session: session.image_to_video.create(
            image_url=IMG,
            prompt="Animate this image.",
            negative_prompt="blurry",
            resolution="4k",
            audio_type=2,
            audio_url=AUDIO,
            video_length=10,
            extend_prompt=True,
            is_premium_model=True,
            effect_code="squish_89244231312",
        ),
    )
    assert server.violations == []
    assert job.id == job_id and result.url == RESULT_URL
    assert job.status is JobStatus.COMPLETED
    assert server.requests_to(RESULTS)[0].body == {"_ids": job_id}


async def test_text_to_video_success_list_is_one_job_each() -> None:
    """The documented successList answer yields three jobs, none refused, all completed."""
    endpoints = [
        Endpoint("POST", T2V_CREATE, T2V_PAGE, T2V_SCHEMA, [T2V_ANSWER]),
        _results(*T2V_IDS),
    ]
    async with (
        doc_server(endpoints) as server,
        session_on(server, clock=ScaledClock(speed=1000.0)) as session,
    ):
        jobs = await session.text_to_video.create(
            prompt="A serene mountain landscape at sunset.",
            model_name="seedance-1-0-lite-i2v-250428",
            negative_prompt="blurry",
            extend_prompt=True,
            resolution="720p",
            video_length=5,
            count=3,
        )
        results = await session.gather(jobs)
    assert server.violations == []
    assert isinstance(jobs, CreatedJobs) and jobs.failed == ()
    assert [j.id for j in jobs] == T2V_IDS
    assert [r.url for r in results] == [RESULT_URL] * 3


async def test_text_to_video_error_list_is_reported_and_created_jobs_kept() -> None:
    """One created, two refused: the created job is tracked and the refusals come back typed.

    The page documents ``errorList`` as "failed tasks with error information" without their
    fields; the entries here use Akool's usual ``code``/``msg``.
    """
    answer = copy.deepcopy(T2V_ANSWER)
    answer["data"]["successList"] = answer["data"]["successList"][:1]
    answer["data"]["errorList"] = [
        {"code": 1006, "msg": "Your quota is not enough"},
        {"code": 1015, "msg": "Create video error, please try again later"},
    ]
    endpoints = [
        Endpoint("POST", T2V_CREATE, T2V_PAGE, T2V_SCHEMA, [answer]),
        _results(T2V_IDS[0]),
    ]
    async with (
        doc_server(endpoints) as server,
        session_on(server, clock=ScaledClock(speed=1000.0)) as session,
    ):
        jobs = await session.text_to_video.create(prompt="a fox", count=3)
        result = await jobs[0]
    assert server.violations == []
    assert [j.id for j in jobs] == [T2V_IDS[0]] and result.url == RESULT_URL
    assert [(f.code, f.message) for f in jobs.failed] == [
        (1006, "Your quota is not enough"),
        (1015, "Create video error, please try again later"),
    ]
    assert all(isinstance(f, RefusedJob) for f in jobs.failed)


async def test_text_to_video_all_refused_is_a_typed_refusal() -> None:
    """An answer with only errorList entries raises the first entry's typed error."""
    answer = copy.deepcopy(T2V_ANSWER)
    answer["data"] = {"successList": [], "errorList": [{"code": 1006, "msg": "no credit"}]}
    async with (
        doc_server([Endpoint("POST", T2V_CREATE, T2V_PAGE, T2V_SCHEMA, [answer])]) as server,
        session_on(server) as session,
    ):
        with pytest.raises(InsufficientCredit) as info:
            await session.text_to_video.create(prompt="a fox")
    assert info.value.code == 1006 and "no credit" in info.value.message
    assert info.value.endpoint == f"POST {T2V_CREATE}"


async def test_batch_image_to_video_follows_the_page() -> None:
    """The batch create fits its table; its documented successList yields three jobs."""
    endpoints = [
        Endpoint("POST", I2V_BATCH, I2V_PAGE, I2V_BATCH_SCHEMA, [I2V_BATCH_ANSWER]),
        _results(*T2V_IDS),
    ]
    async with (
        doc_server(endpoints) as server,
        session_on(server, clock=ScaledClock(speed=1000.0)) as session,
    ):
        jobs = await session.image_to_video.create_batch(
            image_url=IMG,
            prompt="Animate this image.",
            model_name="seedance-1-0-lite-i2v-250428",
            negative_prompt="blurry",
            extend_prompt=True,
            resolution="720p",
            video_length=5,
            last_image_url=IMG,
            count=3,
        )
        results = await session.gather(jobs)
    assert server.violations == []
    assert [j.id for j in jobs] == T2V_IDS and jobs.failed == ()
    assert [r.url for r in results] == [RESULT_URL] * 3


async def test_update_video_audio_follows_the_page() -> None:
    """Update-audio sends the three documented fields and tracks the new result to its URL."""
    job_id = UPDATE_AUDIO_ANSWER["data"]["_id"]
    endpoints = [
        Endpoint("POST", UPDATE_AUDIO, I2V_PAGE, UPDATE_AUDIO_SCHEMA, [UPDATE_AUDIO_ANSWER]),
        _results(job_id),
    ]
    server, job, result = await run_one(
        endpoints,
        lambda session: session.image_to_video.update_audio(
            pre_video_id="6890830af27dfad2a3e6062d", audio_url=AUDIO, audio_type=2
        ),
    )
    assert server.violations == []
    assert job.id == job_id and result.url == RESULT_URL


async def test_text_to_video_webhook_past_the_page_limit_is_refused() -> None:
    """A webhookurl over the page's 2048 characters fails before any request, naming it."""
    long_url = "https://hooks.example.com/" + "w" * 2030
    async with doc_server([]) as server, session_on(server) as session:
        with pytest.raises(ValidationError) as info:
            await session.text_to_video.create(prompt="a fox", webhook_url=long_url)
    assert info.value.field == "webhook_url"
    assert server.received == []
