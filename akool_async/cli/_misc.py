"""Account reads (``credit``, ``languages``) and ``status ID --wait [--download DIR]``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

import anyio

from .._clock import Clock, ScaledClock
from .._errors import AkoolError, ConfigurationError, ValidationError
from .._providers import PROVIDERS
from .._session import Session
from ._jobs import JobLine, emit, wait_all

__all__ = ["add_misc_commands", "status_wait"]

_EXIT_BAD_INPUT = 2
_EXIT_FAILED = 1


def add_misc_commands(sub: Any, add_connection: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``credit`` and ``languages`` to the ``sub`` subparsers action."""
    for name, help_text, handler in (
        ("credit", "show the account's credit balance", _credit),
        ("languages", "list the languages video translation accepts", _languages),
    ):
        parser = sub.add_parser(
            name, help=help_text, description=help_text[0].upper() + help_text[1:] + "."
        )
        parser.add_argument("--json", action="store_true", help="print one JSON document")
        add_connection(parser)
        parser.set_defaults(handler=handler)


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
