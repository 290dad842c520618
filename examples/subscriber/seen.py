"""Idempotence: what was already processed, kept in SQLite beside the subscriber's own data.

Why SQLite and not a set in memory: delivery is at least once on both paths. A consumer that
stops between handling a record and committing its offset reads that record again after a
restart, and notify sends a webhook again when an answer was lost — both across a restart,
which a set in memory forgets. Why a file and not a server: a file needs nothing to run, and a
real subscriber keeps this table in its own database, written in the same transaction as the
effect, so "processed" and "done" cannot disagree (the block of ``once`` is that transaction).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator

# Longer than any topic keeps an event (30 days; docs/subscribers.md): an older id cannot come back
# from the topic, only from a replay into a new group, which is meant to process it again.
KEEP_S = 35 * 24 * 3600


class Seen:
    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)  # transactions are opened by hand
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS seen (scope TEXT NOT NULL, id TEXT NOT NULL,"
                        " at REAL NOT NULL, PRIMARY KEY (scope, id))")
        self.db.execute("DELETE FROM seen WHERE at < ?", (time.time() - KEEP_S,))

    @contextlib.contextmanager
    def once(self, scope: str, id_: str) -> Iterator[bool]:
        """``True`` the first time ``(scope, id_)`` is seen. The record and whatever the block
        writes to ``self.db`` commit together when it ends, and neither does if it raises."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            fresh = self.db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)",
                                    (scope, id_, time.time())).rowcount == 1
            yield fresh
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()
