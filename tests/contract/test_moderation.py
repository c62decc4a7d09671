"""Jarvis Moderator against its documentation (``ai-tools-suite/jarvis-moderator.mdx``).

Fixtures are typed from the page's body table (content, type 1-4, language, webhookUrl, input)
and its example answers: the create answer and the ``infobyid`` answer with its verdict.
"""

from __future__ import annotations

import pytest

from akool_async import JobStatus, ModerationResult, ScaledClock

from .docserver import Endpoint, completed, doc_server, session_on

pytestmark = pytest.mark.anyio

PAGE = "ai-tools-suite/jarvis-moderator.mdx"
CREATE = "/api/open/v3/content/analysis/sentiment"
INFO = "/api/open/v3/content/analysis/infobyid"
IMAGE = "https://drz0f01yeq1cx.cloudfront.net/1714023431475-food.jpg"

CREATE_SCHEMA = {
    "type": "object",
    "required": ["content", "type"],
    "properties": {
        "content": {"type": "string"},
        "type": {"type": "integer", "enum": [1, 2, 3, 4]},
        "language": {"type": "string"},
        "webhookUrl": {"type": "string"},
        "input": {"type": "string"},
    },
    "additionalProperties": False,
}
CREATE_ANSWER = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "create_time": 1710757900382,
        "uid": 101690,
        "type": 1,
        "status": 1,
        "webhookUrl": "",
        "result": "",
        "_id": "65f8180c24d9989e93dde3b6",
        "__v": 0,
    },
}
#: The infobyid answer the page shows (a verdict), and the same still processing.
INFO_DONE = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "_id": "65f8180c24d9989e93dde3b6",
        "uid": 100002,
        "status": 3,
        "result": "- violence: Presence of a person holding a handgun, which can be associated "
        "with violent content.\nResult: Non-Compliant",
        "final_conclusion": "Non-Compliant",
    },
}
INFO_RUNNING = completed(INFO_DONE, status=2, result="")
del INFO_RUNNING["data"]["final_conclusion"]

ENDPOINTS = [
    Endpoint("POST", CREATE, PAGE, CREATE_SCHEMA, [CREATE_ANSWER]),
    Endpoint(
        "GET",
        INFO,
        PAGE,
        {"type": "object", "required": ["_id"], "properties": {"_id": {"type": "string"}}},
        [INFO_RUNNING, INFO_DONE],
    ),
]


async def test_moderation_request_and_answers_follow_the_page() -> None:
    """The body fits the page (type a number) and the verdict is read into ModerationResult."""
    async with (
        doc_server(ENDPOINTS) as server,
        session_on(server, clock=ScaledClock(speed=1000.0)) as session,
    ):
        job = await session.moderation.create(content=IMAGE, content_type="image")
        assert job.id == CREATE_ANSWER["data"]["_id"]
        verdict = ModerationResult.from_result(await job)
    assert server.violations == []
    assert server.requests_to(CREATE)[0].body == {"content": IMAGE, "type": 1}
    assert server.requests_to(INFO)[0].query["_id"] == job.id
    assert job.status is JobStatus.COMPLETED
    assert verdict.conclusion == "Non-Compliant" and verdict.compliant is False
    assert verdict.detail == INFO_DONE["data"]["result"]


async def test_moderation_check_of_a_text() -> None:
    """check() sends a text as type 4 with its language and waits for the verdict."""
    async with (
        doc_server(ENDPOINTS) as server,
        session_on(server, clock=ScaledClock(speed=1000.0)) as session,
    ):
        verdict = await session.moderation.check(
            content="some words", content_type=4, language="en", input="insults"
        )
    assert server.violations == []
    assert server.requests_to(CREATE)[0].body == {
        "content": "some words",
        "type": 4,
        "language": "en",
        "input": "insults",
    }
    assert verdict.id == CREATE_ANSWER["data"]["_id"]
