"""The lists against their documentation pages.

Fixtures are typed from each page's query table and example answer: ``avatar.mdx`` (Get Avatar
List), ``audio.mdx`` (Get Voice List, v3), ``voiceLab.mdx`` (Get Voice List, v4), ``aimodel.mdx``
(Get AI Model List), ``image2video.mdx`` (Get Available Effects) and
``video-translation.before-e364a8d.mdx`` (Get Language List, the version showing
``need_voice_id``).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from akool_async import ScaledClock, ValidationError

from .docserver import Endpoint, doc_server, session_on

pytestmark = pytest.mark.anyio

DIGITS = {"type": "string", "pattern": "^[0-9]+$"}


def _no_query(path: str, page: str, msg: str, data: Any) -> Endpoint:
    """A documented GET without query parameters, answering its page's example ``data``."""
    schema = {"type": "object", "additionalProperties": False}
    return Endpoint("GET", path, page, schema, [{"code": 1000, "msg": msg, "data": data}])


#: avatar.mdx: query ``from`` (2, 3), ``page``, ``size``; talking-avatar.mdx adds ``type``
#: (1 talking, 2 streaming); the answer's ``data`` is a list.
AVATARS = Endpoint(
    "GET",
    "/api/open/v3/avatar/list",
    "ai-tools-suite/avatar.mdx",
    {
        "type": "object",
        "properties": {
            "from": {"enum": ["2", "3"]},
            "type": {"enum": ["1", "2"]},
            "page": DIGITS,
            "size": DIGITS,
        },
        "additionalProperties": False,
    },
    [
        {
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
                    "url": "https://drz0f01yeq1cx.cloudfront.net/1700786304161-8169.png",
                    "modify_url": "https://drz0f01yeq1cx.cloudfront.net/1700786304161-8169.png",
                    "gender": "female",
                    "thumbnailUrl": "https://drz0f01yeq1cx.cloudfront.net/avatar/thumbnail/8169.png",
                    "crop_arr": [],
                }
            ],
        }
    ],
)

#: audio.mdx: query ``from`` (3, 4); ``data`` is a list.
VOICES_V3 = Endpoint(
    "GET",
    "/api/open/v3/voice/list",
    "ai-tools-suite/audio.mdx",
    {
        "type": "object",
        "properties": {"from": {"enum": ["3", "4"]}},
        "additionalProperties": False,
    },
    [
        {
            "code": 1000,
            "msg": "ok",
            "data": [
                {
                    "_id": "65e980d7af040969db5be863",
                    "create_time": 1687181385319,
                    "uid": 1,
                    "from": 3,
                    "voice_id": "piTKgcLEGmPE4e6mEKli",
                    "gender": "Female",
                    "accent": "american",
                    "name": "Nicole",
                    "description": "whisper",
                    "useCase": "audiobook",
                    "type": 1,
                    "preview": "https://storage.googleapis.com/eleven-public-prod/premade/n.mp3",
                    "__v": 0,
                }
            ],
        }
    ],
)

_CSV = {"type": "string", "minLength": 1}
#: voiceLab.mdx: ``type`` (1, 2) required; page, size, style, gender, age, scenario, name,
#: support_stream (1, 2); ``data: {result, count, page, size}``.
VOICES_V4 = Endpoint(
    "GET",
    "/api/open/v4/voice/list",
    "ai-tools-suite/voiceLab.mdx",
    {
        "type": "object",
        "required": ["type"],
        "properties": {
            "type": {"enum": ["1", "2"]},
            "page": DIGITS,
            "size": DIGITS,
            "style": _CSV,
            "gender": _CSV,
            "age": _CSV,
            "scenario": _CSV,
            "name": _CSV,
            "support_stream": {"enum": ["1", "2"]},
        },
        "additionalProperties": False,
    },
    [
        {
            "code": 1000,
            "msg": "OK",
            "data": {
                "result": [
                    {
                        "_id": "68676e544439e3b8e246a077",
                        "uid": 101400,
                        "team_id": "6805fb69e92d9edc7ca0b409",
                        "voice_id": "zQAGCFElz23u6Brdj4L-NrbEmSxswXdoPN_GBpYgUPHo1EGWgZgAnFJexONx",
                        "gender": "Male",
                        "language": "Polish",
                        "locale": "pl",
                        "name": "MyVoice0626-01",
                        "preview": "https://d2qf6ukcym4kn9.cloudfront.net/1751608955706-2756.mp3",
                        "text": "This is a comic style model",
                        "duration": 9822,
                        "status": 3,
                        "create_time": 1751608916162,
                        "style": ["Authoritative", "Calm"],
                        "scenario": ["Advertisement"],
                        "age": ["Elderly", "Middle"],
                        "deduction_credit": 0,
                        "webhookUrl": "",
                        "voice_model_name": "Akool Multilingual 3",
                        "support_stream": True,
                    }
                ],
                "count": 9,
                "page": 1,
                "size": 1,
            },
        }
    ],
)


def _resolution(value: str, width: int, height: int, credit: int) -> dict[str, Any]:
    return {"label": value, "value": value, "width": width, "height": height, "unit_credit": credit}


def _i2v_model(
    sort: int,
    provider: str,
    label: str,
    value: str,
    description: str,
    resolutions: list[tuple[str, int, int, int]],
    *,
    last_frame: bool,
) -> dict[str, Any]:
    """One image-to-video model of the page's example (the two differ only in these fields)."""
    return {
        "sort": sort,
        "group": provider,
        "provider": provider,
        "type": 1501,
        "label": label,
        "value": value,
        "description": description,
        "resolutionList": [_resolution(*r) for r in resolutions],
        "isPro": False,
        "generate_audio": None,
        "durationList": [5, 10],
        "requiresPay": False,
        "supportedLastFrame": last_frame,
        "supportedExtendPrompt": False,
        "maxImageCount": 1,
        "maxCount": 10,
    }


# fmt: off
#: The page's two image-to-video models: sort, provider, label, value, description, resolutions.
_I2V: list[tuple[int, str, str, str, str, list[tuple[str, int, int, int]]]] = [
    (100, "akool", "Akool Image2Video Fast V1", "AkoolImage2VideoFastV1",
     "Fast image to video generation with Akool's AI",
     [("720p", 1280, 720, 5), ("1080p", 1920, 1080, 10), ("4k", 3840, 2160, 20)]),
    (95, "seedance", "Seedance Lite Image2Video", "seedance-1-0-lite-i2v-250428",
     "Seedance Lite model for image to video generation",
     [("480p", 854, 480, 3), ("720p", 1280, 720, 5), ("1080p", 1920, 1080, 10)]),
]
# fmt: on


#: aimodel.mdx: ``types[]`` required (1501, 1502, 2101); ``data`` is a list of models.
MODELS = Endpoint(
    "GET",
    "/api/open/v4/aigModel/list",
    "ai-tools-suite/aimodel.mdx",
    {
        "type": "object",
        "required": ["types[]"],
        "properties": {"types[]": {"enum": ["1501", "1502", "2101"]}},
        "additionalProperties": False,
    },
    [
        {
            "code": 1000,
            "msg": "OK",
            "data": [_i2v_model(*model, last_frame=i == 1) for i, model in enumerate(_I2V)],
        }
    ],
)


def _effect(ident: str, name: str, code: str) -> dict[str, Any]:
    base = "https://static.website-files.org/assets/Image_to_Video/Lora"
    return {
        "_id": ident,
        "create_time": 1752576694502,
        "logo": f"{base}/{name}.png",
        "name": name,
        "video_url": f"{base}/{name}.mp4",
        "effect_code": code,
    }


#: image2video.mdx: no query; ``data: {result, count}``.
EFFECTS = _no_query(
    "/api/open/v4/image2Video/effects",
    "ai-tools-suite/image2video.mdx",
    "Success",
    {
        "result": [
            _effect("687632b95a0f52799eeed701", "Squish", "squish_89244231312"),
            _effect("687632ba5a0f52799eeed887", "Cakeify", "cakeify_24743216"),
            _effect("687632bc5a0f52799eeed929", "Samurai", "samurai_99757865"),
        ],
        "count": 10,
    },
)

_FLAGS = "https://d11fbe263bhqij.cloudfront.net/public/landing/icons/nf"
#: video-translation.before-e364a8d.mdx: no query; ``data.lang_list[]`` with ``need_voice_id``.
LANGUAGES = _no_query(
    "/api/open/v3/language/list",
    "ai-tools-suite/video-translation.before-e364a8d.mdx",
    "OK",
    {
        "lang_list": [
            {
                "lang_name": name,
                "lang_code": code,
                "url": f"{_FLAGS}/{code}.png",
                "need_voice_id": True,
            }
            for name, code in (
                ("Afrikaans (South Africa)", "af-ZA"),
                ("Albanian (Albania)", "sq-AL"),
                ("Amharic (Ethiopia)", "am-ET"),
            )
        ]
    },
)

ENDPOINTS = [AVATARS, VOICES_V3, VOICES_V4, MODELS, EFFECTS, LANGUAGES]


def _on(server: Any) -> Any:
    return session_on(server, clock=ScaledClock(speed=1000.0))


async def test_avatar_list_follows_the_page() -> None:
    """The avatar query fits the page, and the page's answer yields its typed avatar."""
    async with doc_server(ENDPOINTS) as server, _on(server) as session:
        avatars = [a async for a in session.avatars(owner="akool")]
    assert server.violations == []
    assert server.requests_to(AVATARS.path)[0].query == {"from": "2", "page": "1", "size": "100"}
    (avatar,) = avatars
    assert avatar.avatar_id == "Yasmin_in_White_shirt_20231121" and avatar.source == 2
    assert avatar.name == "Yasmin in White shirt" and avatar.gender == "female"
    assert avatar.raw == AVATARS.answers[0]["data"][0]


async def test_avatar_list_type_filter_follows_the_page() -> None:
    """``type=2`` (streaming avatars) is sent as talking-avatar.mdx documents it."""
    async with doc_server(ENDPOINTS) as server, _on(server) as session:
        [a async for a in session.avatars(owner="mine", type=2)]
    assert server.violations == []
    assert server.requests_to(AVATARS.path)[0].query["type"] == "2"


async def test_avatar_list_type_outside_the_page_is_refused() -> None:
    """A ``type`` other than 1 or 2 fails before any request, naming ``type``."""
    async with doc_server(ENDPOINTS) as server, _on(server) as session:
        with pytest.raises(ValidationError) as info:
            session.avatars(type=3)
    assert info.value.field == "type"
    assert server.received == []


async def test_avatar_list_reads_the_demo_result_object() -> None:
    """The official demo's ``data.result`` shape yields the same avatars as the page's list."""
    answer = copy.deepcopy(dict(AVATARS.answers[0]))
    answer["data"] = {"result": answer["data"], "count": 1}
    demo = Endpoint(AVATARS.method, AVATARS.path, AVATARS.page, AVATARS.schema, [answer])
    async with doc_server([demo]) as server, _on(server) as session:
        ids = [a.avatar_id async for a in session.avatars()]
    assert server.violations == []
    assert ids == ["Yasmin_in_White_shirt_20231121"]


async def test_voice_list_v3_follows_the_page() -> None:
    """The v3 voice query fits audio.mdx, and its answer yields the typed voice."""
    async with doc_server(ENDPOINTS) as server, _on(server) as session:
        voices = [v async for v in session.voices(version=3, owner="akool")]
    assert server.violations == []
    assert server.requests_to(VOICES_V3.path)[0].query == {"from": "3"}
    (voice,) = voices
    assert voice.voice_id == "piTKgcLEGmPE4e6mEKli" and voice.version == 3
    assert (voice.name, voice.gender, voice.accent, voice.source) == (
        "Nicole",
        "Female",
        "american",
        3,
    )


async def test_voice_list_v4_follows_the_page() -> None:
    """The v4 voice query (type, paging, filters) fits voiceLab.mdx; its answer is typed."""
    async with doc_server(ENDPOINTS) as server, _on(server) as session:
        voices = [
            v
            async for v in session.voices(
                owner="mine", page_size=1, style=["Calm", "Authoritative"], support_stream=True
            )
        ]
    assert server.violations == []
    first = server.requests_to(VOICES_V4.path)[0].query
    assert first == {
        "type": "1",
        "page": "1",
        "size": "1",
        "style": "Calm,Authoritative",
        "support_stream": "1",
    }
    # count 9 with size 1 asks for page 2; the doc server repeats page 1, so paging stops.
    assert len(server.requests_to(VOICES_V4.path)) == 2
    (voice,) = voices
    assert voice.version == 4 and voice.locale == "pl" and voice.styles == ("Authoritative", "Calm")
    assert voice.support_stream is True and voice.voice_model_name == "Akool Multilingual 3"


async def test_ai_model_list_follows_the_page() -> None:
    """The model query sends types[] as the page shows; the answer yields typed models."""
    async with doc_server(ENDPOINTS) as server, _on(server) as session:
        models = [m async for m in session.ai_models(types=[1501])]
    assert server.violations == []
    assert server.requests_to(MODELS.path)[0].query == {"types[]": "1501"}
    assert [m.value for m in models] == ["AkoolImage2VideoFastV1", "seedance-1-0-lite-i2v-250428"]
    fast = models[0]
    assert [r.value for r in fast.resolutions] == ["720p", "1080p", "4k"]
    assert fast.resolutions[2].width == 3840 and fast.resolutions[2].unit_credit == 20.0
    assert fast.durations == (5, 10) and fast.max_count == 10 and fast.type == 1501
    assert models[1].supported_last_frame is True


async def test_effect_list_follows_the_page() -> None:
    """The effects answer yields every effect code in order."""
    async with doc_server(ENDPOINTS) as server, _on(server) as session:
        effects = [e async for e in session.image_to_video_effects()]
    assert server.violations == []
    assert [e.effect_code for e in effects] == [
        "squish_89244231312",
        "cakeify_24743216",
        "samurai_99757865",
    ]
    assert effects[0].name == "Squish" and effects[0].video_url is not None


async def test_language_list_keeps_need_voice_id() -> None:
    """The language answer's need_voice_id reaches each Language."""
    async with doc_server(ENDPOINTS) as server, _on(server) as session:
        languages = await session.languages()
    assert server.violations == []
    assert [(x.lang_code, x.need_voice_id) for x in languages] == [
        ("af-ZA", True),
        ("sq-AL", True),
        ("am-ET", True),
    ]
