"""A small time-bounded cache for data a service reads on every event but that rarely changes
(rules, templates, its registry projection). Entries live ``ttl`` seconds, so another replica's
change is seen within that; the process's own changes invalidate at once."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar, cast

V = TypeVar("V")


class TtlCache:
    def __init__(self, ttl: float = 10.0, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, object]] = {}

    async def get(self, key: Hashable, load: Callable[[], Awaitable[V]], *, keep_none: bool = True) -> V:
        now = time.monotonic()
        found = self._entries.get(key)
        if found is not None and found[0] > now:
            return cast(V, found[1])  # what this key's loader returned
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
