"""Webhooks end to end: the fake server seals callbacks, the session's receiver wakes jobs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import pytest
from aiohttp import web

from akool_async import ConfigurationError, JobResult, ScaledClock, Session
from akool_async.testing import FakeAkool, FakeConfig

from .helpers import API_KEY, CLIENT_ID, CLIENT_SECRET, IMG, MP3

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1 and yield its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    sockets = site._server.sockets  # type: ignore[union-attr]
    port = sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def config(**kw: float) -> FakeConfig:
    """Jobs of a few clock seconds, webhooks on."""
    return FakeConfig(
        seed=11,
        queue_time=(1.0, 3.0),
        media_duration=(2.0, 5.0),
        processing_factor=3.0,
        processing_jitter=0.1,
        **kw,  # type: ignore[arg-type]
    )


async def test_webhooks_resolve_jobs_with_one_confirming_poll_each() -> None:
    """With webhooks (some delivered twice) each job is polled once and resolves at once."""
    clock = ScaledClock(100)
    async with (
        FakeAkool(config(webhook_duplicates=0.5), clock=clock) as fake,
        Session(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            base_url=fake.base_url,
            clock=clock,
            webhook_backstop=100_000,
        ) as session,
        serve(session.webhook_app()) as receiver,
    ):
        url = f"{receiver}/akool/webhook"
        jobs = [
            await session.talking_photo.create(
                talking_photo_url=IMG, audio_url=MP3, webhook_url=url
            )
            for _ in range(20)
        ]
        with anyio.fail_after(10):
            results = await session.gather(jobs)
        assert all(isinstance(r, JobResult) for r in results)
        # One confirming poll per job, however often its callbacks arrived; detection delay is
        # measured by benchmarks/ (B7), not asserted here.
        assert all(fake.stats.polls[j.id] == 1 for j in jobs)
        assert fake.stats.webhooks_sent >= len(jobs)


async def test_webhook_jobs_fall_back_to_polling_when_callbacks_are_dropped() -> None:
    """Every webhook dropped: the slow backstop poll still resolves each job."""
    clock = ScaledClock(1000)
    async with (
        FakeAkool(config(webhook_drop=1.0), clock=clock) as fake,
        Session(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            base_url=fake.base_url,
            clock=clock,
            webhook_backstop=30,
        ) as session,
        serve(session.webhook_app()) as receiver,
    ):
        url = f"{receiver}/akool/webhook"
        jobs = [
            await session.talking_photo.create(
                talking_photo_url=IMG, audio_url=MP3, webhook_url=url
            )
            for _ in range(5)
        ]
        with anyio.fail_after(10):
            results = await session.gather(jobs)
        assert all(isinstance(r, JobResult) for r in results)
        assert fake.stats.webhooks_sent == 0


async def test_session_default_webhook_url_marks_jobs_as_webhook_jobs() -> None:
    """Session(webhook_url=...) sends the URL with every create and polls only as a backstop."""
    clock = ScaledClock(1000)
    async with (
        FakeAkool(config(webhook_drop=1.0), clock=clock) as fake,
        Session(
            api_key=API_KEY,
            base_url=fake.base_url,
            clock=clock,
            webhook_url="https://hooks.example/akool",
            webhook_backstop=60,
        ) as session,
    ):
        job = await session.talking_photo.create(talking_photo_url=IMG, audio_url=MP3)
        assert job.webhook
        assert fake.stats.create_bodies[-1]["webhookUrl"] == "https://hooks.example/akool"
        with anyio.fail_after(10):
            await job
        # Polled on the backstop only: a handful of requests for a ~20 s job.
        assert fake.stats.polls[job.id] <= 2


async def test_api_key_session_needs_client_credentials_for_webhooks() -> None:
    """An API-key session cannot guess webhook keys: asking without them is a clear error."""
    async with FakeAkool(config()) as fake:
        session = Session(api_key=API_KEY, base_url=fake.base_url)
        with pytest.raises(ConfigurationError, match="client_id"):
            session.webhook_app()
        verifier = session.webhook_verifier(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        assert CLIENT_SECRET not in repr(verifier)
