"""W3C trace context (``traceparent``) carried from HTTP requests into events and back.

Only the header format is needed — the ids end up in JSON logs and in every event —
so this is a few lines rather than an OpenTelemetry SDK.
"""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")

current_traceparent: ContextVar[str | None] = ContextVar("traceparent", default=None)
current_event_id: ContextVar[str | None] = ContextVar("event_id", default=None)


def new_traceparent(trace_id: str | None = None) -> str:
    return f"00-{trace_id or secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def child_of(traceparent: str | None) -> str:
    """A new span in the same trace, or a new trace when the parent is missing or invalid."""
    trace_id = trace_id_of(traceparent)
    return new_traceparent(trace_id)


def trace_id_of(traceparent: str | None) -> str | None:
    if not traceparent:
        return None
    match = _TRACEPARENT.match(traceparent.strip().lower())
    if not match or match.group(1) == "0" * 32:
        return None
    return match.group(1)
