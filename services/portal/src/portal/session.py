"""The signed-in person's session and every form's CSRF token, in signed cookies (no server state).

The session cookie holds the API token and who it names, HMAC-signed with the portal's key:
HttpOnly, SameSite=Lax, Secure outside development, expiring with the token. CSRF: a random
``portal_csrf`` cookie and, in every form, its HMAC; a POST whose field does not match is refused.
An OIDC sign-in under way keeps its state, nonce and PKCE verifier in ``portal_signin``, signed the
same way, for ten minutes and for the sign-in's own paths only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from fastapi import Request, Response

from .settings import PortalSettings

SESSION = "portal_session"
CSRF = "portal_csrf"
FLOW = "portal_signin"
FLOW_PATH = "/console/signin"
FLOW_SECONDS = 600


@dataclass(frozen=True)
class Session:
    token: str
    role: str
    org: str
    label: str
    dept: str | None = None
    member_id: str | None = None
    expires: int = 0


def _sign(settings: PortalSettings, data: bytes) -> str:
    key = settings.portal_session_secret.get_secret_value().encode()
    return base64.urlsafe_b64encode(hmac.new(key, data, hashlib.sha256).digest()).decode().rstrip("=")


def _cookie(settings: PortalSettings, response: Response, name: str, value: str, max_age: int,
            path: str = "/") -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                        secure=settings.secure_cookies, path=path)


def _sealed(settings: PortalSettings, data: dict) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(data).encode()).decode()
    return f"{payload}.{_sign(settings, payload.encode())}"


def _opened(settings: PortalSettings, raw: str) -> dict | None:
    payload, _, signature = raw.rpartition(".")
    if not payload or not hmac.compare_digest(signature, _sign(settings, payload.encode())):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def start(settings: PortalSettings, response: Response, session: Session) -> None:
    _cookie(settings, response, SESSION, _sealed(settings, session.__dict__),
            max(60, session.expires - int(time.time())))


def end(response: Response) -> None:
    response.delete_cookie(SESSION, path="/")


def current(settings: PortalSettings, request: Request) -> Session | None:
    data = _opened(settings, request.cookies.get(SESSION) or "")
    try:
        session = Session(**data) if data is not None else None
    except TypeError:
        return None
    return session if session is not None and session.expires > time.time() else None


def csrf_seed(request: Request) -> str:
    """This browser's CSRF seed: the cookie's, or a new one the response sets (``remember_csrf``)."""
    seed = request.cookies.get(CSRF)
    if not seed or len(seed) > 64:
        seed = request.state.__dict__.setdefault("new_csrf", secrets.token_urlsafe(24))
    return seed


def csrf_token(settings: PortalSettings, request: Request) -> str:
    return _sign(settings, b"csrf:" + csrf_seed(request).encode())


def remember_csrf(settings: PortalSettings, request: Request, response: Response) -> None:
    if seed := request.state.__dict__.get("new_csrf"):
        _cookie(settings, response, CSRF, seed, 7 * 24 * 3600)


def csrf_ok(settings: PortalSettings, request: Request, given: str | None) -> bool:
    seed = request.cookies.get(CSRF)
    return bool(seed and given and hmac.compare_digest(given, _sign(settings, b"csrf:" + seed.encode())))


def start_flow(settings: PortalSettings, response: Response, flow: dict[str, str]) -> None:
    """Remember a sign-in under way (state, nonce, PKCE verifier) until its callback."""
    _cookie(settings, response, FLOW, _sealed(settings, {**flow, "until": int(time.time()) + FLOW_SECONDS}),
            FLOW_SECONDS, path=FLOW_PATH)


def pending_flow(settings: PortalSettings, request: Request) -> dict | None:
    flow = _opened(settings, request.cookies.get(FLOW) or "")
    return flow if flow is not None and int(flow.get("until", 0)) > time.time() else None


def end_flow(response: Response) -> None:
    """A callback is answered once, whatever its outcome."""
    response.delete_cookie(FLOW, path=FLOW_PATH)
