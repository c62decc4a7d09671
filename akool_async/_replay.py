"""The replay cache of a webhook verifier: accepted signatures, in memory or in a SQLite file.

With a ``store`` path, a receiver restarted (or a second one on the same file) still refuses a
captured delivery it accepted before. The file holds signatures and timestamps only: no payload,
no credential.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import OrderedDict

from ._errors import ReplayedWebhook

__all__ = ["ReplayCache"]

_REPLAYED = "replayed delivery: this signature was already accepted"


class ReplayCache:
    """Signatures of accepted deliveries: the last ``size``, none older than ``horizon_ms``.

    Thread-safe. A SQLite ``store`` is written once per accepted delivery (a one-row insert),
    and pruned of entries past the tolerance as it goes.
    """

    __slots__ = ("_db", "_lock", "_seen", "size")

    def __init__(self, size: int, store: str | os.PathLike[str] | None = None) -> None:
        self.size = size
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if store is not None:
            db = sqlite3.connect(os.fspath(store), check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS accepted_webhooks "
                "(signature TEXT PRIMARY KEY, timestamp_ms REAL NOT NULL)"
            )
            self._db = db

    def _forget_stale(self, horizon_ms: float | None) -> None:
        if horizon_ms is None:
            return
        # Insertion order roughly follows delivery time; a stale entry behind a fresh one
        # lingers until the size bound evicts it, which is harmless.
        while self._seen:
            oldest = next(iter(self._seen.values()))
            if oldest >= horizon_ms:
                break
            self._seen.popitem(last=False)

    def _stored(self, signature: str) -> bool:
        if self._db is None:
            return False
        row = self._db.execute(
            "SELECT 1 FROM accepted_webhooks WHERE signature = ?", (signature,)
        ).fetchone()
        return row is not None

    def check(self, signature: str, horizon_ms: float | None) -> None:
        """Raise ReplayedWebhook if ``signature`` was accepted before."""
        if not self.size:
            return
        with self._lock:
            self._forget_stale(horizon_ms)
            if signature in self._seen or self._stored(signature):
                raise ReplayedWebhook(_REPLAYED)

    def remember(self, signature: str, timestamp_ms: float, horizon_ms: float | None) -> None:
        """Record an accepted delivery; ReplayedWebhook if another one just took it."""
        if not self.size:
            return
        with self._lock:
            # Checked again: another thread (or process) may have accepted it meanwhile.
            if signature in self._seen:
                raise ReplayedWebhook(_REPLAYED)
            if self._db is not None:
                try:
                    self._db.execute(
                        "INSERT INTO accepted_webhooks VALUES (?, ?)", (signature, timestamp_ms)
                    )
                except sqlite3.IntegrityError:
                    raise ReplayedWebhook(_REPLAYED) from None
                if horizon_ms is not None:
                    self._db.execute(
                        "DELETE FROM accepted_webhooks WHERE timestamp_ms < ?", (horizon_ms,)
                    )
            self._seen[signature] = timestamp_ms
            self._forget_stale(horizon_ms)
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)

    def __len__(self) -> int:
        return len(self._seen)

    def close(self) -> None:
        """Close the store file (the memory part keeps working)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
