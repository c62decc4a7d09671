"""A fake TopView open API, one module per TopView area (its mirror of ``akool_async.topview``).

``async with FakeTopView(FakeConfig(speed=1000)) as fake:`` serves submit/query of every task
type, uploads, notice URLs and callbacks on ``fake.base_url``; :func:`add_topview_routes` adds
them to any aiohttp app. Adding a family touches its area's module here (submit validator and
result fields) and ``TOPVIEW_TASKS``.
"""

from __future__ import annotations

from .._topview_state import TOPVIEW_TASKS, FakeFile, TopViewCounters, TopViewJob, sample_media
from ._server import FakeTopView, add_topview_routes

__all__ = [
    "TOPVIEW_TASKS",
    "FakeFile",
    "FakeTopView",
    "TopViewCounters",
    "TopViewJob",
    "add_topview_routes",
    "sample_media",
]
