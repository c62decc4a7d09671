"""Character swap against its pages (``ai-tools-suite/character-swap/create.mdx``,
``character-swap/get-result.mdx`` and the overview ``character-swap/character-swap.mdx``).

Fixtures are typed from the pages: the create page's body table (``image`` and ``video``
required; ``duration`` a number 1-120; ``resolution`` 480p/720p/1080p; ``mode``
animate/replace; ``prompt`` up to 500 characters; ``webhookurl`` lower case), plus
``model_name``, which the overview's example bodies send; the create page's example answer;
the result page's three example answers (queueing, completed, failed).
"""

from __future__ import annotations

from typing import Any

import pytest

from akool_async import JobFailed, JobStatus, ScaledClock

from .docserver import VIDEO_STATUS_QUERY, Endpoint, doc_server, session_on
from .runs import run_one

pytestmark = pytest.mark.anyio

CREATE_PAGE = "ai-tools-suite/character-swap/create.mdx"
RESULT_PAGE = "ai-tools-suite/character-swap/get-result.mdx"
CREATE = "/api/open/v4/characterSwap/create"
STATUS = "/api/open/v3/content/video/infobymodelid"
IMAGE = "https://drz0f01yeq1cx.cloudfront.net/character-image.png"
VIDEO = "https://drz0f01yeq1cx.cloudfront.net/source-video.mp4"
HOOK = "https://your-callback-url.com/webhook"

#: The create page's body table (``model_name``: the overview's example bodies).
CREATE_SCHEMA = {
    "type": "object",
    "required": ["image", "video"],
    "properties": {
        "image": {"type": "string"},
        "video": {"type": "string"},
        "duration": {"type": "number", "minimum": 1, "maximum": 120},
        "resolution": {"type": "string", "enum": ["480p", "720p", "1080p"]},
        "mode": {"type": "string", "enum": ["animate", "replace"]},
        "prompt": {"type": "string", "maxLength": 500},
        "model_name": {"type": "string"},
        "webhookurl": {"type": "string"},
    },
    "additionalProperties": False,
}

#: The create page's example answer.
CREATE_ANSWER: dict[str, Any] = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "_id": "689174694b4dbdd4ab3d28c9",
        "create_time": 1754362985482,
        "uid": 101400,
        "team_id": "6805fb69e92d9edc7ca0b409",
        "status": 1,
        "video_duration": 10,
        "deduction_credit": 20,
        "resolution": "720p",
        "file_name": "CharacterSwap_1754362985482.mp4",
        "image_url": IMAGE,
        "video_url": VIDEO,
        "prompt": "Smooth character animation with natural movement",
        "mode": "animate",
        "model_name": "wavespeed-ai/wan-2.2/animate",
        "webhookUrl": HOOK,
    },
}

_RECORD: dict[str, Any] = {
    "_id": "689174694b4dbdd4ab3d28c9",
    "create_time": 1754362985482,
    "uid": 101400,
    "team_id": "6805fb69e92d9edc7ca0b409",
    "video_duration": 10,
    "webhookUrl": HOOK,
    "file_name": "CharacterSwap_1754362985482.mp4",
    "image_url": IMAGE,
    "video_url": VIDEO,
    "prompt": "Smooth character animation with natural movement",
    "resolution": "720p",
    "deduction_credit": 20,
}


def _answer(**fields: Any) -> dict[str, Any]:
    return {"code": 1000, "msg": "OK", "data": {**_RECORD, **fields}}


#: The result page's three example answers.
QUEUEING = _answer(video_status=1)
RESULT_URL = "https://d2qf6ukcym4kn9.cloudfront.net/1754363091791-1423.mp4"
COMPLETED = _answer(
    update_time=1754363095482, video_duration=10.5, video=RESULT_URL, video_status=3
)
FAIL_REASON = "Failed to process the video. Please check your input resources."
FAILED = _answer(
    update_time=1754363095482,
    deduction_credit=0,
    video_status=4,
    faceswap_fail_reason=FAIL_REASON,
)


def _endpoints(*status: dict[str, Any]) -> list[Endpoint]:
    return [
        Endpoint("POST", CREATE, CREATE_PAGE, CREATE_SCHEMA, [CREATE_ANSWER]),
        Endpoint("GET", STATUS, RESULT_PAGE, VIDEO_STATUS_QUERY, list(status)),
    ]


async def test_character_swap_request_and_answers_follow_the_pages() -> None:
    """The page's example body is what the SDK sends; the pages' answers give the job and video."""
    server, job, result = await run_one(
        _endpoints(QUEUEING, COMPLETED),
        lambda session: session.character_swap.create(
            image=IMAGE,
            video=VIDEO,
            duration=10,
            resolution="720p",
            mode="animate",
            prompt="Smooth character animation with natural movement",
            webhook_url=HOOK,
        ),
    )
    assert server.violations == []
    assert server.requests_to(CREATE)[0].body == {
        "image": IMAGE,
        "video": VIDEO,
        "duration": 10,
        "resolution": "720p",
        "mode": "animate",
        "prompt": "Smooth character animation with natural movement",
        "webhookurl": HOOK,
    }
    assert job.id == CREATE_ANSWER["data"]["_id"]
    assert server.requests_to(STATUS)[0].query == {"video_model_id": job.id}
    assert result.url == RESULT_URL and job.status is JobStatus.COMPLETED


async def test_character_swap_replace_mode_with_model_name() -> None:
    """The overview's replace-mode body (model_name, no duration) fits the documented schema."""
    server, _job, result = await run_one(
        _endpoints(COMPLETED),
        lambda session: session.character_swap.create(
            image=IMAGE,
            video=VIDEO,
            resolution="1080p",
            mode="replace",
            model_name="wavespeed-ai/wan-2.2/animate",
        ),
    )
    assert server.violations == []
    assert server.requests_to(CREATE)[0].body == {
        "image": IMAGE,
        "video": VIDEO,
        "resolution": "1080p",
        "mode": "replace",
        "model_name": "wavespeed-ai/wan-2.2/animate",
    }
    assert result.url == RESULT_URL


async def test_character_swap_failed_answer_gives_its_reason() -> None:
    """The result page's failed answer ends the job with faceswap_fail_reason as its reason."""
    async with (
        doc_server(_endpoints(QUEUEING, FAILED)) as server,
        session_on(server, clock=ScaledClock(speed=1000.0)) as session,
    ):
        job = await session.character_swap.create(image=IMAGE, video=VIDEO)
        with pytest.raises(JobFailed) as info:
            await job
    assert server.violations == []
    assert info.value.job_id == job.id and info.value.family == "character_swap"
    assert info.value.error_reason == FAIL_REASON
    assert job.status is JobStatus.FAILED
