"""A server that knows only what Akool's documentation says, to judge the SDK by.

Each :class:`Endpoint` is typed from one documentation page: the JSON Schema of the request the
page documents (required fields, types, enums) and the example answer the page shows. The server
checks every request it receives against that schema with ``jsonschema`` (an implementation that
is not ours) and answers with the page's example, so a contract test judges our request builders
and our parsers without going through our fake server.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import jsonschema
from aiohttp import web
from attrs import define, field, frozen

from akool_async import RetryPolicy, Session

API_KEY = "contract-api-key"


@frozen
class Endpoint:
    """One documented endpoint: what the page says a request must be and what it answers.

    ``answers`` are served in order, the last one repeating, so a status endpoint can show a
    job processing, then completed. ``schema`` is a JSON Schema for the JSON body (POST) or for
    the query string as a dict of strings (GET); ``None`` accepts anything.
    """

    method: str
    path: str
    page: str
    schema: Mapping[str, Any] | None
    answers: Sequence[Mapping[str, Any]]


@frozen
class Received:
    """One request the server received, and what the page's schema said of it."""

    method: str
    path: str
    body: Any
    query: Mapping[str, str]
    violations: tuple[str, ...]


@define
class DocServer:
    """The documented endpoints, served on loopback; :attr:`received` records every request."""

    endpoints: Mapping[tuple[str, str], Endpoint]
    base_url: str = ""
    received: list[Received] = field(factory=list)
    _queues: dict[tuple[str, str], deque[Mapping[str, Any]]] = field(factory=dict)

    def requests_to(self, path: str) -> list[Received]:
        """Every request received at ``path``, in order."""
        return [r for r in self.received if r.path == path]

    @property
    def violations(self) -> list[str]:
        """Every schema violation seen, prefixed with the endpoint that saw it."""
        return [f"{r.method} {r.path}: {v}" for r in self.received for v in r.violations]

    async def handle(self, request: web.Request) -> web.Response:
        key = (request.method, request.path)
        ep = self.endpoints.get(key)
        if ep is None:
            return web.json_response({"code": 1008, "msg": f"undocumented endpoint {key}"})
        body: Any = None
        if request.method == "POST" and request.can_read_body:
            body = await request.json()
        query = dict(request.query)
        subject = body if request.method == "POST" else query
        errors: tuple[str, ...] = ()
        if ep.schema is not None:
            validator = jsonschema.Draft202012Validator(ep.schema)
            errors = tuple(
                f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
                for e in validator.iter_errors(subject)
            )
        self.received.append(Received(request.method, request.path, body, query, errors))
        if errors:
            return web.json_response({"code": 1003, "msg": "; ".join(errors)})
        queue = self._queues.setdefault(key, deque(ep.answers))
        answer = queue[0] if len(queue) == 1 else queue.popleft()
        return web.json_response(copy.deepcopy(dict(answer)))


@asynccontextmanager
async def doc_server(endpoints: Iterable[Endpoint]) -> AsyncIterator[DocServer]:
    """Serve ``endpoints`` on 127.0.0.1 (a free port) for the duration of the block."""
    server = DocServer({(e.method, e.path): e for e in endpoints})
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        server.base_url = f"http://{host}:{port}"
        yield server
    finally:
        await runner.cleanup()


def session_on(server: DocServer, **kwargs: Any) -> Session:
    """A (not yet entered) Akool session against the documentation server."""
    kwargs.setdefault("api_key", API_KEY)
    kwargs.setdefault("retry", RetryPolicy(base=0.001, cap=0.01))
    kwargs.setdefault("allow_insecure_http", True)
    return Session(base_url=server.base_url, **kwargs)


def completed(answer: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of a documented status answer with ``data`` fields changed (e.g. to completed).

    Pages mostly show a job still processing; the completed answer differs only in the status
    and result fields the page's own tables describe.
    """
    out = copy.deepcopy(dict(answer))
    out["data"] = {**out["data"], **changes}
    return out


#: ``infobymodelid``'s query as every page documents it.
VIDEO_STATUS_QUERY: Mapping[str, Any] = {
    "type": "object",
    "required": ["video_model_id"],
    "properties": {"video_model_id": {"type": "string"}},
}


def video_status(page: str, answer: Mapping[str, Any], result_url: str) -> Endpoint:
    """``infobymodelid`` answering a page's status example, then the same job completed."""
    return Endpoint(
        "GET",
        "/api/open/v3/content/video/infobymodelid",
        page,
        VIDEO_STATUS_QUERY,
        [answer, completed(answer, video_status=3, video=result_url)],
    )
