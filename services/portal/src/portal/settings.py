"""The portal's settings: the platform's (ports, development mode, the development key) and its own.

The portal keeps nothing: it reaches the four services over HTTP at ``MEMBERS_URL`` …
``NOTIFY_URL`` (default: this host and their ports), and signs its session cookie with
``PORTAL_SESSION_SECRET``. ``PORTAL_PORT`` and ``PORTAL_PUBLIC_URL`` are the platform's settings:
members reads them too, for the check-in page its QR codes open.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal

from liaison_shared.settings import Settings
from pydantic import Field, SecretStr

DEV_SESSION_SECRET = "cppcc-liaison-portal-development-session-key"  # noqa: S105 — refused outside DEV_MODE

Backend = Literal["members", "consultation", "feedback", "notify"]


class PortalSettings(Settings):
    members_url: str | None = Field(None, description="Base URL of the members service (default: this host).")
    consultation_url: str | None = None
    feedback_url: str | None = None
    notify_url: str | None = None
    portal_session_secret: SecretStr = Field(
        SecretStr(DEV_SESSION_SECRET), description="Signs the session and CSRF cookies; at least 32 characters.")
    portal_oidc_issuer: str | None = Field(
        None, description="The OIDC issuer of the staff sign-in (authorization-code flow with PKCE); set, the "
        "development sign-in is off. It must be the services' AUTH_ISSUER: they verify what the portal forwards.")
    portal_oidc_client_id: str | None = Field(None, description="The portal's client id at the issuer.")
    portal_oidc_client_secret: SecretStr | None = Field(None, description="The portal's client secret there.")
    portal_oidc_redirect_url: str | None = Field(
        None, description="The callback registered at the issuer; default PORTAL_PUBLIC_URL's "
        "/console/signin/callback (set it when staff reach the console at another address).")
    portal_oidc_scope: str = Field(
        "openid profile", description="The scopes asked for; the issuer's scope that adds role, org, dept and "
        "member_id to the tokens belongs here if it is not a default one.")
    portal_oidc_forward_token: Literal["access_token", "id_token"] = Field(
        "access_token", description="Which of the issuer's tokens the portal presents to the services: the "
        "access token (a JWT for audience AUTH_AUDIENCE), or the ID token when the client id is that audience.")

    def backend_url(self, name: Backend) -> str:
        return (getattr(self, f"{name}_url") or self.base_url_of(name)).rstrip("/")

    def oidc_redirect_url(self) -> str:
        return self.portal_oidc_redirect_url or f"{self.portal_base()}/console/signin/callback"

    @property
    def secure_cookies(self) -> bool:
        """Secure cookies outside development (the portal is served over TLS there)."""
        return not self.dev_mode


def refuse_unsafe(settings: PortalSettings) -> None:
    """Outside DEV_MODE the session key must be the operator's own; with an issuer, the sign-in must be
    able to end in a token the services accept."""
    secret = settings.portal_session_secret.get_secret_value()
    if not settings.dev_mode and (secret == DEV_SESSION_SECRET or len(secret) < 32):
        raise SystemExit("portal: refusing to start: PORTAL_SESSION_SECRET is the development key or shorter "
                         "than 32 characters — set it, or DEV_MODE=true on a development machine")
    if problem := oidc_problem(settings):
        raise SystemExit(f"portal: refusing to start: {problem}")


def oidc_problem(settings: PortalSettings) -> str | None:
    """What makes the OIDC sign-in unusable, in one line; None when it is off or sound."""
    s = settings
    if not s.portal_oidc_issuer:
        return None
    if not (s.portal_oidc_client_id and s.portal_oidc_client_secret
            and s.portal_oidc_client_secret.get_secret_value()):
        return "PORTAL_OIDC_ISSUER is set without PORTAL_OIDC_CLIENT_ID and PORTAL_OIDC_CLIENT_SECRET"
    # the services check the forwarded token's iss and aud against their own settings
    if s.portal_oidc_issuer != s.auth_issuer:
        return "PORTAL_OIDC_ISSUER differs from AUTH_ISSUER: the services would refuse every token it signs"
    if s.portal_oidc_forward_token == "id_token" and s.portal_oidc_client_id != s.auth_audience:  # noqa: S105 — a token's kind, no secret
        return ("PORTAL_OIDC_FORWARD_TOKEN=id_token needs PORTAL_OIDC_CLIENT_ID to be AUTH_AUDIENCE "
                "(an ID token's audience is the client)")
    if not s.dev_mode and not s.oidc_redirect_url().startswith("https://"):
        return "the OIDC callback (PORTAL_OIDC_REDIRECT_URL) must be https outside DEV_MODE"
    return None


@lru_cache
def get_portal_settings() -> PortalSettings:
    """The environment and, as the services read theirs, a mounted secret's files
    (``LIAISON_SECRETS_DIR``: ``portal_session_secret``, ``portal_oidc_client_secret``)."""
    secrets = os.environ.get("LIAISON_SECRETS_DIR")
    return PortalSettings(_secrets_dir=secrets) if secrets else PortalSettings()
