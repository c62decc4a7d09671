"""B2 efficiency: status requests per job and detection delay, scheduler vs fixed-interval loops.

N talking-photo jobs with the fake server's default duration mix (queue 1-10 s, then 6 s of
processing per second of media, media 2-30 s, +-30 % jitter: about 10-245 s per job). Each
client runs against a fresh server process with the same seed (the same durations):

* ``oracle``: knows when each job ends (from the server's probe) and polls once then;
* ``fixed 0.5 s / 2 s / 6 s``: one ``sleep(interval); GET`` loop per job, as peer SDKs do
  (plain aiohttp);
* ``scheduler, cold policy``: jobs tracked with ``session.track`` (learning off): only the
  status-aware backoff;
* ``scheduler, first wave``: ``session.create`` in a fresh session: learning starts from zero;
* ``scheduler, warm``: a second wave in the same session, once durations are learned;
* ``fixed @ warm p95``: a fixed loop whose interval gives the warm scheduler's p95 delay
  (interval = p95 / 0.95), run live, to compare requests at equal p95.

Requests are counted by the server (status endpoint only). Detection delay is the time the
client learned the end minus the time the job ended on the server, in clock seconds, from the
machine-wide monotonic clock. Fixed loops at short intervals send many requests, so their clock
speed is lowered to keep the request rate under ``rate_cap`` real requests/s (the clock seconds
they report are unaffected).
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import attrs

from akool_async import Job, PollPolicy, ScaledClock
from akool_async._backoff import DurationModel

from ._common import (
    API_KEY,
    AUDIO,
    IMAGE,
    RAW_BODIES,
    SHORT_JOBS,
    VIDEO_INFO,
    BenchResult,
    FakeProcess,
    Level,
    fmt,
    md_table,
    percentiles,
    session_for,
)

NAME = "b2"
TITLE = "B2 efficiency: status requests per job and detection delay"
STATUS_KEY = f"GET {VIDEO_INFO}"
#: Media lengths (s) at which the learned duration model is compared with the truth.
MEDIA_PROBES = (5.0, 16.0, 28.0)
FIELDS = {"talking_photo_url": IMAGE, "audio_url": AUDIO}


@dataclass(frozen=True)
class Params:
    jobs: int
    speed: float = 50.0
    #: Real requests/s a fixed loop may reach; its clock speed is lowered to stay under it.
    rate_cap: float = 2500.0
    intervals: tuple[float, ...] = (0.5, 2.0, 6.0)
    #: Warm waves with PollPolicy fields overridden (skipped if a field does not exist).
    sweep: tuple[dict[str, float], ...] = ()
    server_args: tuple[str, ...] = ()
    seed: int = 11


PARAMS: dict[Level, Params] = {
    # Short jobs (2.5-5 clock s) so the smoke run takes seconds.
    "smoke": Params(
        jobs=6,
        speed=100.0,
        rate_cap=1500.0,
        server_args=SHORT_JOBS,
        intervals=(1.0,),
        sweep=({"step": 1.0},),
    ),
    "quick": Params(jobs=60, sweep=({"step": 0.3}, {"lead": 2.0})),
    "full": Params(
        jobs=200,
        sweep=(
            {"step": 0.3},
            {"step": 1.0},
            {"lead": 0.5},
            {"lead": 2.0},
            {"lead": 2.0, "step": 0.3},
        ),
    ),
}


@dataclass
class Outcome:
    """What one client did."""

    label: str
    speed: float
    jobs: int
    requests: int
    delays: list[float]
    durations: list[float]
    failed: int = 0
    interval: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: Per job: (media seconds, status requests, detection delay or None).
    per_job: list[tuple[float, int, float | None]] = field(default_factory=list)

    def by_media(self) -> list[dict[str, Any]]:
        """Requests and delays for the shortest, middle and longest third of media."""
        ordered = sorted(self.per_job)
        n = len(ordered)
        out = []
        for k, name in enumerate(("short", "medium", "long")):
            part = ordered[k * n // 3 : (k + 1) * n // 3]
            if not part:
                continue
            delays = [d for _, _, d in part if d is not None]
            out.append(
                {
                    "media": name,
                    "media_range": [part[0][0], part[-1][0]],
                    "jobs": len(part),
                    "requests_per_job": sum(r for _, r, _ in part) / len(part),
                    "delay": percentiles(delays),
                }
            )
        return out

    def summary(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "speed": self.speed,
            "interval": self.interval,
            "jobs": self.jobs,
            "failed": self.failed,
            "status_requests": self.requests,
            "requests_per_job": self.requests / max(1, self.jobs),
            "delay": percentiles(self.delays),
            "duration": percentiles(self.durations),
            "by_media": self.by_media(),
            **self.extra,
        }


async def _truth(fake: FakeProcess, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    return await fake.jobs(ids)


def _delays(
    truth: dict[str, dict[str, Any]], learned: dict[str, float], speed: float
) -> tuple[list[float], list[float]]:
    delays, durations = [], []
    for job_id, t in truth.items():
        if job_id in learned:
            delays.append((learned[job_id] - t["done_mono"]) * speed)
        durations.append(t["done"] - t["created"])
    return delays, durations


def _per_job(
    truth: dict[str, dict[str, Any]],
    learned: dict[str, float],
    speed: float,
    polls: dict[str, int],
) -> list[tuple[float, int, float | None]]:
    out: list[tuple[float, int, float | None]] = []
    for job_id, t in truth.items():
        seen = learned.get(job_id)
        delay = None if seen is None else (seen - t["done_mono"]) * speed
        out.append((float(t["media"]), int(polls.get(job_id, 0)), delay))
    return out


async def _status_requests(fake: FakeProcess) -> tuple[int, dict[str, int]]:
    """Status requests the server saw, and status look-ups per job id."""
    stats = await fake.stats(detail=True)
    return int(stats["requests"].get(STATUS_KEY, 0)), dict(stats["polls_by_job"])


# -- peers --------------------------------------------------------------------------------------


async def run_fixed(p: Params, interval: float, label: str | None = None) -> Outcome:
    """One ``sleep(interval); GET`` loop per job (plain aiohttp), as peer SDKs poll."""
    speed = min(p.speed, p.rate_cap * interval / p.jobs)
    clock = ScaledClock(speed)
    path, body = RAW_BODIES["talking_photo"]
    learned: dict[str, float] = {}
    ids: list[str] = []
    create_sem = asyncio.Semaphore(16)
    async with FakeProcess(speed=speed, seed=p.seed, args=p.server_args) as fake:
        url = fake.base_url + VIDEO_INFO
        async with aiohttp.ClientSession(headers={"x-api-key": API_KEY}) as http:

            async def job_loop() -> None:
                async with create_sem, http.post(fake.base_url + path, json=body) as r:
                    job_id = (await r.json())["data"]["_id"]
                ids.append(job_id)
                # Bounded: a job that never ends stops after 10,000 polls.
                for _ in range(10_000):
                    await clock.sleep(interval)
                    async with http.get(url, params={"video_model_id": job_id}) as r:
                        data = (await r.json()).get("data") or {}
                    if data.get("video_status") in (3, 4):
                        learned[job_id] = time.monotonic()
                        return

            await asyncio.gather(*(job_loop() for _ in range(p.jobs)))
        truth = await _truth(fake, ids)
        requests, polls = await _status_requests(fake)
    delays, durations = _delays(truth, learned, speed)
    return Outcome(
        label or f"fixed {interval:g} s",
        speed,
        p.jobs,
        requests,
        delays,
        durations,
        failed=p.jobs - len(learned),
        interval=interval,
        per_job=_per_job(truth, learned, speed, polls),
    )


async def run_oracle(p: Params) -> Outcome:
    """Knows each job's end from the server's probe; polls once at that instant."""
    speed = p.speed
    path, body = RAW_BODIES["talking_photo"]
    learned: dict[str, float] = {}
    async with FakeProcess(speed=speed, seed=p.seed, args=p.server_args) as fake:
        url = fake.base_url + VIDEO_INFO
        async with aiohttp.ClientSession(headers={"x-api-key": API_KEY}) as http:
            ids = []
            for _ in range(p.jobs):
                async with http.post(fake.base_url + path, json=body) as r:
                    ids.append((await r.json())["data"]["_id"])
            truth = await _truth(fake, ids)

            async def poll_at(job_id: str, when: float) -> None:
                await asyncio.sleep(max(0.0, when - time.monotonic()))
                for _ in range(1000):
                    async with http.get(url, params={"video_model_id": job_id}) as r:
                        data = (await r.json()).get("data") or {}
                    if data.get("video_status") in (3, 4):
                        learned[job_id] = time.monotonic()
                        return
                    await asyncio.sleep(0.001)

            await asyncio.gather(*(poll_at(i, t["done_mono"]) for i, t in truth.items()))
        requests, polls = await _status_requests(fake)
    delays, durations = _delays(truth, learned, speed)
    return Outcome(
        "oracle",
        speed,
        p.jobs,
        requests,
        delays,
        durations,
        p.jobs - len(learned),
        per_job=_per_job(truth, learned, speed, polls),
    )


# -- the scheduler --------------------------------------------------------------------------------


def _record(learned: dict[str, float]) -> Any:
    def done(job: Job) -> None:
        learned[job.id] = time.monotonic()

    return done


async def _create_wave(session: Any, n: int, learned: dict[str, float]) -> list[Job]:
    jobs: list[Job] = []
    sem = asyncio.Semaphore(16)

    async def one() -> None:
        async with sem:
            created = await session.create("talking_photo", FIELDS)
        for job in created:
            job.add_done_callback(_record(learned))
            jobs.append(job)

    await asyncio.gather(*(one() for _ in range(n)))
    return jobs


def _replay(truth: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Feed a fresh DurationModel this wave's *true* durations, in completion and random order.

    No detection delay is involved, so any gap between the two estimates and the truth comes
    from the model and the order in which finished jobs reach it.
    """
    samples = sorted((t["done"], t["done"] - t["created"], t["media"]) for t in truth.values())
    shuffled = list(samples)
    random.Random(1).shuffle(shuffled)
    out: dict[str, Any] = {}
    for name, order in (("completion_order", samples), ("random_order", shuffled)):
        model = DurationModel()
        try:
            for _, duration, media in order:
                model.observe(duration, media)
            out[name] = {str(m): model.estimate(m) for m in MEDIA_PROBES}
        except (TypeError, AttributeError):  # the model's API changed: skip the replay
            out[name] = None
    return out


def _policy_variants(p: Params) -> list[dict[str, float]]:
    """The sweep's overrides that this version of PollPolicy understands."""
    known = attrs.fields_dict(PollPolicy)
    return [v for v in p.sweep if all(k in known for k in v)]


async def run_scheduler(p: Params) -> list[Outcome]:
    """A fresh session: the first wave learns from scratch, the second runs warm.

    Then one more warm wave per sweep entry, each with the default policy's fields overridden.
    """
    speed = p.speed
    outcomes = []
    async with (
        FakeProcess(speed=speed, seed=p.seed, args=p.server_args) as fake,
        session_for(fake, seed=1) as session,
    ):
        default = session.scheduler.policy
        waves: list[tuple[str, dict[str, float]]] = [
            ("scheduler, first wave", {}),
            ("scheduler, warm", {}),
        ]
        waves += [
            ("warm, " + ", ".join(f"{k}={v:g}" for k, v in o.items()), o)
            for o in _policy_variants(p)
        ]
        for label, overrides in waves:
            session.scheduler.policy = attrs.evolve(default, **overrides)
            await fake.reset_stats()
            learned: dict[str, float] = {}
            jobs = await _create_wave(session, p.jobs, learned)
            results = await session.gather(jobs, return_exceptions=True)
            failed = sum(isinstance(r, BaseException) for r in results)
            truth = await _truth(fake, [j.id for j in jobs])
            requests, polls = await _status_requests(fake)
            delays, durations = _delays(truth, learned, speed)
            expected = session.scheduler.expected_duration("talking_photo", 16.0)
            model = session.scheduler.models.get("talking_photo")
            estimates = {
                m: (model.estimate(m) if model is not None else None) for m in MEDIA_PROBES
            }
            outcomes.append(
                Outcome(
                    label,
                    speed,
                    p.jobs,
                    requests,
                    delays,
                    durations,
                    failed,
                    extra={
                        "replay": _replay(truth),
                        "policy": {
                            k: getattr(session.scheduler.policy, k)
                            for k in attrs.fields_dict(PollPolicy)
                        },
                        "overrides": overrides,
                        "max_polls_per_job": max(j.polls for j in jobs),
                        "learned_duration_at_16s_media": expected,
                        "model_estimates": {str(m): e for m, e in estimates.items()},
                    },
                    per_job=_per_job(truth, learned, speed, polls),
                )
            )
    return outcomes


async def run_cold_policy(p: Params) -> Outcome:
    """Jobs created outside the session and tracked: no learning, only the backoff."""
    speed = p.speed
    path, body = RAW_BODIES["talking_photo"]
    learned: dict[str, float] = {}
    async with FakeProcess(speed=speed, seed=p.seed, args=p.server_args) as fake:
        async with (
            session_for(fake, seed=1) as session,
            aiohttp.ClientSession(headers={"x-api-key": API_KEY}) as http,
        ):
            jobs: list[Job] = []
            sem = asyncio.Semaphore(16)

            async def one() -> None:
                async with sem, http.post(fake.base_url + path, json=body) as r:
                    job_id = (await r.json())["data"]["_id"]
                # created_wall makes it a resumed job: polled by the cold policy, teaches nothing.
                job = session.track(
                    job_id, family="talking_photo", created_wall=session.clock.wall()
                )
                job.add_done_callback(_record(learned))
                jobs.append(job)

            await asyncio.gather(*(one() for _ in range(p.jobs)))
            results = await session.gather(jobs, return_exceptions=True)
            failed = sum(isinstance(r, BaseException) for r in results)
        truth = await _truth(fake, [j.id for j in jobs])
        requests, polls = await _status_requests(fake)
    delays, durations = _delays(truth, learned, speed)
    return Outcome(
        "scheduler, cold policy (no learning)",
        speed,
        p.jobs,
        requests,
        delays,
        durations,
        failed,
        per_job=_per_job(truth, learned, speed, polls),
    )


# -- the whole benchmark --------------------------------------------------------------------------


def true_model(config: dict[str, Any], media: float) -> tuple[float, float]:
    """The fake server's real mean and deviation of a job's duration for ``media`` seconds."""
    lo, hi = config["queue_time"]
    factor, jitter = config["processing_factor"], config["processing_jitter"]
    mean = (lo + hi) / 2 + factor * media
    var = (hi - lo) ** 2 / 12 + (factor * media * jitter) ** 2 / 3
    return mean, var**0.5


async def run(level: Level) -> BenchResult:
    p = PARAMS[level]
    async with FakeProcess(speed=p.speed, seed=p.seed, args=p.server_args) as fake:
        config = await fake.get_config()
    truth_model = {str(m): true_model(config, m) for m in MEDIA_PROBES}
    outcomes: list[Outcome] = [await run_oracle(p)]
    for interval in p.intervals:
        outcomes.append(await run_fixed(p, interval))
    outcomes.append(await run_cold_policy(p))
    scheduler = await run_scheduler(p)
    warm = scheduler[1]
    outcomes += scheduler[:2]
    warm_p95 = warm.summary()["delay"]["p95"]
    matched = max(0.05, warm_p95 / 0.95) if math.isfinite(warm_p95) else 10.0
    outcomes.append(await run_fixed(p, matched, label=f"fixed @ warm p95 ({matched:.1f} s)"))
    return _report(level, p, outcomes, sweep=scheduler[2:], truth_model=truth_model)


def _fixed_model(mean_duration: float, p95: float) -> float:
    """Requests/job of a ``sleep(I); GET`` loop whose p95 delay is ``p95`` (I = p95 / 0.95).

    Such a loop polls ceil(duration / I) times, about duration / I + 0.5 on average.
    """
    return mean_duration / (p95 / 0.95) + 0.5


def _row(s: dict[str, Any]) -> list[Any]:
    d = s["delay"]
    return [
        s["label"],
        s["requests_per_job"],
        d["p50"],
        d["p95"],
        d["p99"],
        d["max"],
        s["failed"],
        f"{s['speed']:.3g}x",
    ]


HEADERS = [
    "client",
    "status requests/job",
    "delay p50 (s)",
    "p95 (s)",
    "p99 (s)",
    "max (s)",
    "failed",
    "clock speed",
]


def _report(
    level: Level,
    p: Params,
    outcomes: list[Outcome],
    *,
    sweep: list[Outcome],
    truth_model: dict[str, tuple[float, float]],
) -> BenchResult:
    summaries = [o.summary() for o in outcomes]
    sweep_summaries = [o.summary() for o in sweep]
    by_label = {s["label"]: s for s in summaries}
    table = md_table(HEADERS, [_row(s) for s in summaries])
    durations = summaries[0]["duration"]
    mean_d = durations["mean"]
    warm = by_label["scheduler, warm"]
    first = by_label["scheduler, first wave"]
    matched = summaries[-1]
    data: dict[str, Any] = {
        "params": p.__dict__,
        "clients": summaries,
        "sweep": sweep_summaries,
        "true_model": truth_model,
    }

    comparisons = []
    for s in summaries:
        if s["interval"] is None:
            continue
        comparisons.append(
            {
                "fixed": s["label"],
                "fixed_p95": s["delay"]["p95"],
                "fixed_requests_per_job": s["requests_per_job"],
                "warm_request_ratio": s["requests_per_job"] / warm["requests_per_job"],
                # Within 5 %: the matched loop aims at the same p95, jitter moves both a little.
                "warm_p95_equal_or_better": warm["delay"]["p95"] <= s["delay"]["p95"] * 1.05,
            }
        )
    data["comparisons"] = comparisons
    cmp_table = md_table(
        ["fixed loop", "requests/job", "p95 (s)", "fixed / warm requests", "warm p95 <= its p95"],
        [
            [
                c["fixed"],
                c["fixed_requests_per_job"],
                c["fixed_p95"],
                f"{c['warm_request_ratio']:.1f}x",
                "yes" if c["warm_p95_equal_or_better"] else "no",
            ]
            for c in comparisons
        ],
    )

    # Warm policies: requests against a fixed loop at the same p95 (model, checked live above).
    policy_rows = []
    for s in [warm, *sweep_summaries]:
        fixed = _fixed_model(mean_d, s["delay"]["p95"])
        s["fixed_model_requests_at_same_p95"] = fixed
        s["ratio_vs_fixed_model"] = fixed / s["requests_per_job"]
        policy_rows.append(
            [
                s["label"] if s is not warm else "warm (defaults)",
                ", ".join(f"{k}={s['policy'][k]:g}" for k in ("lead", "step") if k in s["policy"]),
                s["requests_per_job"],
                s["delay"]["p50"],
                s["delay"]["p95"],
                s["delay"]["max"],
                fixed,
                f"{s['ratio_vs_fixed_model']:.1f}x",
            ]
        )
    policy_table = md_table(
        [
            "warm wave",
            "policy",
            "requests/job",
            "delay p50 (s)",
            "p95 (s)",
            "max (s)",
            "fixed loop at that p95 (model)",
            "ratio",
        ],
        policy_rows,
    )
    model_check = _fixed_model(mean_d, matched["delay"]["p95"])
    model_rows = []
    for m in MEDIA_PROBES:
        key = str(m)
        true_mu, true_sd = truth_model[key]
        learned = warm["model_estimates"].get(key)
        replay = first.get("replay") or {}
        in_order = (replay.get("completion_order") or {}).get(key)
        shuffled = (replay.get("random_order") or {}).get(key)
        nan = float("nan")
        model_rows.append(
            [
                f"{m:g} s",
                f"{true_mu:.1f} +- {true_sd:.1f}",
                f"{learned[0]:.1f} +- {learned[1]:.1f}" if learned else nan,
                f"{in_order[0]:.1f} +- {in_order[1]:.1f}" if in_order else nan,
                f"{shuffled[0]:.1f} +- {shuffled[1]:.1f}" if shuffled else nan,
            ]
        )
    model_table = md_table(
        [
            "media",
            "true duration (s)",
            "learned mu +- sigma, after the warm wave",
            "replay: first wave's true durations, completion order",
            "same, random order",
        ],
        model_rows,
    )

    media_rows = []
    for s in summaries:
        if not s["label"].startswith("scheduler"):
            continue
        for g in s["by_media"]:
            media_rows.append(
                [
                    s["label"],
                    f"{g['media']} ({g['media_range'][0]:.0f}-{g['media_range'][1]:.0f} s)",
                    g["requests_per_job"],
                    g["delay"]["p50"],
                    g["delay"]["p95"],
                    g["delay"]["max"],
                ]
            )
    media_table = md_table(
        ["client", "media third", "requests/job", "delay p50 (s)", "p95 (s)", "max (s)"],
        media_rows,
    )
    md = (
        f"{p.jobs} jobs per client; job durations (server truth) p50 {fmt(durations['p50'])} s, "
        f"p95 {fmt(durations['p95'])} s, mean {fmt(mean_d)} s. Delays in clock seconds. "
        f"The fixed 0.5 s loop runs at a lower clock speed to stay under "
        f"{fmt(p.rate_cap)} requests per real second.\n\n{table}\n\n"
        f"Warm scheduler against each fixed loop (equal p95 means within 5 %):\n\n"
        f"{cmp_table}\n\n"
        f"Warm-policy sweep: more warm waves in the same session with PollPolicy fields "
        f'overridden. "Fixed loop at that p95" is mean duration / (p95 / 0.95) + 0.5 requests '
        f"(for the live matched loop above the model gives {model_check:.2f}, measured "
        f"{matched['requests_per_job']:.2f}).\n\n{policy_table}\n\n"
        f"The scheduler by media length (a job's duration grows with its media, and so does "
        f"its uncertainty: the fake server's noise is +-30 % of the processing time):\n\n"
        f"{media_table}\n\n"
        f"What the scheduler learned against the fake server's true duration model (queue "
        f"time uniform, processing = factor x media x (1 +- jitter)); the replays feed a fresh "
        f"`DurationModel` the first wave's true durations (no detection delay) in the order "
        f"the jobs finished, and shuffled:\n\n{model_table}\n"
    )
    at_matched = matched["requests_per_job"] / warm["requests_per_job"]
    equal = warm["delay"]["p95"] <= matched["delay"]["p95"] * 1.05
    if warm["requests_per_job"] > 3.0 or at_matched < 3.0 or not equal:
        md += "\n" + _diagnosis(warm, first, sweep_summaries, truth_model) + "\n"
    result = BenchResult(NAME, TITLE, data, md)
    result.target(
        ">= 3x fewer requests than a fixed loop at equal or better p95 (warm)",
        at_matched >= 3.0 and equal,
        f"{at_matched:.1f}x: warm {warm['requests_per_job']:.2f} req/job at p95 "
        f"{fmt(warm['delay']['p95'])} s vs {matched['label']} {matched['requests_per_job']:.2f} "
        f"req/job at p95 {fmt(matched['delay']['p95'])} s",
    )
    result.target(
        "<= 3 status requests per job (warm)",
        warm["requests_per_job"] <= 3.0,
        f"{warm['requests_per_job']:.2f} (first wave {first['requests_per_job']:.2f}, "
        f"cold policy {by_label['scheduler, cold policy (no learning)']['requests_per_job']:.2f})",
    )
    data["fixed_model_requests_at_warm_p95"] = _fixed_model(mean_d, warm["delay"]["p95"])
    return result


def _diagnosis(
    warm: dict[str, Any],
    first: dict[str, Any],
    sweep: list[dict[str, Any]],
    truth_model: dict[str, tuple[float, float]],
) -> str:
    """Why the warm targets are missed, from this run's figures."""
    groups = {g["media"]: g for g in warm["by_media"]}
    short, long_ = groups.get("short"), groups.get("long")
    learned = warm["model_estimates"].get("16.0")
    t5, t16, t28 = (truth_model[str(m)] for m in MEDIA_PROBES)
    parts = [
        "**Why the targets are missed, and what would close them.** Warm, the policy waits "
        "until mu - lead x sigma, then polls every step x sigma (x0.85-1), widening by `growth` "
        "once a job runs 2 sigma past mu: requests per job are about 1 + (end - first poll) / "
        "(step x sigma) and the p95 delay about step x sigma, so sigma drives both."
    ]
    if learned:
        parts.append(
            f"The model keeps one sigma for every job (a + b x media, one residual): "
            f"{learned[1]:.1f} s, while the true deviation is {t5[1]:.1f} / {t16[1]:.1f} / "
            f"{t28[1]:.1f} s at 5 / 16 / 28 s of media. Short jobs get a window several times "
            f"too wide; long ones overrun mu + 2 sigma and fall into widening steps"
            + (
                f" (long third: {long_['requests_per_job']:.1f} requests/job, p95 "
                f"{long_['delay']['p95']:.1f} s, max {long_['delay']['max']:.1f} s; short third "
                f"{short['requests_per_job']:.1f} requests/job, p95 {short['delay']['p95']:.1f} s)."
                if short and long_
                else "."
            )
        )
        replay = first.get("replay") or {}
        in_order = (replay.get("completion_order") or {}).get("16.0")
        shuffled = (replay.get("random_order") or {}).get("16.0")
        text = (
            f"The learned mean at 16 s of media is {learned[0]:.1f} s against a true "
            f"{t16[0]:.1f} s. Two causes: `_apply` learns `now - created_at` at the poll that "
            f"*saw* the end, so each sample carries its detection delay (first wave mean "
            f"{first['delay']['mean']:.1f} s); and"
        )
        if in_order and shuffled:
            larger = in_order[0] - shuffled[0] > first["delay"]["mean"]
            text += (
                f"{' larger here,' if larger else ''} the order: replaying the first wave's "
                f"*true* durations into a fresh `DurationModel` gives {in_order[0]:.1f} s in "
                f"completion order but {shuffled[0]:.1f} s in random order. A wave's jobs "
                "finish shortest first, and the exponentially weighted fit (weight `alpha` "
                "per sample) soon keeps mostly the last, longest finishers: it is fitted on a "
                "sample selected by the duration itself (truncation bias), which inflates the "
                "intercept and sigma."
            )
        else:
            text += " the order in which finished jobs reach the model."
        if short and short["requests_per_job"] < 1.8:
            text += (
                f" With mu too high, short jobs are polled {short['requests_per_job']:.2f} times "
                f"on average with a p50 delay of {short['delay']['p50']:.1f} s: their first poll "
                f"already lands after the end, whatever lead and step say."
            )
        parts.append(text)
    if sweep:
        lines = "; ".join(
            f"{s['label'].removeprefix('warm, ')}: {s['requests_per_job']:.2f} req/job at p95 "
            f"{s['delay']['p95']:.1f} s ({s['ratio_vs_fixed_model']:.1f}x a fixed loop at that p95)"
            for s in sweep
        )
        parts.append(
            f"The sweep (defaults lead=1, step=0.6: {warm['requests_per_job']:.2f} req/job at "
            f"p95 {warm['delay']['p95']:.1f} s, {warm['ratio_vs_fixed_model']:.1f}x): {lines}."
        )
    parts.append(
        "What would close it: (1) an unbiased fit: no recency weighting within a wave (plain "
        "or much slower-decaying sums, e.g. weight 1/n until a few hundred samples, or decay "
        "by time rather than by sample), so early short jobs keep their weight; (2) a "
        "deviation proportional to each job's prediction (fit log duration, or keep the "
        "relative residual as the first model did), so each job's window matches its own "
        "uncertainty; (3) learn from an unbiased end estimate (the midpoint between the last "
        "poll that saw it running and the one that saw it done) instead of the detection "
        "time; (4) then re-tune lead and step with this sweep, which shows the "
        "trade directly (a larger lead moves the first poll earlier: more requests, lower "
        "p95; a smaller step tightens the spacing)."
    )
    return " ".join(parts)
