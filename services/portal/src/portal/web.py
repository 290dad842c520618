"""What every page shares: the templates, the words, the CSRF check, the security headers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from liaison_shared.chinatime import CHINA
from liaison_shared.ratelimit import RateLimit

from . import i18n, session
from .backend import ApiProblem, Backends
from .settings import PortalSettings

MAX_FORM_BYTES = 20_000
# No script at all: every page works with plain forms and links (progressive enhancement has
# nothing to enhance yet), so the policy allows none.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer", "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

def security_headers_for(settings: PortalSettings) -> dict[str, str]:
    """The headers of every answer. Signing out goes on to the issuer's end-session endpoint, and a
    form's redirect is held to form-action too: with an issuer, its origin is named there."""
    if not settings.portal_oidc_issuer:
        return SECURITY_HEADERS
    parts = urlsplit(settings.portal_oidc_issuer)
    return {**SECURITY_HEADERS, "Content-Security-Policy": CSP.replace(
        "form-action 'self'", f"form-action 'self' {parts.scheme}://{parts.netloc}")}


templates = Environment(loader=PackageLoader("portal"), autoescape=select_autoescape(default=True),
                        trim_blocks=True, lstrip_blocks=True)


def when(value: str | datetime | None) -> str:
    if not value:
        return ""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def day(value: str | date | None) -> str:
    if not value:
        return ""
    return (date.fromisoformat(value) if isinstance(value, str) else value).strftime("%Y-%m-%d")


templates.filters.update(when=when, day=day)


def settings_of(request: Request) -> PortalSettings:
    return request.app.state.settings


def backends_of(request: Request) -> Backends:
    return request.app.state.backends


def translator(request: Request) -> i18n.Translator:
    asked = request.query_params.get("lang") or request.cookies.get("portal_lang")
    return i18n.Translator(i18n.pick(asked, request.headers.get("accept-language")))


def client_ip(request: Request) -> str | None:
    """The citizen's address: the peer's, or behind the Gateway's proxies (``TRUSTED_PROXIES``) the
    client they saw — the services count their public limits per this address."""
    peer = request.client.host if request.client else None
    limits = request.app.state.__dict__.setdefault(
        "proxies", RateLimit(1, trusted_proxies=settings_of(request).trusted_proxies))
    return limits.client_of(peer, request.headers.get("x-forwarded-for"))


# The Internet's way in (deploy/k8s/base/gateway.yaml) sets this header on every request it sends
# the portal. Of the console it publishes only what a member's phone needs to check in
# (app.MEMBER_PHONE_PAGES), so a page served there links to no other console page — each would
# answer 404 at the edge. Sent from inside the network the header only hides links.
EDGE_HEADER = "x-liaison-edge"


def from_internet(request: Request) -> bool:
    return request.headers.get(EDGE_HEADER) == "internet"


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    settings = settings_of(request)
    t = translator(request)
    html = templates.get_template(name).render(
        t=t, lang=t.locale, request=request, me=session.current(settings, request),
        csrf=session.csrf_token(settings, request), path=request.url.path, internet=from_internet(request),
        **context)
    response = HTMLResponse(html, status, headers={"Cache-Control": "no-store"})
    session.remember_csrf(settings, request, response)
    if (asked := request.query_params.get("lang")) and asked in i18n.LOCALES:
        response.set_cookie("portal_lang", asked, max_age=365 * 24 * 3600, samesite="lax", path="/")
    return response


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


SIGNIN = "/console/signin"
NEXT_MAX = 2500  # a check-in code (up to 2000 characters) and its page


def safe_next(target: str | None) -> str | None:
    """Where to go once signed in, if it is a console page of this site: a path under /console/
    (so never ``//host`` or a scheme: no open redirect), printable ASCII only (a browser reads a
    backslash as a slash; a control character could split the Location header), not the sign-in
    itself. Anything else: None, and the console's own start page instead."""
    if not target or len(target) > NEXT_MAX or not target.startswith("/console/"):
        return None
    if not all(0x21 <= ord(char) < 0x7F for char in target) or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path.startswith(SIGNIN):
        return None
    # "." and ".." segments (%2e too: a browser reads it as a dot) would be resolved by the browser,
    # out of /console/ or back to the sign-in
    if any(segment in (".", "..") for segment in unquote(parts.path).split("/")):
        return None
    return target


def signin_url(back_to: str | None) -> str:
    """The sign-in page, with the page to come back to when it is safe (``safe_next``)."""
    target = safe_next(back_to)
    return f"{SIGNIN}?{urlencode({'next': target})}" if target else SIGNIN


def to_signin(request: Request) -> RedirectResponse:
    """To the sign-in, coming back to this very page (its query kept) once signed in."""
    query = request.url.query
    return redirect(signin_url(request.url.path + (f"?{query}" if query else "")))


class BadForm(Exception):
    """A form without a valid CSRF token, or too large: refused before anything is sent on."""


async def form(request: Request) -> dict[str, list[str]]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise BadForm("too large")
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    if not session.csrf_ok(settings_of(request), request, (fields.get("csrf") or [""])[0]):
        raise BadForm("csrf")
    return fields


def one(fields: dict[str, list[str]], name: str) -> str:
    return ((fields.get(name) or [""])[0]).strip()


def problem_words(t: i18n.Translator, problem: ApiProblem) -> str:
    """An API error in plain words: the status's sentence, and the API's own message for a person
    who handles cases (staff read the field names the API uses)."""
    if problem.status == 429:
        return t("error.too_many", seconds=problem.retry_after or "60")
    if problem.status == 503:
        return t("error.unavailable")
    return t(f"error.{problem.status}") if problem.status in (401, 403, 404) else problem.message
