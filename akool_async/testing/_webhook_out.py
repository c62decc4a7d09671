"""Outgoing webhooks: one background task drains a heap of due (time, job, status) events."""

from __future__ import annotations

import heapq
import importlib
import logging
import random
from collections.abc import Callable
from typing import Any, Protocol

import aiohttp
import anyio
import anyio.lowlevel

from .._clock import Clock
from ._akool._common import webhook_event
from ._config import FakeConfig
from ._jobs import FAMILIES, FakeJob
from ._stats import FakeStats

__all__ = ["WebhookDispatcher"]

logger = logging.getLogger("akool_async.testing")

#: Real seconds one delivery may take before it counts as failed.
_SEND_TIMEOUT = 10.0
#: Deliveries in flight at once.
_MAX_INFLIGHT = 64

Sealer = Callable[..., dict[str, Any]]


class _Host(Protocol):
    clock: Clock
    config: FakeConfig
    stats: FakeStats
    jobs: dict[str, FakeJob]
    base_url: str


def _load_sealer() -> Sealer | None:
    # Imported lazily: it needs the optional ``cryptography`` package, and the fake server
    # must run (without webhooks) where that is not installed.
    try:
        module = importlib.import_module("akool_async._webhooks")
    except ImportError as exc:
        logger.debug("webhooks disabled: %s", exc)
        return None
    sealer: Sealer | None = getattr(module, "seal_event", None)
    return sealer


class WebhookDispatcher:
    """Sends each job's status-2/3/4 webhooks when they fall due on the server's clock.

    Job status is computed lazily, so transitions are scheduled at create time (and when a test
    forces a status); at delivery time an entry that no longer matches the job is skipped.
    """

    def __init__(self, host: _Host, rng: random.Random) -> None:
        self._host = host
        self._rng = rng
        self._heap: list[tuple[float, int, str, int]] = []
        self._seq = 0
        self._wake = anyio.Event()
        self._limiter = anyio.CapacityLimiter(_MAX_INFLIGHT)

    def __len__(self) -> int:
        return len(self._heap)

    def schedule_job(self, job: FakeJob) -> None:
        """Queue the natural transitions of a freshly created job."""
        if job.webhook_url is None:
            return
        delay = self._host.config.webhook_delay
        self.schedule(job.queue_end + delay, job.id, 2)
        self.schedule(job.proc_end + delay, job.id, 4 if job.fails else 3)

    def schedule(self, due: float, job_id: str, status: int) -> None:
        """Queue a webhook for ``job_id`` reaching ``status`` at clock time ``due``."""
        self._seq += 1
        entry = (due, self._seq, job_id, status)
        heapq.heappush(self._heap, entry)
        if self._heap[0] is entry:
            self._wake.set()

    def _due_event(self, job_id: str, status: int) -> tuple[FakeJob, dict[str, Any]] | None:
        job = self._host.jobs.get(job_id)
        if job is None or job.webhook_url is None:
            return None
        current = job.status(self._host.clock.now())
        terminal_sent = job.webhooks_sent & ((1 << 3) | (1 << 4))
        if job.webhooks_sent & (1 << status):
            return None
        if status in (3, 4) and status != current:
            return None  # a forced status overtook this transition
        if status == 2 and (current == 1 or terminal_sent):
            return None
        job.webhooks_sent |= 1 << status
        family = FAMILIES[job.family]
        return job, webhook_event(job, status, family.webhook_type, self._host.base_url)

    async def run(self) -> None:
        """Deliver webhooks until cancelled."""
        host = self._host
        timeout = aiohttp.ClientTimeout(total=_SEND_TIMEOUT)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            anyio.create_task_group() as tg,
        ):
            while True:
                if not self._heap:
                    await self._wake.wait()
                    self._wake = anyio.Event()
                    continue
                delay = host.clock.to_real(self._heap[0][0] - host.clock.now())
                if delay > 0:
                    with anyio.move_on_after(delay):
                        await self._wake.wait()
                    if self._wake.is_set():
                        self._wake = anyio.Event()
                    continue
                _due, _seq, job_id, status = heapq.heappop(self._heap)
                found = self._due_event(job_id, status)
                if found is not None:
                    job, event = found
                    config = host.config
                    if self._rng.random() < config.webhook_drop:
                        host.stats.webhooks_dropped += 1
                    else:
                        copies = 2 if self._rng.random() < config.webhook_duplicates else 1
                        nonce = str(self._rng.randrange(10**9, 10**10))
                        url = job.webhook_url or ""
                        tg.start_soon(self._deliver, session, url, event, nonce, copies)
                # Many webhooks can fall due together: let the server answer in between.
                await anyio.lowlevel.checkpoint()

    async def _deliver(
        self,
        session: aiohttp.ClientSession,
        url: str,
        event: dict[str, Any],
        nonce: str,
        copies: int,
    ) -> None:
        host = self._host
        sealer = _load_sealer()
        if sealer is None:
            host.stats.webhooks_failed += copies
            return
        config = host.config
        try:
            body = sealer(
                event,
                client_id=config.client_id,
                client_secret=config.client_secret,
                timestamp_ms=int(host.clock.wall() * 1000),
                nonce=nonce,
            )
        except Exception as exc:  # a bad client_secret must not kill the dispatcher
            host.stats.webhooks_failed += copies
            logger.debug("webhook sealing failed", extra={"error": repr(exc)})
            return
        async with self._limiter:
            # A duplicate is a redelivery: the very same sealed body, nonce included.
            for _ in range(copies):
                host.stats.webhooks_sent += 1
                try:
                    async with session.post(url, json=body) as response:
                        await response.read()
                        if response.status >= 300:
                            host.stats.webhooks_failed += 1
                except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                    host.stats.webhooks_failed += 1
                    logger.debug(
                        "webhook delivery failed",
                        extra={"job_id": event.get("_id"), "error": repr(exc)},
                    )
