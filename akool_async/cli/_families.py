"""One command per job family, built from each provider's family table and request classes.

``akool-async talking-photo --photo URL --audio URL --wait --out DIR``: every field of the
family's request class is a flag (``--talking-photo-url``), and so is each of the provider's
field aliases (``--photo``). A flag given several times makes several jobs (``--photo a --photo
b``): a flag given once is shared by all of them. The inputs are checked like manifest rows
before anything is sent, created a few at a time, and tracked by the session's one scheduler.
A family added to a provider's table gets its command with no change here.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import anyio
import attrs

from .._batch import ManifestError, parse_manifest
from .._clock import Clock, ScaledClock
from .._errors import AkoolError, ConfigurationError, ValidationError
from .._family import Family
from .._provider import Provider
from .._providers import PROVIDERS
from .._sentinel import NOT_GIVEN
from ._jobs import JobLine, add_output_flags, emit, wait_all

__all__ = ["add_family_commands", "command_name"]

#: Extra command names, as Akool's own CLI spells them (``akool-cli faceswap image`` is Pro V4).
_CLI_ALIASES: Mapping[str, tuple[str, ...]] = {"faceswap_v4": ("faceswap",)}
_EXIT_BAD_INPUT = 2


def command_name(family: str) -> str:
    """A family's command: its name with ``-`` for ``_`` (``talking-photo``)."""
    return family.replace("_", "-")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _aliases(provider: Provider, fam: Family, taken: set[str]) -> list[str]:
    names = {command_name(a) for a, target in provider.family_aliases.items() if target == fam.name}
    names |= set(_CLI_ALIASES.get(fam.name, ()))
    return sorted(n for n in names if n not in taken and n != command_name(fam.name))


def add_family_commands(
    sub: Any, add_connection: Callable[[argparse.ArgumentParser], None]
) -> None:
    """Add one subcommand per family of every provider to the ``sub`` subparsers action."""
    taken = set(sub.choices)
    for provider in PROVIDERS:
        for fam in provider.families.values():
            name = command_name(fam.name)
            aliases = _aliases(provider, fam, taken | {name})
            taken |= {name, *aliases}
            parser = sub.add_parser(
                name,
                aliases=aliases,
                help=f"create {fam.name} job(s) ({provider.name})",
                description=f"Create {fam.name} jobs ({provider.name}: POST {fam.create_path}). "
                "A flag given N times makes N jobs; a flag given once is shared by all.",
            )
            _add_field_flags(parser, provider, fam)
            add_output_flags(parser, wait_help="wait for the jobs, with progress on stderr")
            parser.add_argument(
                "--concurrency", type=int, default=8, metavar="N", help="creates in flight"
            )
            add_connection(parser)
            parser.set_defaults(handler=run_family, family=fam.name, provider=provider.name)


def _add_field_flags(parser: argparse.ArgumentParser, provider: Provider, fam: Family) -> None:
    fields = attrs.fields(fam.request_type)
    names = {a.name for a in fields}
    by_field: dict[str, list[str]] = {}
    for alias, target in provider.field_aliases(fam.name).items():
        if alias not in names and target in names:
            by_field.setdefault(target, []).append(alias)
    group = parser.add_argument_group("request fields (API names; repeat a flag for more jobs)")
    for a in fields:
        required = a.default is attrs.NOTHING
        spellings = [_flag(a.name), *(_flag(x) for x in sorted(by_field.get(a.name, ())))]
        group.add_argument(
            *spellings,
            dest=f"field_{a.name}",
            action="append",
            metavar="VALUE",
            help=("required" if required else "optional") + _kind_hint(a.type),
        )


def _kind_hint(tp: Any) -> str:
    text = str(tp)
    if "list" in text or "tuple" in text:
        return "; a list: values separated by |"
    if "bool" in text:
        return "; true or false"
    return ""


def _rows(args: argparse.Namespace) -> tuple[list[str], list[list[str]]]:
    """The inputs as CSV header and rows (validated as a manifest would be)."""
    given = {
        key[len("field_") :]: values
        for key, values in vars(args).items()
        if key.startswith("field_") and values
    }
    count = max((len(v) for v in given.values()), default=1)
    for name, values in given.items():
        if len(values) not in (1, count):
            raise ValidationError(
                name, f"given {len(values)} times; give it once or as many times as the others"
            )
    header = ["id", "family", *given]
    rows = [
        [f"input-{i + 1}", args.family, *(v[0] if len(v) == 1 else v[i] for v in given.values())]
        for i in range(count)
    ]
    return header, rows


def _parse(args: argparse.Namespace) -> list[dict[str, Any]]:
    header, rows = _rows(args)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    manifest = parse_manifest(buf.getvalue(), source="input", format="csv")
    return [dict(row.fields) for row in manifest.rows]


def run_family(args: argparse.Namespace) -> int:
    """Run a family's command; returns the exit code (0 ok, 1 a job failed, 2 bad input)."""
    try:
        inputs = _parse(args)
        provider = next(p for p in PROVIDERS if p.name == args.provider)
        clock: Clock | None = ScaledClock(args.clock_speed) if args.clock_speed else None
        session = provider.session_from_env(
            base_url=getattr(args, f"base_url_{provider.name}"), clock=clock
        )
    except ManifestError as exc:
        for problem in exc.problems:
            where = f"input {problem.line - 1}: " if problem.line > 1 else ""
            field = f"{problem.field}: " if problem.field else ""
            print(f"akool-async: error: {where}{field}{problem.problem}", file=sys.stderr)
        return _EXIT_BAD_INPUT
    except (ConfigurationError, ValidationError) as exc:
        print(f"akool-async: error: {exc}", file=sys.stderr)
        return _EXIT_BAD_INPUT
    out_dir: Path | None = args.out
    wait = args.wait or out_dir is not None
    max_wait = NOT_GIVEN if args.max_wait is None else args.max_wait
    lines = [JobLine(i + 1, args.family) for i in range(len(inputs))]
    extra_lines: list[JobLine] = []

    async def run() -> int:
        limiter = anyio.CapacityLimiter(max(1, args.concurrency))
        async with session:

            async def create(line: JobLine, fields: dict[str, Any]) -> None:
                async with limiter:
                    try:
                        jobs = await session.create(args.family, fields, max_wait=max_wait)
                    except AkoolError as exc:
                        line.error = str(exc)
                        return
                line.job = jobs[0]
                for more in jobs[1:]:  # a multi-language translation starts one job per language
                    extra = JobLine(line.index, args.family)
                    extra.job = more
                    extra_lines.append(extra)

            async with anyio.create_task_group() as tg:
                for line, fields in zip(lines, inputs, strict=True):
                    tg.start_soon(create, line, fields)
            if wait:
                await wait_all([*lines, *extra_lines], out_dir, stream=sys.stderr)
            # Before the session closes: closing stops tracking the jobs that are still running.
            return emit([*lines, *extra_lines], as_json=args.json, waited=wait)

    return anyio.run(run)
