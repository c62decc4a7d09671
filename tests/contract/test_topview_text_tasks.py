"""TopView text to video and text to image against the best evidence we have of their contract.

Evidence (TopView's own pages are not in our docs folder; API.md said these two were not found):

* TopView's own published client, ``topviewai/skill``: ``scripts/video_gen.py`` (type ``t2v``)
  submits ``POST /v1/common_task/text2video/task/submit`` and polls
  ``GET /v1/common_task/text2video/task/query?taskId=``; its body is ``model`` and ``prompt``
  (both required by the client), ``aspectRatio``, ``resolution`` (an int: 480, 540, 720, 768,
  1080, 2160, by model), ``duration`` (int seconds), ``sound`` (``on``/``off``),
  ``generatingCount`` (1-4), ``boardId``. The answer's ``result`` has ``status``,
  ``costCredit`` and ``videos[]``, each with ``status``, ``filePath``, ``errorMsg``.
* TopView's ``ai_image.py`` (type ``text2image``; ``references/ai_image.md``): ``POST
  /v1/common_task/text2image/task/submit`` and ``GET .../task/query``; body ``model``,
  ``prompt``, ``aspectRatio`` (all three required: "aspectRatio is always required"),
  ``generateCount`` (spelt so: 1-4), ``resolution`` (``"512p"``, ``"1K"``, ``"2K"``, ``"4K"``,
  model-dependent), ``boardId``; the answer has ``images[]`` with ``status``, ``filePath``,
  ``errorMsg``, ``width``, ``height``, and ``costCredit``.
* Independent public callers (``find_string`` for the two submit paths): the same paths; text to
  image bodies sent with ``generateCount``; a text to video test script reading
  ``videos[0].filePath``, ``width``, ``height``, ``duration`` and ``costCredit``; another reading
  ``images[].filePath`` after ``status == "success"``.
* Status words: ``init``, ``running``, ``success``, ``fail`` (TopView's ``SKILL.md``).
* Uncertain, so optional: ``noticeUrl`` (seed 002 lists the bizTypes ``COMMON_TASK_TEXT2VIDEO``
  and ``COMMON_TASK_TEXT2IMAGE`` for callbacks; TopView's client sends none here).
"""

from __future__ import annotations

from typing import Any

import pytest

from akool_async import JobFailed, JobStatus, ResultMissing, ScaledClock
from akool_async.topview import MediaTaskResult

from .docserver import Endpoint, doc_server
from .topview import NOTICE_CHECK, QUERY_SCHEMA, VIDEO_OPTIONS, envelope, submitted, topview_on

pytestmark = pytest.mark.anyio

T2V_PAGE = "topviewai/skill scripts/video_gen.py (t2v) + public callers"
T2I_PAGE = "topviewai/skill references/ai_image.md, ai_image.py (text2image) + public callers"
T2V_SUBMIT = "/v1/common_task/text2video/task/submit"
T2V_QUERY = "/v1/common_task/text2video/task/query"
T2I_SUBMIT = "/v1/common_task/text2image/task/submit"
T2I_QUERY = "/v1/common_task/text2image/task/query"
TASK_ID = "5b0e6c1d2f7a4c3e9d8b7a6f5e4d3c2b"
VIDEO = "https://d1q70pf5vjeyhc.cloudfront.net/common_task/5b0e6c1d-1.mp4"
IMAGES = [
    "https://d1q70pf5vjeyhc.cloudfront.net/common_task/5b0e6c1d-1.png",
    "https://d1q70pf5vjeyhc.cloudfront.net/common_task/5b0e6c1d-2.png",
]

#: Text to video's body as TopView's client builds it (``additionalProperties: False``).
T2V_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["model", "prompt"],
    "properties": {
        "model": {"type": "string", "minLength": 1},
        "prompt": {"type": "string", "minLength": 1},
        "aspectRatio": {"enum": ["9:16", "3:4", "1:1", "4:3", "16:9", "21:9"]},
        **VIDEO_OPTIONS,
    },
    "additionalProperties": False,
}

#: Text to image's body as TopView's client builds it: note ``generateCount``.
T2I_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["model", "prompt", "aspectRatio"],
    "properties": {
        "model": {"type": "string", "minLength": 1},
        "prompt": {"type": "string", "minLength": 1},
        "aspectRatio": {"type": "string", "pattern": r"^(auto|\d+(\.\d+)?:\d+(\.\d+)?)$"},
        "resolution": {"enum": ["512p", "1K", "2K", "4K"]},
        "generateCount": {"type": "integer", "minimum": 1, "maximum": 4},
        "boardId": {"type": "string"},
        "noticeUrl": {"type": "string"},
    },
    "additionalProperties": False,
}

RUNNING = envelope({"taskId": TASK_ID, "status": "running", "errorMsg": None})
#: One video, with the fields the callers read (``duration`` in ms, ``costCredit``).
T2V_SUCCESS = envelope(
    {
        "taskId": TASK_ID,
        "status": "success",
        "errorMsg": None,
        "costCredit": "8.00",
        "boardId": "board-7",
        "videos": [
            {
                "status": "success",
                "filePath": VIDEO,
                "errorMsg": None,
                "width": 720,
                "height": 1280,
                "duration": 5000,
                "boardTaskId": "bt-1",
            }
        ],
    }
)
#: Two images, one of them failed while the task succeeded.
T2I_PARTIAL = envelope(
    {
        "taskId": TASK_ID,
        "status": "success",
        "errorMsg": None,
        "costCredit": 0.6,
        "images": [
            {"status": "success", "filePath": IMAGES[0], "errorMsg": None, "width": 1024},
            {"status": "fail", "filePath": None, "errorMsg": "content moderation"},
        ],
    }
)
T2I_SUCCESS = envelope(
    {
        "taskId": TASK_ID,
        "status": "success",
        "errorMsg": None,
        "costCredit": 1.2,
        "images": [
            {"status": "success", "filePath": url, "errorMsg": None, "width": 1024, "height": 1024}
            for url in IMAGES
        ],
    }
)
FAILED = envelope({"taskId": TASK_ID, "status": "fail", "errorMsg": "prompt rejected"})
NO_URL = envelope({"taskId": TASK_ID, "status": "success", "errorMsg": None, "images": []})


def _t2v(*answers: dict[str, Any]) -> list[Endpoint]:
    return [
        Endpoint("POST", T2V_SUBMIT, T2V_PAGE, T2V_SCHEMA, [submitted(TASK_ID)]),
        Endpoint("GET", T2V_QUERY, T2V_PAGE, QUERY_SCHEMA, list(answers)),
        NOTICE_CHECK,
    ]


def _t2i(*answers: dict[str, Any]) -> list[Endpoint]:
    return [
        Endpoint("POST", T2I_SUBMIT, T2I_PAGE, T2I_SCHEMA, [submitted(TASK_ID)]),
        Endpoint("GET", T2I_QUERY, T2I_PAGE, QUERY_SCHEMA, list(answers)),
    ]


async def test_text2video_path_body_and_answer_follow_topviews_client() -> None:
    """Text to video submits at ``.../task/submit`` with TopView's body, polls ``.../task/query``
    and reads the video at ``videos[].filePath`` with its credit."""
    async with doc_server(_t2v(RUNNING, T2V_SUCCESS)) as server:
        async with topview_on(server, clock=ScaledClock(speed=1000.0), cloudfront_urls=True) as tv:
            job = await tv.common.text2video(
                model="Seedance 1.5 Pro",
                prompt="A futuristic city at night with neon reflections",
                aspect_ratio="16:9",
                resolution=1080,
                duration=5,
                sound="on",
                board_id="board-7",
            )
            assert job.id == TASK_ID
            typed = await tv.result(job)
        assert server.violations == []
        assert isinstance(typed, MediaTaskResult) and typed.kind == "video"
        assert typed.url == VIDEO and typed.cost_credit == 8.0 and typed.media[0].duration == 5000
        assert job.status is JobStatus.COMPLETED
        assert server.requests_to(T2V_SUBMIT)[0].body == {
            "model": "Seedance 1.5 Pro",
            "prompt": "A futuristic city at night with neon reflections",
            "aspectRatio": "16:9",
            "resolution": 1080,
            "duration": 5,
            "sound": "on",
            "generatingCount": 1,
            "boardId": "board-7",
        }
        assert server.requests_to(T2V_QUERY)[0].query == {
            "taskId": TASK_ID,
            "needCloudFrontUrl": "true",
        }


async def test_text2video_notice_url_is_registered_and_sent() -> None:
    """A text to video submit with a notice URL registers it first and fits the schema."""
    url = "https://hooks.example.com/topview"
    async with doc_server(_t2v(T2V_SUCCESS)) as server:
        async with topview_on(server, clock=ScaledClock(speed=1000.0)) as tv:
            job = await tv.common.text2video(model="Standard", prompt="waves", webhook_url=url)
            result = await job
        assert server.violations == []
        assert result.url == VIDEO
        assert server.requests_to(NOTICE_CHECK.path)[0].body == {"noticeUrl": url}


async def test_text2image_sends_generate_count_and_reads_images() -> None:
    """Text to image sends ``generateCount`` (not ``generatingCount``) and yields each image."""
    async with doc_server(_t2i(RUNNING, T2I_SUCCESS)) as server:
        async with topview_on(server, clock=ScaledClock(speed=1000.0)) as tv:
            job = await tv.common.text2image(
                model="Nano Banana 2",
                prompt="A city skyline at dusk",
                aspect_ratio="16:9",
                resolution="2K",
                generating_count=2,
            )
            assert job.id == TASK_ID
            typed = await tv.result(job)
        assert server.violations == []
        assert isinstance(typed, MediaTaskResult) and typed.kind == "image"
        assert [m.url for m in typed.media] == IMAGES and typed.cost_credit == 1.2
        assert server.requests_to(T2I_SUBMIT)[0].body == {
            "model": "Nano Banana 2",
            "prompt": "A city skyline at dusk",
            "aspectRatio": "16:9",
            "resolution": "2K",
            "generateCount": 2,
        }


async def test_text2image_partial_failure_keeps_the_made_image() -> None:
    """A success with one failed image yields the made one and the failed one's reason."""
    async with doc_server(_t2i(T2I_PARTIAL)) as server:
        async with topview_on(server, clock=ScaledClock(speed=1000.0)) as tv:
            job = await tv.common.text2image(
                model="Seedream 4.0", prompt="owl", aspect_ratio="auto", generating_count=2
            )
            typed = await tv.result(job)
        assert server.violations == []
        assert isinstance(typed, MediaTaskResult)
        assert [m.url for m in typed.media] == [IMAGES[0]]
        assert typed.failed == ("content moderation",)


async def test_text2image_fail_and_missing_url_end_the_job() -> None:
    """``fail`` raises JobFailed with errorMsg; a success without URLs raises ResultMissing."""
    async with doc_server(_t2i(FAILED)) as server:
        async with topview_on(server, clock=ScaledClock(speed=1000.0)) as tv:
            job = await tv.common.text2image(model="m", prompt="x", aspect_ratio="1:1")
            with pytest.raises(JobFailed) as info:
                await job
        assert server.violations == [] and "prompt rejected" in str(info.value)
    async with doc_server(_t2i(NO_URL)) as server:
        async with topview_on(server, clock=ScaledClock(speed=1000.0)) as tv:
            job = await tv.common.text2image(
                model="m", prompt="x", aspect_ratio="1:1", max_wait=3600.0
            )
            with pytest.raises(ResultMissing):
                await job
        assert len(server.requests_to(T2I_QUERY)) == 1
