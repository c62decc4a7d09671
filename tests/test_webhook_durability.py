"""Webhook receivers under abuse: a durable replay cache across restarts, a log that stays quiet."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from akool_async._dedupe import DedupeWindow, ThrottledLog
from akool_async._webhook_receivers import webhook_app
from akool_async._webhooks import WebhookVerifier, seal_event

from .helpers import serve_app

NOW_MS = 1_712_720_700_000
CLIENT_ID = "durable-client-id-42"
SECRET = "durable-secret-of-24-by!"


class _Clock:
    def now(self) -> float:
        return NOW_MS / 1000

    def wall(self) -> float:
        return NOW_MS / 1000

    async def sleep(self, seconds: float) -> None:
        return None

    def to_real(self, seconds: float) -> float:
        return 0.0


def _verifier(store: Path | None = None) -> WebhookVerifier:
    return WebhookVerifier(CLIENT_ID, SECRET, clock=_Clock(), replay_store=store)


def _delivery(job_id: str = "job-1", nonce: int = 1) -> dict[str, Any]:
    payload = {"_id": job_id, "status": 3, "type": "lipsync", "url": "https://cdn.test/a.mp4"}
    return seal_event(
        payload, client_id=CLIENT_ID, client_secret=SECRET, timestamp_ms=NOW_MS, nonce=nonce
    )


async def _post_all(
    verifier: WebhookVerifier, bodies: list[dict[str, Any]], seen: list[str]
) -> list[int]:
    app = webhook_app(verifier, lambda event: seen.append(event.id))
    codes = []
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        for body in bodies:
            async with http.post(f"{base}/akool/webhook", json=body) as resp:
                codes.append(resp.status)
    return codes


pytestmark = pytest.mark.anyio


async def test_restarted_receiver_refuses_a_captured_delivery(tmp_path: Path) -> None:
    """With a replay store, a new receiver on the same file does not notify a replay again."""
    store = tmp_path / "replays.sqlite"
    delivery = _delivery()
    seen: list[str] = []
    first = _verifier(store)
    assert await _post_all(first, [delivery], seen) == [200]
    first.close()
    restarted = _verifier(store)
    assert await _post_all(restarted, [delivery, _delivery("job-2", nonce=2)], seen) == [200, 200]
    restarted.close()
    assert seen == ["job-1", "job-2"]


async def test_without_a_store_a_restart_forgets(tmp_path: Path) -> None:
    """The in-memory cache (the default) starts empty: the store is what makes it durable."""
    seen: list[str] = []
    await _post_all(_verifier(), [_delivery()], seen)
    await _post_all(_verifier(), [_delivery()], seen)
    assert seen == ["job-1", "job-1"]


async def test_forged_deliveries_write_a_bounded_number_of_warnings(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """300 forged deliveries: all refused with 400, at most 10 WARNING lines in the interval."""
    forged = [{**_delivery(nonce=i), "signature": "0" * 40} for i in range(300)]
    seen: list[str] = []
    with caplog.at_level(logging.WARNING, logger="akool_async.webhooks"):
        codes = await _post_all(_verifier(), forged, seen)
    assert codes == [400] * 300 and seen == []
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) <= 10


def test_throttled_log_reports_how_many_lines_it_held_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After the interval, one line says how many were suppressed; then lines flow again."""
    t = [0.0]
    log = ThrottledLog(
        logging.getLogger("akool_async.test"), limit=3, interval=60, now=lambda: t[0]
    )
    with caplog.at_level(logging.WARNING, logger="akool_async.test"):
        for _ in range(100):
            log.log(logging.WARNING, "rejected")
        assert log.suppressed == 97
        t[0] = 61.0
        log.log(logging.WARNING, "rejected")
    messages = [r.getMessage() for r in caplog.records]
    assert messages[:3] == ["rejected"] * 3
    assert "97 similar log line(s) suppressed" in messages[3]
    assert messages[4] == "rejected" and len(messages) == 5


def test_dedupe_window_forgets_the_least_recently_seen() -> None:
    """The window holds ``size`` keys; a repeat refreshes its key's place."""
    window = DedupeWindow(2)
    assert window.first_time("a") and window.first_time("b")
    assert not window.first_time("a")  # "a" is now the most recent
    assert window.first_time("c")  # evicts "b"
    assert window.first_time("b") and not window.first_time("c")
