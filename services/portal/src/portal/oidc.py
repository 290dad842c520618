"""Staff sign-in at the platform's OIDC issuer (统一身份认证): the authorization-code flow with PKCE
(S256), state and nonce, by authlib's client — discovery, the token exchange, the ID token's signature
against the issuer's keys, its issuer, audience, expiry and nonce.

What the flow must remember between the redirect and the callback rides in a signed cookie of its
own (``session.start_flow``), so the portal keeps no server state and any replica answers the
callback. The session then holds the token the services verify themselves
(``PORTAL_OIDC_FORWARD_TOKEN``): the portal mints nothing, and who the person is — role, org, dept,
member_id — is read from the verified ID token by the rule the services apply to their tokens.
"""

from __future__ import annotations

import hmac
import logging
import re
import warnings

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.deprecate import AuthlibDeprecationWarning

# authlib 1.9 warns, on import, that its httpx integration will move to httpx2, which the lock does
# not hold; the integration works (tests/portal/test_oidc.py). Unsilenced, every `liaison` command
# (which loads the portal's) printed it before its own first line.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=AuthlibDeprecationWarning, message=".*httpx2.*")
    from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from joserfc.errors import JoseError  # authlib checks ID tokens with joserfc and raises its errors
from liaison_shared.auth import Role, principal_from_claims
from liaison_shared.errors import Unauthorized

from . import session
from .settings import PortalSettings
from .web import from_internet, redirect, render, safe_next, settings_of, translator

log = logging.getLogger(__name__)
router = APIRouter(prefix="/console")
LEEWAY_S = 30  # the services' own leeway on exp (liaison_shared.auth)
ISSUER_FAILED = (AuthlibBaseError, JoseError, httpx.HTTPError, KeyError, ValueError, RuntimeError)


def issuer_client(settings: PortalSettings, transport: httpx.AsyncBaseTransport | None = None) -> StarletteOAuth2App:
    """The issuer as authlib's client sees it; the discovery document and the keys are fetched on
    first use and kept (an unknown key id fetches the keys again)."""
    secret = settings.portal_oidc_client_secret
    client_kwargs: dict[str, object] = {"scope": settings.portal_oidc_scope, "code_challenge_method": "S256",
                                        "timeout": 10}
    if transport is not None:
        client_kwargs["transport"] = transport
    return OAuth().register(
        "issuer", client_id=settings.portal_oidc_client_id,
        client_secret=secret.get_secret_value() if secret else None,
        server_metadata_url=f"{(settings.portal_oidc_issuer or '').rstrip('/')}/.well-known/openid-configuration",
        client_kwargs=client_kwargs)


def _client(request: Request) -> StarletteOAuth2App:
    return request.app.state.issuer


async def begin(request: Request) -> Response:
    """Send the browser to the issuer, remembering state, nonce, the PKCE verifier and the console
    page to come back to (``?next=``, only when ``safe_next`` passes it)."""
    settings = settings_of(request)
    try:
        flow = await _client(request).create_authorization_url(settings.oidc_redirect_url())
    except ISSUER_FAILED as error:
        log.warning("oidc: the issuer's discovery failed: %s", type(error).__name__)
        return render(request, "signin_refused.html", 503, text_key="signin.issuer_down")
    response = RedirectResponse(flow["url"], status_code=302)
    session.start_flow(settings, response, {"state": flow["state"], "nonce": flow["nonce"],
                                            "verifier": flow["code_verifier"],
                                            "next": safe_next(request.query_params.get("next")) or ""})
    return response


@router.get("/signin/callback", response_class=HTMLResponse)
async def callback(request: Request) -> Response:
    """The issuer's answer: signed in, or refused with nothing signed in."""
    settings = settings_of(request)
    if not settings.portal_oidc_issuer:
        return render(request, "message.html", 404, title_key="error.title", text=translator(request)("error.404"))
    refused = await _sign_in(request, session.pending_flow(settings, request))
    response = render(request, "signin_refused.html", refused[0], text_key=refused[1]) \
        if isinstance(refused, tuple) else refused
    session.end_flow(response)
    return response


async def _sign_in(request: Request, flow: dict | None) -> Response | tuple[int, str]:
    """A session for the person the issuer names, or why not: a flow this browser did not start here
    or that expired, a state not its own, a code the issuer does not exchange, an ID token whose
    signature, issuer, audience, expiry or nonce is wrong, a person without a role at the platform."""
    settings, params = settings_of(request), request.query_params
    if error := params.get("error"):
        # RFC 6749's codes are lower-case words; anything else is not the issuer's to have said
        log.info("oidc: the issuer answered %s", error if re.fullmatch(r"[a-z_]{1,40}", error) else "(other)")
        return 403, "signin.denied"
    if flow is None:
        return 400, "signin.no_flow"
    if not hmac.compare_digest(params.get("state", ""), str(flow.get("state", ""))):
        log.warning("oidc: a callback whose state is not its flow's")
        return 400, "signin.bad_state"
    client = _client(request)
    try:
        token = await client.fetch_access_token(redirect_uri=settings.oidc_redirect_url(),
                                                code=params.get("code", ""), code_verifier=flow["verifier"])
        claims = await client.parse_id_token(
            token, nonce=flow["nonce"], leeway=LEEWAY_S,
            claims_options={"iss": {"essential": True, "value": settings.portal_oidc_issuer},
                            "aud": {"essential": True, "value": settings.portal_oidc_client_id}})
    except ISSUER_FAILED as error:
        # the class only: a description may echo the code or a token
        log.warning("oidc: a callback was refused: %s", type(error).__name__)
        return 400, "signin.bad_answer"
    if claims is None:  # no ID token at all: nothing names the person
        return 400, "signin.bad_answer"
    try:
        principal = principal_from_claims(claims)
    except Unauthorized:
        return 403, "signin.no_role"
    if principal.role is Role.SERVICE:
        return 403, "signin.no_role"
    forwarded = token.get(settings.portal_oidc_forward_token)
    if not isinstance(forwarded, str) or forwarded.count(".") != 2:
        log.error("oidc: the issuer's %s is no JWT the services could verify (PORTAL_OIDC_FORWARD_TOKEN)",
                  settings.portal_oidc_forward_token)
        return 502, "signin.bad_answer"
    expires = min(int(claims["exp"]), int(token.get("expires_at") or claims["exp"]))
    name = claims.get("name") or claims.get("preferred_username") or principal.sub
    role_words = translator(request)(f"role.{principal.role.value}")
    # without a page to go back to: the console, or on the Internet (which has none of it) the start page
    done = redirect(safe_next(str(flow.get("next") or "")) or ("/" if from_internet(request) else "/console"))
    session.start(settings, done, session.Session(
        token=forwarded, role=principal.role.value, org=principal.org, label=f"{name}（{role_words}）",
        dept=principal.dept, member_id=principal.member_id, expires=expires))
    return done


async def end_session_url(request: Request) -> str | None:
    """Where signing out goes on, so the issuer's own session ends too (RP-initiated logout): its
    end-session endpoint, when it names one."""
    settings, client = settings_of(request), _client(request)
    try:
        metadata = await client.load_server_metadata()
        if not metadata.get("end_session_endpoint"):
            return None
        made = await client.create_logout_url(post_logout_redirect_uri=f"{settings.portal_base()}/",
                                              client_id=settings.portal_oidc_client_id)
    except ISSUER_FAILED:
        return None
    return str(made["url"])
