"""B3 scale: memory per tracked job and scheduler CPU per poll as the number of jobs grows.

Memory: a fresh process tracks n jobs with ``session.track`` (ids shaped like Akool's, 24 hex
characters; the poll policy's first poll is far away, so nothing is sent) and reports
``tracemalloc``'s traced bytes / n and, in a second fresh process without tracemalloc, the
resident-set growth / n. Everything one tracked job costs is included: its ``Job`` object, id
string, scheduler dict entry, heap entry, and the caller's reference in a list. A third process
(``polled``, traced) also polls each job once over loopback (a small in-process server answers
"queued" for any id), so what a job keeps from its polls counts too: its snapshot and the status
URL its first poll prepared.

CPU: the real :class:`Scheduler` with an in-memory status fetch (no HTTP, so only the
scheduler's own work is measured: heap pop and push, grouping, handing each request to the
fixed worker pool over a memory stream, applying the answer), n jobs each due at a uniformly
random time within an interval chosen so about ``rate`` polls fall due per real second (the heap
holds ~n entries).
CPU per poll = ``process_time`` / polls over a window. A bare ``heappush``/``heappop`` pair on a
heap of n entries of the scheduler's shape shows the log n part on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import math
import os
import random
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import anyio

from akool_async import FAMILIES, Job, JobSnapshot, JobStatus, PollPolicy, ScaledClock, Session
from akool_async._scheduler import Scheduler

from ._common import REPO, BenchResult, Level, fmt, md_table

NAME = "b3"
TITLE = "B3 scale: memory per job and scheduler CPU per poll"
TARGET_BYTES = 2048


@dataclass(frozen=True)
class Params:
    memory_sizes: tuple[int, ...]
    cpu_sizes: tuple[int, ...]
    polls: int
    rate: float = 8000.0


PARAMS: dict[Level, Params] = {
    "smoke": Params(memory_sizes=(2_000,), cpu_sizes=(200, 2_000), polls=1_000, rate=4000.0),
    "quick": Params(memory_sizes=(10_000, 100_000), cpu_sizes=(1_000, 100_000), polls=10_000),
    "full": Params(
        memory_sizes=(10_000, 100_000), cpu_sizes=(1_000, 10_000, 100_000), polls=30_000
    ),
}


# -- memory (runs in a child process) ------------------------------------------------------------


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


@contextlib.asynccontextmanager
async def _queued_server() -> AsyncIterator[str]:
    """A loopback server answering every talking-photo status read with "queued"."""
    from aiohttp import web

    async def status(request: web.Request) -> web.Response:
        data = {"_id": request.query.get("video_model_id", ""), "video_status": 1, "video": ""}
        return web.json_response({"code": 1000, "msg": "OK", "data": data})

    app = web.Application()
    app.router.add_get(FAMILIES["talking_photo"].status.path, status)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def _track_many(n: int, how: str) -> dict[str, Any]:
    import gc
    import tracemalloc

    polled = how == "polled"
    # Nothing is sent by itself (the first poll is 30 years away); ``polled`` asks for one poll
    # of each job at once (as a webhook would), the next one again 30 years later.
    policy = PollPolicy(fixed_interval=1e9)
    async with contextlib.AsyncExitStack() as stack:
        base_url = await stack.enter_async_context(_queued_server()) if polled else None
        session = await stack.enter_async_context(
            Session(
                api_key="bench",
                base_url=base_url or "http://127.0.0.1:9",
                poll_policy=policy,
                seed=1,
                rate=None,  # (n polls at once: the rate budget is not what is measured)
            )
        )
        prefix = f"{random.Random(1).getrandbits(40):010x}"
        gc.collect()
        if how != "rss":
            tracemalloc.start()
            before = tracemalloc.get_traced_memory()[0]
        else:
            before = _rss_bytes()
        started = time.process_time()
        jobs: list[Job] = []
        stamp = int(time.time()) & 0xFFFFFFFF
        for k in range(n):
            job_id = f"{stamp:08x}{prefix}{k & 0xFFFFFF:06x}"
            jobs.append(session.track(job_id, family="talking_photo", max_wait=None))
        track_cpu = time.process_time() - started
        if polled:
            for job in jobs:
                session.scheduler.notify(job.id)
            while session.scheduler.stats.requests < n:  # noqa: ASYNC110 (nothing to await on)
                await asyncio.sleep(0.01)
            assert all(j.polls == 1 and not j.done() for j in jobs)
        gc.collect()
        if how != "rss":
            after = tracemalloc.get_traced_memory()[0]
            tracemalloc.stop()
        else:
            after = _rss_bytes()
        sent = sum(session.transport.sent.values())
        tracked = len(session.scheduler.jobs)
    return {
        "n": n,
        "how": how,
        "bytes": after - before,
        "bytes_per_job": (after - before) / n,
        "track_us_per_job": track_cpu / n * 1e6,
        "tracked": tracked,
        "requests_sent": sent,
    }


def _child(argv: Sequence[str]) -> int:
    n, how = int(argv[0]), argv[1]
    print(json.dumps(asyncio.run(_track_many(n, how))))
    return 0


async def _memory(n: int, how: str) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH", "")])])
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.b3_scale",
        str(n),
        how,
        cwd=str(REPO),
        env=env,
        stdout=subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 300)
    if proc.returncode != 0:
        raise RuntimeError(f"memory child failed ({proc.returncode})")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


# -- CPU per poll --------------------------------------------------------------------------------


async def _cpu_per_poll(n: int, polls: int, rate: float) -> dict[str, Any]:
    fam = FAMILIES["talking_photo"]
    count = 0
    done = anyio.Event()
    target = [0]

    async def fetch(endpoint: Any, family: Any, ids: Sequence[str]) -> Mapping[str, JobSnapshot]:
        nonlocal count
        count += 1
        if count >= target[0] and not done.is_set():
            done.set()
        return {i: JobSnapshot(i, JobStatus.QUEUEING) for i in ids}

    speed = 1000.0
    clock = ScaledClock(speed)
    # Each job is polled every interval (the first poll spread over it), so n jobs ask rate
    # polls/s.
    interval = n / rate * speed
    policy = PollPolicy(fixed_interval=interval, first_poll=0.0, min_delay=0.001)
    scheduler = Scheduler(fetch, clock=clock, max_inflight=16, policy=policy, rng=random.Random(1))
    async with anyio.create_task_group() as tg:
        await tg.start(scheduler.run)
        now = clock.now()
        for k in range(n):
            job = Job(
                f"job{k:09d}", fam, scheduler, created_at=now, created_wall=0.0, deadline=None
            )
            scheduler.add(job)
        # Warm up, then measure a window of ``polls`` polls.
        target[0] = max(200, polls // 10)
        await done.wait()
        done = anyio.Event()
        c0, t0, r0 = time.process_time(), time.monotonic(), count
        target[0] = r0 + polls
        await done.wait()
        c1, t1, r1 = time.process_time(), time.monotonic(), count
        heap_size = len(scheduler._heap)
        tg.cancel_scope.cancel()
    scheduler.close()
    return {
        "n": n,
        "polls": r1 - r0,
        "cpu_per_poll_us": (c1 - c0) / (r1 - r0) * 1e6,
        "polls_per_s": (r1 - r0) / (t1 - t0),
        "cpu_share": (c1 - c0) / (t1 - t0),
        "heap_entries_at_end": heap_size,
    }


def _heap_pair_us(n: int, pairs: int = 200_000) -> float:
    """Mean cost of one heappush + heappop on a heap of n (due, seq, object) entries."""
    rng = random.Random(1)
    sentinel = object()
    heap = [(rng.random(), k, sentinel) for k in range(n)]
    heapq.heapify(heap)
    seq = n
    started = time.process_time()
    for _ in range(pairs):
        due, _, obj = heapq.heappop(heap)
        seq += 1
        heapq.heappush(heap, (due + rng.random(), seq, obj))
    return (time.process_time() - started) / pairs * 1e6


async def run(level: Level) -> BenchResult:
    p = PARAMS[level]
    memory = []
    for n in p.memory_sizes:
        for how in ("tracemalloc", "rss"):
            memory.append(await _memory(n, how))
    memory.append(await _memory(p.memory_sizes[0], "polled"))
    cpu = []
    for n in p.cpu_sizes:
        row = await _cpu_per_poll(n, p.polls, p.rate)
        row["heap_pair_us"] = _heap_pair_us(n)
        cpu.append(row)
    data = {"params": p.__dict__, "memory": memory, "cpu": cpu}
    return _report(p, data)


def _report(p: Params, data: dict[str, Any]) -> BenchResult:
    mem_rows = [
        [
            m["n"],
            m["how"],
            m["bytes_per_job"],
            m["bytes"] / 1024 / 1024,
            m["track_us_per_job"],
            m["requests_sent"],
        ]
        for m in data["memory"]
    ]
    mem_table = md_table(
        ["jobs tracked", "measured by", "bytes/job", "total (MiB)", "track() CPU (us/job)", "sent"],
        mem_rows,
    )
    base = data["cpu"][0]
    cpu_rows = []
    for c in data["cpu"]:
        cpu_rows.append(
            [
                c["n"],
                c["cpu_per_poll_us"],
                f"{c['cpu_per_poll_us'] / base['cpu_per_poll_us']:.2f}x",
                c["heap_pair_us"],
                f"{c['heap_pair_us'] / base['heap_pair_us']:.2f}x",
                c["polls_per_s"],
                c["heap_entries_at_end"],
            ]
        )
    cpu_table = md_table(
        [
            "jobs tracked (n)",
            "scheduler CPU/poll (us)",
            f"vs n={fmt(base['n'])}",
            "heap push+pop (us)",
            f"vs n={fmt(base['n'])}",
            "polls/s",
            "heap entries",
        ],
        cpu_rows,
    )
    md = (
        f"Memory (each row a fresh process):\n\n{mem_table}\n\nScheduler CPU per poll with an "
        f"in-memory status fetch (no HTTP), about {fmt(p.rate)} polls falling due per real "
        f"second, window of {fmt(p.polls)} polls:\n\n{cpu_table}\n"
    )
    result = BenchResult(NAME, TITLE, data, md)
    worst = max(m["bytes_per_job"] for m in data["memory"])
    largest = max(data["memory"], key=lambda m: (m["n"], m["how"] == "tracemalloc"))
    result.target(
        "<= 2 KB per tracked job",
        worst <= TARGET_BYTES,
        f"worst {worst:,.0f} B/job; {largest['bytes_per_job']:,.0f} B/job at "
        f"n={largest['n']:,} ({largest['how']})",
    )
    top = data["cpu"][-1]
    growth = top["cpu_per_poll_us"] / base["cpu_per_poll_us"]
    log_growth = math.log(top["n"]) / math.log(base["n"])
    result.target(
        "scheduler CPU/poll grows no faster than log n",
        growth <= log_growth,
        f"x{growth:.2f} from n={base['n']:,} to n={top['n']:,} (log n grows x{log_growth:.2f})",
    )
    return result


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
