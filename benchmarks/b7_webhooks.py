"""B7 webhooks: jobs created with a webhook URL; the receiver's notify wakes the scheduler.

A ``webhook_app`` receiver (verifier on the session's clock, default tolerance) listens on
127.0.0.1 in this process; the session is created with ``webhook_url`` pointing at it, so every
create carries ``webhookUrl`` and the scheduler polls those jobs only as a slow backstop (every
90-120 clock s by default). The fake server (separate process) seals and POSTs a webhook when a
job starts processing (status 2) and when it ends (status 3). Two receivers:

* ``notify on every event``: ``notify(event) -> session.notify(event.id, event.raw)`` (what
  ``Session.webhook_app()`` does); a final event triggers one confirming status poll, a
  non-final one none;
* ``notify on final events``: the same, but only for status 3/4 events.

Reported: status requests per job (server count), split into confirming polls (one per
``notify``) and the rest (backstop polls, 1008 grace retries); detection delay (client learned
the end - job ended on the server, clock seconds); webhooks sent / failed.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from akool_async import Job, ScaledClock, Session
from akool_async._webhook_receivers import webhook_app
from akool_async._webhooks import WebhookEvent, WebhookVerifier

from ._common import (
    AUDIO,
    IMAGE,
    SHORT_JOBS,
    VIDEO_INFO,
    BenchResult,
    FakeProcess,
    Level,
    md_table,
    percentiles,
    session_for,
)

NAME = "b7"
TITLE = "B7 webhooks: detection delay and status requests per job"
FIELDS = {"talking_photo_url": IMAGE, "audio_url": AUDIO}
CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret-0123456789abc"
STATUS_KEY = f"GET {VIDEO_INFO}"


@dataclass(frozen=True)
class Params:
    jobs: int
    speed: float = 50.0
    server_args: tuple[str, ...] = ()


PARAMS: dict[Level, Params] = {
    "smoke": Params(jobs=10, server_args=SHORT_JOBS),
    "quick": Params(jobs=100),
    "full": Params(jobs=300),
}


async def _variant(p: Params, final_only: bool) -> dict[str, Any]:
    learned: dict[str, float] = {}
    holder: list[Session] = []
    events = {"received": 0, "notified": 0}

    def notify(event: WebhookEvent) -> None:
        events["received"] += 1
        if final_only and event.status not in (3, 4):
            return
        events["notified"] += 1
        # What Session.webhook_app() does: the verified payload goes along, so non-final
        # events (status 1/2) need no confirming poll.
        holder[0].notify(event.id, event.raw)

    async with FakeProcess(speed=p.speed, seed=7, args=p.server_args) as fake:
        clock = ScaledClock(p.speed)
        verifier = WebhookVerifier(CLIENT_ID, CLIENT_SECRET, clock=clock)
        runner = web.AppRunner(webhook_app(verifier, notify), access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            url = f"http://127.0.0.1:{port}/akool/webhook"
            async with session_for(fake, clock=clock, seed=1, webhook_url=url) as session:
                holder.append(session)
                jobs: list[Job] = []
                sem = asyncio.Semaphore(16)

                def on_done(job: Job) -> None:
                    learned[job.id] = time.monotonic()

                async def one() -> None:
                    async with sem:
                        created = await session.create("talking_photo", FIELDS)
                    for job in created:
                        job.add_done_callback(on_done)
                        jobs.append(job)

                await asyncio.gather(*(one() for _ in range(p.jobs)))
                results = await session.gather(jobs, return_exceptions=True)
                failed = sum(isinstance(r, BaseException) for r in results)
                sched = session.scheduler.stats.as_dict()
            # Let deliveries still in flight finish before reading the counters.
            await asyncio.sleep(0.2)
            stats = await fake.stats()
            truth = await fake.jobs(j.id for j in jobs)
        finally:
            await runner.cleanup()
    delays = [(learned[i] - t["done_mono"]) * p.speed for i, t in truth.items() if i in learned]
    durations = [t["done"] - t["created"] for t in truth.values()]
    requests = int(stats["requests"].get(STATUS_KEY, 0))
    return {
        "label": "notify on final events" if final_only else "notify on every event",
        "jobs": len(jobs),
        "failed": failed,
        "status_requests": requests,
        "requests_per_job": requests / max(1, len(jobs)),
        "delay": percentiles(delays),
        "duration": percentiles(durations),
        "share_longer_than_90s": sum(d > 90.0 for d in durations) / max(1, len(durations)),
        "webhooks_sent": stats["webhooks_sent"],
        "webhooks_failed": stats["webhooks_failed"],
        "webhooks_received": events["received"],
        "notified": events["notified"],
        "scheduler": sched,
    }


async def run(level: Level) -> BenchResult:
    p = PARAMS[level]
    variants = [await _variant(p, final_only) for final_only in (False, True)]
    rows = [
        [
            v["label"],
            v["requests_per_job"],
            v["notified"] / max(1, v["jobs"]),
            v["requests_per_job"] - v["notified"] / max(1, v["jobs"]),
            v["delay"]["p50"],
            v["delay"]["p95"],
            v["delay"]["p99"],
            v["delay"]["max"],
            f"{v['webhooks_sent']} / {v['webhooks_failed']}",
            v["failed"],
        ]
        for v in variants
    ]
    table = md_table(
        [
            "receiver",
            "status requests/job",
            "confirming polls/job",
            "other polls/job (backstop)",
            "delay p50 (s)",
            "p95 (s)",
            "p99 (s)",
            "max (s)",
            "webhooks sent / failed",
            "failed jobs",
        ],
        rows,
    )
    d = variants[0]["duration"]
    md = (
        f"{p.jobs} jobs per receiver, durations p50 {d['p50']:.0f} s / max {d['max']:.0f} s "
        f"(clock), clock speed {p.speed:g}x, default webhook backstop.\n\n{table}\n"
    )
    data = {"params": p.__dict__, "variants": variants}
    every, final = variants
    if every["requests_per_job"] > 1.2:
        confirm = every["notified"] / max(1, every["jobs"])
        other = final["requests_per_job"] - final["notified"] / max(1, final["jobs"])
        md += (
            "\n**Why ~1 request per job is missed, and what would close it.** Every notify "
            f"triggers one confirming poll ({confirm:.2f} per job: the fake sends a webhook "
            "when a job starts processing and when it ends, and the receiver passes both on). "
            f"The remaining {other:.2f} per job are backstop polls: the first comes 90-120 "
            f"clock s after creation and {every['share_longer_than_90s'] * 100:.0f} % of these "
            "jobs run longer than 90 s. To close it: confirm only final events (status 3/4), "
            "or let `notify(job_id, payload)` use a verified payload's non-final status "
            "without polling (it receives the payload and ignores it today): the final-only "
            f"receiver here needs {final['requests_per_job']:.2f} requests per job. Then time "
            "the backstop from the learned duration (e.g. no earlier than mu + 3 sigma, or "
            "twice the expected duration) so a job whose webhook arrives is never polled "
            "before it.\n"
        )
    if every["delay"]["p99"] > 2 * final["delay"]["p99"] + 0.5:
        md += (
            f"\nThe every-event receiver's tail (p99 {every['delay']['p99']:.2f} s against "
            f"{final['delay']['p99']:.2f} s) is its extra confirming polls queueing behind the "
            "session's 20 requests/s budget while hundreds of jobs start together (a check with "
            "`rate=None`, not part of this run, had no such tail): confirming only final events "
            "also removes it.\n"
        )
    result = BenchResult(NAME, TITLE, data, md)
    result.target(
        "detection delay near zero (p95 < 1 clock s)",
        every["delay"]["p95"] < 1.0,
        f"p95 {every['delay']['p95']:.2f} s (final-only receiver {final['delay']['p95']:.2f} s)",
    )
    result.target(
        "at most ~1 status request per job",
        every["requests_per_job"] <= 1.2,
        f"{every['requests_per_job']:.2f} notifying every event; "
        f"{final['requests_per_job']:.2f} notifying final events only",
    )
    return result
