"""W3C trace context (``traceparent``) carried from HTTP requests into events and back.

With spans off (the default), only the header is carried — the ids end up in JSON logs, audit
rows and every event — at the cost of a few string operations. With spans on
(``telemetry.start``), the ids are those of OpenTelemetry spans: the request's server span, a
producer span per event the outbox relay sends and a consumer span per event handled, each
the child of the one before, so one submission is one trace across the services.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import (
    NonRecordingSpan,
    Span,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
)

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")

current_traceparent: ContextVar[str | None] = ContextVar("traceparent", default=None)
current_event_id: ContextVar[str | None] = ContextVar("event_id", default=None)

# The tracer of the process's spans (``telemetry.start``); None while they are off.
_tracer: trace.Tracer | None = None


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


def use(tracer: trace.Tracer | None) -> None:
    """Spans on, made by ``tracer`` (``telemetry.start``), or off again (None)."""
    global _tracer
    _tracer = tracer


def of_request(incoming: str | None) -> str:
    """The traceparent of the request being served: its server span's when spans are on, else a
    new span id in the caller's trace (or in a new one)."""
    return _current() or child_of(incoming)


def of_event(parent: str | None = None) -> str:
    """The traceparent stored with an event recorded now: with spans on, the current span's (the
    request or the consumed event that caused it), which the relay's producer span will be a
    child of; else a new span id in the trace of ``parent``, or of what is being handled."""
    if parent is None and (current := _current()) is not None:
        return current
    return child_of(parent or current_traceparent.get())


@contextmanager
def handling(traceparent: str, *, topic: str, event_id: str, event_type: str, group: str) -> Iterator[None]:
    """Around the handlers of one consumed event. With spans on, a consumer span, the child of
    the producer span the record's ``traceparent`` names, current while they run: their queries
    and the events they record are its children."""
    if _tracer is None:
        token = current_traceparent.set(child_of(traceparent))
        try:
            yield
        finally:
            current_traceparent.reset(token)
        return
    span = _tracer.start_span(
        f"process {topic}", context=_parent(traceparent), kind=SpanKind.CONSUMER,
        attributes={**_messaging(topic, "process", event_id, event_type), "messaging.consumer.group.name": group},
    )
    token = current_traceparent.set(_format(span.get_span_context()))
    # errors by class only (set here): an exception's text may hold a person's data
    with trace.use_span(span, end_on_exit=True, record_exception=False, set_status_on_exception=False):
        try:
            yield
        except Exception as error:
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            raise
        finally:
            current_traceparent.reset(token)


class Sending:
    """The producer spans of one batch the outbox relay sends. Each is the child of its event's
    stored traceparent — where the event was recorded, never the relay's own context — and the
    record carries the producer span's traceparent, so each consumer's span is its child. With
    spans off, a record carries the stored traceparent as it is."""

    def __init__(self) -> None:
        self._spans: list[Span] = []

    def headers(self, topic: str, stored: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
        """The headers to send of one event."""
        if _tracer is None:
            return stored
        found = {name: value.decode() for name, value in stored}
        span = _tracer.start_span(
            f"send {topic}", context=_parent(found.get("traceparent")), kind=SpanKind.PRODUCER,
            attributes=_messaging(topic, "send", found.get("ce_id", ""), found.get("ce_type", "")),
        )
        self._spans.append(span)
        own = _format(span.get_span_context()).encode()
        return [(name, own if name == "traceparent" else value) for name, value in stored]

    def end(self, error: BaseException | None = None) -> None:
        """The batch is acknowledged, or failed with ``error``."""
        for span in self._spans:
            if error is not None:
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            span.end()
        self._spans.clear()


def _current() -> str | None:
    """The current span's traceparent, when spans are on and one is current."""
    if _tracer is None:
        return None
    context = trace.get_current_span().get_span_context()
    return _format(context) if context.is_valid else None


def _format(context: SpanContext) -> str:
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"


def _parent(traceparent: str | None) -> Context:
    """The context whose span ``traceparent`` names; an empty one (a new trace) when it names none."""
    match = _TRACEPARENT.match((traceparent or "").strip().lower())
    if not match or match.group(1) == "0" * 32 or match.group(2) == "0" * 16:
        return Context()
    remote = SpanContext(int(match.group(1), 16), int(match.group(2), 16), is_remote=True,
                         trace_flags=TraceFlags(int(match.group(3), 16)))
    return trace.set_span_in_context(NonRecordingSpan(remote), Context())


def _messaging(topic: str, operation: str, event_id: str, event_type: str) -> dict[str, str]:
    """The attributes of a producer or consumer span (OpenTelemetry's messaging and CloudEvents
    conventions): the topic and the event's id and type — nothing of its data."""
    return {
        "messaging.system": "kafka", "messaging.destination.name": topic,
        "messaging.operation.name": operation, "messaging.operation.type": operation,
        "cloudevents.event_id": event_id, "cloudevents.event_type": event_type,
    }
