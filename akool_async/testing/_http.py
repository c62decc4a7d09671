"""Small HTTP helpers shared by both fakes' handlers (Akool's and TopView's)."""

from __future__ import annotations

import json
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

from aiohttp import web

__all__ = [
    "ParamError",
    "ServedApp",
    "drop_connection",
    "is_http_url",
    "json_body",
    "json_response",
    "ok",
    "truncate",
]


class ParamError(Exception):
    """A request body is invalid: the fake Akool answers ``code`` with this message."""

    def __init__(self, msg: str, code: int = 1003) -> None:
        super().__init__(msg)
        self.msg = msg
        self.code = code


def is_http_url(value: object) -> bool:
    """Whether ``value`` is an http(s) URL with a host, as the real APIs check."""
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def ok(data: Any) -> web.Response:
    """A success envelope around ``data``."""
    return json_response({"code": 1000, "msg": "OK", "data": data})


def json_response(payload: Any, status: int = 200) -> web.Response:
    """``payload`` as compact JSON."""
    return web.Response(
        body=json.dumps(payload, separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
    )


def drop_connection(request: web.Request) -> web.Response:
    """Close the connection without answering (a reset, as the client sees it)."""
    # Aborting the transport makes the client see a reset / server disconnect with no answer;
    # the response returned afterwards is never written.
    transport = request.transport
    if transport is not None:
        transport.abort()
    return web.Response(status=204)


def truncate(response: web.StreamResponse) -> web.StreamResponse:
    """``response`` cut in half mid-JSON (the ``truncated_json`` fault)."""
    if isinstance(response, web.Response):
        body = response.body
        if isinstance(body, bytes):
            return web.Response(body=body[: len(body) // 2], content_type="application/json")
    return response


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object body.

    Raises:
        ParamError: the body is not JSON or not an object.
    """
    try:
        body = await request.json(loads=json.loads)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParamError("request body must be a JSON object") from exc
    if not isinstance(body, dict):
        raise ParamError("request body must be a JSON object")
    return body


class ServedApp:
    """Serves ``self.app()`` on ``host:port`` as an async context manager.

    Subclasses set ``host`` and ``port`` (0 picks a free port) and define ``app()``; after
    :meth:`start`, ``base_url`` and ``port`` say where they listen.
    """

    host: str
    port: int
    base_url: str
    _runner: web.AppRunner | None

    def app(self) -> web.Application:
        """The application to serve."""
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def start(self) -> None:
        """Bind the socket and start serving (what ``__aenter__`` does)."""
        if getattr(self, "_runner", None) is not None:
            raise RuntimeError(f"{type(self).__name__} is already running")
        runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        address = runner.addresses[0]
        self.port = int(address[1])
        host = f"[{address[0]}]" if ":" in str(address[0]) else str(address[0])
        self.base_url = f"http://{host}:{self.port}"

    async def aclose(self) -> None:
        """Stop serving; safe to call twice."""
        runner, self._runner = getattr(self, "_runner", None), None
        if runner is not None:
            await runner.cleanup()
