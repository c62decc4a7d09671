"""Video translation against its documentation.

Pages: ``openapi/video-translation.yaml`` (request schema, single-language answer, status
schema) and ``ai-tools-suite/video-translation.before-e364a8d.mdx`` (``voices_map``, the
several-language answer with ``all_results`` beside ``data``, the status examples, the language
list with ``need_voice_id``). Fixtures are typed from their schemas and examples.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from akool_async import (
    JobFailed,
    JobStatus,
    ScaledClock,
    StudioVoice,
    TranslationFailed,
)

from .docserver import Endpoint, doc_server, session_on

pytestmark = pytest.mark.anyio

PAGE = "openapi/video-translation.yaml"
OLD_PAGE = "ai-tools-suite/video-translation.before-e364a8d.mdx"
CREATE = "/api/open/v3/content/video/createbytranslate"
STATUS = "/api/open/v3/content/video/infobymodelid"
LANGUAGES = "/api/open/v3/language/list"
VIDEO = "https://cdn.example.com/talk.mp4"

_WORD_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
#: ``VideoTranslationRequest`` of the spec, plus ``voices_map`` from the earlier page's table.
CREATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["url", "language"],
    "properties": {
        "url": {"type": "string"},
        "source_language": {"type": "string"},
        "language": {"type": "string"},
        "lipsync": {"type": "boolean"},
        "webhookUrl": {"type": "string"},
        "speaker_num": {"type": "integer"},
        "remove_bgm": {"type": "boolean"},
        "caption_type": {"type": "integer", "enum": [0, 1, 2, 3, 4]},
        "caption_url": {"type": "string"},
        "studio_voice": {
            "type": "object",
            "properties": {
                "no_translate_words": {"type": "array", "items": {"type": "string"}},
                "style": {
                    "type": "string",
                    "enum": [
                        "affectionate", "angry", "calm", "cheerful", "depressed", "disgruntled",
                        "embarrassed", "empathetic", "excited", "fearful", "friendly",
                        "unfriendly", "sad", "serious", "relaxed", "professional",
                    ],
                },
                "fixed_words": _WORD_MAP,
                "pronounced_words": _WORD_MAP,
            },
            "additionalProperties": False,
        },
        "voices_map": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["voice_id"],
                "properties": {"voice_id": {"type": "string"}},
                "additionalProperties": False,
            },
        },
        "dynamic_duration": {"type": "boolean"},
    },
    "additionalProperties": False,
}  # fmt: skip


def _entry(ident: str, language: str, video_id: str, created: int) -> dict[str, Any]:
    """One ``all_results`` entry as the earlier page's example shows it."""
    return {
        "code": 1000,
        "msg": "OK",
        "data": {
            "_id": ident,
            "create_time": created,
            "uid": 101400,
            "team_id": "6805fb69e92d9edc7ca0b409",
            "target_video": VIDEO,
            "language": language,
            "source_language": "en",
            "video_id": video_id,
            "video_status": 1,
            "video_lock_duration": 16.44,
            "deduction_lock_duration": 4,
            "video": "",
            "credentialId": "6823024be0c8e98471611c72",
            "task_id": video_id,
            "target_video_md5": "md5_1759117886236",
            "lipsync": False,
            "lipSyncType": 0,
            "speaker_num": 1,
        },
    }


#: The several-language answer of the earlier page: ``data`` empty, ``all_results`` beside it.
MULTI_ANSWER: dict[str, Any] = {
    "code": 1000,
    "msg": "OK",
    "data": {},
    "all_results": [
        _entry("68da023e776f4277705a7887", "hi", "68da023ef392598dae319ada", 1759117886720),
        _entry("68da023f776f4277705a788b", "fr", "68da023ff392598dae319adb", 1759117887169),
        _entry("68da023f776f4277705a7890", "ja", "68da023f6ae5f91ba94f6f8e", 1759117887643),
    ],
}
MULTI_IDS = [e["data"]["_id"] for e in MULTI_ANSWER["all_results"]]

#: The same answer with the "fr" entry refused: an envelope whose code is not 1000 (the page's
#: code table: 1202, same video lip-synced twice into one language).
PARTIAL_ANSWER = copy.deepcopy(MULTI_ANSWER)
PARTIAL_ANSWER["all_results"][1] = {
    "code": 1202,
    "msg": "The same video cannot be translated lipSync in the same language more than 1 times",
    "data": {},
}

#: Every entry refused (codes from the page's table).
ALL_FAILED_ANSWER = {
    "code": 1000,
    "msg": "OK",
    "data": {},
    "all_results": [
        {"code": 1204, "msg": "Your video duration is exceed 60s!", "data": {}},
        {"code": 1203, "msg": "video should be with audio", "data": {}},
    ],
}

#: One language: ``data`` is the spec's ``VideoTranslationResult``.
SINGLE_ANSWER = {
    "code": 1000,
    "msg": "OK",
    "data": {"_id": "68f704e35dafcfa697b5c938", "video_status": 1, "video": ""},
}


def _status(data: dict[str, Any]) -> dict[str, Any]:
    return {"code": 1000, "msg": "OK", "data": data}


#: The earlier page's three status examples: processing, failed, completed.
PROCESSING = _status(
    {
        "_id": "68f704e35dafcfa697b5c938",
        "create_time": 1761019107873,
        "uid": 101400,
        "team_id": "6805fb69e92d9edc7ca0b409",
        "video_id": "68f704e33a70d14c0e6e1035",
        "video_status": 2,
        "video": "",
        "progress": 5,
    }
)
FAILED = _status(
    {
        "_id": "68da023f776f4277705a7890",
        "create_time": 1759117887643,
        "uid": 101400,
        "team_id": "6805fb69e92d9edc7ca0b409",
        "video_id": "68da023f6ae5f91ba94f6f8e",
        "video_status": 4,
        "video": "",
        "progress": 15,
        "error_code": 501312,
        "error_reason": "Oops! Something went a bit wonky. Please try again.",
    }
)
RESULT_URL = "https://d2qf6ukcym4kn9.cloudfront.net/1761015360290-1617.mp4"
_SPLITS = "https://d3323c6w59hl44.cloudfront.net/algorithm/video_translate/260401/default"
#: The completed example, with the spec's ``AudioSplits`` examples.
COMPLETED = _status(
    {
        "_id": "68f6f593569f662dbad4e49e",
        "create_time": 1761015187235,
        "uid": 101400,
        "team_id": "6805fb69e92d9edc7ca0b409",
        "video_id": "68f6f59234a68e7b8a942836",
        "video_status": 3,
        "video": RESULT_URL,
        "progress": 100,
        "deduction_duration": 4,
        "audio_splits": {
            "original_srt_url": f"{_SPLITS}/xd4mtd1sk8h0.srt",
            "translated_srt_url": f"{_SPLITS}/e893u0r1nim1.srt",
            "no_caption_video_url": f"{_SPLITS}/zr9eyq8rpla4.mp4",
        },
    }
)

#: The earlier page's language list example.
LANGUAGE_LIST = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "lang_list": [
            {
                "lang_name": "Afrikaans (South Africa)",
                "lang_code": "af-ZA",
                "url": "https://d11fbe263bhqij.cloudfront.net/public/landing/icons/nf/af-ZA.png",
                "need_voice_id": True,
            },
            {
                "lang_name": "Albanian (Albania)",
                "lang_code": "sq-AL",
                "url": "https://d11fbe263bhqij.cloudfront.net/public/landing/icons/nf/sq-AL.png",
                "need_voice_id": True,
            },
        ]
    },
}

STATUS_SCHEMA = {
    "type": "object",
    "required": ["video_model_id"],
    "properties": {"video_model_id": {"type": "string"}},
}


def _endpoints(create: dict[str, Any], *status: dict[str, Any]) -> list[Endpoint]:
    return [
        Endpoint("POST", CREATE, OLD_PAGE, CREATE_SCHEMA, [create]),
        Endpoint("GET", STATUS, PAGE, STATUS_SCHEMA, list(status) or [PROCESSING]),
        Endpoint("GET", LANGUAGES, OLD_PAGE, None, [LANGUAGE_LIST]),
    ]


async def test_several_languages_make_one_job_per_all_results_entry() -> None:
    """A full body fits the schema, and each all_results entry becomes its own job."""
    async with doc_server(_endpoints(MULTI_ANSWER)) as server:
        async with session_on(server) as session:
            jobs = await session.video_translation.create(
                url=VIDEO,
                language="hi,fr,ja",
                source_language="en",
                lipsync=False,
                speaker_num=1,
                remove_bgm=True,
                caption_type=2,
                caption_url="https://cdn.example.com/subtitles.srt",
                studio_voice=StudioVoice(
                    no_translate_words=("kaka", "lal"),
                    fixed_words={"hi": "hello"},
                    pronounced_words={"lel": "lele"},
                    style="professional",
                ),
                voices_map={"hi": "", "fr": "6889b755662160e2caad5fdf"},
                dynamic_duration=False,
                webhook_url="https://hooks.example.com/akool",
            )
        assert server.violations == []
        assert [job.id for job in jobs] == MULTI_IDS
        assert jobs.failed == ()
        body = server.requests_to(CREATE)[0].body
        assert body["voices_map"]["fr"] == {"voice_id": "6889b755662160e2caad5fdf"}
        assert body["studio_voice"]["style"] == "professional"


async def test_a_refused_language_is_reported_and_the_others_kept() -> None:
    """An entry with code 1202 becomes a typed failed language; the two created jobs are kept."""
    async with doc_server(_endpoints(PARTIAL_ANSWER)) as server:
        async with session_on(server) as session:
            jobs = await session.video_translation.create(url=VIDEO, language=["hi", "fr", "ja"])
            assert [job.id for job in jobs] == [MULTI_IDS[0], MULTI_IDS[2]]
        assert server.violations == []
        assert [(f.language, f.code) for f in jobs.failed] == [("fr", 1202)]
        assert "lipSync" in jobs.failed[0].message


async def test_every_language_refused_raises_with_each_code() -> None:
    """When no entry was created, TranslationFailed carries every language's code."""
    async with doc_server(_endpoints(ALL_FAILED_ANSWER)) as server, session_on(server) as session:
        with pytest.raises(TranslationFailed) as info:
            await session.video_translation.create(url=VIDEO, language="ja,fr")
    assert [(f.language, f.code) for f in info.value.failed] == [("ja", 1204), ("fr", 1203)]
    assert info.value.code == 1204


async def test_single_language_answer_and_status_examples() -> None:
    """One language reads data._id; the status examples give progress, splits and the URL."""
    endpoints = _endpoints(SINGLE_ANSWER, PROCESSING, COMPLETED)
    async with doc_server(endpoints) as server:
        async with session_on(server, clock=ScaledClock(speed=1000.0)) as session:
            jobs = await session.video_translation.create(
                url=VIDEO, language="es", source_language="DEFAULT"
            )
            (job,) = jobs
            assert job.id == SINGLE_ANSWER["data"]["_id"]
            result = await job
        assert server.violations == []
        assert job.status is JobStatus.COMPLETED
        assert result.url == RESULT_URL
        assert result.snapshot.progress == 100
        assert result.audio_splits is not None
        assert result.audio_splits.translated_srt_url == f"{_SPLITS}/e893u0r1nim1.srt"


async def test_failed_status_example_raises_job_failed() -> None:
    """The failed status example ends the job with its error_code and error_reason."""
    clock = ScaledClock(speed=1000.0)
    endpoints = _endpoints(SINGLE_ANSWER, FAILED)
    async with doc_server(endpoints) as server, session_on(server, clock=clock) as session:
        (job,) = await session.video_translation.create(url=VIDEO, language="ja")
        with pytest.raises(JobFailed) as info:
            await job
    assert info.value.error_code == 501312
    assert info.value.error_reason == FAILED["data"]["error_reason"]


async def test_language_list_reads_need_voice_id() -> None:
    """The language list example parses with need_voice_id on each language."""
    async with doc_server(_endpoints(SINGLE_ANSWER)) as server, session_on(server) as session:
        langs = await session.languages()
    assert [(lang.lang_code, lang.need_voice_id) for lang in langs] == [
        ("af-ZA", True),
        ("sq-AL", True),
    ]
