"""Account reads (``credit``, ``languages``) and ``status ID --wait [--download DIR]``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import attrs

from .._akool.lists import MODEL_TYPES
from .._clock import Clock, ScaledClock
from .._errors import AkoolError, ConfigurationError, ValidationError
from .._providers import PROVIDERS
from .._session import Session
from ._families import add_family_commands
from ._jobs import JobLine, emit, wait_all

__all__ = ["add_at_hand_commands", "add_misc_commands", "add_status_parser", "status_wait"]

_EXIT_BAD_INPUT = 2
_EXIT_FAILED = 1


def add_misc_commands(sub: Any, add_connection: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``credit``, ``languages``, ``voices``, ``avatars`` and ``models`` to the ``sub``
    subparsers action."""
    parsers = {}
    for name, help_text, handler in (
        ("credit", "show the account's credit balance", _credit),
        ("languages", "list the languages video translation accepts", _languages),
        ("voices", "list the voices (v4 VoiceLab by default)", _voices),
        ("avatars", "list the avatars talking avatar accepts", _avatars),
        ("models", "list the AI models (for a create's model_name)", _models),
    ):
        description = help_text[0].upper() + help_text[1:] + "."
        parser = sub.add_parser(name, help=help_text, description=description)
        parser.add_argument("--json", action="store_true", help="print one JSON document")
        add_connection(parser)
        parser.set_defaults(handler=handler)
        parsers[name] = parser
    owner_help = "Akool's own or your own (default both)"
    for name in ("voices", "avatars"):
        parsers[name].add_argument("--owner", choices=("akool", "mine"), help=owner_help)
    parsers["voices"].add_argument(
        "--api-version", type=int, choices=(3, 4), default=4, help="voice list version (4)"
    )
    parsers["models"].add_argument(
        "--type",
        type=int,
        action="append",
        choices=MODEL_TYPES,
        help="1501 image to video (default), 1502 text to video, 2101 character swap; repeatable",
    )


def add_at_hand_commands(
    sub: Any, add_connection: Callable[[argparse.ArgumentParser], None]
) -> None:
    """The account reads and lists, then one command per family."""
    add_misc_commands(sub, add_connection)
    add_family_commands(sub, add_connection)


def add_status_parser(sub: Any, add_connection: Callable[[argparse.ArgumentParser], None]) -> None:
    """``status``: one job (``--wait``, ``--download DIR``), a journal, or a fleet."""
    status = sub.add_parser(
        "status",
        help="show one job's status, a batch journal's (read-only, even while a run writes it), "
        "or a fleet's (--journal postgresql://...)",
    )
    status.add_argument("job_id", metavar="ID", nargs="?", help="a job id (with --family)")
    status.add_argument("--family", help="the job's family, e.g. talking_photo")
    status.add_argument(
        "--journal",
        metavar="FILE|URL",
        help="show a batch journal's rows per state; for a postgresql:// journal, the fleet "
        "sharing it: workers, rows per state, throughput",
    )
    status.add_argument("--wait", action="store_true", help="track the job to its end")
    status.add_argument(
        "--download",
        type=Path,
        metavar="DIR",
        help="wait, then save the result file (a result that is not a file is printed)",
    )
    status.add_argument(
        "--json", action="store_true", help="with --journal or --wait: one JSON document"
    )
    add_connection(status)


def _clock(args: argparse.Namespace) -> Clock | None:
    return ScaledClock(args.clock_speed) if args.clock_speed else None


def _akool(args: argparse.Namespace) -> Session:
    provider = next(p for p in PROVIDERS if p.name == "akool")
    session = provider.session_from_env(base_url=args.base_url_akool, clock=_clock(args))
    assert isinstance(session, Session)
    return session


def _read(args: argparse.Namespace, fn: Callable[[Session], Any]) -> Any:
    """Run one read on a fresh Akool session; None (after printing why) on failure."""

    async def run() -> Any:
        async with _akool(args) as session:
            return await fn(session)

    try:
        return anyio.run(run)
    except (ConfigurationError, ValidationError) as exc:
        print(f"akool-async: error: {exc}", file=sys.stderr)
        raise SystemExit(_EXIT_BAD_INPUT) from None
    except AkoolError as exc:
        print(f"akool-async: error: {exc}", file=sys.stderr)
        raise SystemExit(_EXIT_FAILED) from None


def _credit(args: argparse.Namespace) -> int:
    credit = _read(args, lambda s: s.credit())
    if args.json:
        print(json.dumps({"credit": credit.credit}))
    else:
        value = credit.credit
        print(f"credit: {int(value) if value.is_integer() else value}")
    return 0


def _languages(args: argparse.Namespace) -> int:
    langs = _read(args, lambda s: s.languages())
    if args.json:
        rows = [{"lang_code": x.lang_code, "lang_name": x.lang_name, "url": x.url} for x in langs]
        print(json.dumps({"languages": rows}, indent=2))
    else:
        for lang in langs:
            print(f"{lang.lang_code:<10} {lang.lang_name}")
    return 0


def _listing(args: argparse.Namespace, key: str, items: list[Any], *columns: str) -> int:
    """Print listed models: one JSON document (their fields, ``raw`` aside) or one per line."""
    if args.json:
        rows = [attrs.asdict(item, filter=lambda a, _v: a.name != "raw") for item in items]
        print(json.dumps({key: rows}, indent=2))
    else:
        for item in items:
            print("  ".join(str(getattr(item, c) or "-") for c in columns))
    return 0


async def _collect(it: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in it]


def _voices(args: argparse.Namespace) -> int:
    voices = _read(args, lambda s: _collect(s.voices(version=args.api_version, owner=args.owner)))
    return _listing(args, "voices", voices, "voice_id", "name", "gender", "language")


def _avatars(args: argparse.Namespace) -> int:
    avatars = _read(args, lambda s: _collect(s.avatars(owner=args.owner)))
    return _listing(args, "avatars", avatars, "avatar_id", "name", "gender")


def _models(args: argparse.Namespace) -> int:
    models = _read(args, lambda s: _collect(s.ai_models(types=args.type or (1501,))))
    return _listing(args, "models", models, "value", "label", "type")


def status_wait(args: argparse.Namespace) -> int:
    """``status ID --wait`` / ``--download DIR``: track the job to its end, then print it (and
    save its result)."""
    serving = [p for p in PROVIDERS if args.family in p.families]
    try:
        if not serving:
            known = ", ".join(sorted(f for p in PROVIDERS for f in p.families))
            raise ValidationError("family", f"unknown family {args.family!r}; known: {known}")
        provider = serving[0]
        session = provider.session_from_env(
            base_url=getattr(args, f"base_url_{provider.name}"), clock=_clock(args)
        )
    except (ConfigurationError, ValidationError) as exc:
        print(f"akool-async: error: {exc}", file=sys.stderr)
        return _EXIT_BAD_INPUT
    line = JobLine(1, args.family)

    async def run() -> None:
        async with session:
            line.job = session.track(args.job_id, family=args.family)
            await wait_all([line], args.download, stream=sys.stderr)

    anyio.run(run)
    return emit([line], as_json=args.json, waited=True)
