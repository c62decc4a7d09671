"""SIGINT/SIGTERM outside the batch's own handling: before a run starts, and after it ended.

While a batch runs, :func:`akool_async.cli._run.execute` handles the signals itself (first one:
stop gracefully; second: abort). Before that (reading the manifest, opening the journal) a
SIGTERM must not kill the process with -15, and after it (writing the report, printing the
summary) neither signal may cut the summary short: both end with the documented exit code 3.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

__all__ = ["Interrupted", "handled", "note_late", "received"]

_SIGNALS: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)
_received: list[int] = []
# Whether handled() is active in the main thread (only then are handlers ours to change).
_active: list[bool] = []


class Interrupted(BaseException):
    """A SIGTERM (or SIGINT) arrived before the run started: stop, exit 3."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


def _raise(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)
    raise Interrupted(signum)


def _note(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)


def received() -> bool:
    """Whether a signal arrived outside the run's own handling (since :func:`handled` began)."""
    return bool(_received)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """For the command's whole life: SIGINT/SIGTERM raise :class:`Interrupted` until a run takes
    over; the previous handlers come back at the end (the command may run inside a program)."""
    _received.clear()
    if not _main_thread():
        try:
            yield
        finally:
            _received.clear()
        return
    previous: dict[int, Any] = {s: signal.getsignal(s) for s in _SIGNALS}
    for s in _SIGNALS:
        signal.signal(s, _raise)
    _active.append(True)
    try:
        yield
    finally:
        _active.pop()
        for s, handler in previous.items():
            signal.signal(s, handler)
        _received.clear()


def note_late() -> None:
    """From now on a signal is only noted (the run is ending: the summary must be printed).

    Only inside :func:`handled` (the command's own process); elsewhere nothing changes.
    """
    if _main_thread() and _active:
        for s in _SIGNALS:
            with contextlib.suppress(ValueError):
                signal.signal(s, _note)
