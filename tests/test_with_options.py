"""``session.with_options(...)``: other per-call defaults over the same transport and scheduler."""

from __future__ import annotations

import pytest

from akool_async import JobTimeout, RequestTimeout, RetryPolicy, SessionClosed
from akool_async.testing import FaultRates

from .helpers import IMG, MP3, fake_server, fast_config, pair, session_for

pytestmark = pytest.mark.anyio

FIELDS = {"talking_photo_url": IMG, "audio_url": MP3}


async def test_max_wait_applies_to_the_view_only() -> None:
    """Jobs created through ``with_options(max_wait=)`` get that deadline; the session's own
    jobs keep the default, and both are polled by the one scheduler."""
    async with pair(fast_config(queue_time=(1000.0, 1000.0))) as (_fake, session):
        quick = session.with_options(max_wait=2.0)
        (short,) = await quick.create("talking_photo", FIELDS)
        job = await quick.talking_photo.create(**FIELDS)
        (normal,) = await session.create("talking_photo", FIELDS)
        with pytest.raises(JobTimeout):
            await short
        with pytest.raises(JobTimeout):
            await job
        assert not normal.done() and quick.scheduler is session.scheduler
        assert quick.transport.http is session.transport.http


async def test_timeout_applies_to_the_view_only() -> None:
    """A short ``with_options(timeout=)`` times out on a slow answer; the session does not."""
    config = fast_config(faults=FaultRates(slow=1.0, slow_delay=0.3))
    async with fake_server(config) as fake:
        retry = RetryPolicy(base=0.001, cap=0.01, max_retries=0)
        async with session_for(fake, retry=retry) as session:
            with pytest.raises(RequestTimeout):
                await session.with_options(timeout=0.05).credit()
            assert (await session.credit()).credit > 0


async def test_view_follows_the_sessions_lifecycle() -> None:
    """A view made before the session opens works once it is open, and stops when it closes."""
    async with fake_server() as fake:
        session = session_for(fake)
        view = session.with_options(max_wait=30.0)
        async with session:
            (job,) = await view.create("talking_photo", FIELDS)
            fake.complete(job.id)
            assert (await job).id == job.id
        with pytest.raises(SessionClosed):
            await view.create("talking_photo", FIELDS)
