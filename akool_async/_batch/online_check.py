"""The online manifest check: voice and avatar ids the account's lists do not hold, by line.

``akool-async batch MANIFEST --check --online`` runs it after the offline validation and before
anything is created. Rows of a provider whose session offers the lists (``avatars()``,
``voices(version=...)``: Akool's) are read for every ``voice_id`` and ``avatar_id`` in their
fields, nested ones included (a translation's ``voices_map``, talking avatar's elements); a list
is fetched only if some row names such an id, and once.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

import attrs

from .manifest import Manifest, ManifestProblem

if TYPE_CHECKING:
    from .._base import BaseSession

__all__ = ["check_manifest_online", "referenced_ids"]

#: Field name -> what the message calls it.
_KINDS: Final = {"voice_id": "voice", "avatar_id": "avatar"}


@runtime_checkable
class _Lists(Protocol):
    def avatars(self) -> AsyncIterator[Any]: ...

    def voices(self, *, version: Any = ...) -> AsyncIterator[Any]: ...


def _walk(value: Any) -> Iterator[tuple[str, str]]:
    """Every ``(field, id)`` of a voice or avatar id inside a field value."""
    if attrs.has(type(value)):
        value = {a.name: getattr(value, a.name) for a in attrs.fields(type(value))}
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key in _KINDS and isinstance(item, str) and item:
                yield key, item
            else:
                yield from _walk(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _walk(item)


def referenced_ids(fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The voice and avatar ids a row's fields name, as ``(field, id)`` in order."""
    return list(_walk(fields))


async def _known(session: _Lists, field: str) -> set[str]:
    if field == "avatar_id":
        return {a.avatar_id async for a in session.avatars()}
    ids = {v.voice_id async for v in session.voices(version=4)}
    ids |= {v.voice_id async for v in session.voices(version=3)}
    return ids


async def check_manifest_online(
    manifest: Manifest, sessions: Sequence[BaseSession]
) -> list[ManifestProblem]:
    """Every unknown voice or avatar id of ``manifest``, in line order (enters the sessions).

    Raises:
        AkoolError: a list could not be read (credentials, network).
    """
    problems: list[ManifestProblem] = []
    async with contextlib.AsyncExitStack() as stack:
        for session in sessions:
            if not isinstance(session, _Lists):
                continue
            await stack.enter_async_context(session)
            known: dict[str, set[str]] = {}
            for row in manifest.rows:
                if row.provider != session.provider:
                    continue
                for field, ident in referenced_ids(row.fields):
                    if field not in known:
                        known[field] = await _known(session, field)
                    if ident not in known[field]:
                        problems.append(
                            ManifestProblem(
                                row.source,
                                row.line,
                                field,
                                f"unknown {_KINDS[field]} id {ident!r} (not in the account's "
                                f"{_KINDS[field]} list)",
                            )
                        )
    problems.sort(key=lambda p: p.line)
    return problems
