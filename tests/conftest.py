"""Shared fixtures: every async test runs on asyncio in debug mode."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, bool]]:
    """Run anyio tests on asyncio with debug checks on."""
    return ("asyncio", {"debug": True})


# The throwaway PostgreSQL server (session-scoped) and a fresh schema name per test.
from .pg import pg_schema, postgres_url  # noqa: E402, F401
