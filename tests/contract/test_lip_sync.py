"""Lip sync against its documentation (``ai-tools-suite/lip-sync.mdx``).

Fixtures are typed from the page: the body table (video_url, audio_url, webhookUrl), the
create answer and the ``infobymodelid`` answer (comments dropped).
"""

from __future__ import annotations

import pytest

from akool_async import JobStatus, ScaledClock

from .docserver import Endpoint, doc_server, session_on, video_status

pytestmark = pytest.mark.anyio

PAGE = "ai-tools-suite/lip-sync.mdx"
CREATE = "/api/open/v3/content/video/lipsync"

CREATE_SCHEMA = {
    "type": "object",
    "required": ["video_url", "audio_url"],
    "properties": {
        "video_url": {"type": "string"},
        "audio_url": {"type": "string"},
        "webhookUrl": {"type": "string"},
    },
    "additionalProperties": False,
}
CREATE_ANSWER = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "create_time": 1712720702523,
        "uid": 100002,
        "type": 9,
        "from": 2,
        "target_video": "https://d11fbe263bhqij.cloudfront.net/agicontent/video/global_reach/Global_reach_EN_01.mp4",
        "faceswap_quality": 2,
        "video_id": "8ddc4a27-d173-4cf5-aa37-13e340fed8f3",
        "video_status": 1,
        "video_lock_duration": 11.7,
        "deduction_lock_duration": 20,
        "external_video": "",
        "video": "",
        "storage_loc": 1,
        "input_audio": "https://drz0f01yeq1cx.cloudfront.net/1712719410293-driving_audio_2.wav",
        "webhookUrl": "",
        "task_id": "66160b3ee3ef778679dfd30f",
        "lipsync": True,
        "_id": "66160f989dfc997ac289037b",
        "__v": 0,
    },
}
STATUS_ANSWER = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "faceswap_quality": 2,
        "storage_loc": 1,
        "_id": "66160f989dfc997ac289037b",
        "create_time": 1692242625334,
        "uid": 378337,
        "type": 2,
        "from": 1,
        "video_id": "788bcd2b-09bb-4e9c-b0f2-6d41ee5b2a67",
        "video_lock_duration": 7.91,
        "deduction_lock_duration": 10,
        "video_status": 2,
        "external_video": "",
        "video": "",
    },
}
RESULT_URL = "https://example.cloudfront.net/lipsync-result.mp4"
ENDPOINTS = [
    Endpoint("POST", CREATE, PAGE, CREATE_SCHEMA, [CREATE_ANSWER]),
    video_status(PAGE, STATUS_ANSWER, RESULT_URL),
]


async def test_lip_sync_request_and_answers_follow_the_page() -> None:
    """The body fits the page's table; the page's answers yield the job id and its URL."""
    clock = ScaledClock(speed=1000.0)
    async with doc_server(ENDPOINTS) as server, session_on(server, clock=clock) as session:
        job = await session.lip_sync.create(
            video_url="https://cdn.example.com/clip.mp4",
            audio_url="https://cdn.example.com/voice.wav",
            webhook_url="https://hooks.example.com/akool",
        )
        assert job.id == CREATE_ANSWER["data"]["_id"]
        result = await job
    assert server.violations == []
    assert result.url == RESULT_URL and job.status is JobStatus.COMPLETED
