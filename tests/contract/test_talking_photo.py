"""Talking photo against its documentation (``openapi/talking-photo.yaml``).

Fixtures below are typed from the spec's schemas and examples: the create request's required
fields, types and enums; the create answer; the status answer.
"""

from __future__ import annotations

import pytest

from akool_async import JobStatus, ScaledClock

from .docserver import Endpoint, completed, doc_server, session_on

pytestmark = pytest.mark.anyio

PAGE = "openapi/talking-photo.yaml"
CREATE = "/api/open/v3/content/video/createbytalkingphoto"
STATUS = "/api/open/v3/content/video/infobymodelid"

#: ``CreateTalkingPhotoRequest`` as the spec defines it.
CREATE_SCHEMA = {
    "type": "object",
    "required": ["talking_photo_url", "audio_url"],
    "properties": {
        "talking_photo_url": {"type": "string"},
        "audio_url": {"type": "string"},
        "prompt": {"type": "string"},
        "resolution": {"type": "string", "enum": ["720", "1080"]},
        "webhookUrl": {"type": "string"},
    },
    "additionalProperties": False,
}

#: The create answer the spec shows.
CREATE_ANSWER = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "faceswap_quality": 2,
        "storage_loc": 1,
        "_id": "64dd90f9f0b6684651e90d60",
        "create_time": 1692242169057,
        "uid": 378337,
        "type": 5,
        "from": 2,
        "video_lock_duration": 0.8,
        "deduction_lock_duration": 10,
        "external_video": "",
        "talking_photo": "https://example.cloudfront.net/1692242161763-6613.jpeg",
        "video": "",
        "__v": 0,
        "video_status": 1,
        "prompt": "Keep natural hand movements.",
        "resolution": "720",
    },
}

#: The status answer the spec shows (a job still processing).
STATUS_ANSWER = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "faceswap_quality": 2,
        "storage_loc": 1,
        "_id": "64dd90f9f0b6684651e90d60",
        "create_time": 1692242625334,
        "uid": 378337,
        "type": 2,
        "from": 1,
        "video_id": "0acfed62e24f4cfd8801c9e846347b1d",
        "video_lock_duration": 7.91,
        "deduction_lock_duration": 10,
        "video_status": 2,
        "external_video": "",
        "video": "",
    },
}
RESULT_URL = "https://example.cloudfront.net/result.mp4"

ENDPOINTS = [
    Endpoint("POST", CREATE, PAGE, CREATE_SCHEMA, [CREATE_ANSWER]),
    Endpoint(
        "GET",
        STATUS,
        PAGE,
        {
            "type": "object",
            "required": ["video_model_id"],
            "properties": {"video_model_id": {"type": "string"}},
        },
        [STATUS_ANSWER, completed(STATUS_ANSWER, video_status=3, video=RESULT_URL)],
    ),
]


async def test_talking_photo_request_and_answers_follow_the_spec() -> None:
    """The create body fits the spec's schema, and the spec's answers yield the job and its URL."""
    async with doc_server(ENDPOINTS) as server:
        async with session_on(server, clock=ScaledClock(speed=1000.0)) as session:
            job = await session.talking_photo.create(
                talking_photo_url="https://cdn.example.com/face.jpg",
                audio_url="https://cdn.example.com/voice.mp3",
                resolution="1080",
            )
            assert job.id == CREATE_ANSWER["data"]["_id"]
            result = await job
        assert server.violations == []
        assert result.url == RESULT_URL
        assert job.status is JobStatus.COMPLETED
        assert server.requests_to(STATUS)[0].query["video_model_id"] == job.id
