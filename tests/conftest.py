"""Shared fixtures: every async test runs on asyncio in debug mode."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, bool]]:
    """Run anyio tests on asyncio with debug checks on."""
    return ("asyncio", {"debug": True})
