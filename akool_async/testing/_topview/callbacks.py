"""The fake's callbacks: ``{uuid, bizType, taskId, status, errorMsg, result}`` POSTed to a
task's notice URL when it ends (some dropped or sent twice, as the config says)."""

from __future__ import annotations

import asyncio
import heapq
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
import anyio
import anyio.lowlevel

if TYPE_CHECKING:
    from ._server import FakeTopView

__all__ = ["run_callbacks"]

logger = logging.getLogger("akool_async.testing")


async def run_callbacks(fake: FakeTopView, wake: asyncio.Event) -> None:
    """Send each due callback of ``fake.callback_heap``; ``wake`` says the heap changed."""
    timeout = aiohttp.ClientTimeout(total=10.0)
    async with aiohttp.ClientSession(timeout=timeout) as http, anyio.create_task_group() as tg:
        while True:
            if not fake.callback_heap:
                await wake.wait()
                wake.clear()
                continue
            delay = fake.clock.to_real(fake.callback_heap[0][0] - fake.clock.now())
            if delay > 0:
                with anyio.move_on_after(delay):
                    await wake.wait()
                wake.clear()
                continue
            _due, _seq, task_id = heapq.heappop(fake.callback_heap)
            job = fake.jobs.get(task_id)
            if job is None or job.notice_url is None:
                continue
            status = job.status(fake.clock.now())
            if status < 3 or job.callbacks_sent & (1 << status):
                continue
            job.callbacks_sent |= 1 << status
            if fake.callback_rng.random() < fake.config.webhook_drop:
                fake.stats.webhooks_dropped += 1
                continue
            copies = 2 if fake.callback_rng.random() < fake.config.webhook_duplicates else 1
            tg.start_soon(_deliver, fake, http, job.notice_url, fake.callback_body(job), copies)
            await anyio.lowlevel.checkpoint()


async def _deliver(
    fake: FakeTopView, http: aiohttp.ClientSession, url: str, body: dict[str, Any], copies: int
) -> None:
    for _ in range(copies):
        fake.counters.callbacks_sent += 1
        fake.stats.webhooks_sent += 1
        try:
            async with http.post(url, json=body) as response:
                text = await response.text()
                fake.counters.callback_answers.append((response.status, text))
                if response.status >= 300:
                    fake.counters.callbacks_failed += 1
                    fake.stats.webhooks_failed += 1
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            fake.counters.callbacks_failed += 1
            fake.stats.webhooks_failed += 1
            logger.debug("topview callback failed", extra={"error": repr(exc)})
