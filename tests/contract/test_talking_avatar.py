"""Talking avatar against its documentation (``ai-tools-suite/talking-avatar.mdx``).

Fixtures are typed from the page's body table and examples: the canvas (3840x2160),
``avatar_from`` 2 or 3, the image / avatar / audio elements; the create answer; the status
answer of ``infobymodelid``.
"""

from __future__ import annotations

from typing import Any

import pytest

from akool_async import (
    AudioElement,
    AvatarElement,
    ImageElement,
    JobStatus,
    ScaledClock,
    ValidationError,
)

from .docserver import Endpoint, doc_server, session_on, video_status

pytestmark = pytest.mark.anyio

PAGE = "ai-tools-suite/talking-avatar.mdx"
CREATE = "/api/open/v3/talkingavatar/create"

_NUMBER = {"type": "number"}
_PLACED = ["type", "scale_x", "scale_y", "offset_x", "offset_y"]


def _placed(kind: str, required: list[str]) -> dict[str, Any]:
    """An image or avatar element: scale and offset required, sizes optional."""
    urls = {"url": {"type": "string"}}
    if kind == "avatar":
        urls["avatar_id"] = {"type": "string"}
    out: dict[str, Any] = {
        "type": "object",
        "required": [*_PLACED, *required],
        "properties": {
            "type": {"const": kind},
            **urls,
            **{name: _NUMBER for name in _PLACED[1:]},
            "width": _NUMBER,
            "height": _NUMBER,
        },
        "additionalProperties": False,
    }
    if kind == "avatar":
        # An avatar of the list (avatar_id) or your own (url), per the avatar_id row.
        out["anyOf"] = [{"required": ["avatar_id"]}, {"required": ["url"]}]
    return out


#: The avatar_from row: 2 is an avatar of Akool's list, so its element names the avatar_id.
AVATAR_FROM_2 = {
    "if": {"properties": {"avatar_from": {"const": 2}}},
    "then": {
        "properties": {
            "elements": {
                "items": {
                    "if": {"properties": {"type": {"const": "avatar"}}},
                    "then": {"required": ["avatar_id"]},
                }
            }
        }
    },
}


#: The body table: image and avatar elements need scale and offset; audio a url or text+voice.
CREATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["width", "height", "avatar_from", "elements"],
    "properties": {
        "width": {"const": 3840},
        "height": {"const": 2160},
        "avatar_from": {"enum": [2, 3]},
        "webhookUrl": {"type": "string"},
        "elements": {
            "type": "array",
            "items": {
                "oneOf": [
                    _placed("image", ["url"]),
                    _placed("avatar", []),
                    {
                        "type": "object",
                        "required": ["type"],
                        "properties": {
                            "type": {"const": "audio"},
                            "url": {"type": "string"},
                            "input_text": {"type": "string"},
                            "voice_id": {"type": "string"},
                        },
                        "anyOf": [{"required": ["url"]}, {"required": ["input_text", "voice_id"]}],
                        "additionalProperties": False,
                    },
                ]
            },
        },
    },
    "additionalProperties": False,
    **AVATAR_FROM_2,
}

#: The create answer the page shows.
CREATE_ANSWER = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "_id": "67491cdb4d9d1664a9782292",
        "uid": 100002,
        "video_id": "f1a489f4-0cca-4723-843b-e42003dc9f32",
        "task_id": "67491cdb1acd9d0ce2cc8998",
        "video_status": 1,
        "video": "",
        "create_time": 1732844763774,
    },
}
#: The status answer the page shows (processing).
STATUS_ANSWER = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "_id": "64dd92c1f0b6684651e90e09",
        "create_time": 1692242625334,
        "uid": 378337,
        "video_id": "0acfed62e24f4cfd8801c9e846347b1d",
        "deduction_duration": 10,
        "video_status": 2,
        "video": "",
    },
}
RESULT_URL = "https://example.cloudfront.net/avatar-result.mp4"
ENDPOINTS = [
    Endpoint("POST", CREATE, PAGE, CREATE_SCHEMA, [CREATE_ANSWER]),
    video_status(PAGE, STATUS_ANSWER, RESULT_URL),
]


async def test_shortcut_fields_build_the_documented_body() -> None:
    """avatar_id + text + voice + background build a body the page's schema accepts."""
    clock = ScaledClock(speed=1000.0)
    async with doc_server(ENDPOINTS) as server, session_on(server, clock=clock) as session:
        job = await session.talking_avatar.create(
            avatar_id="Yasmin_in_White_shirt_20231121",
            input_text="Hello there",
            voice_id="6889b628662160e2caad5dbc",
            background_url="https://cdn.example.com/bg.png",
        )
        assert job.id == CREATE_ANSWER["data"]["_id"]
        result = await job
    assert server.violations == []
    assert result.url == RESULT_URL and job.status is JobStatus.COMPLETED
    body = server.requests_to(CREATE)[0].body
    assert body["avatar_from"] == 2
    assert [e["type"] for e in body["elements"]] == ["image", "avatar", "audio"]


async def test_elements_like_the_page_example() -> None:
    """The page's example canvas, given as typed elements, is sent as the page shows it."""
    elements = [
        ImageElement(url="https://cdn.example.com/bg.png", width=780, height=438),
        AvatarElement(url="https://cdn.example.com/avatar.mp4", width=1080, height=1080),
        AudioElement(url="https://cdn.example.com/speech.mp3"),
    ]
    async with doc_server(ENDPOINTS) as server, session_on(server) as session:
        job = await session.talking_avatar.create(elements=elements, avatar_from=3)
    assert server.violations == []
    assert job.id == CREATE_ANSWER["data"]["_id"]
    body = server.requests_to(CREATE)[0].body
    assert body == {
        "width": 3840,
        "height": 2160,
        "avatar_from": 3,
        "elements": [
            {
                "type": "image",
                "url": "https://cdn.example.com/bg.png",
                "width": 780,
                "height": 438,
                "scale_x": 1,
                "scale_y": 1,
                "offset_x": 1920,
                "offset_y": 1080,
            },
            {
                "type": "avatar",
                "url": "https://cdn.example.com/avatar.mp4",
                "scale_x": 1,
                "scale_y": 1,
                "width": 1080,
                "height": 1080,
                "offset_x": 1920,
                "offset_y": 1080,
            },
            {"type": "audio", "url": "https://cdn.example.com/speech.mp3"},
        ],
    }


async def test_akool_avatar_without_its_id_is_refused_before_sending() -> None:
    """avatar_from 2 with only an avatar URL fails naming avatar_id; nothing is sent."""
    async with doc_server(ENDPOINTS) as server, session_on(server) as session:
        with pytest.raises(ValidationError) as info:
            await session.talking_avatar.create(
                avatar_url="https://cdn.example.com/avatar.mp4",
                avatar_from=2,
                audio_url="https://cdn.example.com/speech.mp3",
            )
    assert info.value.field == "avatar_id"
    assert server.received == []


async def test_own_avatar_url_defaults_to_avatar_from_3() -> None:
    """An avatar URL without avatar_from is sent as avatar_from 3, as the page requires."""
    async with doc_server(ENDPOINTS) as server, session_on(server) as session:
        await session.talking_avatar.create(
            avatar_url="https://cdn.example.com/avatar.mp4",
            audio_url="https://cdn.example.com/speech.mp3",
        )
    assert server.violations == []
    assert server.requests_to(CREATE)[0].body["avatar_from"] == 3


@pytest.mark.parametrize("elements", [False, 3, "image", {"type": "audio"}])
async def test_elements_that_are_not_a_list_are_refused_before_sending(elements: object) -> None:
    """``elements`` that is no list of elements fails naming ``elements``; nothing is sent."""
    async with doc_server(ENDPOINTS) as server, session_on(server) as session:
        with pytest.raises(ValidationError) as info:
            await session.talking_avatar.create(elements=elements)  # type: ignore[arg-type]
    assert info.value.field == "elements"
    assert server.received == []
