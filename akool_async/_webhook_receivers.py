"""HTTP endpoints that receive Akool webhook deliveries: an aiohttp handler/app and an ASGI app.

Both answer the same way:

* 200 ``{"ok": true}`` for a valid delivery, and also for a replay or a repeat of an
  ``(id, status, progress)`` already delivered: Akool retries until it gets a 200, and the repeat
  must not reach ``notify`` twice.
* 400 ``{"ok": false, "error": "<reason>"}`` for a delivery that fails verification. The reason is
  one of ``malformed body``, ``stale timestamp``, ``bad signature``, ``bad payload``; it never says
  *why* a payload failed to decrypt, so the endpoint is no padding oracle.
* 413 for a body over ``max_body``; 405 for a method other than POST.

``notify`` runs after verification, before the answer is sent; keep it quick (hand the event to
a queue). If it raises, the error is logged at warning (without the payload) and the answer is
still 200, so a bug in ``notify`` cannot start a retry loop.

Nothing here logs the decrypted payload, the result URL or any credential.
"""

from __future__ import annotations

import inspect
import json
import logging
import traceback
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final, TypeAlias

from aiohttp import web

from ._dedupe import DedupeWindow, ThrottledLog
from ._errors import ConfigurationError, InvalidWebhook, ReplayedWebhook
from ._webhooks import WebhookEvent, WebhookVerifier

__all__ = [
    "DEFAULT_DEDUPE_WINDOW",
    "DEFAULT_WEBHOOK_PATH",
    "MAX_WEBHOOK_BODY",
    "Notify",
    "WebhookASGIApp",
    "webhook_app",
    "webhook_handler",
]

#: What the receivers call with each new event; may be a plain or an async function.
Notify: TypeAlias = Callable[[WebhookEvent], Awaitable[None] | None]

#: Where :func:`webhook_app` listens.
DEFAULT_WEBHOOK_PATH: Final = "/akool/webhook"
#: Largest delivery body accepted (bytes); Akool's are well under 1 KiB of JSON plus ciphertext.
MAX_WEBHOOK_BODY: Final = 1024 * 1024
#: ``(id, status, progress)`` keys remembered to drop repeated deliveries.
DEFAULT_DEDUPE_WINDOW: Final = 10_000

_READ_CHUNK: Final = 64 * 1024
_REASONS: Final = frozenset({"malformed body", "stale timestamp", "bad signature", "bad payload"})

logger = logging.getLogger("akool_async.webhooks")

_Answer: TypeAlias = tuple[int, dict[str, Any]]
_OK: Final[dict[str, Any]] = {"ok": True}


def _public_reason(exc: InvalidWebhook) -> str:
    """The short, secret-free reason an HTTP answer may carry."""
    reason = str(exc).partition(":")[0]
    return reason if reason in _REASONS else "invalid delivery"


class _Receiver:
    """What both front ends share: verify, drop repeats, notify, choose the answer."""

    __slots__ = ("_notify", "_rejections", "_verifier", "_window")

    def __init__(self, verifier: WebhookVerifier, notify: Notify, dedupe_window: int) -> None:
        if not isinstance(verifier, WebhookVerifier):
            raise TypeError("verifier must be a WebhookVerifier")
        if not callable(notify):
            raise TypeError("notify must be callable")
        self._window = DedupeWindow(dedupe_window)
        self._verifier = verifier
        self._notify = notify
        # Forged deliveries by the thousand must not write a line each.
        self._rejections = ThrottledLog(logger)

    def _first_time(self, event: WebhookEvent) -> bool:
        """Record the event's key; False if it was already delivered (refreshes its place)."""
        # Progress is part of the key so that successive progress reports of one job all get
        # through, while a retried report (same progress) is still a repeat.
        return self._window.first_time((event.id, event.status, event.progress))

    async def deliver(self, body: bytes) -> _Answer:
        """Handle one delivery body and return (HTTP status, JSON answer)."""
        try:
            event = self._verifier.unwrap(body)
        except ReplayedWebhook:
            logger.info("webhook replay ignored", extra={"webhook_outcome": "replay"})
            return 200, _OK
        except InvalidWebhook as exc:
            reason = _public_reason(exc)
            # The message is built to hold no secret, client id or plaintext.
            self._rejections.log(
                logging.WARNING,
                "webhook rejected: %s",
                exc,
                extra={"webhook_outcome": "rejected", "webhook_reason": reason},
            )
            return 400, {"ok": False, "error": reason}
        fields = {"job_id": event.id, "job_status": event.status}
        if not self._first_time(event):
            logger.info(
                "webhook repeat ignored for job %s (status %d)",
                event.id,
                event.status,
                extra={"webhook_outcome": "duplicate", **fields},
            )
            return 200, _OK
        logger.debug(
            "webhook accepted for job %s (status %d)",
            event.id,
            event.status,
            extra={"webhook_outcome": "accepted", **fields},
        )
        try:
            result = self._notify(event)
            if inspect.isawaitable(result):
                await result
        except Exception as exc:
            # Still 200: a 5xx would make Akool retry into the same bug. The stack is logged
            # without the exception's message, which could quote the payload.
            logger.warning(
                "webhook notify callback raised %s for job %s (status %d); stack (message "
                "withheld):\n%s",
                type(exc).__name__,
                event.id,
                event.status,
                "".join(traceback.format_tb(exc.__traceback__)).rstrip(),
                extra={"webhook_outcome": "notify_failed", **fields},
            )
        return 200, _OK


def _check_max_body(max_body: int) -> None:
    if isinstance(max_body, bool) or not isinstance(max_body, int) or max_body <= 0:
        raise ConfigurationError(f"max_body: must be a positive int, got {max_body!r}")


# -- aiohttp ----------------------------------------------------------------------------------


async def read_capped(request: web.Request, max_body: int) -> bytes | None:
    """The request body, or None once it exceeds ``max_body``."""
    if request.content_length is not None and request.content_length > max_body:
        return None
    body = bytearray()
    async for chunk in request.content.iter_chunked(_READ_CHUNK):
        body += chunk
        if len(body) > max_body:
            return None
    return bytes(body)


def webhook_handler(
    verifier: WebhookVerifier,
    notify: Notify,
    *,
    max_body: int = MAX_WEBHOOK_BODY,
    dedupe_window: int = DEFAULT_DEDUPE_WINDOW,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """An aiohttp request handler for Akool webhook deliveries, to mount in your own app.

    Args:
        verifier: checks and decrypts deliveries.
        notify: called once per new event (plain or async).
        max_body: largest body accepted, in bytes (413 above).
        dedupe_window: how many delivered ``(id, status, progress)`` keys to remember.

    Returns:
        A handler; route POST to it (other methods get 405).

    Example:
        ``app.router.add_post("/hooks/akool", webhook_handler(verifier, on_event))``
    """
    _check_max_body(max_body)
    receiver = _Receiver(verifier, notify, dedupe_window)

    async def handle_akool_webhook(request: web.Request) -> web.StreamResponse:
        if request.method != "POST":
            return web.json_response(
                {"ok": False, "error": "method not allowed"},
                status=405,
                headers={"Allow": "POST"},
            )
        body = await read_capped(request, max_body)
        if body is None:
            logger.warning(
                "webhook rejected: body over %d bytes",
                max_body,
                extra={"webhook_outcome": "too_large"},
            )
            return web.json_response({"ok": False, "error": "body too large"}, status=413)
        status, answer = await receiver.deliver(body)
        return web.json_response(answer, status=status)

    return handle_akool_webhook


def webhook_app(
    verifier: WebhookVerifier,
    notify: Notify,
    path: str = DEFAULT_WEBHOOK_PATH,
    *,
    max_body: int = MAX_WEBHOOK_BODY,
    dedupe_window: int = DEFAULT_DEDUPE_WINDOW,
) -> web.Application:
    """A ready aiohttp application that receives Akool webhooks on ``path``.

    Args:
        verifier: checks and decrypts deliveries.
        notify: called once per new event (plain or async).
        path: the route (POST only).
        max_body: largest body accepted, in bytes.
        dedupe_window: how many delivered ``(id, status, progress)`` keys to remember.

    Returns:
        The application (run it with ``aiohttp.web.AppRunner`` or ``web.run_app``).
    """
    handler = webhook_handler(verifier, notify, max_body=max_body, dedupe_window=dedupe_window)
    app = web.Application(client_max_size=max_body)
    app.router.add_post(path, handler)
    return app


# -- ASGI -------------------------------------------------------------------------------------

Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if bytes(name).lower() == b"content-length":
            try:
                return int(bytes(value))
            except ValueError:
                return None
    return None


class WebhookASGIApp:
    """A plain ASGI 3 application receiving Akool webhooks (Starlette, FastAPI, uvicorn ...).

    Handles ``http`` POST; answers 405 to other methods and, when ``path`` is given, 404 to
    other paths. Completes ``lifespan`` startup and shutdown, and closes websockets.

    Args:
        verifier: checks and decrypts deliveries.
        notify: called once per new event (plain or async).
        path: if given, the only path served; None serves whatever path it is mounted at.
        max_body: largest body accepted, in bytes (413 above).
        dedupe_window: how many delivered ``(id, status, progress)`` keys to remember.
    """

    __slots__ = ("_max_body", "_path", "_receiver")

    def __init__(
        self,
        verifier: WebhookVerifier,
        notify: Notify,
        *,
        path: str | None = None,
        max_body: int = MAX_WEBHOOK_BODY,
        dedupe_window: int = DEFAULT_DEDUPE_WINDOW,
    ) -> None:
        _check_max_body(max_body)
        self._receiver = _Receiver(verifier, notify, dedupe_window)
        self._path = path
        self._max_body = max_body

    def __repr__(self) -> str:
        return f"WebhookASGIApp(path={self._path!r}, max_body={self._max_body})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection."""
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008})
        else:
            raise RuntimeError(f"unsupported ASGI scope type {kind!r}")

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._path is not None and scope.get("path") != self._path:
            await _respond(send, 404, {"ok": False, "error": "not found"})
            return
        if scope.get("method") != "POST":
            await _respond(
                send,
                405,
                {"ok": False, "error": "method not allowed"},
                extra_headers=[(b"allow", b"POST")],
            )
            return
        declared = _content_length(scope)
        if declared is not None and declared > self._max_body:
            await self._too_large(send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            if message["type"] != "http.request":
                continue
            body += message.get("body", b"")
            if len(body) > self._max_body:
                await self._too_large(send)
                return
            if not message.get("more_body", False):
                break
        status, answer = await self._receiver.deliver(bytes(body))
        await _respond(send, status, answer)

    async def _too_large(self, send: Send) -> None:
        logger.warning(
            "webhook rejected: body over %d bytes",
            self._max_body,
            extra={"webhook_outcome": "too_large"},
        )
        await _respond(send, 413, {"ok": False, "error": "body too large"})


async def _respond(
    send: Send,
    status: int,
    answer: dict[str, Any],
    *,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    body = json.dumps(answer, separators=(",", ":")).encode("utf-8")
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode("ascii")),
        *(extra_headers or ()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
