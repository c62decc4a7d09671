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

from ._config import FAULT_KINDS, FakeConfig, FaultRates
from ._server import FakeAkool, serve

__all__ = ["build_parser", "config_from_args", "main"]


def _probability(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be within [0, 1], got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command line of the standalone fake server."""
    parser = argparse.ArgumentParser(
        prog="python -m akool_async.testing", description="Run a fake Akool open API server."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--speed", type=float, default=1.0, help="clock speed-up (default 1)")
    parser.add_argument("--failure-ratio", type=_probability, default=0.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--queue-time", type=float, nargs=2, metavar=("LOW", "HIGH"))
    parser.add_argument("--media-duration", type=float, nargs=2, metavar=("LOW", "HIGH"))
    parser.add_argument("--processing-factor", type=float)
    parser.add_argument("--token-ttl", type=float)
    parser.add_argument("--result-size", type=int)
    parser.add_argument("--webhook-delay", type=float)
    parser.add_argument("--webhook-duplicates", type=_probability)
    parser.add_argument("--webhook-drop", type=_probability)
    parser.add_argument("--max-batch-ids", type=int)
    parser.add_argument("--api-key", action="append", help="accepted x-api-key (repeatable)")
    parser.add_argument("--client-id")
    parser.add_argument("--client-secret")
    parser.add_argument("--fault-scope", choices=("all", "status", "create"), default="all")
    parser.add_argument("--retry-after", type=int, default=1)
    parser.add_argument("--slow-delay", type=float, default=0.2)
    for kind in FAULT_KINDS:
        # Both spellings: --fault-http_502 (the field name) and --fault-http-502.
        names = dict.fromkeys([f"--fault-{kind}", f"--fault-{kind.replace('_', '-')}"])
        parser.add_argument(
            *names, dest=f"fault_{kind}", type=_probability, default=0.0, metavar="RATE"
        )
    parser.add_argument(
        "--no-record-bodies", action="store_true", help="do not keep create bodies in stats"
    )
    return parser


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
        print(f"akool-fake listening on {server.base_url}", flush=True)

    # SIGINT/SIGTERM cancel this task: that is the normal way out.
    with contextlib.suppress(asyncio.CancelledError):
        await serve(config, host, port, ready=ready)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        config = config_from_args(args)
    except (TypeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    asyncio.run(_run(config, args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
