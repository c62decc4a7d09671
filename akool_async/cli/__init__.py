"""The ``akool-async`` command line: batch runs, a self-contained demo, one-off status checks.

Credentials come from the environment only (``AKOOL_API_KEY``, or ``AKOOL_CLIENT_ID`` and
``AKOOL_CLIENT_SECRET``; ``TOPVIEW_API_KEY`` and ``TOPVIEW_UID`` for ``topview_*`` rows), never
from arguments, and are never printed. Each provider's credentials are needed only when the
manifest (or the status command's family) uses that provider.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio

from .._base import BaseSession
from .._batch import (
    DEFAULT_JOURNAL_NAME,
    Journal,
    JournalError,
    JournalLocked,
    Manifest,
    ManifestError,
    RowsChanged,
    load_manifest,
)
from .._batch.claims import OutDirTaken
from .._batch.journal._lockfile import current_holder, describe_holder
from .._batch.journal.opening import is_postgres_url
from .._batch.online_check import check_manifest_online
from .._clock import Clock, ScaledClock
from .._constants import DEFAULT_POLL_CAP
from .._errors import AkoolError, ConfigurationError, ValidationError
from .._provider import Provider
from .._providers import PROVIDERS
from .._version import __version__ as version
from ._display import DEFAULT_LOG_INTERVAL, make_display
from ._help import fields_help
from ._misc import add_at_hand_commands, add_status_parser, status_wait
from ._run import (
    EXIT_AUTH,
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_JOURNAL,
    EXIT_LOCKED,
    EXIT_OK,
    BatchOptions,
    execute,
    exit_code_for,
    open_journal,
    resolve_out,
    setup_logging,
)
from ._signals import Interrupted, handled, received

__all__ = [
    "EXIT_AUTH",
    "EXIT_BAD_INPUT",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_JOURNAL",
    "EXIT_LOCKED",
    "EXIT_OK",
    "build_parser",
    "main",
]

_BATCH_EPILOG = """\
manifest (CSV with a header row, or JSON Lines; one job request per row):
  id,family,talking_photo_url,audio_url
  intro,talking_photo,https://cdn.example.com/face.jpg,https://cdn.example.com/hi.mp3
  {"id": "intro-ja", "family": "video_translation", "url": "https://...", "language": "ja,fr"}
  {"family": "topview_text2image", "model": "Imagen 4", "prompt": "a fox", "aspectRatio": "1:1"}

  family: talking_photo, lip_sync, video_translation, talking_avatar, faceswap_image,
    faceswap_video, faceswap_v4, image, image2video, image2video_batch, image2video_audio,
    text2video, tts, voice_clone_v3, voice_tts, voice_clone, voice_change
    (also: lipsync, translation, avatar, image_to_video, text_to_video, text_to_speech)
  TopView families (one manifest may mix both providers): topview_product_replace,
    topview_product_image2video, topview_product_image2video_v2, topview_video_avatar,
    topview_image2video, topview_image2video_v2, topview_text2video, topview_text2image;
    fields in snake_case or TopView's camelCase
    (product_image_file_id or productImageFileId, noticeUrl)
  fields: the SDK's names, as session.create and the Python methods take them (listed
    per family below, with the other spellings accepted everywhere alike)
  id: optional (default line-N); unique ignoring case; names the result files.
  Names are case-insensitive; empty cells are "not given"; '#' lines are comments.
  The whole manifest is checked before any request; errors cite file:line.

journal and resume:
  Every create is journaled before it is sent and its job ids right after. Run the same
  command again to resume: finished rows are skipped, created jobs are tracked again (never
  created twice). A row whose create answer was lost is "unknown": it is listed and not
  created again unless --retry-unknown (the first job may exist: you may pay twice).
  One journal has one writer: a second run on it is refused (exit 6) naming the first.
  A manifest may grow: new rows are created, finished rows stay finished; a row whose
  fields changed is refused unless --changed-rows=recreate (create it again) or =keep.
  Failed rows stay failed unless --retry-failed (those the provider said to try again
  later, e.g. Akool 1015/1201/1205/1211) or --retry-failed=all.
  An output directory belongs to one journal: another journal's run is refused there.

exit codes:
  0  every row done
  1  some rows failed, are unknown or not finished (see the summary and the report)
  2  bad input: manifest, arguments, changed rows, an unreadable journal, an output
     directory owned by another journal; nothing was sent
  3  interrupted (SIGINT/SIGTERM); run the same command again to resume
  4  the credentials were refused (AKOOL_API_KEY ...); nothing more was sent
  5  the journal or the output directory failed during the run (deleted, replaced, disk
     full); the run stopped, the summary and the report say what was done
  6  the journal is in use by another run

credentials (environment only, each needed only if the manifest has that provider's rows):
  Akool: AKOOL_API_KEY, or AKOOL_CLIENT_ID + AKOOL_CLIENT_SECRET
  TopView (topview_* rows): TOPVIEW_API_KEY + TOPVIEW_UID
"""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def _base_url_flag(index: int, provider: Provider) -> str:
    """``--base-url`` for the first provider, ``--<name>-base-url`` for the others."""
    return "--base-url" if index == 0 else f"--{provider.name}-base-url"


def _add_connection(parser: argparse.ArgumentParser) -> None:
    for index, provider in enumerate(PROVIDERS):
        sources = [f"${provider.base_url_env}"] if provider.base_url_env else []
        sources += [provider.default_base_url] if provider.default_base_url else []
        default = f" (default: {' or '.join(sources)})" if sources else ""
        parser.add_argument(
            _base_url_flag(index, provider),
            dest=f"base_url_{provider.name}",
            metavar="URL",
            help=f"{provider.name} API base URL, for its families{default}",
        )
    parser.add_argument(
        "--clock-speed",
        type=_positive_float,
        metavar="X",
        help="testing only: run the client's clock (every provider's) this many times faster "
        "than real time (match the --speed of `akool-async fake-server`)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``akool-async`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="akool-async",
        description="Akool video generation from the command line.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    batch = sub.add_parser(
        "batch",
        help="run every job of a manifest (CSV or JSONL), journaled and resumable",
        description="Create, track and download every job of a manifest. Resumable: run the "
        "same command again after an interruption or a crash.",
        epilog=_BATCH_EPILOG + "\n" + fields_help(PROVIDERS),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    batch.add_argument("manifest", type=Path, metavar="MANIFEST", help="a .csv or .jsonl file")
    batch.add_argument(
        "--out", metavar="DIR|URL", help="where results go: a directory or s3://bucket/prefix"
    )
    batch.add_argument(
        "--journal",
        metavar="FILE|URL",
        help="default: DIR/.akool-journal.sqlite; a postgresql:// URL makes this run one worker "
        "of a fleet sharing the manifest (start the same command on other machines)",
    )
    batch.add_argument("--report", type=Path, metavar="FILE", help="default: DIR/report.json")
    batch.add_argument(
        "--concurrency",
        type=_positive_int,
        default=8,
        metavar="N",
        help="rows in flight at once, from create to the end of their jobs (default 8)",
    )
    batch.add_argument(
        "--download-concurrency", type=_positive_int, default=4, metavar="N", help="default 4"
    )
    batch.add_argument(
        "--max-running",
        type=_positive_int,
        metavar="N",
        help="at most N jobs on the server at once (the whole fleet's, with a PostgreSQL "
        "journal), so an interrupted batch leaves few billed jobs behind",
    )
    batch.add_argument(
        "--lease",
        type=_positive_float,
        default=30.0,
        metavar="S",
        help="PostgreSQL journal: seconds a worker holds its rows without a heartbeat; a dead "
        "worker's rows go to the others after this (default 30)",
    )
    batch.add_argument(
        "--max-wait",
        type=_positive_float,
        metavar="S",
        help="seconds a job may take (default 3600); a job still running then is left for the "
        "next run",
    )
    batch.add_argument(
        "--webhook-url",
        metavar="URL",
        help="sent with every job (Akool's webhookUrl; TopView's noticeUrl, registered first) "
        "for your own systems; this command still polls",
    )
    _add_connection(batch)
    batch.add_argument(
        "--retry-unknown",
        action="store_true",
        help="create again the rows whose create answer was lost (they may be billed twice)",
    )
    batch.add_argument(
        "--retry-failed",
        nargs="?",
        const="retryable",
        choices=("retryable", "all"),
        metavar="WHICH",
        help="create again the rows an earlier run left failed: those the provider said to try "
        "again later (default), or 'all'",
    )
    batch.add_argument(
        "--changed-rows",
        choices=("refuse", "recreate", "keep"),
        default="refuse",
        help="rows journaled earlier whose fields changed in the manifest: refuse the run "
        "(default, naming them), recreate them with the new fields, or keep what was journaled",
    )
    batch.add_argument(  # results that are not files (moderation) are journaled either way
        "--no-download", action="store_true", help="only collect the result URLs (7-day expiry)"
    )
    batch.add_argument(
        "--check", action="store_true", help="validate the manifest, send nothing, exit 0 or 2"
    )
    batch.add_argument(
        "--online",
        action="store_true",
        help="with --check: also look up every voice and avatar id in the account's lists "
        "(reads only, creates nothing)",
    )
    _add_progress(batch)

    demo = sub.add_parser(
        "demo",
        help="200 talking-photo jobs against an embedded fake server, end to end",
        description="Start the embedded fake Akool server on a fast clock, run a batch of "
        "talking-photo jobs with a realistic mix of durations and a few failures, download the "
        "results and show the summary. Sends nothing to Akool; needs no credentials.",
    )
    demo.add_argument("--jobs", type=_positive_int, default=200, metavar="N", help="default 200")
    demo.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="where results go (default ./akool-demo; an earlier demo's folder is cleaned)",
    )
    demo.add_argument(
        "--speed",
        type=_positive_float,
        default=None,
        metavar="X",
        help="clock speed-up shared by server and client (default 40)",
    )
    demo.add_argument(
        "--concurrency", type=_positive_int, default=50, metavar="N", help="default 50"
    )
    demo.add_argument("--seed", type=int, default=7, help="fake server seed (default 7)")
    _add_progress(demo)

    add_status_parser(sub, _add_connection)

    sub.add_parser(
        "fake-server",
        help="run the fake Akool server (python -m akool_async.testing; see its --help)",
        add_help=False,
    )
    add_at_hand_commands(sub, _add_connection)
    return parser


def _add_progress(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--progress",
        choices=("auto", "rich", "plain", "none"),
        default="auto",
        help="bars on a terminal, log lines otherwise (default auto)",
    )
    parser.add_argument(
        "--log-interval",
        type=_positive_float,
        default=DEFAULT_LOG_INTERVAL,
        metavar="S",
        help=f"seconds between plain progress lines (default {DEFAULT_LOG_INTERVAL:g})",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)"
    )


def _error(message: str) -> None:
    print(f"akool-async: error: {message}", file=sys.stderr, flush=True)


def _credentials_in_use(provider: Provider) -> str:
    """The environment variables the provider's session takes its credentials from."""
    for names in provider.credential_env:
        if all(os.environ.get(n, "").strip() for n in names):
            return " and ".join(names)
    return " and ".join(provider.credential_env[0]) if provider.credential_env else provider.name


def _missing_credentials(provider: Provider) -> str | None:
    """A message naming the environment variables to set, if none of the ways is set."""
    ways = provider.credential_env
    if not ways or any(all(os.environ.get(n, "").strip() for n in names) for names in ways):
        return None
    options = " or ".join(" and ".join(names) for names in ways)
    return f"no {provider.name} credentials: set {options} in the environment"


def _sessions(
    args: argparse.Namespace, names: Sequence[str], clock: Clock | None, **kwargs: Any
) -> list[BaseSession]:
    """One session per provider named, in PROVIDERS order, with credentials from the environment
    (ConfigurationError if some are missing, naming the environment variables)."""
    sessions = []
    for p in PROVIDERS:
        if p.name not in names:
            continue
        try:
            session = p.session_from_env(
                base_url=getattr(args, f"base_url_{p.name}"), clock=clock, **kwargs
            )
        except ConfigurationError as exc:
            missing = _missing_credentials(p)
            # A session's own message may give Python advice (``api_key=``): name the variables.
            if missing is not None and "=" in str(exc):
                raise ConfigurationError(missing) from None
            raise
        sessions.append(session)
    return sessions


def _batch(args: argparse.Namespace) -> int:
    try:
        manifest = load_manifest(args.manifest)
    except ManifestError as exc:
        _error(f"{len(exc.problems)} problem(s) in {args.manifest}; nothing was sent")
        print(str(exc), file=sys.stderr, flush=True)
        return EXIT_BAD_INPUT
    if args.check:
        if args.online:
            return _check_online(args, manifest)
        print(f"{args.manifest}: {len(manifest.rows)} rows OK")
        return EXIT_OK
    try:
        out_dir = resolve_out(args.out, args.journal, args.report)
    except ValueError as exc:
        _error(str(exc))
        return EXIT_BAD_INPUT
    # One clock for every provider, so --clock-speed applies to all of them.
    clock: Clock | None = ScaledClock(args.clock_speed) if args.clock_speed else None
    try:
        sessions = _sessions(
            args,
            sorted(manifest.providers),
            clock,
            webhook_url=args.webhook_url,
            # Nothing here receives the webhooks: keep polling at the usual pace.
            webhook_backstop=DEFAULT_POLL_CAP,
        )
    except (ConfigurationError, ValidationError) as exc:
        _error(str(exc))
        return EXIT_BAD_INPUT
    journal_path = args.journal if args.journal is not None else Path(out_dir, DEFAULT_JOURNAL_NAME)
    try:
        journal = open_journal(
            journal_path,
            manifest,
            sessions[0].clock,
            out_dir=out_dir if isinstance(out_dir, Path) else None,  # a URL: its staging dir
            changed_rows=args.changed_rows,
        )
    except RowsChanged as exc:
        listed = "\n".join(f"  {row_id}: {what}" for row_id, what in exc.changes.items())
        _error(
            f"{len(exc.changes)} row(s) of {args.manifest} changed since they were journaled in "
            f"{journal_path}; nothing was sent:\n{listed}\nPass --changed-rows=recreate to "
            "create them again with the new fields (they may be billed again), or "
            "--changed-rows=keep to keep what was journaled."
        )
        return EXIT_BAD_INPUT
    except (JournalError, OutDirTaken, OSError, ImportError) as exc:
        _error(str(exc))
        return exit_code_for(exc) if isinstance(exc, JournalLocked) else EXIT_BAD_INPUT
    options = BatchOptions(
        out_dir=out_dir,
        report_path=args.report if args.report is not None else Path(out_dir, "report.json"),
        concurrency=args.concurrency,
        download=not args.no_download,
        retry_unknown=args.retry_unknown,
        download_concurrency=args.download_concurrency,
        manifest_name=str(args.manifest),
        max_running=args.max_running,
        lease=args.lease,
        changed_rows=args.changed_rows,
        retry_failed=args.retry_failed,
    )
    if args.max_wait is not None:
        options.max_wait = args.max_wait
    display = make_display(args.progress, interval=args.log_interval)
    setup_logging(args.verbose, display)

    async def run() -> tuple[int, dict[str, Any]]:
        async with contextlib.AsyncExitStack() as stack:
            for session in sessions:
                await stack.enter_async_context(session)
            return await execute(sessions, manifest, journal, options, display)

    try:
        code, report = anyio.run(run)
    finally:
        journal.close()
    if code == EXIT_AUTH:
        providers = {r["family"] for r in report["rows"]}
        names = [p for p in PROVIDERS if p.families.keys() & providers] or list(PROVIDERS)
        env = " / ".join(_credentials_in_use(p) for p in names)
        _error(f"the credentials in {env} were refused: {report['auth_error']}; check them")
    return code


def _interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is (or only holds) an interruption by a signal."""
    if isinstance(exc, Interrupted | KeyboardInterrupt):
        return True
    if isinstance(exc, BaseExceptionGroup):
        return all(_interrupted(e) for e in exc.exceptions)
    return False


def _journal_status(path: Path) -> int:
    """Rows per state of a journal, and the run writing it if any (reads only)."""
    if not path.is_file():
        _error(f"no journal at {path}")
        return EXIT_BAD_INPUT
    try:
        with Journal.open(path) as journal:
            counts = journal.counts()
            holder = current_holder(journal.path + ".lock")
    except JournalError as exc:
        _error(str(exc))
        return EXIT_BAD_INPUT
    print(
        json.dumps(
            {
                "journal": str(path),
                "rows": sum(counts.values()),
                "states": {state.value: n for state, n in counts.items() if n},
                "writer": None if holder is None else describe_holder(holder),
            },
            indent=2,
        )
    )
    return EXIT_OK


def _check_online(args: argparse.Namespace, manifest: Manifest) -> int:
    try:
        sessions = _sessions(args, sorted(manifest.providers), None)
        problems = anyio.run(check_manifest_online, manifest, sessions)
    except AkoolError as exc:
        _error(f"online check: {exc}")
        return EXIT_BAD_INPUT if isinstance(exc, ConfigurationError) else EXIT_FAILED
    for problem in problems:
        print(str(problem), file=sys.stderr, flush=True)
    if problems:
        _error(f"{len(problems)} unknown id(s) in {args.manifest}; nothing was created")
        return EXIT_BAD_INPUT
    print(f"{args.manifest}: {len(manifest.rows)} rows OK (voice and avatar ids checked online)")
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    if args.journal is not None:
        if not is_postgres_url(args.journal):
            return _journal_status(Path(args.journal))
        from ._fleet_status import fleet_status, format_fleet_status

        try:
            status = fleet_status(args.journal)
        except (JournalError, ImportError) as exc:
            _error(str(exc))
            return EXIT_BAD_INPUT
        print(json.dumps(status, indent=2) if args.json else format_fleet_status(status))
        return EXIT_OK
    if args.job_id is None or args.family is None:
        _error("status needs a job ID and --family, or --journal FILE|URL")
        return EXIT_BAD_INPUT
    if args.wait or args.download:
        return status_wait(args)

    async def run() -> int:
        clock: Clock | None = ScaledClock(args.clock_speed) if args.clock_speed else None
        serving = [p.name for p in PROVIDERS if args.family in p.families]
        if not serving:
            known = ", ".join(sorted(f for p in PROVIDERS for f in p.families))
            raise ValidationError("family", f"unknown family {args.family!r}; known: {known}")
        (session,) = _sessions(args, serving[:1], clock)
        async with session:
            snap = await session.status(args.job_id, family=args.family)
        print(
            json.dumps(
                {
                    "id": snap.id,
                    "family": args.family,
                    "status": snap.status.name.lower(),
                    "result_url": snap.result_url,
                    "result": snap.result_value,
                    "progress": snap.progress,
                    "error_code": snap.error_code,
                    "error_reason": snap.error_reason,
                },
                indent=2,
            )
        )
        return EXIT_OK

    try:
        return anyio.run(run)
    except (ConfigurationError, ValidationError) as exc:
        _error(str(exc))
        return EXIT_BAD_INPUT
    except AkoolError as exc:  # NotFound included
        _error(str(exc))
        return EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``akool-async``; returns the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["fake-server"]:
        from ..testing.__main__ import main as fake_main

        return fake_main(args_list[1:], prog="akool-async fake-server")
    args = build_parser().parse_args(args_list)
    if getattr(args, "handler", None) is not None:  # family commands, account reads
        return int(args.handler(args))
    if args.command == "batch":
        with handled():
            try:
                code = _batch(args)
            except BaseException as exc:
                if not _interrupted(exc):
                    raise
                print("akool-async: interrupted; run the same command again", file=sys.stderr)
                return EXIT_INTERRUPTED
            return EXIT_INTERRUPTED if received() else code
    if args.command == "demo":
        from ._demo import run_demo

        return run_demo(args)
    if args.command == "status":
        return _status(args)
    return EXIT_BAD_INPUT  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
