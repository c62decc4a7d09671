"""Head swap against its documentation (``ai-tools-suite/head-swap/``: ``submit-analysis.mdx``,
``get-analysis-detail.mdx``, ``create.mdx``, ``get-result.mdx``).

Fixtures are typed from those pages: the body tables (analysis ``{video_url, type: "head"}``;
task ``{video_url, mappings: 1-5 {obj_id, img_url}, model_name "akool-premium", resolution
480p/720p, template_id?, keep_original_sound?, webhookUrl?}``, model_name and resolution
required) and the example answers. The analysis detail's first answer is the submit answer's
record, which the detail page says has the same shape.
"""

from __future__ import annotations

import pytest

from akool_async import (
    DetectedPerson,
    HeadMapping,
    HeadSwapAnalysis,
    HeadSwapIncomplete,
    HeadSwapVideoInfo,
    JobStatus,
    ScaledClock,
)

from .docserver import Endpoint, doc_server, session_on
from .runs import run_one

pytestmark = pytest.mark.anyio

DIR = "ai-tools-suite/head-swap"
ANALYZE = "/api/open/v4/headswap/analyze"
ANALYSIS = "/api/open/v4/headswap/analyze/detail"
CREATE = "/api/open/v4/headswap/task/create"
DETAIL = "/api/open/v4/headswap/task/detail"
VIDEO = "https://example.com/videos/source.mp4"
FACE = "https://example.com/faces/reference.jpeg"
HOOK = "https://example.com/your-webhook"

ANALYZE_SCHEMA = {
    "type": "object",
    "required": ["video_url", "type"],
    "properties": {"video_url": {"type": "string"}, "type": {"type": "string", "enum": ["head"]}},
    "additionalProperties": False,
}
#: ``submit-analysis.mdx``'s answer (note its msg).
ANALYZE_ANSWER = {
    "code": 1000,
    "msg": "Analyze success",
    "data": {
        "_id": "6a066d03625746c797390f55",
        "create_time": 1778806019014,
        "uid": 101400,
        "team_id": "6805fb69e92d9edc7ca0b409",
        "video_url": VIDEO,
        "type": "head",
        "status": 1,
        "task_id": "6a066d022872921bde86b72f",
        "progress": 0,
    },
}
ANALYSIS_QUEUED = {"code": 1000, "msg": "OK", "data": ANALYZE_ANSWER["data"]}
#: ``get-analysis-detail.mdx``'s completed answer: the submit answer's record, completed (three
#: detected, one listed: as the page shows).
ANALYSIS_DONE = {
    "code": 1000,
    "msg": "OK",
    "data": {
        **ANALYZE_ANSWER["data"],
        "status": 3,
        "analysis_result": {
            "detected_objects": 3,
            "media": [
                {
                    "media_type": "images",
                    "obj_id": 0,
                    "img_url": "https://example.com/previews/subject_0.png",
                }
            ],
            "video_info": {"width": 1916, "height": 1082, "fps": 30, "frame_count": 450},
        },
        "progress": 100,
        "error_reason": "success",
        "error_code": 0,
    },
}

TASK_SCHEMA = {
    "type": "object",
    "required": ["video_url", "mappings", "model_name", "resolution"],
    "properties": {
        "video_url": {"type": "string"},
        "mappings": {
            "type": "array",
            "minItems": 1,
            "maxItems": 5,
            "items": {
                "type": "object",
                "required": ["obj_id", "img_url"],
                "properties": {"obj_id": {"type": "integer"}, "img_url": {"type": "string"}},
                "additionalProperties": False,
            },
        },
        "model_name": {"type": "string", "enum": ["akool-premium"]},
        "resolution": {"type": "string", "enum": ["480p", "720p"]},
        "template_id": {"type": "string"},
        "keep_original_sound": {"type": "boolean"},
        "webhookUrl": {"type": "string"},
    },
    "additionalProperties": False,
}
#: ``create.mdx``'s answer.
TASK_ANSWER = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "_id": "6a066dc58570ecbf64f761a5",
        "create_time": 1778806213962,
        "uid": 101400,
        "team_id": "6805fb69e92d9edc7ca0b409",
        "video_duration": 10,
        "task_id": "6a066dc52872921bde86b745",
        "resolution": "720p",
        "status": 1,
        "deduction_lock_duration": 100,
        "model_name": "akool-premium",
        "file_name": "Headswap_1778806213962.mp4",
        "video_url": None,
    },
}
#: ``get-result.mdx``'s completed answer.
TASK_DONE = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "_id": "6a066dc58570ecbf64f761a5",
        "uid": 101400,
        "team_id": "6805fb69e92d9edc7ca0b409",
        "source_video_url": VIDEO,
        "create_time": 1778806213962,
        "status": 3,
        "video_duration": 10,
        "resolution": "720p",
        "deduction_duration": 15,
        "video_url": "https://example.com/output/result.mp4",
        "progress": 100,
        "priority": 9,
        "task_id": "6a066dc52872921bde86b745",
        "file_name": "Headswap_1778806213962.mp4",
        "model_name": "akool-premium",
    },
}
#: Still processing: the page says ``video_url`` may be empty then (the create shows null).
TASK_RUNNING = {"code": 1000, "msg": "OK", "data": {**TASK_DONE["data"], "status": 2}}
TASK_RUNNING["data"]["video_url"] = None
TASK_RUNNING["data"]["progress"] = 40

_ID_QUERY = {"type": "object", "required": ["_id"], "properties": {"_id": {"type": "string"}}}
ENDPOINTS = [
    Endpoint("POST", ANALYZE, f"{DIR}/submit-analysis.mdx", ANALYZE_SCHEMA, [ANALYZE_ANSWER]),
    Endpoint(
        "GET",
        ANALYSIS,
        f"{DIR}/get-analysis-detail.mdx",
        _ID_QUERY,
        [ANALYSIS_QUEUED, ANALYSIS_DONE],
    ),
    Endpoint("POST", CREATE, f"{DIR}/create.mdx", TASK_SCHEMA, [TASK_ANSWER]),
    Endpoint("GET", DETAIL, f"{DIR}/get-result.mdx", _ID_QUERY, [TASK_RUNNING, TASK_DONE]),
]


async def test_analysis_request_and_answers_follow_the_pages() -> None:
    """analyze() sends {video_url, type: head}; the result reads as the people found."""
    server, job, result = await run_one(ENDPOINTS, lambda s: s.head_swap.analyze(video_url=VIDEO))
    assert server.violations == []
    assert job.id == ANALYZE_ANSWER["data"]["_id"]
    assert server.requests_to(ANALYZE)[0].body == {"video_url": VIDEO, "type": "head"}
    assert server.requests_to(ANALYSIS)[0].query["_id"] == job.id
    analysis = HeadSwapAnalysis.from_result(result)
    assert analysis.id == job.id and analysis.video_url == VIDEO
    assert analysis.persons == (
        DetectedPerson(0, "https://example.com/previews/subject_0.png", "images"),
    )
    assert analysis.detected_objects == 3
    assert analysis.video_info == HeadSwapVideoInfo(1916, 1082, 30.0, 450)


async def test_task_request_and_answers_follow_the_pages() -> None:
    """create() sends the page's example body and reads the rendered video's URL."""
    server, job, result = await run_one(
        ENDPOINTS,
        lambda s: s.head_swap.create(
            video_url=VIDEO,
            mappings=[HeadMapping(obj_id=0, img_url=FACE)],
            keep_original_sound=True,
            webhook_url=HOOK,
        ),
    )
    assert server.violations == []
    assert job.id == TASK_ANSWER["data"]["_id"]
    assert server.requests_to(CREATE)[0].body == {
        "video_url": VIDEO,
        "mappings": [{"obj_id": 0, "img_url": FACE}],
        "model_name": "akool-premium",
        "resolution": "720p",
        "keep_original_sound": True,
        "webhookUrl": HOOK,
    }
    assert server.requests_to(DETAIL)[0].query["_id"] == job.id
    assert result.url == TASK_DONE["data"]["video_url"]
    assert job.status is JobStatus.COMPLETED


async def test_swap_chains_the_stages_with_the_analysed_ids() -> None:
    """swap() analyses, then creates the task for the same video with the analysis's obj_id."""
    server, job, result = await run_one(
        ENDPOINTS,
        lambda s: s.head_swap.swap(video_url=VIDEO, heads=[FACE], resolution="480p"),
    )
    assert server.violations == []
    assert [r.path for r in server.received if r.method == "POST"] == [ANALYZE, CREATE]
    assert server.requests_to(CREATE)[0].body == {
        "video_url": VIDEO,
        "mappings": [{"obj_id": 0, "img_url": FACE}],
        "model_name": "akool-premium",
        "resolution": "480p",
    }
    assert job.id == TASK_ANSWER["data"]["_id"]
    assert result.url == TASK_DONE["data"]["video_url"]


async def test_swap_with_more_heads_than_people_names_the_analysis() -> None:
    """Two heads for the page's one listed person: HeadSwapIncomplete names the analysis and
    no task is created."""
    async with (
        doc_server(ENDPOINTS) as server,
        session_on(server, clock=ScaledClock(speed=1000.0)) as session,
    ):
        with pytest.raises(HeadSwapIncomplete) as info:
            await session.head_swap.swap(video_url=VIDEO, heads=[FACE, FACE])
    assert server.violations == []
    assert info.value.analysis_id == ANALYZE_ANSWER["data"]["_id"]
    assert info.value.analysis_id in str(info.value) and info.value.task_error is None
    assert server.requests_to(CREATE) == []
