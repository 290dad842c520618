"""Per-client limits on public endpoints: 429 with Retry-After past the limit.

A fixed one-minute window per client address, kept in the process. Behind a load
balancer each replica counts on its own, so the effective limit is per replica.

The client is the peer of the connection, unless the peer is one of ``TRUSTED_PROXIES``
(the ingress): then it is the right-most address of ``X-Forwarded-For`` that is not a
trusted proxy — each proxy appends the address it saw, so everything to the left of that
is what the client wrote itself and is never believed. uvicorn's own rewriting of the
peer from that header is off (``service.server_options``): with it, anyone on loopback
could name any address.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterable

from fastapi import Request

from .errors import ApiError


class TooManyRequests(ApiError):
    status, code = 429, "rate_limited"


class RateLimit:
    def __init__(self, per_minute: int, *, trusted_proxies: Iterable[str] = ()) -> None:
        self.per_minute = per_minute
        self.trusted = [ipaddress.ip_network(p.strip(), strict=False) for p in trusted_proxies]
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

    def is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # a dual-stack listener reports ::ffff:10.0.0.7
        return any(ip in network for network in self.trusted)

    def client_of(self, peer: str | None, forwarded_for: str | None) -> str:
        """The address to count: the peer, or behind trusted proxies the client they saw."""
        client = peer or "unknown"
        if not self.trusted or not forwarded_for or not self.is_trusted(client):
            return client
        for hop in reversed(forwarded_for.split(",")):
            hop = hop.strip()
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                return client  # a hop no proxy of ours wrote: count the proxy, never a made-up name
            if not self.is_trusted(hop):
                return hop
            client = hop
        return client


async def public_limit(request: Request) -> None:
    """FastAPI dependency: counts the request against the app's public limit."""
    limit: RateLimit = request.app.state.public_limit
    peer = request.client.host if request.client else None
    limit.hit(limit.client_of(peer, ",".join(request.headers.getlist("x-forwarded-for"))))
