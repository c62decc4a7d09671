"""TopView Product Avatar - Image2Video v2 against the best evidence we have of its contract.

Evidence (TopView's own v2 pages are not in our docs folder):

* Paths ``/v2/product_avatar/task/image2Video/submit`` and ``.../query``: API.md (TopView) and
  public callers (a ``find_string`` for the submit path finds six route handlers; one queries
  ``.../query`` with ``taskId`` and ``needCloudFrontUrl=true``).
* Body: ``replaceProductTaskImageId``, ``mode``, ``scriptMode`` (``"text"``), ``ttsText``,
  ``voiceId``, ``captionId`` in every such caller; ``aspectRatio`` and ``videoLengthType``
  (1/2/3) in two of them; ``scriptMode: "audio"`` with ``audioFileId`` in a typed client
  interface (``V2Image2VideoSubmitParams``) and one more caller.
* ``mode`` values: lite/pro/avatar2/avatar4/avatar4Fast (API.md; callers send ``pro``,
  ``avatar4`` and ``avatar4Fast``). ``aspectRatio`` values: a caller's picker offers 9:16, 16:9,
  1:1, 4:3, 3:4.
* Uncertain, so optional here and in the SDK: which of ``voiceId``/``mode``/``scriptMode`` the
  server requires; ``noticeUrl`` (taken from the v1 families, not seen in a v2 caller);
  ``voiceSpeed`` (no v2 caller sends it, so the SDK does not accept it).
* Answer: ``result.status`` ``success`` with ``result.finishedVideoUrl`` and ``result.aiAvatar``
  (the caller that queries types it so); the in-progress word is assumed from the v1 families.
"""

from __future__ import annotations

from typing import Any

import pytest

from akool_async import JobFailed, JobStatus, ScaledClock

from .docserver import Endpoint, doc_server
from .topview import NOTICE_CHECK, QUERY_SCHEMA, envelope, submitted, topview_on

pytestmark = pytest.mark.anyio

PAGE = "API.md (TopView, v2) + public callers (see module docstring)"
SUBMIT = "/v2/product_avatar/task/image2Video/submit"
QUERY = "/v2/product_avatar/task/image2Video/query"
TASK_ID = "7c1f0e52a9b34d0e8f0f6f3bb0d3a1aa"
VIDEO_URL = "https://d1q70pf5vjeyhc.cloudfront.net/product_avatar/7c1f0e52.mp4"

#: The submit body as the evidence shows it (``additionalProperties: False``).
SUBMIT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["replaceProductTaskImageId"],
    "properties": {
        "replaceProductTaskImageId": {"type": "string", "minLength": 1},
        "mode": {"enum": ["lite", "pro", "avatar2", "avatar4", "avatar4Fast"]},
        "scriptMode": {"enum": ["text", "audio"]},
        "ttsText": {"type": "string"},
        "voiceId": {"type": "string"},
        "audioFileId": {"type": "string"},
        "captionId": {"type": "string"},
        "aspectRatio": {"enum": ["9:16", "16:9", "1:1", "4:3", "3:4"]},
        "videoLengthType": {"enum": [1, 2, 3]},
        "noticeUrl": {"type": "string"},
    },
    "allOf": [
        {
            "if": {"properties": {"scriptMode": {"const": "text"}}, "required": ["scriptMode"]},
            "then": {"required": ["ttsText"], "not": {"required": ["audioFileId"]}},
        },
        {
            "if": {"properties": {"scriptMode": {"const": "audio"}}, "required": ["scriptMode"]},
            "then": {"required": ["audioFileId"], "not": {"required": ["ttsText"]}},
        },
    ],
    "additionalProperties": False,
}

#: In progress (status word as the v1 families), then the answer the querying caller types.
RUNNING = envelope({"taskId": TASK_ID, "status": "running", "errorMsg": None})
SUCCESS = envelope(
    {
        "taskId": TASK_ID,
        "status": "success",
        "errorMsg": None,
        "finishedVideoUrl": VIDEO_URL,
        "aiAvatar": {"aiavatarId": "a0c1", "aiavatarName": "Mia", "gender": None},
    }
)
FAILED = envelope({"taskId": TASK_ID, "status": "fail", "errorMsg": "generation failed"})


def _endpoints(*answers: dict[str, Any]) -> list[Endpoint]:
    return [
        Endpoint("POST", SUBMIT, PAGE, SUBMIT_SCHEMA, [submitted(TASK_ID)]),
        Endpoint("GET", QUERY, PAGE, QUERY_SCHEMA, list(answers)),
        NOTICE_CHECK,
    ]


async def test_text_script_body_and_answers_follow_the_evidence() -> None:
    """A text-script submit fits the schema; the answers yield the task and finishedVideoUrl."""
    async with doc_server(_endpoints(RUNNING, SUCCESS)) as server:
        async with topview_on(server, clock=ScaledClock(speed=1000.0)) as tv:
            job = await tv.product_avatar.image2video_v2(
                "f2e1d0c9b8a7",
                mode="avatar4",
                tts_text="This bottle keeps drinks cold for a day.",
                voice_id="2r69IyOA7qyj1TKr11LiCXUGcPhsSYTW",
                caption_id="cap-03",
                aspect_ratio="9:16",
                video_length_type=1,
            )
            assert job.id == TASK_ID
            result = await job
        assert server.violations == []
        assert result.url == VIDEO_URL and job.status is JobStatus.COMPLETED
        assert server.requests_to(QUERY)[0].query["taskId"] == TASK_ID
        assert server.requests_to(SUBMIT)[0].body["scriptMode"] == "text"


async def test_audio_script_with_notice_url_follows_the_evidence() -> None:
    """An audio-script submit (noticeUrl registered first) fits the schema and completes."""
    url = "https://hooks.example.com/topview"
    async with doc_server(_endpoints(SUCCESS)) as server:
        async with topview_on(server, clock=ScaledClock(speed=1000.0)) as tv:
            job = await tv.product_avatar.image2video_v2(
                "f2e1d0c9b8a7", mode="pro", audio_file_id="audio-file-1", webhook_url=url
            )
            result = await job
        assert server.violations == []
        assert result.url == VIDEO_URL
        assert server.requests_to(NOTICE_CHECK.path)[0].body == {"noticeUrl": url}
        body = server.requests_to(SUBMIT)[0].body
        assert body["scriptMode"] == "audio" and body["noticeUrl"] == url


async def test_failed_answer_raises_with_its_reason() -> None:
    """A ``fail`` answer ends the job with JobFailed carrying errorMsg."""
    async with doc_server(_endpoints(FAILED)) as server:
        async with topview_on(server, clock=ScaledClock(speed=1000.0)) as tv:
            job = await tv.product_avatar.image2video_v2("f2e1d0c9b8a7", tts_text="hi")
            with pytest.raises(JobFailed) as info:
                await job
        assert server.violations == []
        assert "generation failed" in str(info.value)


# -- v1 Image2Video ------------------------------------------------------------------------------
#
# Evidence: seed 002 (``productReplaceResultKey`` is a replace task's
# ``productReplaceResult[].key``; ``voiceSpeed`` 0.8-1.2); a typed client interface of a public
# caller (``Image2VideoSubmitParams``: ``image2VideoPrompt`` with a capital V, ``mode``
# lite/pro, ``productReplaceResultKey``, ``ttsText``, ``voiceoverId``; the query answer
# ``status``/``taskStatus`` and ``videoUrl``). The query spelling (``result`` or ``query``) is
# unsettled; the SDK tries the other on a 404.

V1_PAGE = "seed 002 + a public caller's typed v1 interface"
V1_SUBMIT = "/v1/product_avatar/task/image2Video/submit"
V1_QUERY = "/v1/product_avatar/task/image2Video/result"
V1_VIDEO = "https://d1q70pf5vjeyhc.cloudfront.net/product_avatar/v1-7c1f0e52.mp4"

V1_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["productReplaceResultKey"],
    "properties": {
        "productReplaceResultKey": {"type": "string", "minLength": 1},
        "mode": {"enum": ["lite", "pro"]},
        "image2VideoPrompt": {"type": "string"},
        "ttsText": {"type": "string"},
        "voiceoverId": {"type": "string"},
        "voiceSpeed": {"type": "number", "minimum": 0.8, "maximum": 1.2},
        "audioFileId": {"type": "string"},
        "originVoiceFileId": {"type": "string"},
        "captionId": {"type": "string"},
        "noticeUrl": {"type": "string"},
    },
    "additionalProperties": False,
}
V1_SUCCESS = envelope(
    {"taskId": TASK_ID, "status": "success", "taskStatus": "success", "videoUrl": V1_VIDEO}
)


async def test_v1_image2video_sends_image2video_prompt_with_capital_v() -> None:
    """v1 Image2Video sends ``image2VideoPrompt`` (TopView's spelling) and reads ``videoUrl``."""
    endpoints = [
        Endpoint("POST", V1_SUBMIT, V1_PAGE, V1_SCHEMA, [submitted(TASK_ID)]),
        Endpoint("GET", V1_QUERY, V1_PAGE, QUERY_SCHEMA, [RUNNING, V1_SUCCESS]),
    ]
    async with doc_server(endpoints) as server:
        async with topview_on(server, clock=ScaledClock(speed=1000.0)) as tv:
            job = await tv.product_avatar.image2video(
                "21f48762080b42f1b718ad722f92c",
                mode="pro",
                image2video_prompt="holds the bottle up",
                tts_text="Cold for a day.",
                voiceover_id="v-1",
                voice_speed=1.1,
            )
            result = await job
        assert server.violations == []
        assert result.url == V1_VIDEO
        assert server.requests_to(V1_SUBMIT)[0].body["image2VideoPrompt"] == "holds the bottle up"
