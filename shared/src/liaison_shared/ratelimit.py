"""Per-client limits on public endpoints: 429 with Retry-After past the limit.

A fixed one-minute window per client address, kept in the process. Behind a load
balancer each replica counts on its own, so the effective limit is per replica; the
proxy in front (compose, ingress) should pass the client address in X-Forwarded-For
only when it is trusted — this counts the address uvicorn reports.
"""

from __future__ import annotations

import time

from fastapi import Request

from .errors import ApiError


class TooManyRequests(ApiError):
    status, code = 429, "rate_limited"


class RateLimit:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._window = 0
        self._counts: dict[str, int] = {}

    def hit(self, client: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        window = int(now // 60)
        if window != self._window:
            self._window, self._counts = window, {}
        count = self._counts.get(client, 0) + 1
        self._counts[client] = count
        if count > self.per_minute:
            retry = 60 - int(now % 60)
            raise TooManyRequests(f"too many requests; retry in {retry}s", retry_after=retry)


async def public_limit(request: Request) -> None:
    """FastAPI dependency: counts the request against the app's public limit."""
    limit: RateLimit = request.app.state.public_limit
    limit.hit(request.client.host if request.client else "unknown")
