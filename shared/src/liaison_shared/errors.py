"""Errors with an HTTP meaning, answered as ``{"error": {"code", "message"}}``."""

from __future__ import annotations


class ApiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code:
            self.code = code


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    """Also the answer for what exists outside the caller's scope: no existence leaks."""

    status, code = 404, "not_found"


class Conflict(ApiError):
    """An action not allowed in the current state, or a duplicate."""

    status, code = 409, "conflict"


class Unprocessable(ApiError):
    status, code = 422, "invalid"
