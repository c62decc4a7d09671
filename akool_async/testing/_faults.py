"""Fault injection: a deterministic FIFO plan for tests, the canned answers of each fault."""

from __future__ import annotations

import random
import re
from collections import deque
from typing import Final, Literal

import anyio
from aiohttp import web
from attrs import define

from ._config import FAULT_KINDS, FakeConfig, FaultRates
from ._http import drop_connection, json_response

__all__ = [
    "API_MESSAGES",
    "PLAN_KINDS",
    "EndpointRole",
    "FaultPlan",
    "PlannedFault",
    "envelope_error",
    "fault_answer",
    "fault_response",
    "pick_fault",
]

EndpointRole = Literal["create", "status", "other"]

#: Kinds ``FaultPlan.add`` accepts besides ``code_XXXX``.
PLAN_KINDS: Final = frozenset(
    {
        "http_502",
        "http_500",
        "http_429",
        "code_1005",
        "truncated_json",
        "slow",
        "reset",
        "lost_create",
    }
)
_CODE_KIND = re.compile(r"^code_(\d{3,5})$")

#: The ``msg`` Akool sends with each code (seed pages and docs.akool.com).
API_MESSAGES: Final[dict[int, str]] = {
    1000: "OK",
    1003: "Parameter error or Parameter can not be empty",
    1004: "Requires verification",
    1005: "frequent operation",
    1006: "Your quota is not enough",
    1007: "The number of people who can have their faces changed cannot exceed 8",
    1008: "The content you get does not exist",
    1009: "You do not have permission to operate",
    1010: "You can not operate this content",
    1011: "This content has been operated",
    1013: "Use audio in video",
    1014: "Resource does not exist",
    1015: "Create video error, please try again later",
    1016: "Face swapping error",
    1017: "Audio not created",
    1101: "Invalid authorization or The request token has expired",
    1102: "Authorization cannot be empty",
    1103: "Not paid or payment is overdue",
    1104: "Insufficient credit",
    1105: "avatar processing error",
    1108: "image generate error,please try again later",
    1109: "account not exist",
    1110: "audio processing error",
    1111: "avatar callback processing error",
    1112: "voice processing error",
    1200: "The account has been banned",
    1201: "create audio error, please try again later",
    1202: "The same video cannot be translated lipSync in the same language more than 1 times",
    1203: "video should be with audio",
    1204: "Your video duration is exceed 60s!",
    1205: "Create video error, please try again later",
    1206: "background change processing error",
    1207: "The video you are using exceeds the size limit allowed by the system by 300M",
    1208: "video parsing error",
    1209: "Please upload a video in another encoding format",
    1210: "The video you are using exceeds the value allowed by the system by 60fp",
    1211: "Create Lip Sync Error, please try again later",
    1212: "Sentiment analysis fails",
    1213: "Requires subscription user to use",
    1214: "liveAvatar in processing",
    1215: "liveAvatar processing is busy",
    1216: "liveAvatar session not exist",
    1217: "liveAvatar callback error",
    1218: "liveAvatar processing error",
    1219: "liveAvatar closed",
    1220: "liveAvatar upload avatar error",
    1221: "Account not subscribed",
    1222: "Resource already exist",
    1223: "liveAvatar upload exceed",
}


@define(slots=True)
class PlannedFault:
    """One queued fault: ``remaining`` more matching requests get ``kind``."""

    kind: str
    remaining: int
    endpoint: str | None


class FaultPlan:
    """Deterministic fault queue, consulted before the random rates.

    ``add("http_502", count=2, endpoint="infobymodelid")`` makes the next two requests whose
    path contains ``infobymodelid`` answer 502. Entries are matched in FIFO order; the first
    entry that matches a request serves it. ``lost_create`` entries only match create requests.

    Note that aiohttp's client silently repeats an idempotent request (GET) once when the
    connection drops, so a single ``reset`` on a GET endpoint is invisible to an aiohttp client:
    plan ``count=2`` to make it see the failure.
    """

    __slots__ = ("_queue",)

    def __init__(self) -> None:
        self._queue: deque[PlannedFault] = deque()

    def add(self, kind: str, *, count: int = 1, endpoint: str | None = None) -> None:
        """Queue ``kind`` for the next ``count`` requests whose path contains ``endpoint``.

        Raises:
            ValueError: unknown kind or a count below 1.
        """
        if kind not in PLAN_KINDS and not _CODE_KIND.match(kind):
            raise ValueError(f"kind: unknown fault {kind!r}")
        if count < 1:
            raise ValueError(f"count: must be >= 1, got {count!r}")
        self._queue.append(PlannedFault(kind, count, endpoint))

    def take(self, path: str, role: EndpointRole) -> str | None:
        """The fault for a request to ``path``, consuming one use of the matching entry."""
        if not self._queue:
            return None
        for entry in self._queue:
            if entry.endpoint is not None and entry.endpoint not in path:
                continue
            if entry.kind == "lost_create" and role != "create":
                continue
            entry.remaining -= 1
            if entry.remaining <= 0:
                self._queue.remove(entry)
            return entry.kind
        return None

    def clear(self) -> None:
        """Drop every queued fault."""
        self._queue.clear()

    def pending(self) -> list[PlannedFault]:
        """The queued entries, in order (copies)."""
        return [PlannedFault(e.kind, e.remaining, e.endpoint) for e in self._queue]

    def __len__(self) -> int:
        return sum(e.remaining for e in self._queue)

    def __repr__(self) -> str:
        return f"FaultPlan({self.pending()!r})"


def envelope_error(code: int, msg: str | None = None) -> web.Response:
    """HTTP 200 with a non-success Akool envelope, as Akool reports most errors."""
    return json_response({"code": code, "msg": msg or API_MESSAGES.get(code, "error")})


def fault_response(kind: str, *, retry_after: int) -> web.Response:
    """The canned answer of a fault that replaces the handler's answer entirely.

    ``reset``, ``slow``, ``truncated_json`` and ``lost_create`` are handled by the caller.
    """
    if kind == "http_502":
        return web.Response(
            text="<html>502 Bad Gateway</html>", status=502, content_type="text/html"
        )
    if kind == "http_500":
        return web.Response(
            text="<html>500 Internal Server Error</html>", status=500, content_type="text/html"
        )
    if kind == "http_429":
        return web.Response(
            text="<html>429 Too Many Requests</html>",
            status=429,
            content_type="text/html",
            headers={"Retry-After": str(retry_after)},
        )
    match = _CODE_KIND.match(kind)
    if match is None:
        raise ValueError(f"kind: {kind!r} has no canned response")
    return envelope_error(int(match.group(1)))


def pick_fault(
    plan: FaultPlan | None, rates: FaultRates, rng: random.Random, path: str, role: EndpointRole
) -> str | None:
    """The fault for this request: a planned one first, else one drawn at the configured rates."""
    planned = plan.take(path, role) if plan is not None else None
    if planned is not None:
        return planned
    if rates.scope != "all" and rates.scope != role:
        return None
    for kind in FAULT_KINDS:
        rate: float = getattr(rates, kind)
        if rate > 0.0 and (kind != "lost_create" or role == "create") and rng.random() < rate:
            return kind
    return None


async def fault_answer(
    request: web.Request, fault: str, config: FakeConfig
) -> web.StreamResponse | None:
    """What an injected fault answers before the handler runs; None lets the handler run.

    ``slow`` waits (real seconds on purpose: it models network latency, not job time), ``reset``
    drops the connection, ``truncated_json`` and ``lost_create`` act on the handler's answer.
    """
    if fault == "slow":
        await anyio.sleep(config.faults.slow_delay)
    elif fault == "reset":
        return drop_connection(request)
    elif fault not in ("truncated_json", "lost_create"):
        return fault_response(fault, retry_after=config.faults.retry_after)
    return None
