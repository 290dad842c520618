"""A small time-bounded cache for data a service reads on every event but that rarely changes
(rules, templates, its registry projection). Entries live ``ttl`` seconds, so another replica's
change is seen within that; the process's own changes invalidate at once."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

_MISSING = object()


class TtlCache:
    def __init__(self, ttl: float = 10.0, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, Any]] = {}

    async def get(self, key: Hashable, load: Callable[[], Awaitable[Any]], *, keep_none: bool = True) -> Any:
        now = time.monotonic()
        found = self._entries.get(key, _MISSING)
        if found is not _MISSING and found[0] > now:
            return found[1]
        value = await load()
        if value is not None or keep_none:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (now + self.ttl, value)
        return value

    def invalidate(self, key: Hashable | None = None) -> None:
        if key is None:
            self._entries.clear()
        else:
            self._entries.pop(key, None)
