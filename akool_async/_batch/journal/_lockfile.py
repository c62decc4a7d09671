"""The writer lock of a file journal: an exclusive OS lock on a file beside it.

The lock file holds the holder's pid, host and start time, so a refused run can name it. The OS
releases the lock when its process dies (even by SIGKILL), so a stale lock file left by a dead
run never blocks the next one: only a live process holds the lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from typing import Any

__all__ = ["WriterLock", "current_holder", "describe_holder", "read_holder"]


def read_holder(path: str) -> dict[str, Any] | None:
    """What the lock file says of its holder (pid, host, since), or None if unreadable."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.loads(f.read(4096) or "null")
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def describe_holder(holder: dict[str, Any] | None) -> str:
    """``pid 123 on host h (since 2026-...)``, or ``another process`` if unknown."""
    if not holder:
        return "another process"
    since = holder.get("since")
    when = (
        f" since {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(since))}"
        if isinstance(since, int | float)
        else ""
    )
    return f"pid {holder.get('pid', '?')} on host {holder.get('host', '?')}{when}"


def current_holder(path: str) -> dict[str, Any] | None:
    """Who holds the lock at ``path`` now (a live process), or None; never takes it for long."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    try:
        if _try_lock(fd):
            return None  # nobody holds it (closing the file releases it again)
    finally:
        os.close(fd)
    return read_holder(path) or {}


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class WriterLock:
    """An exclusive, non-blocking lock on ``path`` (created if needed). Blocking calls."""

    __slots__ = ("_fd", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd = -1

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd >= 0

    def acquire(self) -> dict[str, Any] | None:
        """Take the lock; None on success, else what the lock file says of its holder.

        Raises:
            OSError: the lock file cannot be created or written (e.g. a full disk).
        """
        if self._fd >= 0:
            return None
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
        try:
            if not _try_lock(fd):
                os.close(fd)
                return read_holder(self.path) or {}
            holder = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, json.dumps(holder).encode("utf-8"))
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(fd)
            raise
        self._fd = fd
        return None

    def release(self) -> None:
        """Release the lock (closing the file releases it); safe to call twice."""
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            with contextlib.suppress(OSError):
                os.close(fd)
