"""The HTTP side every service shares: error format, tracing, metrics and limits.

Written as plain ASGI middleware (not ``BaseHTTPMiddleware``) because it wraps every
request of the hot path.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import audit, db, logs, metrics, tracing
from .errors import ApiError

log = logging.getLogger(__name__)

RETRY_AFTER_S = 5


def _where_json_breaks(error: RequestValidationError) -> str:
    """"body: JSON decode error: Expecting ',' delimiter at line 3, column 7" — where, never what
    (the text around it may be someone's words)."""
    first = error.errors()[0]
    loc, reason = first.get("loc", ()), (first.get("ctx") or {}).get("error")
    position = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
    message = "body: JSON decode error" + (f": {reason}" if reason else "")
    document = error.body if isinstance(error.body, str | bytes) else None
    if position is None or document is None:
        return message
    line, line_start = _line_of(document[:position])
    column = position - line_start + 1
    return f"{message} at line {line}, column {column}"


def _line_of(before: str | bytes) -> tuple[int, int]:
    """The number of the line where ``before`` ends, and the offset that line starts at."""
    if isinstance(before, bytes):
        return before.count(b"\n") + 1, before.rfind(b"\n") + 1
    return before.count("\n") + 1, before.rfind("\n") + 1


def error_body(code: str, message: str, **extra: object) -> dict[str, dict[str, object]]:
    return {"error": {"code": code, "message": message, **extra}}


ErrorFormat = Callable[[int, dict[str, Any]], tuple[int, Any]]
"""A protocol's own error shape under a path prefix (Open311's GeoReport list): from the status and
the ``error`` object the platform would answer (code, message, details), the status and body."""


def error_response(path: str, formats: Mapping[str, ErrorFormat], status: int, code: str, message: str,
                   headers: Mapping[str, str] | None = None, **extra: object) -> JSONResponse:
    """Every error answer of a service: ``{"error": …}``, or, under a prefix with a format of its
    own, that format — whatever raised it (a route's refusal, a path or method no route has, a body
    over the limit, the database, a bug)."""
    body: Any = error_body(code, message, **extra)
    shape = next((shape for prefix, shape in formats.items() if path.startswith(prefix)), None)
    if shape is not None:
        status, body = shape(status, body["error"])
    return JSONResponse(body, status, headers=dict(headers or {}))


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str = Field(..., examples=["illegal_transition"],
                      description="What went wrong, for a program: invalid, not_found, illegal_transition, …")
    message: str = Field(description="What went wrong, for a person: names the field or the allowed states.")


class ErrorBody(BaseModel):
    """Every error answer (docs/api.md): a code, a message, sometimes details."""

    error: ErrorDetail = Field(description="The error; some codes add details beside code and message.")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in [
        (400, "Bad request"), (401, "No valid token"), (403, "Not allowed to this role"),
        (404, "Not found, or not in the caller's scope"), (409, "Not allowed in the current state, or a duplicate"),
        (413, "Body too large"), (422, "Invalid input"), (429, "Too many requests; see Retry-After"),
        (503, "The database is unavailable; see Retry-After"),
    ]
}


def install_error_handlers(app: FastAPI, formats: Mapping[str, ErrorFormat] | None = None) -> None:
    """``formats``: path prefix → its own error shape (ServiceSpec.error_formats)."""
    shapes = dict(formats or {})

    def answer(request: Request, status: int, code: str, message: str, headers: Mapping[str, str] | None = None,
               **extra: object) -> JSONResponse:
        return error_response(request.url.path, shapes, status, code, message, headers, **extra)

    def refused_by_database(status: int, code: str, message: str) -> Callable[[Request, Exception],
                                                                             Awaitable[JSONResponse]]:
        async def handler(request: Request, error: Exception) -> JSONResponse:
            log.info("refused by the database: %s", logs.describe(error, stack=False))
            return answer(request, status, code, message)

        return handler

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else {}
        if "retry_after" in error.details:
            headers["Retry-After"] = str(error.details["retry_after"])
        return answer(request, error.status, error.code, error.message, headers, **error.details)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        details = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in error.errors()
        ]
        first = details[0] if details else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"] if p != "body") or "request"
        if first.get("type") == "json_invalid":
            return answer(request, 422, "invalid", _where_json_breaks(error), details=details)
        return answer(request, 422, "invalid", f"{where}: {first['msg']}", details=details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            error.status_code, "http_error"
        )
        return answer(request, error.status_code, code, str(error.detail), error.headers)

    async def unavailable_or_internal(request: Request, error: Exception) -> JSONResponse:
        if db.is_unavailable(error):
            return answer(request, 503, "unavailable", "the database is unavailable; retry later",
                          {"Retry-After": str(RETRY_AFTER_S)})
        # Never the error's text: a database error carries the failing row ("DETAIL: Failing
        # row contains (…)") and a validation error the input — personal data, both.
        log.error("unhandled error: %s", logs.describe(error))
        return answer(request, 500, "internal", "internal error")

    # Registered per class so that Starlette's ExceptionMiddleware answers them; a
    # handler for bare Exception runs in ServerErrorMiddleware, which re-raises (and the server
    # logs the error again, text and all).
    for kind in (db.DatabaseUnavailable, OSError, TimeoutError, *db.UNAVAILABLE_ERRORS, asyncpg.PostgresError):
        app.add_exception_handler(kind, unavailable_or_internal)

    # A constraint the request broke: the database said no, which the model should have —
    # answered as the model would, with nothing of the row. Two concurrent creations of one
    # thing: the loser learns it exists.
    integrity = [
        (asyncpg.exceptions.UniqueViolationError, 409, "duplicate", "it already exists"),
        (asyncpg.exceptions.ExclusionViolationError, 409, "conflict", "it conflicts with something that exists"),
        (asyncpg.exceptions.ForeignKeyViolationError, 422, "invalid", "it refers to something that does not exist"),
        (asyncpg.exceptions.NotNullViolationError, 422, "invalid", "a required value is missing"),
        (asyncpg.exceptions.CheckViolationError, 422, "invalid", "a value is not allowed"),
        # A value the schema let through but the column cannot hold (a number too large…).
        (asyncpg.exceptions.DataError, 422, "invalid", "a value is out of range"),
        (asyncpg.exceptions.IntegrityConstraintViolationError, 422, "invalid", "a value breaks a rule of the data"),
    ]
    for kind, status, code, message in integrity:
        app.add_exception_handler(kind, refused_by_database(status, code, message))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        return await unavailable_or_internal(request, error)


class RequestContextMiddleware:
    """Trace context in and out, request metrics by route template, a body size limit."""

    def __init__(self, app: ASGIApp, *, service: str, max_body_bytes: int, audit_key: str,
                 audit_mac: audit.MacName = "hmac-sha256", error_formats: Mapping[str, ErrorFormat] | None = None,
                 ) -> None:
        self.app = app
        self.service = service
        self.max_body_bytes = max_body_bytes
        self.error_formats = dict(error_formats or {})
        self.audit_mac = audit.keyed(audit_key, audit_mac)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or ())
        traceparent = tracing.of_request(headers.get(b"traceparent", b"").decode("latin-1"))
        token = tracing.current_traceparent.set(traceparent)
        started = time.perf_counter()
        status_holder = {"status": 500}

        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            response = error_response(scope["path"], self.error_formats, 413, "too_large", "request body too large")
            await response(scope, receive, send)
            tracing.current_traceparent.reset(token)
            return

        received = 0
        audit_token = audit.start(scope, self.audit_mac)
        audited = audit.current.get() if audit_token is not None else None

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if audited is not None:
                    audited.body.update(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise StarletteHTTPException(413, "request body too large")
            return message

        async def send_with_context(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [
                    (b"traceparent", traceparent.encode())
                ]
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_context)
        finally:
            template = audit.route_template(scope)
            method = scope.get("method", "")
            metrics.HTTP_REQUESTS.labels(
                self.service, method, template, str(status_holder["status"])
            ).inc()
            metrics.HTTP_SECONDS.labels(self.service, method, template).observe(
                time.perf_counter() - started
            )
            tracing.current_traceparent.reset(token)
            if audit_token is not None:
                audit.current.reset(audit_token)
