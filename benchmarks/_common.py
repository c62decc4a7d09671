"""What every benchmark shares: the fake server process, its probes, statistics, tables."""

from __future__ import annotations

import asyncio
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import aiohttp

from akool_async import PollPolicy, ScaledClock, Session

__all__ = [
    "API_KEY",
    "AUDIO",
    "IMAGE",
    "REPO",
    "SHORT_JOBS",
    "VIDEO_INFO",
    "BenchResult",
    "FakeProcess",
    "Level",
    "fixed_policy",
    "fmt",
    "machine_info",
    "md_table",
    "percentiles",
    "session_for",
    "spread",
]

REPO = Path(__file__).resolve().parents[1]
API_KEY = "test-api-key"
IMAGE = "https://cdn.example.com/face.jpg"
AUDIO = "https://cdn.example.com/voice.mp3"
VIDEO_INFO = "/api/open/v3/content/video/infobymodelid"
TALKING_PHOTO = "/api/open/v3/content/video/createbytalkingphoto"

#: Fake-server arguments for short jobs (2.5-5 clock seconds), for smoke runs.
SHORT_JOBS: tuple[str, ...] = (
    *("--queue-time", "0.5", "1"),
    *("--media-duration", "1", "2"),
    *("--processing-factor", "2"),
)

#: How big a run is: ``smoke`` (the test suite), ``quick`` and ``full``.
Level = Literal["smoke", "quick", "full"]

#: Real seconds to wait for the fake server to print its address.
_START_TIMEOUT = 20.0


@dataclass
class BenchResult:
    """One benchmark's outcome: figures for the JSON file and Markdown for RESULTS.md."""

    name: str
    title: str
    data: dict[str, Any]
    markdown: str
    targets: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def target(self, name: str, met: bool, detail: str) -> None:
        """Record whether a target of the issue is met."""
        self.targets.append({"target": name, "met": met, "detail": detail})


class FakeProcess:
    """The fake Akool server in a separate process, on 127.0.0.1 with a fast clock.

    Use as ``async with FakeProcess(speed=50, seed=1, args=[...]) as fake:``; ``fake.base_url``
    is where it listens. The probes (``jobs``, ``clock``) read ground truth the API does not show.
    """

    def __init__(
        self, *, speed: float, seed: int = 1, args: Sequence[str] = (), quiet: bool = True
    ) -> None:
        self.speed = speed
        self.seed = seed
        self.args = list(args)
        self.quiet = quiet
        self.base_url = ""
        self._proc: asyncio.subprocess.Process | None = None
        self._http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> FakeProcess:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH", "")])])
        cmd = [
            sys.executable,
            "-m",
            "benchmarks._fakeproc",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--speed",
            repr(float(self.speed)),
            "--seed",
            str(self.seed),
            "--no-record-bodies",
            *self.args,
        ]
        self._proc = await asyncio.create_subprocess_exec(
            *cmd,
            cwd=str(REPO),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL if self.quiet else None,
        )
        assert self._proc.stdout is not None
        try:
            line = await asyncio.wait_for(self._proc.stdout.readline(), _START_TIMEOUT)
        except BaseException:
            await self._stop()
            raise
        text = line.decode().strip()
        prefix = "akool-fake listening on "
        if not text.startswith(prefix):
            await self._stop()
            raise RuntimeError(f"fake server did not start: {text!r}")
        self.base_url = text[len(prefix) :]
        self._http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=4), timeout=aiohttp.ClientTimeout(total=60)
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stop()

    async def _stop(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 10.0)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        if proc.stdout is not None:
            # Drain what is left so the pipe transport closes cleanly.
            await proc.stdout.read()

    # -- control ------------------------------------------------------------------------------

    @property
    def http(self) -> aiohttp.ClientSession:
        """A small aiohttp session for the control endpoints (not the client under test)."""
        assert self._http is not None, "use `async with FakeProcess(...)`"
        return self._http

    async def _get(self, path: str) -> Any:
        async with self.http.get(self.base_url + path) as resp:
            resp.raise_for_status()
            return await resp.json()

    async def _post(self, path: str, body: Any) -> Any:
        async with self.http.post(self.base_url + path, json=body) as resp:
            resp.raise_for_status()
            return await resp.json()

    async def stats(self, *, detail: bool = False) -> dict[str, Any]:
        """``GET /_fake/stats`` (``detail`` adds per-job poll counts, ``polls_by_job``)."""
        out: dict[str, Any] = await self._get("/_fake/stats" + ("?detail=1" if detail else ""))
        return out

    async def clock(self) -> dict[str, Any]:
        """The server's clock, monotonic time and CPU time."""
        out: dict[str, Any] = await self._get("/_fake/bench/clock")
        return out

    async def configure(self, patch: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /_fake/config``."""
        out: dict[str, Any] = await self._post("/_fake/config", dict(patch))
        return out

    async def get_config(self) -> dict[str, Any]:
        """``GET /_fake/config`` (secrets redacted)."""
        out: dict[str, Any] = await self._get("/_fake/config")
        return out

    async def reset_stats(self) -> None:
        """Zero the server's request counters."""
        await self._post("/_fake/bench/reset", {})

    async def jobs(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Ground truth per job id: ``done`` (clock) and ``done_mono`` (real monotonic)."""
        wanted = list(ids)
        out: dict[str, dict[str, Any]] = {}
        for i in range(0, len(wanted), 5000):
            answer = await self._post("/_fake/bench/jobs", {"ids": wanted[i : i + 5000]})
            out.update(answer["jobs"])
        return out


def session_for(fake: FakeProcess, clock: ScaledClock | None = None, **kwargs: Any) -> Session:
    """A (not yet entered) session on ``fake`` with a clock of the same speed."""
    kwargs.setdefault("api_key", API_KEY)
    return Session(base_url=fake.base_url, clock=clock or ScaledClock(fake.speed), **kwargs)


def fixed_policy(interval: float, *, first_poll: float | None = None) -> PollPolicy:
    """A poll policy that polls every ``interval`` clock seconds exactly (no growth, jitter).

    The first poll lands uniformly in ``[interval, first_poll]`` (``first_poll`` defaults to
    ``interval``: no spread), which spreads jobs tracked together over the interval.
    """
    return PollPolicy(fixed_interval=interval, first_poll=first_poll, min_delay=interval)


# -- numbers ----------------------------------------------------------------------------------


def percentiles(values: Sequence[float], ps: Sequence[float] = (50, 95, 99)) -> dict[str, float]:
    """Nearest-rank percentiles (``p50``...) plus ``mean`` and ``max``; NaN when empty."""
    if not values:
        return {**{f"p{p:g}": math.nan for p in ps}, "mean": math.nan, "max": math.nan}
    ordered = sorted(values)
    n = len(ordered)
    out = {f"p{p:g}": ordered[min(n - 1, max(0, math.ceil(p / 100 * n) - 1))] for p in ps}
    out["mean"] = statistics.fmean(ordered)
    out["max"] = ordered[-1]
    return out


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median, min and max of repeated measurements."""
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
    }


def fmt(value: Any, digits: int = 2) -> str:
    """A number for a table cell."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    return str(value)


def md_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(fmt(cell) for cell in row) + " |")
    return "\n".join(lines)


def _cpu_model() -> str:
    fields: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    except OSError:
        return platform.processor() or "unknown"
    name = fields.get("model name", platform.processor() or "unknown")
    extra = [f"family {fields['cpu family']} model {fields['model']}"] if "model" in fields else []
    if "hypervisor" in fields.get("flags", "").split():
        extra.append("virtual machine")
    return f"{name} ({', '.join(extra)})" if extra else name


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"


def machine_info() -> dict[str, Any]:
    """CPU model, cores, OS, Python and library versions."""
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "aiohttp": aiohttp.__version__,
        "anyio": _version("anyio"),
        "attrs": _version("attrs"),
        "cattrs": _version("cattrs"),
        "akool_async": _version("akool-async"),
        "event_loop": "asyncio (default loop, no uvloop)",
    }


def now_mono() -> float:
    """``time.monotonic()`` (shared by every process on the machine)."""
    return time.monotonic()


def dumps(data: Any) -> str:
    """JSON for results.json (NaN becomes null)."""

    def clean(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {str(k): clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        return value

    return json.dumps(clean(data), indent=2, sort_keys=False)


#: Minimal create bodies (API spelling) for the raw clients.
RAW_BODIES: dict[str, tuple[str, dict[str, Any]]] = {
    "talking_photo": (TALKING_PHOTO, {"talking_photo_url": IMAGE, "audio_url": AUDIO}),
    "faceswap_image": (
        "/api/open/v3/faceswap/highquality/specifyimage",
        {
            "sourceImage": [{"path": IMAGE}],
            "targetImage": [{"path": IMAGE}],
            "modifyImage": IMAGE,
        },
    ),
}


async def create_raw(
    http: aiohttp.ClientSession,
    base_url: str,
    n: int,
    *,
    family: str = "talking_photo",
    concurrency: int = 16,
    extra: Mapping[str, Any] | None = None,
) -> list[tuple[str, float]]:
    """Create ``n`` jobs with plain aiohttp POSTs; returns (id, monotonic time of the answer)."""
    path, body = RAW_BODIES[family]
    body = {**body, **(extra or {})}
    out: list[tuple[str, float]] = []
    todo = iter(range(n))

    async def worker() -> None:
        for _ in todo:
            async with http.post(
                base_url + path, json=body, headers={"x-api-key": API_KEY}
            ) as resp:
                answer = await resp.json()
            if answer.get("code") != 1000:
                raise RuntimeError(f"create failed: {answer!r}")
            out.append((answer["data"]["_id"], time.monotonic()))

    await asyncio.gather(*(worker() for _ in range(min(concurrency, max(1, n)))))
    return out


class Window:
    """Measures client CPU and wall time between two request counts."""

    def __init__(self) -> None:
        self.cpu = 0.0
        self.wall = 0.0
        self.requests = 0

    async def measure(
        self, count: Callable[[], int], warmup: int, n: int, *, tick: float = 0.005
    ) -> None:
        """Wait until ``count()`` passes ``warmup``, then measure the next ``n`` requests."""
        # Polling on purpose: the counter lives in code under test, which has no event to wait
        # on, and a few hundred wake-ups a second cost well under 1 % of the window's CPU.
        while count() < warmup:  # noqa: ASYNC110 (see above)
            await asyncio.sleep(tick)
        c0, t0, r0 = time.process_time(), time.monotonic(), count()
        while count() < r0 + n:  # noqa: ASYNC110 (see above)
            await asyncio.sleep(tick)
        c1, t1, r1 = time.process_time(), time.monotonic(), count()
        self.cpu, self.wall, self.requests = c1 - c0, t1 - t0, r1 - r0

    @property
    def cpu_per_request_us(self) -> float:
        """Client CPU per request, microseconds."""
        return self.cpu / max(1, self.requests) * 1e6

    @property
    def rate(self) -> float:
        """Requests per real second."""
        return self.requests / self.wall if self.wall > 0 else math.nan


async def wait_until(predicate: Callable[[], bool], *, tick: float = 0.002) -> None:
    """Wait (polling every ``tick`` real seconds) until ``predicate()`` holds."""
    # Polling on purpose: the state lives in code under test, which offers nothing to await.
    while not predicate():  # noqa: ASYNC110 (see above)
        await asyncio.sleep(tick)


def mu_sigma(model: Any, media: float | None) -> tuple[float, float] | None:
    """A survival model's median and half its 16-84 % range (a deviation), or None."""
    if model is None:
        return None
    mid = model.quantile(0.5, media)
    lo, hi = model.quantile(0.16, media), model.quantile(0.84, media)
    if mid is None or lo is None or hi is None:
        return None
    return mid, max(0.0, (hi - lo) / 2.0)


def family_model(scheduler: Any, family: str) -> Any:
    """The scheduler's survival model of ``family`` (None while it has none)."""
    plan = scheduler.plans.get(family)
    return None if plan is None else plan.model
