"""门户 — the portal's composition root: settings, the four services' clients, the pages.

Stateless: no database, no topics. ``liaison portal`` (or ``python -m portal``) serves it on
``PORTAL_PORT`` (8005).
"""

from __future__ import annotations

import time
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from liaison_shared import audit, metrics
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from . import board, checkin, citizen, console, member, oidc
from .backend import Backends
from .settings import PortalSettings, get_portal_settings, refuse_unsafe
from .web import BadForm, render, security_headers_for

# What the Gateway publishes (deploy/k8s/base/gateway.yaml, tests/deploy): the citizen's pages and
# their stylesheet — the console is for staff, who reach it inside the government network...
PUBLIC_ROUTERS = (citizen.router,)
PUBLIC_PREFIXES = ("/static/",)
OPERATIONAL = ("/healthz", "/readyz", "/metrics")
# ...and, of the console, only what a member's phone on the open Internet needs to check in from a
# QR code (扫码签到, docs/security.md) — the check-in itself still wants a member's session — and
# nothing else of /console (staff's code screen, the inbox, cases…), which stays inside that network.
MEMBER_PHONE_PAGES = frozenset({
    ("GET", "/console/check-in"),  # what the QR code's link opens: signed out, it sends on to the sign-in
    ("POST", "/console/check-in"),  # the member's confirmation (a form with the CSRF token)
    ("GET", "/console/signin"),  # with an issuer, only a redirect to it (the development form is DEV_MODE's)
    ("GET", "/console/signin/callback"),  # where the issuer sends the phone back (to the check-in link, kept in the flow)
    ("POST", "/console/signout"),  # every page offers it, the check-in page too: a borrowed phone
})  # not POST /console/signin: the development sign-in, refused beside an issuer and kept off the Internet


def public_pages() -> set[tuple[str, str]]:
    """(method, path template) of every citizen page."""
    return {(method, route.path) for router in PUBLIC_ROUTERS for route in router.routes
            if isinstance(route, APIRoute) for method in route.methods or ()}


def create_app(settings: PortalSettings | None = None,
               transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    settings = settings or get_portal_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.backends = Backends(settings, transport)
        try:
            yield
        finally:
            await app.state.backends.close()

    app = FastAPI(title="cppcc-liaison portal", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.settings = settings
    # the staff sign-in's issuer, when one is configured (else the development sign-in, in DEV_MODE)
    app.state.issuer = oidc.issuer_client(settings) if settings.portal_oidc_issuer else None
    headers = security_headers_for(settings)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        started = time.perf_counter()
        response = await call_next(request)
        template = "/static" if request.url.path.startswith("/static/") else audit.route_template(request.scope)
        metrics.HTTP_REQUESTS.labels("portal", request.method, template, str(response.status_code)).inc()
        metrics.HTTP_SECONDS.labels("portal", request.method, template).observe(time.perf_counter() - started)
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        if settings.secure_cookies:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.exception_handler(BadForm)
    async def bad_form(request: Request, _error: BadForm) -> HTMLResponse:
        return render(request, "message.html", 403, title_key="error.form_title", text_key="error.form")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> PlainTextResponse:
        # nothing of its own to wait for: the pages say so when a service behind them is down
        return PlainTextResponse("ok")

    @app.get("/metrics", include_in_schema=False)
    async def metrics_endpoint() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    app.mount("/static", StaticFiles(packages=[("portal", "static")]), name="static")
    app.include_router(citizen.router)
    app.include_router(console.router)
    app.include_router(oidc.router)
    app.include_router(board.router)
    app.include_router(member.router)
    app.include_router(checkin.router)
    return app


def serve() -> None:
    """Serve the portal (门户): citizens' pages and the staff and member console, on PORTAL_PORT."""
    import uvicorn
    from liaison_shared.logs import configure_logging

    settings = get_portal_settings()
    configure_logging("portal", settings.log_level, settings.log_format)
    refuse_unsafe(settings)
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.portal_port,
                proxy_headers=False, log_config=None, access_log=False, timeout_graceful_shutdown=10)
