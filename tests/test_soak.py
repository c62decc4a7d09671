"""Fault soak: thousands of jobs against a fake Akool with every fault on at once.

Each job's create body is unique (its index is in the URLs), so every job the fake server created
can be traced back to exactly one create call of the test, and a create sent twice shows up as a
duplicate body in ``fake.stats``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import pytest

from akool_async import (
    CreationUnknown,
    Job,
    JobFailed,
    JobResult,
    RateLimited,
    RetryPolicy,
    ScaledClock,
    Session,
    Throttled,
    TransportError,
)
from akool_async.testing import FakeAkool, FakeConfig, FaultRates

from .helpers import API_KEY, MINIMAL_FIELDS

pytestmark = pytest.mark.anyio

N_JOBS = 2000
#: Create calls in flight at once.
CREATE_CONCURRENCY = 48
#: Real seconds the whole soak may take before it counts as hung.
SOAK_DEADLINE = 60.0
SPEED = 1000.0
#: Every fault the fake knows, each on (at least) 5 % of the requests it applies to.
RATE = 0.05
_INDEX = re.compile(r"/soak/[a-z]+-(\d+)\.")


def _soak_config() -> FakeConfig:
    return FakeConfig(
        queue_time=(0.5, 2.0),
        media_duration=(1.0, 3.0),
        processing_factor=2.0,
        processing_jitter=0.2,
        failure_ratio=0.05,
        seed=20240607,
        result_size=64,
        faults=FaultRates(
            http_502=RATE,
            http_429=RATE,
            code_1005=RATE,
            truncated_json=RATE,
            slow=RATE,
            reset=RATE,
            lost_create=RATE,
            retry_after=1,
            # Longer than the session's request timeout: a slow answer is a timeout.
            slow_delay=0.4,
        ),
    )


def _fields(i: int) -> tuple[str, dict[str, Any]]:
    """Job ``i``'s family and unique fields: single-id, batch GET and batch POST polling, and
    a translation into two languages (one create, two jobs)."""
    base = "https://cdn.example.com/soak"
    if i % 4 == 0:
        return "talking_photo", {
            "talking_photo_url": f"{base}/photo-{i}.jpg",
            "audio_url": f"{base}/voice-{i}.mp3",
        }
    if i % 4 == 1:
        return "faceswap_v4", {
            "source_image": [f"{base}/src-{i}.jpg"],
            "target_image": [f"{base}/dst-{i}.jpg"],
        }
    if i % 4 == 2:
        return "image2video", {
            **MINIMAL_FIELDS["image2video"],
            "image_url": f"{base}/still-{i}.jpg",
        }
    return "video_translation", {"url": f"{base}/clip-{i}.mp4", "language": "ja,fr"}


def _index_of(body: dict[str, Any]) -> int:
    """The job index a create body (as the server saw it) was made from."""
    found = set(_INDEX.findall(json.dumps(body)))
    assert len(found) == 1, body
    return int(found.pop())


@contextmanager
def loop_errors() -> Iterator[list[dict[str, Any]]]:
    """Record what reaches the event loop's exception handler (an exception no task handled,
    a task destroyed while pending ...), passing it on to the previous handler too."""
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    seen: list[dict[str, Any]] = []

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        seen.append(context)
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
    try:
        yield seen
    finally:
        loop.set_exception_handler(previous)


async def test_fault_soak_no_duplicate_no_lost_job(caplog: pytest.LogCaptureFixture) -> None:
    """2,000 jobs, all faults at 5 %: no duplicate create, no lost job, all end in time."""
    caplog.set_level(logging.WARNING)
    clock = ScaledClock(SPEED)
    known: dict[int, list[Job]] = {}
    unknown: dict[int, CreationUnknown] = {}
    refused: dict[int, Exception] = {}
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught, loop_errors() as unhandled:
        warnings.simplefilter("always")
        async with FakeAkool(_soak_config(), clock=clock) as fake:
            async with Session(
                api_key=API_KEY,
                base_url=fake.base_url,
                clock=clock,
                rate=None,
                timeout=0.25,
                max_connections=96,
                max_inflight_polls=32,
                retry=RetryPolicy(base=0.01, cap=0.5),
                max_wait=None,
                seed=11,
            ) as session:
                limiter = anyio.CapacityLimiter(CREATE_CONCURRENCY)

                async def create(i: int) -> None:
                    family, fields = _fields(i)
                    async with limiter:
                        try:
                            known[i] = await session.create(family, fields)
                        except CreationUnknown as exc:
                            unknown[i] = exc
                        except (Throttled, RateLimited) as exc:
                            refused[i] = exc  # refused after every retry: nothing created
                        except TransportError as exc:
                            if exc.sent:
                                raise
                            refused[i] = exc  # never reached the server, after every retry

                with anyio.fail_after(SOAK_DEADLINE):
                    async with anyio.create_task_group() as tg:
                        for i in range(N_JOBS):
                            tg.start_soon(create, i)
                    jobs = [job for i in sorted(known) for job in known[i]]
                    outcomes = await session.gather(jobs, return_exceptions=True)
                created_s = time.perf_counter() - started
                stats = session.scheduler.stats
            # Creates whose client gave up (timeout) may still be running in the server.
            await anyio.sleep(0.5)
            server_jobs = dict(fake.jobs)
            fstats = fake.stats
    elapsed = time.perf_counter() - started
    print(
        f"soak: {N_JOBS} creates, {len(known)} known, {len(unknown)} unknown, "
        f"{len(refused)} refused; {created_s:.1f}s to resolve, {elapsed:.1f}s total; "
        f"faults {dict(fstats.faults_injected)}; scheduler {stats.as_dict()}"
    )

    # Every create call has exactly one outcome.
    assert len(known) + len(unknown) + len(refused) == N_JOBS
    assert not set(known) & set(unknown)
    # Every fault kind actually happened, many times (how many depends on how few status
    # requests the scheduler needs, so the floor is well below 5 % of today's request count).
    for kind in ("http_502", "http_429", "code_1005", "truncated_json", "slow", "reset"):
        assert fstats.faults_injected[kind] >= 25, kind
    assert fstats.faults_injected["lost_create"] >= 20
    assert unknown, "lost answers must surface as CreationUnknown"

    # Zero duplicate creates; every server-side create is a known or an unknown call.
    assert fstats.duplicate_creates() == 0
    created_idx = Counter(_index_of(body) for body in fstats.create_bodies)
    assert set(created_idx.values()) <= {1}
    assert set(known) <= set(created_idx)
    assert set(created_idx) <= set(known) | set(unknown)
    assert not set(created_idx) & set(refused)
    assert fstats.creates == len(known) + len(set(created_idx) & set(unknown))

    # Zero lost jobs: each server job is either tracked by the SDK or from an unknown create.
    sdk_ids = {job.id: i for i, js in known.items() for job in js}
    for job_id, fj in server_jobs.items():
        i = _index_of(fj.params)
        if job_id in sdk_ids:
            assert sdk_ids[job_id] == i
        else:
            assert i in unknown, f"server job {job_id} (row {i}) is lost"
    assert set(sdk_ids) <= set(server_jobs)

    # Every known job ended terminal, and as the server says it ended.
    assert len(outcomes) == len(sdk_ids)
    now = fake.clock.now()
    kinds = Counter(type(o).__name__ for o in outcomes)
    for job, outcome in zip(jobs, outcomes, strict=True):
        assert job.done()
        truth = server_jobs[job.id].status(now)
        if isinstance(outcome, JobResult):
            assert truth == 3 and outcome.url.endswith(server_jobs[job.id].file_name)
        else:
            assert isinstance(outcome, JobFailed), repr(outcome)
            assert truth == 4
    assert kinds["JobResult"] > kinds["JobFailed"] > 0

    # Nothing blew up on the side: no loop errors, warnings, or error logs.
    assert unhandled == []
    assert [str(w.message) for w in caught] == []
    sdk_errors = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.ERROR and r.name.startswith("akool_async")
    ]
    assert sdk_errors == []
    assert elapsed < SOAK_DEADLINE
