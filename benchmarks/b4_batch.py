"""B4 batch status: face-swap jobs polled through ``listbyids`` vs one request per id.

Face swap answers status for many ids at once (``GET .../faceswap/result/listbyids?_ids=a,b``,
up to 100 ids a request). Two scenarios, each run twice: with batching (the default) and with
the scheduler's ``max_batch`` set to 1, which is exactly what a per-id poller sends.

* ``rounds``: N jobs that stay queued, polled in lock-step by a fixed-interval policy with no
  jitter: every round asks about all N ids. Requests per round, and how many ids each request
  carried (the scheduler's fetch is wrapped to record it: instrumentation only).
* ``realistic``: N jobs created through the session with the default poll policy and the fake
  server's duration mix, run to completion. The policy's jitter spreads due times; the
  scheduler holds a batch endpoint's due jobs for up to ``batch_window`` (1 clock s) after the
  first falls due so that those falling due meanwhile share its request, and fills a request
  with room left with jobs due within a share (``pull_forward``) of their wait: status
  requests per job, ids per request. Run a third time with ``pull_forward`` 0 (the private
  ``scheduler._gathering``: instrumentation only) to show what pulling forward adds.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from akool_async import Job

from ._common import (
    IMAGE,
    SHORT_JOBS,
    BenchResult,
    FakeProcess,
    Level,
    create_raw,
    fixed_policy,
    fmt,
    md_table,
    session_for,
    wait_until,
)

NAME = "b4"
TITLE = "B4 batch status: listbyids vs one request per id"
STATUS_KEY = "GET /api/open/v3/faceswap/result/listbyids"
FIELDS = {"source_image": [IMAGE], "target_image": [IMAGE], "modify_url": IMAGE}


@dataclass(frozen=True)
class Params:
    round_jobs: int
    rounds: int
    real_jobs: int
    speed: float = 50.0
    server_args: tuple[str, ...] = ()


PARAMS: dict[Level, Params] = {
    "smoke": Params(round_jobs=120, rounds=2, real_jobs=20, server_args=SHORT_JOBS),
    "quick": Params(round_jobs=500, rounds=4, real_jobs=200),
    "full": Params(round_jobs=1000, rounds=5, real_jobs=500),
}


async def _rounds(p: Params, batch: bool) -> dict[str, Any]:
    interval = 10.0
    n = p.round_jobs
    async with FakeProcess(speed=p.speed, seed=3, args=["--queue-time", "1e9", "1e9"]) as fake:
        async with aiohttp.ClientSession() as http:
            created = await create_raw(http, fake.base_url, n, family="faceswap_image")
        async with session_for(
            fake, rate=None, seed=1, poll_policy=fixed_policy(interval)
        ) as session:
            sched = session.scheduler
            if not batch:
                sched.max_batch = 1
            stats = sched.stats
            sizes: list[int] = []
            counting = [False]
            fetch = sched._fetch

            async def recording(endpoint: Any, fam: Any, ids: Sequence[str]) -> Any:
                if counting[0]:
                    sizes.append(len(ids))
                return await fetch(endpoint, fam, ids)

            sched._fetch = recording  # instrumentation: ids per request
            for job_id, _ in created:
                session.track(job_id, family="faceswap_image", max_wait=None)
            # The first round is the warm-up; then whole rounds are counted.
            await wait_until(lambda: stats.polls >= n)
            counting[0] = True
            polls0, requests0 = stats.polls, stats.requests
            await wait_until(lambda: stats.polls >= polls0 + n * p.rounds)
            polls1, requests1 = stats.polls, stats.requests
            counting[0] = False
    rounds = (polls1 - polls0) / n
    full = sum(k >= sched.max_batch for k in sizes)
    partial = Counter(k for k in sizes if k < sched.max_batch).most_common()
    return {
        "batch": batch,
        "jobs": n,
        "rounds": rounds,
        "requests": requests1 - requests0,
        "requests_per_round": (requests1 - requests0) / rounds,
        "ids_per_request": (polls1 - polls0) / max(1, requests1 - requests0),
        "max_batch": sched.max_batch,
        "full_requests_per_round": full / rounds,
        "partial_requests_per_round": (len(sizes) - full) / rounds,
        # The commonest partial sizes: (ids, how many requests carried that many).
        "partial_sizes": partial[:6],
    }


async def _realistic(p: Params, batch: bool, *, pull: bool = True) -> dict[str, Any]:
    async with (
        FakeProcess(speed=p.speed, seed=4, args=p.server_args) as fake,
        # No rate budget: with it the per-id run would be slowed (and so poll less), which
        # would hide what batching itself saves.
        session_for(fake, seed=1, rate=None) as session,
    ):
        if not batch:
            session.scheduler.max_batch = 1
        if not pull:
            session.scheduler._gathering.pull_forward = 0.0
        jobs: list[Job] = []
        sem = asyncio.Semaphore(16)

        async def one() -> None:
            async with sem:
                jobs.extend(await session.create("faceswap_image", FIELDS))

        await asyncio.gather(*(one() for _ in range(p.real_jobs)))
        results = await session.gather(jobs, return_exceptions=True)
        failed = sum(isinstance(r, BaseException) for r in results)
        server = await fake.stats()
        truth = await fake.jobs(j.id for j in jobs)
        learned = session.scheduler.expected_duration("faceswap_image")
    requests = int(server["requests"].get(STATUS_KEY, 0))
    ids = int(server["polls"])
    return {
        "batch": batch,
        "pull_forward": pull,
        "jobs": len(jobs),
        "failed": failed,
        "status_requests": requests,
        "ids_polled": ids,
        "requests_per_job": requests / max(1, len(jobs)),
        "ids_per_request": ids / max(1, requests),
        "polls_per_job": ids / max(1, len(jobs)),
        "true_mean_duration": sum(t["done"] - t["created"] for t in truth.values())
        / max(1, len(truth)),
        "learned_duration": learned,
    }


async def run(level: Level) -> BenchResult:
    p = PARAMS[level]
    rounds = [await _rounds(p, batch) for batch in (True, False)]
    realistic = [await _realistic(p, batch) for batch in (True, False)]
    realistic.append(await _realistic(p, True, pull=False))
    data = {"params": p.__dict__, "rounds": rounds, "realistic": realistic}
    rb, rs = rounds
    ab, as_, an = realistic
    rounds_table = md_table(
        ["poller", "jobs", "requests per round", "ids per request"],
        [
            ["listbyids (batched)", rb["jobs"], rb["requests_per_round"], rb["ids_per_request"]],
            ["one id per request", rs["jobs"], rs["requests_per_round"], rs["ids_per_request"]],
        ],
    )
    real_table = md_table(
        [
            "poller",
            "jobs",
            "status requests",
            "requests/job",
            "ids asked/job",
            "ids per request",
            "failed",
        ],
        [
            [
                label,
                r["jobs"],
                r["status_requests"],
                r["requests_per_job"],
                r["polls_per_job"],
                r["ids_per_request"],
                r["failed"],
            ]
            for label, r in (
                ("listbyids (batched)", ab),
                ("one id per request", as_),
                ("listbyids, nothing pulled forward", an),
            )
        ],
    )
    md = (
        f"Lock-step rounds ({fmt(p.round_jobs)} queued jobs, fixed 10 s interval without jitter, "
        f"{p.rounds} rounds):\n\n{rounds_table}\n\nRealistic ({fmt(p.real_jobs)} face-swap "
        f"jobs, default poll policy, no rate budget, default duration mix, run to completion; "
        f'"ids asked/job" of the batched run is what a per-id poller on the same schedule '
        f"would send):\n\n{real_table}\n\nLearned duration of the family at the end (images "
        f"report no media length, so it is the model's plain mean): "
        f"{_fmt_opt(ab['learned_duration'])} s; true mean of these jobs "
        f"{ab['true_mean_duration']:.1f} s.\n"
    )
    saving = rs["requests_per_round"] / rb["requests_per_round"]
    ideal = -(-p.round_jobs // 100)
    real_saving = as_["status_requests"] / max(1, ab["status_requests"])
    md += "\n" + _explain(rb, ab, as_, ideal, saving, real_saving) + "\n"
    md += (
        f"\n**Pulling forward.** Without it (a request carries only the jobs due within its "
        f"window) the same wave sent {an['ids_per_request']:.1f} ids per request "
        f"({an['requests_per_job']:.2f} requests/job, {an['polls_per_job']:.1f} ids asked/job); "
        f"with it {ab['ids_per_request']:.1f} ({ab['requests_per_job']:.2f} requests/job, "
        f"{ab['polls_per_job']:.1f} ids asked/job).\n"
    )
    learned, true_mean = ab["learned_duration"], ab["true_mean_duration"]
    if learned is not None and abs(learned - true_mean) > 0.3 * true_mean:
        md += (
            f"\n**Finding.** After this wave the scheduler expects a face swap to take "
            f"{learned:.0f} s; these jobs took {true_mean:.0f} s on average. Images report no "
            "media length, so the model's plain mean over its window of finished jobs is "
            "used: a gap this large means the window does not hold this wave's jobs, or their "
            "learned durations are off (see B2's first-wave figures).\n"
        )
    result = BenchResult(NAME, TITLE, data, md)
    result.target(
        "batching cuts requests per poll round (no numeric target in #6)",
        saving >= 10.0,
        f"{rb['requests_per_round']:.1f} requests/round (ideal {ideal}) vs "
        f"{rs['requests_per_round']:.0f} per-id: {saving:.0f}x fewer",
    )
    result.target(
        "batching saves requests under the default jittered policy (no numeric target)",
        real_saving >= 2.0,
        f"{ab['requests_per_job']:.2f} vs {as_['requests_per_job']:.2f} requests/job: "
        f"{real_saving:.1f}x fewer, {ab['ids_per_request']:.1f} ids/request",
    )
    return result


def _fmt_opt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _explain(
    rb: dict[str, Any],
    ab: dict[str, Any],
    as_: dict[str, Any],
    ideal: int,
    saving: float,
    real_saving: float,
) -> str:
    """What batching achieved in each scenario, from this run's figures."""
    per_round = rb["requests_per_round"]
    sizes = ", ".join(f"{k} ids x{c}" for k, c in rb.get("partial_sizes", []))
    text = (
        f"**Lock-step.** {per_round:.1f} requests per round where ceil(N / 100) = {ideal} would "
        f"do ({saving:.0f}x fewer than one id per request): per round "
        f"{rb.get('full_requests_per_round', 0):.1f} full requests of {rb.get('max_batch', 100)} "
        f"ids and {rb.get('partial_requests_per_round', 0):.1f} partial ones"
        + (f" (commonest sizes over the counted rounds: {sizes})" if sizes else "")
        + "."
    )
    if per_round > 1.05 * ideal and rb.get("partial_requests_per_round", 0) >= 1.0:
        text += (
            " `_pop_due` flushes a batch endpoint's gathered jobs as soon as 100 have "
            "gathered, and then sends all of them in chunks of 100: the remainder goes out at "
            "once as a partial request instead of waiting out its window, and the jobs falling "
            "due just after start a new gathering that flushes partial at its window's end. A "
            "request's jobs are rescheduled together, so the split repeats every round. "
            "Sending only whole chunks of 100 and leaving the remainder to gather until its "
            "own window closes would give ceil(N / 100) requests per round."
        )
    text += (
        f"\n\n**Default policy.** Jittered due times, jobs created over time: the batch window "
        f"gathers {ab['ids_per_request']:.1f} ids per request, {ab['requests_per_job']:.2f} "
        f"status requests per job against {as_['requests_per_job']:.2f} polling one id per "
        f"request ({real_saving:.1f}x fewer). On its own schedule the batched run asked about "
        f"{ab['polls_per_job']:.1f} ids per job, what a per-id poller on that schedule would "
        f"send: batching divides that by {ab['ids_per_request']:.1f}."
    )
    diff = ab["polls_per_job"] / max(1e-9, as_["polls_per_job"])
    if not 0.85 <= diff <= 1.15:
        text += (
            f" The two runs' schedules differ ({ab['polls_per_job']:.1f} against "
            f"{as_['polls_per_job']:.1f} ids asked per job): both are first waves of a cold "
            "family, and how many polls the first wave sends varies from run to run with what "
            "the duration model has seen when (B2's first-wave note), so compare ids per "
            "request rather than the two runs' totals."
        )
    return text
