"""The fake's moderation area: Jarvis Moderator's ``content/analysis/sentiment``, polled at
``content/analysis/infobyid`` (``jarvis-moderator.mdx``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from .._http import ParamError, is_http_url
from .._jobs import FakeJob
from ._common import (
    CreateSpec,
    FakeArea,
    failure,
    opt_choice,
    opt_str,
    req_str,
    single_info,
    webhook,
)

if TYPE_CHECKING:
    from .._server import FakeAkool

__all__ = ["AREA", "FLAGGED_WORD", "INFO_PATH", "verdict"]

INFO_PATH: Final = "/api/open/v3/content/analysis/infobyid"
_UID: Final = 101690
#: What a finished check reports; content containing this word is judged non-compliant.
FLAGGED_WORD: Final = "handgun"


def _create(body: dict[str, Any]) -> CreateSpec:
    content = req_str(body, "content")
    if body.get("type") is None:
        raise ParamError("type is required")
    kind = opt_choice(body, "type", (1, 2, 3, 4))
    if kind != 4 and not is_http_url(content):
        raise ParamError("content must be an http(s) url for image, video and audio")
    opt_str(body, "language")
    opt_str(body, "input")
    return CreateSpec("moderation", ("",), webhook(body))


def verdict(job: FakeJob) -> tuple[str, str]:
    """A finished check's ``result`` text and ``final_conclusion``."""
    content = str(job.params.get("content", ""))
    if FLAGGED_WORD in content:
        return (
            "- violence: Presence of a person holding a handgun.\nResult: Non-Compliant",
            "Non-Compliant",
        )
    return "- No policy violations found.\nResult: Compliant", "Compliant"


def _info_body(job: FakeJob, status: int, now: float, base: str) -> dict[str, Any]:
    result, conclusion = verdict(job) if status == 3 else ("", "")
    if job.forced_url is not None:  # ``FakeAkool.complete(id, url=...)``: "" is an empty answer
        result = job.forced_url
    out: dict[str, Any] = {"_id": job.id, "uid": _UID, "status": status, "result": result}
    if status == 3:
        out["final_conclusion"] = conclusion
    failure(job, status, out)
    return out


def _created(jobs: list[FakeJob], now: float, base: str) -> dict[str, Any]:
    job = jobs[0]
    return {
        "create_time": job.create_time_ms,
        "uid": _UID,
        "type": job.params.get("type"),
        "status": 1,
        "webhookUrl": job.webhook_url or "",
        "result": "",
        "_id": job.id,
        "__v": 0,
    }


async def _info(fake: FakeAkool, request: web.Request) -> web.Response:
    return await single_info(fake, request, "_id", frozenset({"moderation"}), _info_body)


AREA = FakeArea(
    creates={"/api/open/v3/content/analysis/sentiment": _create},
    answers={"moderation": _created},
    routes=(("GET", INFO_PATH, _info),),
)
