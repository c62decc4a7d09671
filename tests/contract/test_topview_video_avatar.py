"""TopView Video Avatar against the best evidence we have of its contract.

Evidence (TopView's own pages are not in our docs folder; TopView's skill repository does not
cover this endpoint):

* Paths ``POST /v1/video_avatar/task/submit`` and ``GET /v1/video_avatar/task/query?taskId=``
  (``needCloudFrontUrl=true``): every public caller found by ``find_string`` for the submit path
  (a PHP SDK citing TopView's apifox pages, Python, Go and TypeScript callers).
* Body: ``avatarSourceFrom`` 0 (``videoFileId``), 1 or 2 (``aiAvatarId``), 3 (``imageFileId``, a
  photo: a Go caller and a typed client interface); ``audioSourceFrom`` 0 (``audioFileId``) or 1
  (``ttsText``, ``voiceoverId``); ``voiceSpeed``; ``modeType`` (``0`` avatar1, ``1`` avatar2,
  ``2`` avatar4: five callers send it, none sends ``mode``); ``captionId``;
  ``isSave2CustomAiAvatar``; ``noticeUrl``. Callers send the numbers as ints or as strings; the
  SDK sends ints.
* Answer: ``result.status`` and the video at ``result.outputVideoUrl`` (three callers read it,
  a typed interface lists it beside ``inputVideoFileId`` / ``inputAudioFileId``).
"""

from __future__ import annotations

from typing import Any

import pytest

from akool_async import JobStatus, ScaledClock

from .docserver import Endpoint, doc_server
from .topview import QUERY_SCHEMA, envelope, submitted, topview_on

pytestmark = pytest.mark.anyio

PAGE = "public video avatar callers (see module docstring)"
SUBMIT = "/v1/video_avatar/task/submit"
QUERY = "/v1/video_avatar/task/query"
TASK_ID = "9a8b7c6d5e4f40312a1b2c3d4e5f6a7b"
VIDEO_URL = "https://d1q70pf5vjeyhc.cloudfront.net/video_avatar/9a8b7c6d.mp4"


def _either(*values: int) -> list[int | str]:
    return [*values, *(str(v) for v in values)]


#: The submit body as the callers send it (``additionalProperties: False``).
SUBMIT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["avatarSourceFrom", "audioSourceFrom"],
    "properties": {
        "avatarSourceFrom": {"enum": _either(0, 1, 2, 3)},
        "videoFileId": {"type": "string"},
        "aiAvatarId": {"type": "string"},
        "imageFileId": {"type": "string"},
        "audioSourceFrom": {"enum": _either(0, 1)},
        "audioFileId": {"type": "string"},
        "ttsText": {"type": "string"},
        "voiceoverId": {"type": "string"},
        "voiceSpeed": {"type": "number", "minimum": 0.8, "maximum": 1.2},
        "modeType": {"enum": _either(0, 1, 2)},
        "captionId": {"type": "string"},
        "isSave2CustomAiAvatar": {"type": "boolean"},
        "noticeUrl": {"type": "string"},
    },
    "allOf": [
        {
            "if": {"properties": {"avatarSourceFrom": {"enum": _either(3)}}},
            "then": {"required": ["imageFileId"]},
        },
        {
            "if": {"properties": {"avatarSourceFrom": {"enum": _either(0)}}},
            "then": {"required": ["videoFileId"]},
        },
        {
            "if": {"properties": {"audioSourceFrom": {"enum": _either(0)}}},
            "then": {"required": ["audioFileId"]},
        },
    ],
    "additionalProperties": False,
}

RUNNING = envelope({"taskId": TASK_ID, "status": "running", "errorMsg": None})
SUCCESS = envelope(
    {
        "taskId": TASK_ID,
        "status": "success",
        "errorMsg": None,
        "inputVideoFileId": None,
        "inputAudioFileId": "audio-1",
        "outputVideoUrl": VIDEO_URL,
    }
)


def _endpoints(*answers: dict[str, Any]) -> list[Endpoint]:
    return [
        Endpoint("POST", SUBMIT, PAGE, SUBMIT_SCHEMA, [submitted(TASK_ID)]),
        Endpoint("GET", QUERY, PAGE, QUERY_SCHEMA, list(answers)),
    ]


async def test_photo_avatar_sends_image_file_id_and_mode_type() -> None:
    """A photo avatar (source 3) sends ``imageFileId`` and ``modeType``; the answer's
    ``outputVideoUrl`` is the result."""
    async with doc_server(_endpoints(RUNNING, SUCCESS)) as server:
        async with topview_on(server, clock=ScaledClock(speed=1000.0)) as tv:
            job = await tv.video_avatar.create(
                avatar_source_from=3,
                image_file_id="photo-1",
                audio_source_from=0,
                audio_file_id="audio-1",
                mode=2,
            )
            assert job.id == TASK_ID
            result = await job
        assert server.violations == []
        assert result.url == VIDEO_URL and job.status is JobStatus.COMPLETED
        assert server.requests_to(SUBMIT)[0].body == {
            "avatarSourceFrom": 3,
            "imageFileId": "photo-1",
            "audioSourceFrom": 0,
            "audioFileId": "audio-1",
            "modeType": 2,
        }
        assert server.requests_to(QUERY)[0].query == {"taskId": TASK_ID}


async def test_public_avatar_speaking_text_follows_the_evidence() -> None:
    """A public avatar speaking TTS text fits the callers' body and completes."""
    async with doc_server(_endpoints(SUCCESS)) as server:
        async with topview_on(server, clock=ScaledClock(speed=1000.0)) as tv:
            job = await tv.video_avatar.create(
                avatar_source_from=1,
                ai_avatar_id="3327",
                audio_source_from=1,
                tts_text="Hello there",
                voice_speed=1.0,
                mode=0,
            )
            result = await job
        assert server.violations == []
        assert result.url == VIDEO_URL
        assert server.requests_to(SUBMIT)[0].body["modeType"] == 0
