"""The fake's video-translation area: ``createbytranslate`` (one job per language).

As documented (``video-translation.before-e364a8d.mdx``, ``openapi/video-translation.yaml``):
one language answers the job's object in ``data``; several answer ``data: {}`` and, beside it,
``all_results``: one whole envelope per language. A language the language list marks
``need_voice_id`` fails alone (code 1003 in its entry) when ``voices_map`` gives it no voice id;
when every language fails the create answers 1003.
"""

from __future__ import annotations

from typing import Any, Final

from .._http import ParamError
from .._jobs import LANGUAGES, FakeJob
from ._common import (
    CreateSpec,
    Envelope,
    FakeArea,
    derived_hex,
    opt_bool,
    opt_choice,
    opt_int,
    opt_str,
    opt_url,
    req_str,
    req_url,
    video_body,
    webhook,
)

__all__ = ["AREA", "NEED_VOICE_ID"]


_AUDIO_SPLIT_BASE: Final = "https://d3323c6w59hl44.cloudfront.net/algorithm/video_translate"
#: Languages whose translation needs a voice id in ``voices_map``.
NEED_VOICE_ID: Final = frozenset({"af-ZA"})
#: The documented ``studio_voice.style`` names (the fake keeps its own copy of the docs).
_STYLES: Final = tuple(
    sorted(
        {"affectionate", "angry", "calm", "cheerful", "depressed", "disgruntled"}
        | {"embarrassed", "empathetic", "excited", "fearful", "friendly", "unfriendly"}
        | {"sad", "serious", "relaxed", "professional"}
    )
)


def _languages(value: str, name: str) -> tuple[str, ...]:
    codes: list[str] = []
    for raw in value.split(","):
        code = raw.strip()
        if not code:
            continue
        if code not in LANGUAGES:
            raise ParamError(f"{name}: unsupported language code {code!r}")
        if code not in codes:
            codes.append(code)
    if not codes:
        raise ParamError(f"{name} is required")
    return tuple(codes)


def _word_map(value: Any, name: str) -> None:
    if value is None:
        return
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ParamError(f"{name} must be an object of strings")


def _studio_voice(body: dict[str, Any]) -> None:
    voice = body.get("studio_voice")
    if voice is None:
        return
    if not isinstance(voice, dict):
        raise ParamError("studio_voice must be an object")
    words = voice.get("no_translate_words")
    if words is not None and (
        not isinstance(words, list) or not all(isinstance(w, str) for w in words)
    ):
        raise ParamError("studio_voice.no_translate_words must be an array of strings")
    _word_map(voice.get("fixed_words"), "studio_voice.fixed_words")
    _word_map(voice.get("pronounced_words"), "studio_voice.pronounced_words")
    opt_choice(voice, "style", _STYLES)


def _voices(body: dict[str, Any]) -> dict[str, str]:
    """``voices_map`` as language -> voice id ("" for none)."""
    value = body.get("voices_map")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ParamError("voices_map must be an object")
    out = {}
    for lang, entry in value.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("voice_id"), str):
            raise ParamError(f"voices_map.{lang}.voice_id must be a string")
        out[lang] = entry["voice_id"]
    return out


def _refused(body: dict[str, Any]) -> list[str]:
    """The requested languages that fail for want of a voice id, in request order."""
    voices = _voices(body)
    codes = _languages(str(body.get("language", "")), "language")
    return [c for c in codes if c in NEED_VOICE_ID and not voices.get(c)]


def _video_translation(body: dict[str, Any]) -> CreateSpec:
    req_url(body, "url")
    languages = _languages(req_str(body, "language"), "language")
    source = opt_str(body, "source_language")
    if source and source not in ("DEFAULT", "auto") and source not in LANGUAGES:
        raise ParamError(f"source_language: unsupported language code {source!r}")
    opt_bool(body, "lipsync")
    opt_int(body, "speaker_num", 0, 10)
    opt_bool(body, "remove_bgm")
    opt_choice(body, "caption_type", (0, 1, 2, 3, 4))
    opt_url(body, "caption_url")
    _studio_voice(body)
    opt_bool(body, "dynamic_duration")
    refused = _refused(body)
    if len(refused) == len(languages):
        raise ParamError(f"voices_map.{refused[0]}.voice_id is required")
    created = tuple(c for c in languages if c not in refused)
    return CreateSpec("video_translation", created, webhook(body))


def _fields(job: FakeJob, status: int, now: float) -> dict[str, Any]:
    params = job.params
    out: dict[str, Any] = {
        "team_id": "6805fb69e92d9edc7ca0b409",
        "target_video": params.get("url", ""),
        "language": job.variant,
        "source_language": params.get("source_language") or "DEFAULT",
        "lipsync": bool(params.get("lipsync", False)),
        "task_id": derived_hex(job.id, "task", 24),
        "progress": job.progress(now, status),
    }
    if status == 3:
        stem = f"{_AUDIO_SPLIT_BASE}/{job.id}"
        out["deduction_duration"] = max(1, round(job.media_duration / 4))
        out["audio_splits"] = {
            "original_srt_url": f"{stem}/original.srt",
            "translated_srt_url": f"{stem}/{job.variant}.srt",
            "no_caption_video_url": f"{stem}/no_caption.mp4",
        }
    return out


def _answer(jobs: list[FakeJob], now: float, base: str) -> Any:
    def video(job: FakeJob) -> dict[str, Any]:
        return video_body(job, 1, now, base, _fields(job, 1, now), create=True)

    params = jobs[0].params
    if "," not in str(params.get("language", "")):
        return video(jobs[0])
    by_language = {job.variant: job for job in jobs}
    refused = set(_refused(params))
    results = []
    for code in _languages(str(params["language"]), "language"):
        if code in refused:
            msg = f"voices_map.{code}.voice_id is required"
            results.append({"code": 1003, "msg": msg, "data": {}})
        else:
            results.append({"code": 1000, "msg": "OK", "data": video(by_language[code])})
    return Envelope({"code": 1000, "msg": "OK", "data": {}, "all_results": results})


AREA = FakeArea(
    creates={"/api/open/v3/content/video/createbytranslate": _video_translation},
    answers={"video_translation": _answer},
    video_fields={"video_translation": _fields},
)
