"""``python -m akool_async.testing``: run the fake Akool server until SIGINT/SIGTERM.

Prints exactly one line, ``akool-fake listening on http://HOST:PORT``, once it accepts
connections (so a parent process can read the address), then serves. Tune it at runtime with
``POST /_fake/config``; read counters with ``GET /_fake/stats``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from typing import get_args

from ._config import FAULT_KINDS, Distribution, FakeConfig, FaultRates
from ._server import FakeAkool, serve

__all__ = ["build_parser", "config_from_args", "main"]


def _probability(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be within [0, 1], got {text}")
    return value


def build_parser(prog: str = "python -m akool_async.testing") -> argparse.ArgumentParser:
    """The command line of the standalone fake server (``prog`` names it in the usage line)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run a fake Akool open API server on your machine: jobs queue, process and "
        "complete on a clock you can speed up; result files are served too. Point the SDK or "
        "the CLI at the URL it prints. Tune it live with POST /_fake/config; read its counters "
        "with GET /_fake/stats.",
        epilog="example: %(prog)s --port 8765 --speed 20 --concurrency-cap 5",
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    add("--port", type=int, default=0, help="port to listen on; 0 picks a free port (default)")
    add("--speed", type=float, default=1.0, help="clock speed-up: 20 runs jobs 20x faster")
    add("--failure-ratio", type=_probability, default=0.0, help="share of jobs that fail (0-1)")
    add("--seed", type=int, default=None, help="seed for timings, failures and faults")
    add("--queue-time", type=float, nargs=2, metavar=("LOW", "HIGH"),
        help="range of clock seconds a job queues (status 1) (default 1 10)")
    add("--media-duration", type=float, nargs=2, metavar=("LOW", "HIGH"),
        help="range of each job's media length in seconds (default 2 30)")
    add("--processing-factor", type=float, metavar="X",
        help="clock seconds of processing per second of media (default 6)")
    add("--processing-jitter", type=_probability, metavar="R",
        help="relative spread of processing time, 0.3 = +/-30%% (default 0.3)")
    add("--processing-time", type=float, nargs=2, metavar=("LOW", "HIGH"),
        help="range of clock seconds of processing; replaces media x factor")
    add("--distribution", choices=sorted(get_args(Distribution)), dest="duration_distribution",
        help="how queue and processing times are drawn from their ranges (default uniform)")
    add("--concurrency-cap", type=int, metavar="N",
        help="the plan's cap: at most N jobs process at once, the rest queue (default: none)")
    add("--credit", type=float, help="account credit; each job costs 1 (default 1e9)")
    add("--token-ttl", type=float, metavar="S", help="clock seconds a token lives (default: ever)")
    add("--result-size", type=int, metavar="BYTES", help="bytes of every result file (4096)")
    add("--webhook-delay", type=float, metavar="S", help="clock seconds before each webhook")
    add("--webhook-duplicates", type=_probability, metavar="R", help="share of webhooks sent twice")
    add("--webhook-drop", type=_probability, metavar="R", help="share of webhooks never sent")
    add("--max-batch-ids", type=int, metavar="N", help="most ids per batch status request (100)")
    add("--api-key", action="append", metavar="KEY",
        help="accepted x-api-key, repeatable (default test-api-key)")
    add("--client-id", help="accepted clientId for getToken (default test-client-id)")
    add("--client-secret", help="accepted clientSecret; also the webhooks' AES key")
    add("--fault-scope", choices=("all", "status", "create"), default="all",
        help="which requests the --fault-* rates apply to (default all)")
    add("--retry-after", type=int, default=1, metavar="S", help="Retry-After of injected 429s")
    add("--slow-delay", type=float, default=0.2, metavar="S",
        help="real seconds a --fault-slow answer is held back (default 0.2)")
    for kind in FAULT_KINDS:
        # Both spellings: --fault-http_502 (the field name) and --fault-http-502.
        names = dict.fromkeys([f"--fault-{kind}", f"--fault-{kind.replace('_', '-')}"])
        add(*names, dest=f"fault_{kind}", type=_probability, default=0.0, metavar="RATE",
            help=f"share of requests answered with the {kind.replace('_', ' ')} fault (0-1)")
    add("--no-record-bodies", action="store_true", help="do not keep create bodies in stats")
    return parser  # fmt: skip


def config_from_args(args: argparse.Namespace) -> FakeConfig:
    """A :class:`FakeConfig` from parsed arguments."""
    config = FakeConfig(
        speed=args.speed,
        failure_ratio=args.failure_ratio,
        seed=args.seed,
        faults=FaultRates(
            scope=args.fault_scope,
            retry_after=args.retry_after,
            slow_delay=args.slow_delay,
            **{kind: getattr(args, f"fault_{kind}") for kind in FAULT_KINDS},
        ),
        record_create_bodies=not args.no_record_bodies,
    )
    optional = {
        "queue_time": args.queue_time,
        "media_duration": args.media_duration,
        "processing_factor": args.processing_factor,
        "token_ttl": args.token_ttl,
        "result_size": args.result_size,
        "webhook_delay": args.webhook_delay,
        "webhook_duplicates": args.webhook_duplicates,
        "webhook_drop": args.webhook_drop,
        "max_batch_ids": args.max_batch_ids,
        "processing_jitter": args.processing_jitter,
        "processing_time": args.processing_time,
        "duration_distribution": args.duration_distribution,
        "concurrency_cap": args.concurrency_cap,
        "credit": args.credit,
        "api_keys": args.api_key,
        "client_id": args.client_id,
        "client_secret": args.client_secret,
    }
    for name, value in optional.items():
        if value is not None:
            setattr(config, name, value)
    return config


async def _run(config: FakeConfig, host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, task.cancel)

    def ready(server: FakeAkool) -> None:
        # The first line is parsed by scripts and tests: keep it first and unchanged.
        print(f"akool-fake listening on {server.base_url}", flush=True)
        key = sorted(config.api_keys)[0] if config.api_keys else ""
        speed = f" --clock-speed {config.speed:g}" if config.speed != 1 else ""
        print(
            f"accepted API key: {key}  (clientId {config.client_id})\n"
            f"try: AKOOL_API_KEY={key} akool-async talking-photo"
            " --photo https://example.com/face.jpg --audio https://example.com/hi.mp3"
            f" --base-url {server.base_url}{speed} --wait --out ./fake-results\n"
            "stop with Ctrl-C",
            flush=True,
        )

    # SIGINT/SIGTERM cancel this task: that is the normal way out.
    with contextlib.suppress(asyncio.CancelledError):
        await serve(config, host, port, ready=ready)


def main(argv: Sequence[str] | None = None, *, prog: str | None = None) -> int:
    """Entry point; returns the process exit status (``prog``: the usage line's command)."""
    args = (build_parser(prog) if prog else build_parser()).parse_args(argv)
    try:
        config = config_from_args(args)
    except (TypeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    asyncio.run(_run(config, args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
