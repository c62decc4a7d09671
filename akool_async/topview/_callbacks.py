"""Receiving TopView callbacks: parse ``{uuid, bizType, taskId, status, errorMsg, result}``,
drop repeats, wake the scheduler, and answer what TopView expects.

TopView signs nothing, so a callback is only a hint: :meth:`TopViewSession.notify` makes the
scheduler confirm the task with one query, and the job's outcome always comes from TopView's API,
never from the callback body. A forged callback therefore costs one query and changes nothing.

Answers:

* 200 ``{"code": "200", "message": "Success"}`` for a callback, a repeat of one already
  delivered (same ``uuid``, or same task and status), or a body without a ``taskId`` (a
  reachability check of the URL);
* 400 ``{"code": "4000", "message": "Request parameter error"}`` for a body that is not a JSON
  object, or whose ``taskId`` is not a string; 413 above ``max_body``; 405 for other methods.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from aiohttp import web
from attrs import field, frozen

from .._base import BaseSession
from .._dedupe import DedupeWindow
from .._errors import ConfigurationError, InvalidWebhook
from .._jobmodels import JobStatus
from .._webhook_receivers import read_capped
from ._families import BIZ_TYPES
from ._models import map_status

if TYPE_CHECKING:
    from ._session import TopViewSession

__all__ = [
    "CALLBACK_OK",
    "DEFAULT_CALLBACK_PATH",
    "TopViewCallback",
    "TopViewCallbackReceiver",
    "parse_callback",
    "topview_callback_app",
    "topview_callback_handler",
]

logger = logging.getLogger("akool_async.webhooks")

#: Where :func:`topview_callback_app` listens.
DEFAULT_CALLBACK_PATH: Final = "/topview/callback"
#: Largest callback body accepted (bytes).
MAX_CALLBACK_BODY: Final = 1024 * 1024
#: The answer TopView's envelope convention calls success.
CALLBACK_OK: Final[dict[str, str]] = {"code": "200", "message": "Success"}
_BAD: Final[dict[str, str]] = {"code": "4000", "message": "Request parameter error"}


@frozen(slots=True)
class TopViewCallback:
    """One callback TopView posted to a notice URL.

    Attributes:
        task_id: the task it is about.
        biz_type: e.g. ``PRODUCT_AVATAR_IMAGE2VIDEO``.
        family: the SDK family of that bizType, None for one the SDK does not submit.
        status: the status word mapped onto :class:`JobStatus` (None if unknown).
        status_text: the status word as sent.
        uuid: the delivery's id, where given.
        error_msg: TopView's error text for a failed task.
        result: the ``result`` object (same shape as the query's), where given.
        raw: the body as received.
    """

    task_id: str
    biz_type: str | None
    family: str | None
    status: JobStatus | None
    status_text: str | None
    uuid: str | None
    error_msg: str | None
    result: Any = field(repr=False)
    raw: Mapping[str, Any] = field(repr=False, eq=False)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_callback(body: bytes | str | Mapping[str, Any]) -> TopViewCallback | None:
    """Parse a callback body; None for one without a ``taskId`` (a URL check).

    Raises:
        InvalidWebhook: not a JSON object, or a ``taskId`` that is not a non-empty string.
    """
    data: Any = body
    if isinstance(body, bytes | str):
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise InvalidWebhook("malformed body: not JSON") from None
    if not isinstance(data, Mapping):
        raise InvalidWebhook("malformed body: not a JSON object")
    task_id = data.get("taskId")
    if task_id is None:
        return None
    if not isinstance(task_id, str) or not task_id.strip():
        raise InvalidWebhook("bad payload: taskId must be a non-empty string")
    biz = _text(data.get("bizType"))
    status_text = _text(data.get("status"))
    uuid = data.get("uuid")
    return TopViewCallback(
        task_id=task_id,
        biz_type=biz,
        family=BIZ_TYPES.get(biz) if biz else None,
        status=map_status(status_text),
        status_text=status_text,
        uuid=str(uuid) if isinstance(uuid, str | int) and not isinstance(uuid, bool) else None,
        error_msg=_text(data.get("errorMsg")),
        result=data.get("result"),
        raw=data,
    )


Notify: TypeAlias = Callable[[TopViewCallback], Awaitable[None] | None]


class TopViewCallbackReceiver:
    """What the front ends share: parse, drop repeats, notify, choose the answer.

    Args:
        target: a :class:`TopViewSession` (its ``notify`` wakes the scheduler), or a function
            called with each new :class:`TopViewCallback` (plain or async).
        dedupe_window: delivery keys remembered to drop repeats (0 disables).
    """

    __slots__ = ("_notify", "_window")

    def __init__(self, target: TopViewSession | Notify, *, dedupe_window: int = 10_000) -> None:
        self._window = DedupeWindow(dedupe_window)
        if isinstance(target, BaseSession):
            session = target

            def to_session(cb: TopViewCallback) -> None:
                session.notify(cb.task_id, cb.raw)

            self._notify: Notify = to_session
        elif callable(target):
            self._notify = target
        else:
            raise TypeError("target must be a TopViewSession or a callable")

    def _first_time(self, cb: TopViewCallback) -> bool:
        key = ("uuid", cb.uuid) if cb.uuid else ("task", cb.task_id, cb.status_text or "")
        return self._window.first_time(key)

    async def deliver(self, body: bytes) -> tuple[int, dict[str, str]]:
        """Handle one callback body; returns (HTTP status, JSON answer)."""
        try:
            cb = parse_callback(body)
        except InvalidWebhook as exc:
            logger.warning(
                "TopView callback rejected: %s", exc, extra={"webhook_outcome": "rejected"}
            )
            return 400, _BAD
        if cb is None:
            return 200, CALLBACK_OK
        fields = {"job_id": cb.task_id, "biz_type": cb.biz_type}
        if not self._first_time(cb):
            logger.info(
                "TopView callback repeat ignored", extra={"webhook_outcome": "duplicate", **fields}
            )
            return 200, CALLBACK_OK
        try:
            outcome = self._notify(cb)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception as exc:
            # Still 200: an error answer would make TopView retry into the same bug.
            logger.warning(
                "TopView callback notify raised %s",
                type(exc).__name__,
                extra={"webhook_outcome": "notify_failed", **fields},
            )
        return 200, CALLBACK_OK


def topview_callback_handler(
    target: TopViewSession | Notify,
    *,
    max_body: int = MAX_CALLBACK_BODY,
    dedupe_window: int = 10_000,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """An aiohttp handler for TopView callbacks, to mount in your own app (route POST to it).

    Example:
        ``app.router.add_post("/hooks/topview", topview_callback_handler(tv))``
    """
    if isinstance(max_body, bool) or not isinstance(max_body, int) or max_body <= 0:
        raise ConfigurationError(f"max_body: must be a positive int, got {max_body!r}")
    receiver = TopViewCallbackReceiver(target, dedupe_window=dedupe_window)

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await read_capped(request, max_body)
        if body is None:
            return web.json_response({"code": "4000", "message": "body too large"}, status=413)
        status, answer = await receiver.deliver(body)
        return web.json_response(answer, status=status)

    return handle


def topview_callback_app(
    target: TopViewSession | Notify,
    *,
    path: str = DEFAULT_CALLBACK_PATH,
    max_body: int = MAX_CALLBACK_BODY,
    dedupe_window: int = 10_000,
) -> web.Application:
    """An aiohttp application that receives TopView callbacks on ``path`` and feeds ``target``.

    Run it with your server of choice; register ``https://<host><path>`` as the notice URL
    (``TopViewSession(webhook_url=...)`` does so before the first submit).
    """
    app = web.Application(client_max_size=max_body)
    app.router.add_post(
        path, topview_callback_handler(target, max_body=max_body, dedupe_window=dedupe_window)
    )
    return app
