"""The fake's account plan (a concurrency cap with a FIFO queue) and duration spreads, over HTTP."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from akool_async.testing import FakeAkool, FakeConfig
from akool_async.testing._jobs import Lifecycle, max_running

from .virtual_clock import VirtualClock

KEY = "test-api-key"
TALKING_PHOTO = "/api/open/v3/content/video/createbytalkingphoto"
VIDEO_INFO = "/api/open/v3/content/video/infobymodelid"
BODY: dict[str, Any] = {
    "talking_photo_url": "https://cdn.example.com/face.jpg",
    "audio_url": "https://cdn.example.com/voice.mp3",
}
pytestmark = pytest.mark.anyio

CAP = 4
JOBS = 24


@pytest.fixture
async def planned() -> AsyncIterator[tuple[FakeAkool, VirtualClock, aiohttp.ClientSession]]:
    """A fake whose account runs CAP jobs at a time, on a clock the test moves by hand."""
    clock = VirtualClock()
    config = FakeConfig(
        seed=3, queue_time=(1.0, 3.0), processing_time=(2.0, 6.0), concurrency_cap=CAP
    )
    async with (
        FakeAkool(config, clock=clock) as fake,
        aiohttp.ClientSession(fake.base_url, headers={"x-api-key": KEY}) as http,
    ):
        yield fake, clock, http


async def _create(http: aiohttp.ClientSession) -> str:
    async with http.post(TALKING_PHOTO, json=BODY) as response:
        body = await response.json()
    assert body["code"] == 1000
    job_id: str = body["data"]["_id"]
    return job_id


async def _status(http: aiohttp.ClientSession, job_id: str) -> int:
    async with http.get(VIDEO_INFO, params={"video_model_id": job_id}) as response:
        body = await response.json()
    status: int = body["data"]["video_status"]
    return status


async def test_cap_is_never_exceeded_and_slots_go_in_creation_order(
    planned: tuple[FakeAkool, VirtualClock, aiohttp.ClientSession],
) -> None:
    """Polled over HTTP, at most CAP jobs are ever processing and the jobs that left the queue
    are always the earliest created; the fake's own count agrees and reaches the cap."""
    fake, clock, http = planned
    ids = [await _create(http) for _ in range(JOBS)]
    end = max(job.proc_end for job in fake.jobs.values())
    t = clock.t
    while t <= end + 0.5:
        clock.t = t
        statuses = [await _status(http, job_id) for job_id in ids]
        assert statuses.count(2) <= CAP
        left = [s != 1 for s in statuses]
        assert left == sorted(left, reverse=True)  # a prefix of creation order
        t += 0.5
    assert statuses == [3] * JOBS
    assert max_running(fake.jobs.values()) == CAP


async def test_processing_spread_is_drawn_from_its_range(
    planned: tuple[FakeAkool, VirtualClock, aiohttp.ClientSession],
) -> None:
    """With ``processing_time`` set, each job processes for a time inside that range."""
    fake, _clock, http = planned
    fake.config.concurrency_cap = None
    for _ in range(40):
        await _create(http)
    spans = [job.proc_end - job.queue_end for job in fake.jobs.values()]
    waits = [job.queue_end - job.created_at for job in fake.jobs.values()]
    assert all(2.0 <= s <= 6.0 for s in spans) and all(1.0 <= w <= 3.0 for w in waits)
    assert max(spans) - min(spans) > 2.0  # spread, not a constant


def test_lognormal_spread_keeps_nine_in_ten_inside_the_range() -> None:
    """Log-normal draws put about 90 % of processing times inside the configured range."""
    config = FakeConfig(
        queue_time=(1.0, 1.0), processing_time=(10.0, 30.0), duration_distribution="lognormal"
    )
    life = Lifecycle(random.Random(5))
    spans = [(t := life.draw(config, 0.0)).proc_end - t.queue_end for _ in range(4000)]
    inside = sum(10.0 <= s <= 30.0 for s in spans) / len(spans)
    assert 0.86 <= inside <= 0.94


@settings(max_examples=60, deadline=None)
@given(
    cap=st.integers(1, 6),
    gaps=st.lists(st.floats(0.0, 3.0), min_size=1, max_size=40),
    seed=st.integers(0, 10_000),
)
def test_plan_keeps_the_cap_and_fifo(cap: int, gaps: list[float], seed: int) -> None:
    """For any creation times, slots start in creation order and never more than cap run."""
    config = FakeConfig(queue_time=(0.0, 2.0), processing_time=(0.5, 5.0), concurrency_cap=cap)
    life = Lifecycle(random.Random(seed))
    now, starts = 0.0, []
    timings = []
    for gap in gaps:
        now += gap
        timing = life.draw(config, now)
        assert timing.queue_end >= now
        starts.append(timing.queue_end)
        timings.append(timing)
    assert starts == sorted(starts)

    class _J:
        def __init__(self, q: float, p: float) -> None:
            self.queue_end, self.proc_end = q, p

    assert max_running([_J(t.queue_end, t.proc_end) for t in timings]) <= cap  # type: ignore[misc]


def test_credit_lasts_past_ten_thousand_jobs() -> None:
    """The default credit pays for far more than 10,000 jobs."""
    assert FakeConfig().credit >= 1e8
