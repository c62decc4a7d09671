"""The benchmarks' fake server process: ``python -m akool_async.testing`` plus a few probes.

It takes the standalone fake's command line unchanged and adds control routes under
``/_fake/bench/`` (the fake's middleware does not count ``/_fake/`` requests) that give the
ground truth the benchmarks need and the status bodies do not carry:

* ``GET /_fake/bench/clock``: the server clock's reading, ``time.monotonic()`` taken at the same
  instant, and the server process's CPU time;
* ``POST /_fake/bench/jobs`` ``{"ids": [...]}``: per job, the clock time its status turns 3 or 4
  (``done``) and the same instant as ``time.monotonic()`` (``done_mono``). ``CLOCK_MONOTONIC`` is
  shared by every process on the machine, so a client compares it with its own readings to get
  detection delays without trusting either process's clock origin;
* ``POST /_fake/bench/reset``: zero the request counters.

The stock command line has no flag for the fake's ``processing_jitter`` (the +-30 % noise on
processing time); this entry point adds ``--processing-jitter`` (B2 runs at 0.1 too).

Run: ``python -m benchmarks._fakeproc --port 0 --speed 50 --seed 1`` (prints the same
``akool-fake listening on http://HOST:PORT`` line as the stock entry point).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from akool_async.testing import FakeAkool, FakeConfig
from akool_async.testing.__main__ import build_parser, config_from_args

__all__ = ["BenchFake", "main"]


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(payload, separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
    )


class BenchFake(FakeAkool):
    """The fake Akool server with the benchmarks' probe routes."""

    def app(self) -> web.Application:
        app = super().app()
        app.router.add_get("/_fake/bench/clock", self._bench_clock)
        app.router.add_post("/_fake/bench/jobs", self._bench_jobs)
        app.router.add_post("/_fake/bench/reset", self._bench_reset)
        return app

    def _readings(self) -> tuple[float, float]:
        now = self.clock.now()
        mono = time.monotonic()
        return now, mono

    async def _bench_clock(self, request: web.Request) -> web.Response:
        now, mono = self._readings()
        return _json(
            {
                "now": now,
                "mono": mono,
                "wall": self.clock.wall(),
                "speed": self.config.speed,
                "cpu": time.process_time(),
                "jobs": len(self.jobs),
            }
        )

    async def _bench_jobs(self, request: web.Request) -> web.Response:
        body = await request.json()
        ids = body.get("ids") if isinstance(body, dict) else None
        if not isinstance(ids, list):
            return _json({"error": "ids: must be a list"}, status=400)
        now, mono = self._readings()
        speed = self.config.speed
        out: dict[str, Any] = {}
        for job_id in ids:
            job = self.jobs.get(str(job_id))
            if job is None:
                continue
            out[job.id] = {
                "created": job.created_at,
                "queue_end": job.queue_end,
                "done": job.proc_end,
                "done_mono": mono + (job.proc_end - now) / speed,
                "created_mono": mono + (job.created_at - now) / speed,
                "fails": job.fails,
                "media": job.media_duration,
            }
        return _json({"now": now, "mono": mono, "jobs": out})

    async def _bench_reset(self, request: web.Request) -> web.Response:
        self.stats.reset()
        return _json({"ok": True})


async def _serve(config: FakeConfig, host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        async with BenchFake(config, host=host, port=port) as server:
            print(f"akool-fake listening on {server.base_url}", flush=True)
            await asyncio.Event().wait()


def _parser() -> argparse.ArgumentParser:
    """The stock command line, plus ``--processing-jitter`` if the stock one lacks it."""
    parser = build_parser()
    if not any("--processing-jitter" in a.option_strings for a in parser._actions):
        parser.add_argument(
            "--processing-jitter",
            type=float,
            default=None,
            help="relative noise on processing time (default 0.3 = +-30 %%)",
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; the arguments of ``python -m akool_async.testing`` (plus the above)."""
    args = _parser().parse_args(argv)
    config = config_from_args(args)
    jitter = getattr(args, "processing_jitter", None)
    if jitter is not None:
        config.processing_jitter = jitter
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("error: the benchmark server only listens on loopback", file=sys.stderr)
        return 2
    asyncio.run(_serve(config, args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
