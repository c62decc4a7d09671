"""Running one documented create on the doc server: the job and its result."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from akool_async import Job, JobResult, ScaledClock, Session

from .docserver import DocServer, Endpoint, doc_server, session_on


async def run_one(
    endpoints: list[Endpoint], create: Callable[[Session], Awaitable[Job]]
) -> tuple[DocServer, Job, JobResult]:
    """Create one job on a doc server serving ``endpoints`` and wait for its result."""
    async with (
        doc_server(endpoints) as server,
        session_on(server, clock=ScaledClock(speed=1000.0)) as session,
    ):
        job = await create(session)
        result = await job
    return server, job, result
