"""A tracked job's status polls reuse the URL its first poll prepared, and send the same bytes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

import aiohttp
import anyio
import pytest
from yarl import URL

from akool_async import FAMILIES, PollPolicy, ScaledClock
from akool_async.testing._topview import FakeTopView
from akool_async.topview import TopViewSession

from .helpers import MINIMAL_FIELDS, fake_server, fast_config, session_for

pytestmark = pytest.mark.anyio

POLICY = PollPolicy(fixed_interval=1.0, min_delay=1.0)


@asynccontextmanager
async def _recording() -> AsyncIterator[tuple[aiohttp.ClientSession, list[tuple[str, URL]]]]:
    """A caller's own aiohttp session that records every request's method and URL."""
    sent: list[tuple[str, URL]] = []

    async def on_start(_s: Any, _ctx: SimpleNamespace, params: Any) -> None:
        sent.append((params.method, params.url))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    async with aiohttp.ClientSession(trace_configs=[trace]) as http:
        yield http, sent


@pytest.mark.parametrize(
    ("family", "expected"),
    [
        # The id as a query parameter, quoted as aiohttp quotes ``params``.
        (
            "talking_photo",
            lambda base, i: URL(base + FAMILIES["talking_photo"].status.path).extend_query(
                {"video_model_id": i}
            ),
        ),
        # The id in the path.
        ("voice_clone", lambda base, i: URL(base + FAMILIES["voice_clone"].status.url_path(i))),
    ],
)
async def test_polls_of_a_tracked_job_reuse_one_url(family: str, expected: Any) -> None:
    """Every poll of a job goes to its own status URL, built once and dropped when it ends."""
    config = fast_config(queue_time=(20.0, 20.0), media_duration=(10.0, 10.0))
    async with fake_server(config) as fake, _recording() as (http, sent):
        async with session_for(fake, poll_policy=POLICY, http=http) as session:
            jobs = [(await session.create(family, MINIMAL_FIELDS[family]))[0] for _ in range(2)]
            with anyio.fail_after(10):  # (20 s queued: 5 polls come long before the end)
                while min(j.polls for j in jobs) < 3:
                    await session.scheduler.clock.sleep(0.5)
            targets = [j.poll_state.target for j in jobs]
            assert all(t is not None for t in targets)
            with anyio.fail_after(10):
                while min(j.polls for j in jobs) < 5:
                    await session.scheduler.clock.sleep(0.5)
            # The same prepared URL object, poll after poll.
            assert [j.poll_state.target for j in jobs] == targets
            assert all(
                a is b for a, b in zip([j.poll_state.target for j in jobs], targets, strict=True)
            )
            results = [await j for j in jobs]
        status_path = FAMILIES[family].status.url_path
        for job, result in zip(jobs, results, strict=True):
            assert result.id == job.id and job.poll_state.target is None
            polls = [u for m, u in sent if m == "GET" and job.id in str(u)]
            want = expected(fake.base_url, job.id)
            assert len(polls) == job.polls and set(polls) == {want}
            assert str(want).startswith(fake.base_url + status_path(job.id).split("{")[0])


async def test_an_untracked_read_prepares_its_own_url() -> None:
    """``session.status`` of a job nobody tracks sends the same URL and stores nothing."""
    async with fake_server(fast_config()) as fake, _recording() as (http, sent):
        async with session_for(fake, http=http) as session:
            (job,) = await session.create("talking_photo", MINIMAL_FIELDS["talking_photo"])
            job.stop()
            snap = await session.status(job.id, family="talking_photo")
        assert snap.id == job.id and job.poll_state.target is None
        path = FAMILIES["talking_photo"].status.path
        assert sent[-1] == (
            "GET",
            URL(fake.base_url + path).extend_query({"video_model_id": job.id}),
        )


async def test_topview_polls_reuse_one_url_per_query_path() -> None:
    """TopView's query polls reuse their URL too, with the account's extra parameters."""
    clock = ScaledClock(1000.0)
    config = fast_config(queue_time=(20.0, 20.0), media_duration=(3.0, 3.0))
    async with (
        FakeTopView(config, clock=clock, uid="test-uid") as fake,
        _recording() as (http, sent),
    ):
        session = TopViewSession(
            "test-api-key",
            "test-uid",
            base_url=fake.base_url,
            clock=clock,
            http=http,
            poll_policy=POLICY,
            cloudfront_urls=True,
        )
        async with session:
            job = await session.common.text2image(
                model="Nano Banana 2", aspect_ratio="1:1", prompt="a red chair"
            )
            first = None
            with anyio.fail_after(10):  # (20 s queued: 3 polls come long before the end)
                while job.polls < 3:
                    await clock.sleep(0.5)
                    first = first or job.poll_state.target
            assert job.poll_state.target is first and first is not None
            await job
        assert job.poll_state.target is None
        polls = [u for m, u in sent if m == "GET" and job.id in str(u)]
        assert len(polls) == job.polls and len(set(polls)) == 1
        assert polls[0].query.get("taskId") == job.id
        assert polls[0].query.get("needCloudFrontUrl") == "true"
