"""Voice v3 (``audio.mdx``) and VoiceLab v4 (``voiceLab.mdx``) against their pages.

Fixtures are typed from the pages' body tables and example answers. The v4 status endpoints
take the id in the path (``/voice/resource/detail/{_id}``, ``/voice/detail/{_id}``); the pages'
status examples show other ids than their create examples, so they are served at the created
id's path (the body is the page's own).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from akool_async import (
    JobStatus,
    ValidationError,
    VoiceChangeOptions,
    VoiceCloneOptions,
    VoiceOptions,
)

from .docserver import Endpoint, completed, doc_server, session_on
from .runs import run_one

pytestmark = pytest.mark.anyio


V3_PAGE = "ai-tools-suite/audio.mdx"
V4_PAGE = "ai-tools-suite/voiceLab.mdx"
AUDIO_URL = "https://drz0f01yeq1cx.cloudfront.net/1713168740392-4022bc91-5502-4e79-a66a-8c45b31792e4-4867.mp3"
_S = {"type": "string"}
_B = {"type": "boolean"}
_N = {"type": "number"}
_RATE = {"type": "string", "pattern": "^[0-9]{1,3}%$"}

# -- v3 -------------------------------------------------------------------------------------

V3_TTS = "/api/open/v3/audio/create"
V3_CLONE = "/api/open/v3/audio/clone"
V3_INFO = "/api/open/v3/audio/infobymodelid"

#: "Create TTS" body table (no Required column: the example sends all four).
V3_TTS_SCHEMA = {
    "type": "object",
    "required": ["input_text", "voice_id", "rate"],
    "properties": {"input_text": _S, "voice_id": _S, "rate": _RATE, "webhookUrl": _S},
    "additionalProperties": False,
}
#: "Create Voice Clone" body table (its note also names voice_id).
V3_CLONE_SCHEMA = {
    "type": "object",
    "required": ["input_text", "rate"],
    "properties": {
        "input_text": _S,
        "rate": _RATE,
        "voice_url": _S,
        "voice_id": _S,
        "webhookUrl": _S,
    },
    "additionalProperties": False,
}
V3_INFO_SCHEMA = {
    "type": "object",
    "required": ["audio_model_id"],
    "properties": {"audio_model_id": _S},
}

V3_URL = "https://drz0f01yeq1cx.cloudfront.net/1710752141387-e7867802-0a92-41d4-b899-9bfb23144929-4946.mp3"
#: The "Create TTS" example answer (shown already completed), as processing.
V3_TTS_ANSWER: dict[str, Any] = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "_id": "65f8017f56559aa67f0ecde7",
        "create_time": 1710752127995,
        "uid": 101690,
        "from": 3,
        "input_text": "Choose from male and female voices for various use-cases.",
        "rate": "100%",
        "voice_model_id": "65e980d7af040969db5be854",
        "url": "",
        "status": 1,
        "__v": 0,
    },
}
#: The "Get Audio Info Result" example answer.
V3_INFO_ANSWER = completed(V3_TTS_ANSWER, url=V3_URL, status=3)
#: The "Create Voice Clone" example answer.
V3_CLONE_ANSWER: dict[str, Any] = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "create_time": 1712113285547,
        "from": 3,
        "input_text": "Hello, this is Akool's AI platform!",
        "rate": "100%",
        "voice_model_id": "65e813955daad44c2267380d",
        "url": "https://drz0f01yeq1cx.cloudfront.net/1712113284451-fe73dd6c-f981-46df-ba73-0b9d85c1be9c-8195.mp3",
        "status": 3,
        "_id": "660cc685b0950b5bf9bf4b55",
    },
}


async def test_v3_tts_request_and_answers_follow_the_page() -> None:
    """The TTS body is {input_text, voice_id, rate}; the answers yield the job and its url."""
    endpoints = [
        Endpoint("POST", V3_TTS, V3_PAGE, V3_TTS_SCHEMA, [V3_TTS_ANSWER]),
        Endpoint("GET", V3_INFO, V3_PAGE, V3_INFO_SCHEMA, [V3_INFO_ANSWER]),
    ]
    server, job, result = await run_one(
        endpoints,
        lambda session: session.tts.create(
            input_text="Hello there", voice_id="LcfcDJNUP1GQjkzn1xUU", rate="100%"
        ),
    )
    assert server.violations == []
    assert job.id == V3_TTS_ANSWER["data"]["_id"] and result.url == V3_URL
    assert server.requests_to(V3_INFO)[0].query["audio_model_id"] == job.id


async def test_v3_tts_old_field_names_are_refused() -> None:
    """voice_code (and speed) are refused before sending, the error naming voice_id."""
    async with doc_server([]) as server, session_on(server) as session:
        with pytest.raises(ValidationError) as info:
            await session.create("tts", {"input_text": "hi", "voice_code": "v", "rate": "100%"})
    assert info.value.field == "voice_code" and "voice_id" in info.value.problem
    assert server.received == []


async def test_v3_clone_follows_the_page() -> None:
    """The clone body fits its table; the documented (completed) answer ends the job at once."""
    endpoints = [
        Endpoint("POST", V3_CLONE, V3_PAGE, V3_CLONE_SCHEMA, [V3_CLONE_ANSWER]),
        Endpoint("GET", V3_INFO, V3_PAGE, V3_INFO_SCHEMA, [V3_CLONE_ANSWER]),
    ]
    server, job, result = await run_one(
        endpoints,
        lambda session: session.tts.clone(
            input_text="Hello, this is Akool's AI platform!", rate="100%", voice_url=AUDIO_URL
        ),
    )
    assert server.violations == []
    assert job.id == V3_CLONE_ANSWER["data"]["_id"]
    assert result.url == V3_CLONE_ANSWER["data"]["url"]


# -- v4 VoiceLab ----------------------------------------------------------------------------

V4_TTS = "/api/open/v4/voice/tts"
V4_CLONE = "/api/open/v4/voice/clone"
V4_CHANGE = "/api/open/v4/voice/change"
RESOURCE_DETAIL = "/api/open/v4/voice/resource/detail/"
VOICE_DETAIL = "/api/open/v4/voice/detail/"

_UNIT = {"type": "number", "minimum": 0, "maximum": 1}
_SPEED = {"type": "number", "minimum": 0.7, "maximum": 1.2}
_TAGS = {"type": "array", "items": _S}
_STRENGTH = {"type": "integer", "minimum": -100, "maximum": 100}
_PITCH = {"type": "integer", "minimum": -12, "maximum": 12}
_SOUND_EFFECTS = ["spacious_echo", "auditorium_echo", "lofi_telephone", "robotic"]
#: The ``voice_options`` rows the TTS and voice changer tables share.
_SOUND = {
    "stability": _UNIT,
    "similarity_boost": _UNIT,
    "style": _UNIT,
    "speed": _SPEED,
    "speaker_boost": _B,
}

#: "Create Text to Speech" body table.
V4_TTS_SCHEMA = {
    "type": "object",
    "required": ["input_text", "voice_id"],
    "properties": {
        "input_text": _S,
        "voice_id": _S,
        "voice_options": {
            "type": "object",
            "properties": {
                **_SOUND,
                "emotion": {
                    "enum": [
                        "happy",
                        "sad",
                        "angry",
                        "fearful",
                        "disgusted",
                        "surprised",
                        "neutral",
                    ]
                },
                "volume": {"type": "integer", "minimum": 0, "maximum": 100},
            },
            "additionalProperties": False,
        },
        "webhookUrl": _S,
        "language_code": _S,
        "extra_options": {
            "type": "object",
            "properties": {
                "previous_text": _S,
                "next_text": _S,
                "apply_text_normalization": {"enum": ["auto", "on", "off"]},
                "apply_language_text_normalization": _B,
                "latex_read": _B,
                "text_normalization": _B,
                "audio_setting": {
                    "type": "object",
                    "properties": {
                        "sample_rate": {"enum": [8000, 16000, 22050, 24000, 32000, 44100]},
                        "bitrate": {"enum": [32000, 64000, 128000, 256000]},
                        "format": {"enum": ["mp3", "wav"]},
                        "channel": {"enum": [1, 2]},
                    },
                    "additionalProperties": False,
                },
                "timber_weights": {
                    "type": "array",
                    "maxItems": 4,
                    "items": {
                        "type": "object",
                        "required": ["voice_id", "weight"],
                        "properties": {
                            "voice_id": _S,
                            "weight": {"type": "integer", "minimum": 1, "maximum": 100},
                        },
                        "additionalProperties": False,
                    },
                },
                "pronunciation_dict": {
                    "type": "object",
                    "properties": {"tone": {"type": "array", "items": _S}},
                    "additionalProperties": False,
                },
                "voice_modify": {
                    "type": "object",
                    "properties": {
                        "pitch": _STRENGTH,
                        "intensity": _STRENGTH,
                        "timbre": _STRENGTH,
                        "sound_effects": {"enum": _SOUND_EFFECTS},
                    },
                    "additionalProperties": False,
                },
                "subtitle_enable": _B,
                "pitch": _PITCH,
            },
            "additionalProperties": False,
        },
        # The table lists pitch among extra_options; the page's example sends it top level.
        "pitch": _PITCH,
    },
    "additionalProperties": False,
}
#: "Create Voice Clone" body table.
V4_CLONE_SCHEMA = {
    "type": "object",
    "required": ["source_voice_file"],
    "properties": {
        "source_voice_file": _S,
        "voice_options": {
            "type": "object",
            "properties": {
                "style": _TAGS,
                "gender": _TAGS,
                "age": _TAGS,
                "scenario": _TAGS,
                "remove_background_noise": _B,
                "language": _S,
                "clone_prompt": _S,
                "need_volume_normalization": _B,
            },
            "additionalProperties": False,
        },
        "name": _S,
        "webhookUrl": _S,
        "voice_model_name": {
            "enum": ["Akool Multilingual 1", "Akool Multilingual 3", "Akool Multilingual 4"]
        },
    },
    "additionalProperties": False,
}
#: "Create Voice Changer" body table.
V4_CHANGE_SCHEMA = {
    "type": "object",
    "required": ["voice_id", "source_voice_file"],
    "properties": {
        "voice_id": _S,
        "source_voice_file": _S,
        "voice_options": {
            "type": "object",
            "properties": {
                **_SOUND,
                "file_format": {"enum": ["mp3", "wav"]},
                "remove_background_noise": _B,
            },
            "additionalProperties": False,
        },
        "webhookUrl": _S,
        "voice_model_name": {"enum": ["Akool Multilingual 1"]},
    },
    "additionalProperties": False,
}

#: The TTS example answer.
V4_TTS_ANSWER: dict[str, Any] = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "create_time": 1751350015709,
        "uid": 101400,
        "team_id": "6805fb69e92d9edc7ca0b409",
        "input_text": "Welcome to the Akool generative AI content creation tool.",
        "preview": None,
        "status": 1,
        "webhookUrl": "",
        "duration": 0,
        "file_name": "1ef1d76ebfc244f7a30430f7049d6ebc.mp3",
        "gender": "Male",
        "deduction_credit": 1.9295,
        "name": "27fec311afd743aa889a057e17e93c13",
        "_id": "68637aff41e5eb74bb8dfe73",
        "voice_model_id": "686379d641e5eb74bb8dfe3f",
        "voice_id": "Tq06jbVyFH4l6R-Gjvo_V-p_nVYk5DRrYJZsxeDmlhEtyhcFKKLQODmgngI9llKw",
        "voice_options": {
            "stability": 0.7,
            "similarity_boost": 0.5,
            "style": 0.6,
            "speed": 0.8,
            "speaker_boost": False,
            "emotion": "happy",
            "volume": 50,
        },
    },
}
#: The voice changer example answer.
V4_CHANGE_ANSWER: dict[str, Any] = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "create_time": 1751350363707,
        "uid": 101400,
        "team_id": "6805fb69e92d9edc7ca0b409",
        "source_voice_file": "https://drz0f01yeq1cx.cloudfront.net/1749098405491-5858-1749019840512audio.mp3",
        "preview": None,
        "status": 1,
        "webhookUrl": "",
        "duration": 12800,
        "file_name": "1749098405491-5858-1749019840512audio.mp3",
        "gender": "Female",
        "deduction_credit": 0.512,
        "name": "3f591fc370c542fca9087f124b5ad82b",
        "_id": "68637c5b41e5eb74bb8dfec6",
        "voice_model_id": "67a45479354b7c1fff7e943a",
        "voice_id": "hkfHEbBvdQFNX4uWHqRF",
        "voice_options": {
            "stability": 0.7,
            "similarity_boost": 0.5,
            "style": 0.6,
            "speaker_boost": False,
        },
    },
}
#: The voice clone example answer.
V4_CLONE_ANSWER: dict[str, Any] = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "uid": 101400,
        "team_id": "6805fb69e92d9edc7ca0b409",
        "voice_id": None,
        "gender": "Male",
        "name": "MyVoice0626-01",
        "preview": None,
        "text": "This is a comic style model, this is a comic style model",
        "duration": 8064,
        "status": 1,
        "create_time": 1751349718268,
        "style": ["Authoritative", "Calm"],
        "scenario": ["Advertisenment"],
        "age": ["Elderly", "Middle"],
        "deduction_credit": 0,
        "webhookUrl": "",
        "source_voice_file": "https://drz0f01yeq1cx.cloudfront.net/1751363983518-9431-audio1751363981879.webm",
        "_id": "686379d641e5eb74bb8dfe3f",
    },
}
#: The "Get Voice Result Detail" example answer (status 1, preview null).
RESOURCE_ANSWER: dict[str, Any] = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "result": {
            "_id": "688afbd9d2b4b269d1123ffb",
            "create_time": 1753938905005,
            "update_time": 0,
            "uid": 101400,
            "team_id": "6805fb69e92d9edc7ca0b409",
            "input_text": "Życie jak wspinaczka górska",
            "rate": "100%",
            "status": 1,
            "webhookUrl": "",
            "duration": 0,
            "file_name": "1753938905005.mp3",
            "gender": "Male",
            "deduction_credit": 0.5148,
            "name": "26ca668a9eb448b7b9a3806fa86207f3",
            "priority": 2,
            "language_code": "pt",
            "__v": 0,
            "preview": None,
        }
    },
}
PREVIEW = "https://drz0f01yeq1cx.cloudfront.net/1753412190380-sample.mp3"
#: The "Get Voice Detail" example answer (a completed voice).
VOICE_ANSWER: dict[str, Any] = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "_id": "6882f23c0529ae771e7152dc",
        "uid": 101400,
        "team_id": "6805fb69e92d9edc7ca0b409",
        "voice_id": "kfr_1wGPuauzcSOZgpBGLd_ApviIHqMIZ5bS2OeMiMkvId0eAMkq1ii8rvInZ2pE",
        "gender": "Male",
        "name": "zhongwen-072501",
        "preview": PREVIEW,
        "text": "A preview text.",
        "duration": 55353,
        "status": 3,
        "create_time": 1753412156588,
        "style": ["Authoritative", "Calm"],
        "scenario": ["Advertisenment"],
        "age": ["Elderly", "Middle"],
        "deduction_credit": 0,
        "webhookUrl": "",
        "language": "Chinese",
        "locale": "zh",
        "voice_model_name": "Akool Multilingual 3",
        "support_stream": True,
    },
}


def resource_done() -> dict[str, Any]:
    """The resource detail answer, completed (status 3 and a preview URL, per its table)."""
    out = copy.deepcopy(RESOURCE_ANSWER)
    out["data"]["result"].update(status=3, preview=PREVIEW)
    return out


def _resource(job_id: str) -> Endpoint:
    return Endpoint(
        "GET", RESOURCE_DETAIL + job_id, V4_PAGE, None, [RESOURCE_ANSWER, resource_done()]
    )


async def _tts(**options: Any) -> tuple[Any, Any, Any]:
    """One VoiceLab TTS of "Welcome." with ``options``, on the page's create and status."""
    endpoints = [
        Endpoint("POST", V4_TTS, V4_PAGE, V4_TTS_SCHEMA, [V4_TTS_ANSWER]),
        _resource(V4_TTS_ANSWER["data"]["_id"]),
    ]
    return await run_one(
        endpoints,
        lambda session: session.voice_lab.tts(
            input_text="Welcome.", voice_id="6889b628662160e2caad5dbc", **options
        ),
    )


async def test_voice_lab_tts_follows_the_page() -> None:
    """TTS fits its table; the job is polled at resource/detail/{id} and ends with preview."""
    job_id = V4_TTS_ANSWER["data"]["_id"]
    server, job, result = await _tts(
        voice_options=VoiceOptions(
            stability=0.6,
            similarity_boost=0.8,
            style=1,
            speed=1.0,
            speaker_boost=True,
            emotion="happy",
            volume=80,
        ),
        language_code="zh",
        extra_options={"apply_text_normalization": "auto"},
    )
    assert server.violations == []
    assert job.id == job_id and result.url == PREVIEW
    assert job.status is JobStatus.COMPLETED
    assert len(server.requests_to(RESOURCE_DETAIL + job_id)) >= 2


async def test_voice_lab_change_follows_the_page() -> None:
    """The voice changer fits its table and is polled at resource/detail/{id}."""
    job_id = V4_CHANGE_ANSWER["data"]["_id"]
    endpoints = [
        Endpoint("POST", V4_CHANGE, V4_PAGE, V4_CHANGE_SCHEMA, [V4_CHANGE_ANSWER]),
        _resource(job_id),
    ]
    server, job, result = await run_one(
        endpoints,
        lambda session: session.voice_lab.change(
            voice_id="6889b628662160e2caad5dbc",
            source_voice_file=AUDIO_URL,
            voice_options=VoiceChangeOptions(
                stability=0.9,
                similarity_boost=0.7,
                style=1,
                speaker_boost=False,
                remove_background_noise=True,
                speed=1,
                file_format="mp3",
            ),
            voice_model_name="Akool Multilingual 1",
        ),
    )
    assert server.violations == []
    assert job.id == job_id and result.url == PREVIEW


async def test_voice_lab_clone_follows_the_page() -> None:
    """The clone fits its table and is polled at voice/detail/{id} (data is the voice)."""
    job_id = V4_CLONE_ANSWER["data"]["_id"]
    endpoints = [
        Endpoint("POST", V4_CLONE, V4_PAGE, V4_CLONE_SCHEMA, [V4_CLONE_ANSWER]),
        Endpoint("GET", VOICE_DETAIL + job_id, V4_PAGE, None, [VOICE_ANSWER]),
    ]
    server, job, result = await run_one(
        endpoints,
        lambda session: session.voice_lab.clone(
            source_voice_file=AUDIO_URL,
            name="My Voice",
            voice_options=VoiceCloneOptions(
                remove_background_noise=True,
                style=["Authoritative", "Calm"],
                gender=["Male"],
                age=["Elderly"],
                scenario=["Advertisenment"],
                language="en",
                clone_prompt="In late spring, the peony garden awakens.",
                need_volume_normalization=True,
            ),
            voice_model_name="Akool Multilingual 3",
        ),
    )
    assert server.violations == []
    assert job.id == job_id and result.url == PREVIEW


#: The "Create Text to Speech" example body's ``extra_options`` (texts shortened).
PAGE_EXTRA_OPTIONS: dict[str, Any] = {
    "previous_text": "In late spring, the peony garden awakens.",
    "next_text": "It blooms and moves the entire capital.",
    "apply_text_normalization": "auto",
    "apply_language_text_normalization": True,
    "latex_read": True,
    "text_normalization": True,
    "audio_setting": {"sample_rate": 24000, "bitrate": 32000, "format": "mp3", "channel": 2},
    "timber_weights": [
        {"voice_id": "6889b7f4662160e2caad60e9", "weight": 80},
        {"voice_id": "6889b7f3662160e2caad60e8", "weight": 60},
        {"voice_id": "6889b7f3662160e2caad60e7", "weight": 30},
        {"voice_id": "6889b7f2662160e2caad60e6", "weight": 10},
    ],
    "pronunciation_dict": {"tone": ["雍容/(yong3)(neng4)", "牡丹/(mu4)(dan3)"]},
    "voice_modify": {"pitch": 50, "intensity": 30, "timbre": -50, "sound_effects": "robotic"},
    "subtitle_enable": True,
}


async def test_voice_lab_tts_page_example_options_fit_the_table() -> None:
    """The page's example (extra_options, top-level pitch -5) is sent and fits its table."""
    job_id = V4_TTS_ANSWER["data"]["_id"]
    server, job, result = await _tts(language_code="zh", extra_options=PAGE_EXTRA_OPTIONS, pitch=-5)
    assert server.violations == []
    body = server.requests_to(V4_TTS)[0].body
    assert body["pitch"] == -5 and body["extra_options"] == PAGE_EXTRA_OPTIONS
    assert job.id == job_id and result.url == PREVIEW


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"audio_setting": {"sample_rate": 12345}}, "extra_options.audio_setting.sample_rate"),
        ({"timber_weights": [{"voice_id": "a", "weight": 1}] * 5}, "extra_options.timber_weights"),
        ({"timber_weights": [{"voice_id": "a"}]}, "extra_options.timber_weights[0].weight"),
        ({"voice_modify": {"timbre": 101}}, "extra_options.voice_modify.timbre"),
        ({"apply_text_normalization": True}, "extra_options.apply_text_normalization"),
        ({"pitch": 1.5}, "extra_options.pitch"),
        ({"speed": 1.0}, "extra_options.speed"),
    ],
)
async def test_voice_lab_tts_extra_options_outside_the_table_are_refused(
    extra: dict[str, Any], field: str
) -> None:
    """An extra option the table does not allow fails before any request, naming its path."""
    async with doc_server([]) as server, session_on(server) as session:
        with pytest.raises(ValidationError) as info:
            await session.voice_lab.tts(input_text="hi", voice_id="v", extra_options=extra)
    assert info.value.field == field
    assert server.received == []


@pytest.mark.parametrize(
    ("method", "args", "model"),
    [
        ("clone", {"source_voice_file": AUDIO_URL}, "Akool Multilingual 2"),
        ("change", {"voice_id": "v", "source_voice_file": AUDIO_URL}, "Akool Multilingual 3"),
    ],
)
async def test_voice_lab_models_outside_the_table_are_refused(
    method: str, args: dict[str, Any], model: str
) -> None:
    """A voice model the endpoint's table does not support fails before any request."""
    async with doc_server([]) as server, session_on(server) as session:
        with pytest.raises(ValidationError) as info:
            await getattr(session.voice_lab, method)(**args, voice_model_name=model)
    assert info.value.field == "voice_model_name"
    assert server.received == []


async def test_voice_lab_tts_pitch_outside_its_range_is_refused() -> None:
    """Top-level pitch takes integers from -12 to 12; 13 fails before any request."""
    async with doc_server([]) as server, session_on(server) as session:
        with pytest.raises(ValidationError) as info:
            await session.voice_lab.tts(input_text="hi", voice_id="v", pitch=13)
    assert info.value.field == "pitch"
    assert server.received == []
