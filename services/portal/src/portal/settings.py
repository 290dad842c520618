"""The portal's settings: the platform's (ports, development mode, the development key) and its own.

The portal keeps nothing: it reaches the four services over HTTP at ``MEMBERS_URL`` …
``NOTIFY_URL`` (default: this host and their ports), and signs its session cookie with
``PORTAL_SESSION_SECRET``.
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
    portal_port: int = 8005
    members_url: str | None = Field(None, description="Base URL of the members service (default: this host).")
    consultation_url: str | None = None
    feedback_url: str | None = None
    notify_url: str | None = None
    portal_public_url: str | None = Field(
        None, description="Where citizens reach the portal (the tracking link on a receipt); default its own address.")
    portal_session_secret: SecretStr = Field(
        SecretStr(DEV_SESSION_SECRET), description="Signs the session and CSRF cookies; at least 32 characters.")
    portal_oidc_issuer: str | None = Field(
        None, description="The OIDC issuer of the staff sign-in in production (authorization-code flow).")

    def backend_url(self, name: Backend) -> str:
        return (getattr(self, f"{name}_url") or self.base_url_of(name)).rstrip("/")

    def portal_base(self) -> str:
        return (self.portal_public_url or f"http://{self.http_host}:{self.portal_port}").rstrip("/")

    @property
    def secure_cookies(self) -> bool:
        """Secure cookies outside development (the portal is served over TLS there)."""
        return not self.dev_mode


def refuse_unsafe(settings: PortalSettings) -> None:
    """Outside DEV_MODE the session key must be the operator's own."""
    secret = settings.portal_session_secret.get_secret_value()
    if not settings.dev_mode and (secret == DEV_SESSION_SECRET or len(secret) < 32):
        raise SystemExit("portal: refusing to start: PORTAL_SESSION_SECRET is the development key or shorter "
                         "than 32 characters — set it, or DEV_MODE=true on a development machine")


@lru_cache
def get_portal_settings() -> PortalSettings:
    """The environment and, as the services read theirs, a mounted secret's files
    (``LIAISON_SECRETS_DIR``: ``portal_session_secret``, ``portal_oidc_client_secret``)."""
    secrets = os.environ.get("LIAISON_SECRETS_DIR")
    return PortalSettings(_secrets_dir=secrets) if secrets else PortalSettings()
