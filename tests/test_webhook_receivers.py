"""Behaviour tests of the webhook receivers: aiohttp over real HTTP, ASGI called directly."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import anyio
import anyio.lowlevel
import pytest
from aiohttp import web

from akool_async._webhook_receivers import (
    WebhookASGIApp,
    webhook_app,
    webhook_handler,
)
from akool_async._webhooks import WebhookEvent, WebhookVerifier, compute_signature, seal_event

NOW_MS = 1_712_720_700_000
CLIENT_ID = "receiver-client-id-42"
SECRET = "receiver-secret-of-24-by"
MARKER = "private-marker-7f3a"
PLAIN: dict[str, Any] = {
    "_id": "job-77",
    "status": 3,
    "type": "lipsync",
    "url": f"https://cdn.test/{MARKER}.mp4",
    "note": MARKER,
}
FORBIDDEN = (SECRET, CLIENT_ID, MARKER, json.dumps(PLAIN), PLAIN["url"])


class FakeClock:
    """A clock whose wall time the test sets."""

    def __init__(self, wall_ms: int = NOW_MS) -> None:
        self.wall_s = wall_ms / 1000

    def now(self) -> float:
        return self.wall_s

    def wall(self) -> float:
        return self.wall_s

    async def sleep(self, seconds: float) -> None:
        self.wall_s += seconds

    def to_real(self, seconds: float) -> float:
        return 0.0


class Recorder:
    """An async notify callback that records what it is given."""

    def __init__(self, fail: bool = False) -> None:
        self.events: list[WebhookEvent] = []
        self.fail = fail

    async def __call__(self, event: WebhookEvent) -> None:
        await anyio.lowlevel.checkpoint()
        self.events.append(event)
        if self.fail:
            # Quotes the payload on purpose: the receiver must not log this message.
            raise RuntimeError(f"cannot handle {dict(event.raw)}")


def _verifier(clock: FakeClock | None = None) -> WebhookVerifier:
    return WebhookVerifier(CLIENT_ID, SECRET, clock=clock or FakeClock())


def _sealed(payload: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("timestamp_ms", NOW_MS)
    kwargs.setdefault("nonce", "nonce-1")
    kwargs.setdefault("client_secret", SECRET)
    return seal_event(payload or PLAIN, client_id=CLIENT_ID, **kwargs)


def _invalid_bodies() -> dict[str, tuple[bytes, str]]:
    """Bodies a receiver must refuse, with the reason it must give."""
    tampered = _sealed(nonce="t")
    flipped = "0" if tampered["signature"][0] != "0" else "1"
    tampered["signature"] = flipped + tampered["signature"][1:]
    wrong_key = _sealed(nonce="w", client_secret="another-secret-24-bytes!")
    stale = _sealed(nonce="s", timestamp_ms=NOW_MS - 3_600_000)
    unsigned_junk = _sealed(nonce="j")
    unsigned_junk["dataEncrypt"] = "AAAA" + unsigned_junk["dataEncrypt"][4:]
    unsigned_junk["signature"] = compute_signature(
        CLIENT_ID, NOW_MS, "j", unsigned_junk["dataEncrypt"]
    )
    return {
        "tampered signature": (json.dumps(tampered).encode(), "bad signature"),
        "wrong key": (json.dumps(wrong_key).encode(), "bad payload"),
        "stale timestamp": (json.dumps(stale).encode(), "stale timestamp"),
        "re-signed tampered ciphertext": (json.dumps(unsigned_junk).encode(), "bad payload"),
        "not json": (b"hello", "malformed body"),
        "missing fields": (b'{"signature": "abc"}', "malformed body"),
    }


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Run ``app`` on 127.0.0.1, a free port; yield its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def _post(
    http: aiohttp.ClientSession, url: str, body: dict[str, Any] | bytes
) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with http.post(url, data=data, headers={"Content-Type": "application/json"}) as resp:
        return resp.status, await resp.json(content_type=None)


# -- aiohttp ----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_aiohttp_valid_delivery_notifies_once() -> None:
    """A sealed delivery POSTed over HTTP gets 200 {"ok": true} and reaches notify decrypted."""
    notify = Recorder()
    async with serving(webhook_app(_verifier(), notify)) as base, aiohttp.ClientSession() as http:
        status, answer = await _post(http, base + "/akool/webhook", _sealed())
    assert (status, answer) == (200, {"ok": True})
    [event] = notify.events
    assert (event.id, event.status, event.type, event.url) == ("job-77", 3, "lipsync", PLAIN["url"])


@pytest.mark.anyio
async def test_aiohttp_sync_notify_is_called() -> None:
    """A plain (non-async) notify function is called too."""
    seen: list[WebhookEvent] = []
    async with (
        serving(webhook_app(_verifier(), seen.append, path="/hook")) as base,
        aiohttp.ClientSession() as http,
    ):
        status, _ = await _post(http, base + "/hook", _sealed())
    assert status == 200 and [e.id for e in seen] == ["job-77"]


@pytest.mark.anyio
async def test_aiohttp_replay_answers_200_without_second_notify() -> None:
    """The same delivery twice: both answered 200 so Akool stops, notify called once."""
    notify = Recorder()
    body = _sealed()
    async with serving(webhook_app(_verifier(), notify)) as base, aiohttp.ClientSession() as http:
        first = await _post(http, base + "/akool/webhook", body)
        second = await _post(http, base + "/akool/webhook", body)
    assert first == second == (200, {"ok": True})
    assert len(notify.events) == 1


@pytest.mark.anyio
async def test_aiohttp_resealed_duplicate_dropped_new_status_passes() -> None:
    """A retry re-sealed with a new nonce is dropped by (id, status); a new status gets through."""
    notify = Recorder()
    deliveries = [
        _sealed(nonce="a"),
        _sealed(nonce="b"),  # same (id, status): a retry
        _sealed({**PLAIN, "status": 2, "progress": 10}, nonce="c"),
        _sealed({**PLAIN, "status": 2, "progress": 60}, nonce="d"),  # new progress report
        _sealed({**PLAIN, "status": 2, "progress": 60}, nonce="e"),  # its retry
    ]
    async with serving(webhook_app(_verifier(), notify)) as base, aiohttp.ClientSession() as http:
        answers = [await _post(http, base + "/akool/webhook", body) for body in deliveries]
    assert answers == [(200, {"ok": True})] * 5
    assert [(e.status, e.progress) for e in notify.events] == [(3, None), (2, 10), (2, 60)]


@pytest.mark.anyio
async def test_aiohttp_concurrent_duplicates_notify_once() -> None:
    """Concurrent retries of one event reach notify exactly once."""
    notify = Recorder()
    async with serving(webhook_app(_verifier(), notify)) as base, aiohttp.ClientSession() as http:
        results: list[tuple[int, Any]] = []

        async def post(nonce: str) -> None:
            results.append(await _post(http, base + "/akool/webhook", _sealed(nonce=nonce)))

        async with anyio.create_task_group() as tg:
            for i in range(8):
                tg.start_soon(post, f"n{i}")
    assert results == [(200, {"ok": True})] * 8
    assert len(notify.events) == 1


@pytest.mark.anyio
@pytest.mark.parametrize("case", list(_invalid_bodies()))
async def test_aiohttp_invalid_delivery_rejected(case: str) -> None:
    """Tampered, wrong-key, stale or malformed deliveries get 400 with a short reason only."""
    body, reason = _invalid_bodies()[case]
    notify = Recorder()
    async with serving(webhook_app(_verifier(), notify)) as base, aiohttp.ClientSession() as http:
        status, answer = await _post(http, base + "/akool/webhook", body)
    assert (status, answer) == (400, {"ok": False, "error": reason})
    assert notify.events == []


@pytest.mark.anyio
async def test_aiohttp_method_and_size_limits() -> None:
    """GET is 405; a body over max_body is 413 and never reaches the verifier."""
    notify = Recorder()
    app = web.Application()
    app.router.add_route("*", "/in", webhook_handler(_verifier(), notify, max_body=2048))
    async with serving(app) as base, aiohttp.ClientSession() as http:
        async with http.get(base + "/in") as resp:
            assert resp.status == 405 and resp.headers["Allow"] == "POST"
        big = json.dumps({**_sealed(), "pad": "x" * 4096}).encode()
        status, answer = await _post(http, base + "/in", big)
        assert (status, answer) == (413, {"ok": False, "error": "body too large"})

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(4):  # no Content-Length: the cap must hold while streaming
                yield b" " * 1024

        async with http.post(base + "/in", data=chunks()) as resp:
            assert resp.status == 413
        status, _ = await _post(http, base + "/in", _sealed())
        assert status == 200
    assert len(notify.events) == 1


@pytest.mark.anyio
async def test_aiohttp_notify_exception_still_200(caplog: pytest.LogCaptureFixture) -> None:
    """A notify that raises is logged at warning (no payload) and the answer is still 200."""
    caplog.set_level(logging.DEBUG, logger="akool_async")
    notify = Recorder(fail=True)
    async with serving(webhook_app(_verifier(), notify)) as base, aiohttp.ClientSession() as http:
        status, answer = await _post(http, base + "/akool/webhook", _sealed())
        again = await _post(http, base + "/akool/webhook", _sealed(nonce="retry"))
    assert (status, answer) == again == (200, {"ok": True})
    assert len(notify.events) == 1
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.name == "akool_async.webhooks"
    assert "RuntimeError" in warning.getMessage() and "job-77" in warning.getMessage()
    assert MARKER not in warning.getMessage() and warning.exc_info is None


# -- ASGI -------------------------------------------------------------------------------------


async def _asgi(
    app: WebhookASGIApp,
    *,
    method: str = "POST",
    path: str = "/akool/webhook",
    chunks: list[bytes] | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
    disconnect: bool = False,
) -> tuple[int | None, dict[bytes, bytes], bytes]:
    """Drive one ASGI HTTP request through ``app``; return status, headers, body."""
    pieces = list(chunks if chunks is not None else [b""])
    incoming: list[dict[str, Any]] = [
        {"type": "http.request", "body": piece, "more_body": i < len(pieces) - 1}
        for i, piece in enumerate(pieces)
    ]
    if disconnect:
        incoming = [*incoming[:-1], {"type": "http.disconnect"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await anyio.lowlevel.checkpoint()
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "path": path,
        "headers": headers or [],
    }
    await app(scope, receive, send)  # type: ignore[arg-type]  # dict is a MutableMapping
    if not sent:
        return None, {}, b""
    start, body = sent
    assert start["type"] == "http.response.start" and body["type"] == "http.response.body"
    return start["status"], dict(start["headers"]), body["body"]


def _split(data: bytes, parts: int) -> list[bytes]:
    step = -(-len(data) // parts)
    return [data[i : i + step] for i in range(0, len(data), step)]


@pytest.mark.anyio
async def test_asgi_valid_delivery_in_chunks() -> None:
    """A delivery arriving in several http.request chunks is verified and notified once."""
    notify = Recorder()
    app = WebhookASGIApp(_verifier(), notify)
    body = json.dumps(_sealed()).encode()
    status, headers, answer = await _asgi(app, chunks=_split(body, 5))
    assert status == 200 and json.loads(answer) == {"ok": True}
    assert headers[b"content-type"] == b"application/json"
    assert headers[b"content-length"] == str(len(answer)).encode()
    assert [e.id for e in notify.events] == ["job-77"]


@pytest.mark.anyio
async def test_asgi_replay_and_duplicate_answer_200_notify_once() -> None:
    """Replayed and re-sealed duplicates both answer 200; notify sees the event once."""
    notify = Recorder()
    app = WebhookASGIApp(_verifier(), notify)
    body = json.dumps(_sealed()).encode()
    resealed = json.dumps(_sealed(nonce="other")).encode()
    for data in (body, body, resealed):
        status, _, answer = await _asgi(app, chunks=[data])
        assert (status, json.loads(answer)) == (200, {"ok": True})
    assert len(notify.events) == 1


@pytest.mark.anyio
@pytest.mark.parametrize("case", list(_invalid_bodies()))
async def test_asgi_invalid_delivery_rejected(case: str) -> None:
    """The ASGI app refuses what the aiohttp one refuses, with the same 400 answer."""
    body, reason = _invalid_bodies()[case]
    notify = Recorder()
    status, _, answer = await _asgi(WebhookASGIApp(_verifier(), notify), chunks=[body])
    assert (status, json.loads(answer)) == (400, {"ok": False, "error": reason})
    assert notify.events == []


@pytest.mark.anyio
async def test_asgi_stale_then_fresh_with_controlled_clock() -> None:
    """Freshness follows the verifier's clock: stale after the clock moves, fresh again after."""
    clock = FakeClock()
    notify = Recorder()
    app = WebhookASGIApp(_verifier(clock), notify)
    clock.wall_s += 301
    status, _, answer = await _asgi(app, chunks=[json.dumps(_sealed()).encode()])
    assert (status, json.loads(answer)["error"]) == (400, "stale timestamp")
    fresh = _sealed(timestamp_ms=int(clock.wall_s * 1000))
    status, _, _ = await _asgi(app, chunks=[json.dumps(fresh).encode()])
    assert status == 200 and len(notify.events) == 1


@pytest.mark.anyio
async def test_asgi_method_path_and_size() -> None:
    """405 for GET (with Allow), 404 off its path, 413 by header or by streamed size."""
    notify = Recorder()
    app = WebhookASGIApp(_verifier(), notify, path="/akool/webhook", max_body=1024)
    status, headers, _ = await _asgi(app, method="GET")
    assert status == 405 and headers[b"allow"] == b"POST"
    status, _, _ = await _asgi(app, path="/elsewhere", chunks=[json.dumps(_sealed()).encode()])
    assert status == 404
    status, _, _ = await _asgi(app, headers=[(b"content-length", b"4096")])
    assert status == 413
    status, _, answer = await _asgi(app, chunks=[b" " * 600, b" " * 600])
    assert (status, json.loads(answer)) == (413, {"ok": False, "error": "body too large"})
    assert notify.events == []


@pytest.mark.anyio
async def test_asgi_client_disconnect_sends_nothing() -> None:
    """A client that disconnects mid-body gets no response and notify is not called."""
    notify = Recorder()
    body = json.dumps(_sealed()).encode()
    status, _, _ = await _asgi(
        WebhookASGIApp(_verifier(), notify), chunks=_split(body, 3), disconnect=True
    )
    assert status is None and notify.events == []


@pytest.mark.anyio
async def test_asgi_notify_exception_still_200() -> None:
    """A failing notify does not turn into a 500."""
    notify = Recorder(fail=True)
    status, _, answer = await _asgi(
        WebhookASGIApp(_verifier(), notify), chunks=[json.dumps(_sealed()).encode()]
    )
    assert (status, json.loads(answer)) == (200, {"ok": True})


@pytest.mark.anyio
async def test_asgi_lifespan_websocket_and_unknown_scopes() -> None:
    """Lifespan startup/shutdown complete, websockets are closed, unknown scopes raise."""
    app = WebhookASGIApp(_verifier(), Recorder())
    inbox: list[dict[str, Any]] = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return inbox.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with anyio.fail_after(5):
        await app({"type": "lifespan"}, receive, send)  # type: ignore[arg-type]  # dict scope
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]

    inbox[:] = [{"type": "websocket.connect"}]
    sent.clear()
    await app({"type": "websocket", "path": "/"}, receive, send)  # type: ignore[arg-type]
    assert sent == [{"type": "websocket.close", "code": 1008}]

    with pytest.raises(RuntimeError, match="unsupported ASGI scope"):
        await app({"type": "weird"}, receive, send)  # type: ignore[arg-type]


def test_receiver_arguments_validated() -> None:
    """Bad verifier, notify, max_body or dedupe_window are refused at construction."""
    verifier = _verifier()
    with pytest.raises(TypeError):
        WebhookASGIApp(object(), Recorder())  # type: ignore[arg-type]  # deliberately wrong
    with pytest.raises(TypeError):
        webhook_app(verifier, "not callable")  # type: ignore[arg-type]  # deliberately wrong
    with pytest.raises(ValueError, match="max_body"):
        webhook_handler(verifier, Recorder(), max_body=0)
    with pytest.raises(ValueError, match="dedupe_window"):
        WebhookASGIApp(verifier, Recorder(), dedupe_window=-1)
    assert CLIENT_ID not in repr(WebhookASGIApp(verifier, Recorder()))


# -- logging ----------------------------------------------------------------------------------


def _record_text(record: logging.LogRecord) -> str:
    """Everything a handler could print from a record, extras included."""
    parts = [record.getMessage(), record.exc_text or "", record.stack_info or ""]
    parts += [repr(value) for value in vars(record).values()]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(repr(record.exc_info[1]))
    return "\n".join(parts)


@pytest.mark.anyio
async def test_debug_logs_hold_no_plaintext_or_credentials(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With everything logged at DEBUG, no record holds the plaintext, secret or client id."""
    caplog.set_level(logging.DEBUG)
    ok, failing = Recorder(), Recorder(fail=True)
    bodies = [json.dumps(_sealed()).encode()] * 2  # accepted, then replayed
    bodies.append(json.dumps(_sealed(nonce="again")).encode())  # duplicate
    bodies += [body for body, _ in _invalid_bodies().values()]
    async with serving(webhook_app(_verifier(), ok)) as base, aiohttp.ClientSession() as http:
        for body in bodies:
            await _post(http, base + "/akool/webhook", body)
    asgi = WebhookASGIApp(_verifier(), failing)
    for body in bodies:
        await _asgi(asgi, chunks=[body])
    assert len(ok.events) == len(failing.events) == 1
    ours = [r for r in caplog.records if r.name.startswith("akool_async")]
    outcomes = {getattr(r, "webhook_outcome", None) for r in ours}
    assert {"accepted", "replay", "duplicate", "rejected", "notify_failed"} <= outcomes
    for record in caplog.records:
        text = _record_text(record)
        for forbidden in FORBIDDEN:
            assert forbidden not in text, (record.name, record.levelname)


# -- against the fake Akool server ------------------------------------------------------------


@pytest.mark.anyio
async def test_fake_akool_deliveries_reach_notify_once() -> None:
    """Webhooks sealed by the fake server (with redeliveries) reach notify once per status."""
    from akool_async._clock import ScaledClock
    from akool_async.testing import FakeAkool, FakeConfig

    config = FakeConfig(
        speed=1000.0,
        queue_time=(0.5, 1.0),
        media_duration=(1.0, 2.0),
        seed=7,
        webhook_duplicates=1.0,
    )
    clock = ScaledClock(config.speed)  # the verifier must share the server's notion of time
    verifier = WebhookVerifier(config.client_id, config.client_secret, clock=clock)
    notify = Recorder()
    async with (
        FakeAkool(config, clock=clock) as fake,
        serving(webhook_app(verifier, notify)) as base,
        aiohttp.ClientSession(fake.base_url, headers={"x-api-key": "test-api-key"}) as http,
    ):
        create = "/api/open/v3/content/video/createbytalkingphoto"
        body = {
            "talking_photo_url": "https://cdn.example.com/face.jpg",
            "audio_url": "https://cdn.example.com/voice.mp3",
            "webhookUrl": base + "/akool/webhook",
        }
        async with http.post(create, json=body) as resp:
            job_id = (await resp.json())["data"]["_id"]
        with anyio.fail_after(5):
            # Two statuses, each delivered twice. The counter offers no event to wait on.
            while fake.stats.webhooks_sent < 4:  # noqa: ASYNC110
                await anyio.sleep(0.005)
    assert [(e.id, e.status, e.type) for e in notify.events] == [
        (job_id, 2, "talking photo"),
        (job_id, 3, "talking photo"),
    ]
    assert notify.events[1].url and notify.events[0].url is None
