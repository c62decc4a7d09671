"""Provider-neutral pieces of webhook receivers: a window of delivered keys, a quiet logger."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from ._errors import ConfigurationError

__all__ = ["DedupeWindow", "ThrottledLog"]


class DedupeWindow:
    """The last ``size`` keys delivered, to drop repeated deliveries (thread-safe).

    Args:
        size: keys remembered (least recently seen forgotten first); 0 disables the window.
    """

    __slots__ = ("_lock", "_seen", "size")

    def __init__(self, size: int) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ConfigurationError(f"dedupe_window: must be an int >= 0, got {size!r}")
        self.size = size
        self._seen: OrderedDict[Hashable, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, key: Hashable) -> bool:
        """Record ``key``; False if it was seen already (which refreshes its place)."""
        if not self.size:
            return True
        with self._lock:
            if key in self._seen:
                self._seen.move_to_end(key)
                return False
            self._seen[key] = None
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)
            return True


class ThrottledLog:
    """At most ``limit`` log lines per ``interval`` seconds; then one line says how many were
    suppressed. Forged deliveries by the thousand must not flood the log.

    Args:
        logger: where to write.
        limit: lines written per interval.
        interval: seconds.
        now: the time source (monotonic seconds).
    """

    __slots__ = (
        "_lock",
        "_logger",
        "_now",
        "_start",
        "_suppressed",
        "_written",
        "interval",
        "limit",
    )

    def __init__(
        self,
        logger: logging.Logger,
        *,
        limit: int = 10,
        interval: float = 60.0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self.limit = limit
        self.interval = interval
        self._now = now
        self._start = now()
        self._written = 0
        self._suppressed = 0
        self._lock = threading.Lock()

    @property
    def suppressed(self) -> int:
        """Lines held back in the current interval."""
        return self._suppressed

    def log(self, level: int, msg: str, *args: Any, **kwargs: Any) -> None:
        """``logger.log(level, msg, *args, **kwargs)``, unless this interval's lines are spent."""
        with self._lock:
            now = self._now()
            if now - self._start >= self.interval:
                if self._suppressed:
                    self._logger.log(
                        level,
                        "%d similar log line(s) suppressed in the last %.0f s",
                        self._suppressed,
                        now - self._start,
                        extra={"suppressed": self._suppressed},
                    )
                self._start, self._written, self._suppressed = now, 0, 0
            if self._written >= self.limit:
                self._suppressed += 1
                return
            self._written += 1
        self._logger.log(level, msg, *args, **kwargs)
