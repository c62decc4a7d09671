"""The per-family field list of ``akool-async batch --help``, built from the provider records
(the same names and aliases manifests and ``session.create`` accept)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import attrs

from .._provider import Provider

__all__ = ["fields_help"]


def _field(name: str, required: bool, aliases: Sequence[str]) -> str:
    star = "*" if required else ""
    return f"{name}{star}" + (f" ({'/'.join(aliases)})" if aliases else "")


def fields_help(providers: Sequence[Provider]) -> str:
    """``fields per family`` lines: each family's fields (* required) with their aliases."""
    lines = ["fields per family (* required; other accepted spellings in brackets):"]
    for provider in providers:
        for name, fam in provider.families.items():
            cls = fam.request_type
            if not attrs.has(cls):
                continue
            aliases = provider.field_aliases(name)
            camel = provider.name != "akool"  # its aliases are the camelCase of every field
            parts = []
            for a in attrs.fields(cls):
                spelled = [] if camel else sorted(k for k, v in aliases.items() if v == a.name)
                parts.append(_field(a.name, a.default is attrs.NOTHING, spelled))
            text = f"{name}: " + ", ".join(parts) + (" (camelCase too)" if camel else "")
            lines += textwrap.wrap(text, 88, initial_indent="  ", subsequent_indent="      ")
    return "\n".join(lines) + "\n"
