"""The PostgreSQL journal's tables, and the connection wrapper that reads the SQLite journal's
SQL in PostgreSQL's terms (see :mod:`.postgres`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import psycopg
from psycopg.conninfo import conninfo_to_dict

__all__ = ["_SCHEMA", "_Conninfo", "_Dialect", "_describe"]

_SCHEMA: Final = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE workers (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started DOUBLE PRECISION NOT NULL,
    heartbeat DOUBLE PRECISION NOT NULL,
    stopped DOUBLE PRECISION
);
CREATE TABLE rows (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    row_id TEXT NOT NULL UNIQUE,
    family TEXT NOT NULL,
    request TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    create_response TEXT,
    created_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL,
    claimed_by BIGINT REFERENCES workers (id),
    lease_until DOUBLE PRECISION
);
CREATE INDEX rows_by_state ON rows (state, seq);
CREATE INDEX rows_by_worker ON rows (claimed_by);
CREATE TABLE jobs (
    job_id TEXT PRIMARY KEY,
    row_id TEXT NOT NULL REFERENCES rows (row_id),
    idx INTEGER NOT NULL,
    state TEXT NOT NULL,
    result_url TEXT,
    error TEXT,
    completed_at DOUBLE PRECISION,
    updated_at DOUBLE PRECISION NOT NULL,
    file_path TEXT,
    file_size BIGINT,
    file_sha256 TEXT,
    UNIQUE (row_id, idx)
);
CREATE TABLE events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at DOUBLE PRECISION NOT NULL,
    row_id TEXT NOT NULL,
    job_id TEXT,
    state TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX events_by_row ON events (row_id);
"""


class _Conninfo:
    """A connection string that never shows itself (it may hold a password)."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<conninfo>"


_SQLITE_UPSERT: Final = "INSERT OR REPLACE INTO"
_PG_UPSERT: Final = "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"


class _Dialect:
    """A psycopg connection that reads the SQLite journal's SQL: ``?`` placeholders, upserts."""

    __slots__ = ("_conn",)

    def __init__(self, conn: psycopg.Connection[tuple[Any, ...]]) -> None:
        self._conn = conn

    def execute(self, query: str, params: Sequence[Any] = ()) -> psycopg.Cursor[tuple[Any, ...]]:
        if query.startswith(_SQLITE_UPSERT):  # the one SQLite-only statement: set a meta key
            query = f"INSERT INTO{query[len(_SQLITE_UPSERT) :]} {_PG_UPSERT}"
        return self._conn.execute(query.replace("?", "%s"), params)


def _describe(conninfo: str, schema: str) -> str:
    """The journal's name for messages: where it is, without any password."""
    try:
        info = conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        return f"postgresql journal (schema {schema})"
    user = f"{info['user']}@" if info.get("user") else ""
    port = f":{info['port']}" if info.get("port") else ""
    return f"postgresql://{user}{info.get('host', '')}{port}/{info.get('dbname', '')}#{schema}"
