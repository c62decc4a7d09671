"""The fake's video-translation area: ``createbytranslate`` (one job per language)."""

from __future__ import annotations

from typing import Any, Final

from .._http import ParamError
from .._jobs import LANGUAGES, FakeJob
from ._common import (
    CreateSpec,
    FakeArea,
    derived_hex,
    opt_bool,
    opt_int,
    opt_str,
    opt_url,
    req_str,
    req_url,
    video_body,
    webhook,
)

__all__ = ["AREA"]


_AUDIO_SPLIT_BASE: Final = "https://d3323c6w59hl44.cloudfront.net/algorithm/video_translate"


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


def _video_translation(body: dict[str, Any]) -> CreateSpec:
    req_url(body, "url")
    languages = _languages(req_str(body, "language"), "language")
    source = opt_str(body, "source_language")
    if source and source != "auto" and source not in LANGUAGES:
        raise ParamError(f"source_language: unsupported language code {source!r}")
    opt_bool(body, "lipsync")
    opt_int(body, "speaker_num", 0, 10)
    opt_bool(body, "remove_bgm")
    opt_int(body, "caption_type", 0, 4)
    opt_url(body, "caption_url")
    opt_bool(body, "studio_voice")
    opt_bool(body, "dynamic_duration")
    return CreateSpec("video_translation", languages, webhook(body))


def _fields(job: FakeJob, status: int, now: float) -> dict[str, Any]:
    params = job.params
    out: dict[str, Any] = {
        "target_video": params.get("url", ""),
        "language": job.variant,
        "source_language": params.get("source_language") or "auto",
        "lipsync": bool(params.get("lipsync", False)),
        "task_id": derived_hex(job.id, "task", 24),
        "progress": job.progress(now, status),
        "error_code": 0,
        "error_reason": "",
    }
    if status == 3:
        stem = f"{_AUDIO_SPLIT_BASE}/{job.id}"
        out["audio_splits"] = {
            "original_srt_url": f"{stem}/original.srt",
            "translated_srt_url": f"{stem}/{job.variant}.srt",
            "no_caption_video_url": f"{stem}/no_caption.mp4",
        }
    return out


def _answer(jobs: list[FakeJob], now: float, base: str) -> dict[str, Any]:
    data = video_body(jobs[0], 1, now, base, _fields(jobs[0], 1, now), create=True)
    data["all_results"] = [
        {"_id": job.id, "language": job.variant, "video_status": 1, "video": ""} for job in jobs
    ]
    return data


AREA = FakeArea(
    creates={"/api/open/v3/content/video/createbytranslate": _video_translation},
    answers={"video_translation": _answer},
    video_fields={"video_translation": _fields},
)
