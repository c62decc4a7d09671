"""TopView image to video v2 against the best evidence we have of its contract.

Evidence (TopView's own v2 pages are not in our docs folder):

* TopView's own published client, ``topviewai/skill`` (``scripts/video_gen.py``,
  ``references/video_gen.md``): paths ``/v2/common_task/image2video/task/submit`` and
  ``.../task/query``; body ``model`` (display name), ``firstFrameFileId``, ``endFrameFileId``,
  ``referenceImageFileIds`` (two or more), ``prompt``, ``aspectRatio``, ``resolution`` (480, 540,
  720, 768, 1080 or 2160, by model), ``duration`` (seconds), ``sound`` (``on``/``off``),
  ``generatingCount`` (1-4), ``boardId``; answer ``result.status``, ``result.costCredit`` and
  ``result.videos[]`` each with its own ``status``, ``filePath`` and ``errorMsg``.
* Other public callers: the same paths and body names; ``needCloudFrontUrl=true`` on the query;
  ``result.videos[].filePath`` read for the URL; one test double answers ``costCredit`` as the
  string ``"10.00"``.
* API.md (TopView): model id, first/end frame file ids, resolution 480/720/1080, sound, count 1-4.
  The client above lists more resolutions (by model); the SDK accepts its six.
* Uncertain, so optional: ``model`` (TopView's client sends it only when given for i2v);
  ``duration`` bounds (1-16 here, the widest range the client's model table shows);
  ``aspectRatio`` values (the client's i2v models list 9:16, 3:4, 1:1, 4:3, 16:9); ``noticeUrl``
  (from the v1 families; no v2 caller sends it).
* Status words ``init``, ``running``, ``success``, ``fail``: TopView's ``SKILL.md`` (Task Status).
"""

from __future__ import annotations

from typing import Any

import pytest

from akool_async import JobStatus, ResultMissing, ScaledClock
from akool_async.topview import MediaTaskResult

from .docserver import Endpoint, doc_server
from .topview import QUERY_SCHEMA, VIDEO_OPTIONS, envelope, submitted, topview_on

pytestmark = pytest.mark.anyio

PAGE = "topviewai/skill scripts/video_gen.py + API.md (TopView, v2)"
SUBMIT = "/v2/common_task/image2video/task/submit"
QUERY = "/v2/common_task/image2video/task/query"
TASK_ID = "0d3a303bfc1f4f0e9a287ba47dbbefbc"
URLS = [
    "https://d1q70pf5vjeyhc.cloudfront.net/common_task/0d3a303b-1.mp4",
    "https://d1q70pf5vjeyhc.cloudfront.net/common_task/0d3a303b-2.mp4",
]

#: The submit body as TopView's client builds it (``additionalProperties: False``).
SUBMIT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "model": {"type": "string"},
        "firstFrameFileId": {"type": "string", "minLength": 1},
        "endFrameFileId": {"type": "string", "minLength": 1},
        "referenceImageFileIds": {
            "type": "array",
            "minItems": 2,
            "items": {"type": "string", "minLength": 1},
        },
        "prompt": {"type": "string"},
        "aspectRatio": {"enum": ["9:16", "3:4", "1:1", "4:3", "16:9"]},
        **VIDEO_OPTIONS,
    },
    "anyOf": [{"required": ["firstFrameFileId"]}, {"required": ["referenceImageFileIds"]}],
    "additionalProperties": False,
}

INIT = envelope({"taskId": TASK_ID, "status": "init", "errorMsg": None})
#: Both videos made; ``costCredit`` as a caller's double gives it (a string).
SUCCESS = envelope(
    {
        "taskId": TASK_ID,
        "status": "success",
        "errorMsg": None,
        "costCredit": "10.00",
        "videos": [
            {"status": "success", "filePath": URLS[0], "errorMsg": None},
            {"status": "success", "filePath": URLS[1], "errorMsg": None},
        ],
    }
)
#: The task succeeded but one of its videos failed (TopView's client checks both levels).
PARTIAL = envelope(
    {
        "taskId": TASK_ID,
        "status": "success",
        "errorMsg": None,
        "costCredit": 5,
        "videos": [
            {"status": "success", "filePath": URLS[0], "errorMsg": None},
            {"status": "fail", "filePath": None, "errorMsg": "content moderation"},
        ],
    }
)
#: Success with no URL anywhere the SDK looks.
NO_URL = envelope({"taskId": TASK_ID, "status": "success", "errorMsg": None, "videos": []})


def _endpoints(*answers: dict[str, Any]) -> list[Endpoint]:
    return [
        Endpoint("POST", SUBMIT, PAGE, SUBMIT_SCHEMA, [submitted(TASK_ID)]),
        Endpoint("GET", QUERY, PAGE, QUERY_SCHEMA, list(answers)),
    ]


async def test_frames_body_and_answers_follow_the_evidence() -> None:
    """A first/end frame submit fits the schema, the query asks for CloudFront URLs, and the
    answer yields both videos and the credit."""
    async with doc_server(_endpoints(INIT, SUCCESS)) as server:
        clock = ScaledClock(speed=1000.0)
        async with topview_on(server, clock=clock, cloudfront_urls=True) as tv:
            job = await tv.common.image2video_v2(
                first_frame_file_id="file-first",
                end_frame_file_id="file-end",
                model="Seedance 1.5 Pro",
                prompt="A bottle slowly rotating on white",
                resolution=1080,
                duration=5,
                sound="on",
                generating_count=2,
            )
            assert job.id == TASK_ID
            typed = await tv.result(job)
        assert server.violations == []
        assert isinstance(typed, MediaTaskResult) and typed.url == URLS[0]
        assert [m.url for m in typed.media] == URLS and typed.cost_credit == 10.0
        assert job.status is JobStatus.COMPLETED
        assert server.requests_to(QUERY)[0].query == {
            "taskId": TASK_ID,
            "needCloudFrontUrl": "true",
        }


async def test_reference_images_body_follows_the_evidence() -> None:
    """A reference-image submit (list of fileIds, aspect ratio) fits the schema."""
    async with doc_server(_endpoints(SUCCESS)) as server:
        async with topview_on(server, clock=ScaledClock(speed=1000.0)) as tv:
            job = await tv.common.image2video_v2(
                reference_image_file_ids=["ref-1", "ref-2"],
                model="Kling V3 Reference Video",
                aspect_ratio="16:9",
                board_id="board-7",
            )
            result = await job
        assert server.violations == []
        assert result.url == URLS[0]
        assert server.requests_to(SUBMIT)[0].body["referenceImageFileIds"] == ["ref-1", "ref-2"]


async def test_partial_failure_keeps_the_made_video() -> None:
    """A success with one failed video yields the made one and reports the failed one's reason."""
    async with doc_server(_endpoints(PARTIAL)) as server:
        async with topview_on(server, clock=ScaledClock(speed=1000.0)) as tv:
            job = await tv.common.image2video_v2(first_frame_file_id="f", generating_count=2)
            typed = await tv.result(job)
        assert server.violations == []
        assert isinstance(typed, MediaTaskResult)
        assert [m.url for m in typed.media] == [URLS[0]] and typed.failed == ("content moderation",)


async def test_success_without_url_is_result_missing() -> None:
    """A success whose videos list holds no URL ends at once with ResultMissing."""
    async with doc_server(_endpoints(NO_URL)) as server:
        async with topview_on(server, clock=ScaledClock(speed=1000.0)) as tv:
            job = await tv.common.image2video_v2(first_frame_file_id="f", max_wait=3600.0)
            with pytest.raises(ResultMissing):
                await job
        assert len(server.requests_to(QUERY)) == 1
