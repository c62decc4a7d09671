"""Avatar upload against its pages (``ai-tools-suite/talking-avatar.mdx`` "Upload Talking
Avatar" and "Get Avatar Detail", ``ai-tools-suite/avatar.mdx`` "Upload Avatar", and
``openapi/live-avatar.yaml`` ``CreateAvatarRequest`` for streaming avatars).

Fixtures are typed from the pages: the body tables (``url``, ``avatar_id`` letters and digits,
``name``, ``type`` 1 talking / 2 streaming, ``url_from`` 1/2; the spec requires ``name`` and
``url_from`` for a streaming avatar); the create page's example answer (``data`` a list of one
record; the spec shows it as the record itself); the detail page's example answer (``data`` a
list of one record, status 1-4, 3 ready). The pages' detail example is for another avatar
than their create example: the fixtures reuse that documented record under the created id.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from akool_async import Avatar, JobFailed, JobStatus, ScaledClock

from .docserver import Endpoint, doc_server, session_on
from .runs import run_one

pytestmark = pytest.mark.anyio

PAGE = "ai-tools-suite/talking-avatar.mdx"
SPEC = "openapi/live-avatar.yaml"
CREATE = "/api/open/v3/avatar/create"
DETAIL = "/api/open/v3/avatar/detail"
SOURCE = "https://drz0f01yeq1cx.cloudfront.net/1721197444322-leijun000.mp4"

#: The body tables of both pages, and the spec's rule for streaming avatars (type 2).
CREATE_SCHEMA = {
    "type": "object",
    "required": ["url", "avatar_id", "type"],
    "properties": {
        "url": {"type": "string"},
        "avatar_id": {"type": "string", "pattern": "^[a-zA-Z0-9]+$"},
        "name": {"type": "string"},
        "type": {"type": "integer", "enum": [1, 2]},
        "url_from": {"type": "integer", "enum": [1, 2]},
    },
    "additionalProperties": False,
    "if": {"properties": {"type": {"const": 2}}},
    "then": {"required": ["name", "url_from"]},
}

#: The create page's example answer.
CREATE_ANSWER: dict[str, Any] = {
    "code": 1000,
    "msg": "ok",
    "data": [
        {
            "_id": "655ffeada6976ea317087193",
            "disabled": False,
            "uid": 1,
            "type": 1,
            "from": 2,
            "status": 1,
            "sort": 12,
            "create_time": 1700788730000,
            "name": "Yasmin in White shirt",
            "avatar_id": "Yasmin_in_White_shirt_20231121",
            "url": "https://drz0f01yeq1cx.cloudfront.net/1700786304161-b574407f-f926-4b3e-bba7-dc77d1742e60-8169.png",
            "modify_url": "https://drz0f01yeq1cx.cloudfront.net/1700786304161-b574407f-f926-4b3e-bba7-dc77d1742e60-8169.png",
            "gender": "female",
            "thumbnailUrl": "https://drz0f01yeq1cx.cloudfront.net/avatar/thumbnail/1700786304161-b574407f-f926-4b3e-bba7-dc77d1742e60-8169.png",
            "crop_arr": [],
        }
    ],
}
JOB_ID = CREATE_ANSWER["data"][0]["_id"]
PREVIEW = "https://drz0f01yeq1cx.cloudfront.net/1721868487350-6b4cc614038643eb9f842f4ddc3d5d56.mp4"

#: The detail page's example answer (ready), under the created id.
READY: dict[str, Any] = {
    "code": 1000,
    "msg": "ok",
    "data": [
        {
            "_id": JOB_ID,
            "uid": 100010,
            "type": 2,
            "from": 3,
            "status": 3,
            "name": "30870eb0",
            "url": PREVIEW,
        }
    ],
}


def _with_status(status: int) -> dict[str, Any]:
    out = copy.deepcopy(READY)
    out["data"][0]["status"] = status
    return out


DETAIL_QUERY = {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}


def _endpoints(create: dict[str, Any], *detail: dict[str, Any]) -> list[Endpoint]:
    return [
        Endpoint("POST", CREATE, PAGE, CREATE_SCHEMA, [create]),
        Endpoint("GET", DETAIL, PAGE, DETAIL_QUERY, list(detail)),
    ]


async def test_avatar_upload_request_and_answers_follow_the_pages() -> None:
    """The page's example body is sent; the list answers give the job, then the ready avatar."""
    async with (
        doc_server(_endpoints(CREATE_ANSWER, _with_status(2), READY)) as server,
        session_on(server, clock=ScaledClock(speed=1000.0)) as session,
    ):
        avatar = await session.avatar_upload.upload(
            url=SOURCE, avatar_id="HHdEKhn7k7vVBlR5FSi0e", name="My Talking Avatar"
        )
    assert server.violations == []
    assert server.requests_to(CREATE)[0].body == {
        "url": SOURCE,
        "avatar_id": "HHdEKhn7k7vVBlR5FSi0e",
        "name": "My Talking Avatar",
        "type": 1,
    }
    assert all(r.query == {"id": JOB_ID} for r in server.requests_to(DETAIL))
    # The detail example carries no avatar_id: the one asked for is the avatar's.
    assert isinstance(avatar, Avatar)
    assert avatar.avatar_id == "HHdEKhn7k7vVBlR5FSi0e" and avatar.id == JOB_ID
    assert avatar.url == PREVIEW and avatar.status == 3 and avatar.name == "30870eb0"


async def test_streaming_avatar_body_and_object_answer_follow_the_spec() -> None:
    """A streaming avatar sends the spec's example body; the spec's object answer is read too."""
    spec_answer = {**CREATE_ANSWER, "data": {**CREATE_ANSWER["data"][0], "type": 2}}
    server, job, result = await run_one(
        _endpoints(spec_answer, READY),
        lambda session: session.avatar_upload.create(
            url=SOURCE,
            avatar_id="HHdEKhn7k7vVBlR5FSi0e",
            name="My Streaming Avatar",
            avatar_type="streaming",
            url_from=1,
        ),
    )
    assert server.violations == []
    assert server.requests_to(CREATE)[0].body == {
        "url": SOURCE,
        "avatar_id": "HHdEKhn7k7vVBlR5FSi0e",
        "name": "My Streaming Avatar",
        "type": 2,
        "url_from": 1,
    }
    assert job.id == JOB_ID and job.status is JobStatus.COMPLETED
    assert result.text == PREVIEW and not result.is_file


async def test_avatar_upload_status_4_is_a_failure() -> None:
    """A detail answer with status 4 (the pages' "failed") ends the upload with JobFailed."""
    async with (
        doc_server(_endpoints(CREATE_ANSWER, _with_status(1), _with_status(4))) as server,
        session_on(server, clock=ScaledClock(speed=1000.0)) as session,
    ):
        job = await session.avatar_upload.create(url=SOURCE, avatar_id="abc123")
        with pytest.raises(JobFailed) as info:
            await job
    assert server.violations == []
    assert info.value.job_id == JOB_ID and info.value.family == "avatar_upload"
    assert job.status is JobStatus.FAILED
