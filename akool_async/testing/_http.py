"""Small HTTP helpers shared by the fake server's handlers."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ._requests import ParamError

__all__ = ["drop_connection", "json_body", "json_response", "ok"]


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
