"""A hypothesis state machine drives one session over loopback the ways an app would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, asynccontextmanager, suppress
from typing import Any

import anyio
import anyio.lowlevel
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from akool_async import (
    AkoolError,
    EventsLagged,
    EventStream,
    Job,
    JobFailed,
    JobStopped,
    JobTimeout,
    ScaledClock,
    Session,
    SessionClosed,
)
from akool_async.testing import FakeAkool

from .helpers import MINIMAL_FIELDS, fake_server, fast_config, session_for

#: Clock seconds per real second: slow enough that a loopback round trip is a fraction of one.
SPEED = 100.0
#: How late (clock seconds) a deadline may fire: a couple of round trips under load.
SLACK = 8.0
ENDINGS = (JobFailed, JobTimeout, JobStopped)


@asynccontextmanager
async def _open() -> AsyncIterator[tuple[FakeAkool, Session, int]]:
    config = fast_config(queue_time=(0.5, 3.0), media_duration=(0.5, 1.0), failure_ratio=0.2)
    async with fake_server(config, clock=ScaledClock(speed=SPEED)) as fake:
        baseline = len(asyncio.all_tasks())
        session = session_for(fake)
        async with session:
            yield fake, session, baseline
        # After aclose: nothing the session started is left running.
        await anyio.lowlevel.checkpoint()
        assert len(asyncio.all_tasks()) <= baseline, asyncio.all_tasks()


class SessionMachine(RuleBasedStateMachine):
    """Random interleavings of create, await, gather, as_completed, events, stop, aclose."""

    jobs = Bundle("jobs")

    def __init__(self) -> None:
        super().__init__()
        self.portal_cm: AbstractContextManager[BlockingPortal] | None = None
        self.session_cm: AbstractContextManager[Any] | None = None
        self.created: list[Job] = []
        self.streams: list[tuple[EventStream, str]] = []
        self.closed = False

    @initialize()
    def open_session(self) -> None:
        self.portal_cm = start_blocking_portal(backend_options={"debug": True})
        self.portal = self.portal_cm.__enter__()
        self.session_cm = self.portal.wrap_async_context_manager(_open())
        self.fake, self.session, _ = self.session_cm.__enter__()

    def _call(self, fn: Any, *args: Any) -> Any:
        return self.portal.call(fn, *args)

    # -- rules -----------------------------------------------------------------------------

    @rule(target=jobs, max_wait=st.sampled_from([None, 1.0, 4.0, 60.0]))
    def create(self, max_wait: float | None) -> Any:
        async def go() -> list[Job]:
            return await self.session.create("tts", MINIMAL_FIELDS["tts"], max_wait=max_wait)

        if self.closed:
            try:
                self._call(go)
            except SessionClosed:
                return None
            raise AssertionError("a closed session created a job")
        (job,) = self._call(go)
        self.created.append(job)
        return job

    @rule(job=jobs)
    def await_job(self, job: Job | None) -> None:
        if job is None:
            return

        async def go() -> None:
            with anyio.fail_after(60):
                with suppress(*ENDINGS):
                    assert (await job).url

        self._call(go)

    @rule(picked=st.lists(jobs, max_size=4), return_exceptions=st.booleans())
    def gather(self, picked: list[Job | None], return_exceptions: bool) -> None:
        live = [j for j in picked if j is not None]

        async def go() -> None:
            with anyio.fail_after(60):
                if return_exceptions:
                    out = await self.session.gather(live, return_exceptions=True)
                    assert all(
                        not isinstance(r, BaseException) or isinstance(r, ENDINGS) for r in out
                    )
                else:
                    with suppress(*ENDINGS):
                        await self.session.gather(live)

        self._call(go)

    @rule(picked=st.lists(jobs, min_size=1, max_size=4), take=st.integers(0, 2))
    def as_completed_early(self, picked: list[Job | None], take: int) -> None:
        live = [j for j in picked if j is not None]

        async def go() -> None:
            with anyio.fail_after(60):
                n = 0
                async for job in self.session.as_completed(live):
                    assert job.done()
                    n += 1
                    if n >= take:
                        break

        self._call(go)

    @rule(job=jobs)
    def cancel_a_wait(self, job: Job | None) -> None:
        if job is None:
            return

        async def go() -> None:
            with anyio.move_on_after(0.002):
                await job.wait()

        with suppress(*ENDINGS):
            self._call(go)

    @rule(kind=st.sampled_from(["read", "lag", "never"]))
    def subscribe(self, kind: str) -> None:
        if self.closed:
            return
        stream = self.session.events(max_buffer=2 if kind != "read" else 1000)
        self.streams.append((stream, kind))

    @rule()
    def read_streams(self) -> None:
        async def go() -> None:
            for stream, kind in self.streams:
                if kind == "never":
                    continue
                with anyio.move_on_after(0.001):
                    try:
                        await stream.receive()
                    except EventsLagged as lagged:
                        assert lagged.missed >= 1 and kind == "lag"
                    except anyio.EndOfStream:
                        pass

        self._call(go)

    @rule(job=jobs)
    def stop(self, job: Job | None) -> None:
        if job is not None:
            job.stop()
            assert job.done()

    @precondition(lambda self: not self.closed)
    @rule()
    def aclose(self) -> None:
        self._call(self.session.aclose)
        self.closed = True
        assert all(j.done() for j in self.created)

    # -- invariants ------------------------------------------------------------------------

    @invariant()
    def scheduler_alive_while_open(self) -> None:
        if hasattr(self, "session") and not self.closed:
            assert not self.session._stopped.is_set()

    @invariant()
    def deadlines_fire_on_time(self) -> None:
        if not hasattr(self, "session"):
            return
        now = self.session.clock.now()
        for job in self.created:
            if job.deadline is not None and not job.done():
                assert now <= job.deadline + SLACK, (job, now - job.deadline)

    @invariant()
    def every_created_job_is_reachable(self) -> None:
        if not hasattr(self, "session"):
            return
        tracked = self.session.scheduler.jobs
        for job in self.created:
            assert job.done() or tracked.get(job.id) is job
            if job.done() and job.exception() is not None:
                assert isinstance(job.exception(), (*ENDINGS, AkoolError))

    def teardown(self) -> None:
        try:
            if self.session_cm is not None:
                self.session_cm.__exit__(None, None, None)
                http = self.session.transport._http
                assert http is None or http.closed
        finally:
            if self.portal_cm is not None:
                self.portal_cm.__exit__(None, None, None)


SessionMachine.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestSessionMachine = SessionMachine.TestCase
TestSessionMachine.__doc__ = "The session never dies, misses no deadline and loses no job."
