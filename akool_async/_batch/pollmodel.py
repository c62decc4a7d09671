"""The batch journal keeps what the scheduler learned, so the next run on it starts warm.

The run that holds the journal loads its ``poll_model`` meta key into every session at start
and saves the first session's :meth:`export_poll_model` there at the end; a bad or missing
value is ignored (learning starts cold), and a failed save never fails the batch.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import anyio

from .._errors import ConfigurationError

if TYPE_CHECKING:
    from .._base import BaseSession
    from .journal import JournalBackend

__all__ = ["load", "save"]

logger = logging.getLogger("akool_async.batch")

KEY = "poll_model"
#: Journals (by id) whose run loaded the model, and so may write it back once.
_held: dict[int, Any] = {}

Run = Callable[..., Awaitable[Any]]


async def load(run: Run, journal: JournalBackend, sessions: Sequence[BaseSession]) -> None:
    """Load the journal's poll model (if any) into ``sessions``; ``run`` runs journal calls."""
    _held[id(journal)] = journal
    saved = await run(journal.meta, KEY)
    if saved is None:
        return
    for session in sessions:
        try:
            session.load_poll_model(json.loads(saved))
        except (ValueError, ConfigurationError) as exc:
            logger.warning("ignoring the journal's poll model: %s", exc)


async def save(run: Run, journal: JournalBackend | None, session: BaseSession) -> None:
    """Save ``session``'s poll model in ``journal``, if this run loaded it from there."""
    if journal is None or _held.pop(id(journal), None) is not journal:
        return
    with anyio.CancelScope(shield=True):
        try:
            await run(journal.set_meta, KEY, json.dumps(session.export_poll_model()))
        except Exception as exc:  # losing what was learned must not fail the batch
            logger.warning("could not save the poll model: %s", exc)
