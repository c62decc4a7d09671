"""The PostgreSQL journal's tables (see :mod:`.postgres`)."""

from __future__ import annotations

from typing import Final

__all__ = ["_SCHEMA"]

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
