"""Opening a journal by name: a ``postgresql://`` URL opens PostgreSQL, anything else SQLite.

The PostgreSQL backend (and psycopg) is imported only when a URL asks for it, so SQLite users
need nothing beyond the package's own dependencies.
"""

from __future__ import annotations

import os
from typing import Final

from ..._clock import Clock
from .sqlite import Journal

__all__ = ["POSTGRES_SCHEMES", "is_postgres_url", "open_journal"]

#: URL prefixes that name a PostgreSQL journal.
POSTGRES_SCHEMES: Final = ("postgresql://", "postgres://")


def is_postgres_url(url_or_path: str | os.PathLike[str]) -> bool:
    """Whether ``url_or_path`` names a PostgreSQL journal (``postgresql://`` or ``postgres://``)."""
    return os.fspath(url_or_path).startswith(POSTGRES_SCHEMES)


def open_journal(
    url_or_path: str | os.PathLike[str],
    *,
    manifest_digest: str | None = None,
    allow_manifest_change: bool = False,
    clock: Clock | None = None,
) -> Journal:
    """Open a journal: PostgreSQL for a ``postgresql://`` (or ``postgres://``) URL, else SQLite.

    A URL's fragment names the PostgreSQL schema (``postgresql://host/db#nightly``; default
    ``akool_async``), so one database can hold several journals.

    Raises:
        JournalError: the journal cannot be opened (or belongs to another manifest).
        ImportError: a PostgreSQL URL without psycopg installed (``akool-async[fleet]``).
    """
    if not is_postgres_url(url_or_path):
        return Journal.open(
            os.fspath(url_or_path),
            manifest_digest=manifest_digest,
            allow_manifest_change=allow_manifest_change,
            clock=clock,
        )
    from .postgres import PostgresJournal, _Conninfo

    target = _Conninfo(os.fspath(url_or_path))
    del url_or_path  # a URL may hold a password: keep it out of traceback frame locals
    return PostgresJournal.open(
        target,
        manifest_digest=manifest_digest,
        allow_manifest_change=allow_manifest_change,
        clock=clock,
    )
