"""A service's own bearer token for calling another service's internal routes.

In production it comes from the issuer by the OAuth2 client-credentials grant (RFC 6749
§4.4): ``AUTH_TOKEN_URL`` with ``SERVICE_CLIENT_ID`` / ``SERVICE_CLIENT_SECRET``, kept until
shortly before it expires. Without an issuer, the token given in ``NOTIFY_SERVICE_TOKEN``
(development: signed by tooling, ``make run`` and the tests). Service code never signs a token.

A small client rather than Authlib: Authlib 1.9's httpx integration is deprecated in favour of
a package (httpx2) the platform does not use, and the grant is one form POST.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from .settings import Settings

# A token is renewed this long before its expiry (or at 80 % of a shorter lifetime), so a call
# never leaves with a token about to be refused.
RENEW_BEFORE_S = 60.0


class NoServiceToken(RuntimeError):
    """Neither an issuer to ask nor a configured token: the service cannot call its peers."""


class TokenRefused(RuntimeError):
    """The issuer did not grant a token. The message names the status, never the secret."""


def check_configured(settings: Settings) -> None:
    """For the start of a service that calls its peers: refuse to start without a way to a token."""
    if settings.auth_token_url:
        if not (settings.service_client_id and settings.service_client_secret):
            raise NoServiceToken("AUTH_TOKEN_URL is set but SERVICE_CLIENT_ID or SERVICE_CLIENT_SECRET is not")
        return
    if settings.notify_service_token is None or not settings.notify_service_token.get_secret_value():
        raise NoServiceToken("no service token: set AUTH_TOKEN_URL with SERVICE_CLIENT_ID and "
                             "SERVICE_CLIENT_SECRET (client credentials), or NOTIFY_SERVICE_TOKEN")


class ServiceToken:
    """``await token.get()`` → a bearer token; one per process, shared by its callers."""

    def __init__(self, settings: Settings, *, timeout_s: float = 10.0) -> None:
        check_configured(settings)
        self._settings = settings
        self._timeout_s = timeout_s
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = asyncio.Lock()

    @property
    def from_issuer(self) -> bool:
        return bool(self._settings.auth_token_url)

    async def get(self) -> str:
        if not self.from_issuer:
            configured = self._settings.notify_service_token
            if configured is None:  # refused by check_configured at the start
                raise NoServiceToken("no NOTIFY_SERVICE_TOKEN")
            return configured.get_secret_value()
        if self._token is not None and time.monotonic() < self._renew_at:
            return self._token
        async with self._lock:  # one request to the issuer when many calls find it stale at once
            if self._token is None or time.monotonic() >= self._renew_at:
                self._token, lifetime = await self._fetch()
                self._renew_at = time.monotonic() + max(min(lifetime - RENEW_BEFORE_S, lifetime * 0.8), 0.0)
            return self._token

    def forget(self) -> None:
        """After a 401 from a peer: the next call asks the issuer again."""
        self._token, self._renew_at = None, 0.0

    async def _fetch(self) -> tuple[str, float]:
        s = self._settings
        if not (s.auth_token_url and s.service_client_id and s.service_client_secret):
            # refused by check_configured at the start
            raise NoServiceToken("AUTH_TOKEN_URL, SERVICE_CLIENT_ID or SERVICE_CLIENT_SECRET is not set")
        # client_secret_basic (RFC 6749 §2.3.1), the method every issuer must support
        auth = httpx.BasicAuth(s.service_client_id, s.service_client_secret.get_secret_value())
        async with httpx.AsyncClient(timeout=self._timeout_s, trust_env=False) as client:
            response = await client.post(s.auth_token_url, auth=auth, data={"grant_type": "client_credentials"},
                                         headers={"accept": "application/json"})
        if response.status_code != 200:
            raise TokenRefused(f"the issuer answered HTTP {response.status_code} to the client-credentials grant")
        try:
            body = response.json()
            token, kind = body["access_token"], body.get("token_type", "Bearer")
            lifetime = float(body.get("expires_in", 300))
        except (ValueError, KeyError, TypeError):
            raise TokenRefused("the issuer's answer is not an OAuth2 token response") from None
        if not isinstance(token, str) or not token or str(kind).lower() != "bearer":
            raise TokenRefused("the issuer's answer holds no bearer token")
        return token, lifetime
