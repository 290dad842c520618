"""OpenTelemetry traces of a service process, set up here and nowhere else (``create_app``).

Off by default: unless the standard variables configure an exporter, no provider is made,
nothing is instrumented, and ``tracing`` carries the W3C header alone. The variables:

- ``OTEL_TRACES_EXPORTER``: ``otlp`` (OTLP over HTTP/protobuf, the protocol installed),
  ``console`` or ``none``; unset, ``otlp`` when an OTLP endpoint is set, else none;
- ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``…_TRACES_ENDPOINT``), ``…_HEADERS``, ``…_TIMEOUT``,
  ``…_CERTIFICATE``: read by the exporter;
- ``OTEL_SERVICE_NAME`` (default: the service's name), ``OTEL_RESOURCE_ATTRIBUTES``,
  ``OTEL_TRACES_SAMPLER`` and ``…_ARG``, ``OTEL_BSP_*``: read by the SDK;
- ``OTEL_SDK_DISABLED=true``: off, whatever else is set.

On, a process records the server span of each request (FastAPI), the queries made inside a
request or an event (asyncpg, never their parameters), and the producer and consumer spans of
events (``tracing``). What leaves the process names routes, tables and events, never a person
(``Redacted``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind, Status, TraceState
from opentelemetry.util.types import Attributes

from . import tracing

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.context import Context

log = logging.getLogger(__name__)

# Probes every few seconds would be most of the traces; OTEL_PYTHON_FASTAPI_EXCLUDED_URLS overrides.
PROBES = "/healthz$,/readyz$,/metrics$"

_provider: TracerProvider | None = None


def start(service: str, *, exporter: SpanExporter | None = None) -> bool:
    """Turn spans on for this process, once; returns whether they are on.

    ``exporter`` receives each span as it ends (a test's in-memory exporter); without one, the
    ``OTEL_*`` variables choose, and spans stay off when they configure none.
    """
    global _provider
    if _provider is not None:
        return True
    if exporter is not None:
        processors: list[SpanProcessor] = [SimpleSpanProcessor(Redacted(exporter))]
    else:
        processors = [BatchSpanProcessor(Redacted(chosen)) for chosen in exporters_from_environment()]
    if not processors:
        return False
    provider = TracerProvider(resource=_resource(service))
    provider.sampler = QueriesInsideSpans(provider.sampler)  # behind OTEL_TRACES_SAMPLER's, read by the provider
    for processor in processors:
        provider.add_span_processor(processor)
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    # never the parameters: they are the names, phone numbers and words of the people
    AsyncPGInstrumentor(capture_parameters=False).instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
    tracing.use(provider.get_tracer("liaison_shared"))
    _provider = provider
    return True


def instrument(app: FastAPI) -> None:
    """A server span for every request to ``app`` but the probes, when spans are on."""
    if _provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    configured = os.environ.get("OTEL_PYTHON_FASTAPI_EXCLUDED_URLS") or os.environ.get("OTEL_PYTHON_EXCLUDED_URLS")
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=_provider, excluded_urls=None if configured else PROBES,
        # the spans of each ASGI message would double a request's spans for nothing
        exclude_spans=["receive", "send"],
    )


def stop() -> None:
    """Spans off again, those ended sent (how a test returns the process to the default)."""
    global _provider
    if _provider is None:
        return
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    AsyncPGInstrumentor().uninstrument()  # type: ignore[no-untyped-call]
    tracing.use(None)
    _provider.shutdown()
    _provider = None


def exporters_from_environment() -> list[SpanExporter]:
    """The exporters the ``OTEL_*`` variables ask for: none unless one is configured."""
    def setting(name: str) -> str:
        return os.environ.get(name, "").strip()

    if setting("OTEL_SDK_DISABLED").lower() == "true":
        return []
    endpoint = setting("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or setting("OTEL_EXPORTER_OTLP_ENDPOINT")
    names = [name.strip() for name in setting("OTEL_TRACES_EXPORTER").lower().split(",") if name.strip()]
    exporters: list[SpanExporter] = []
    for name in names or (["otlp"] if endpoint else []):
        if name == "otlp":
            protocol = (setting("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or setting("OTEL_EXPORTER_OTLP_PROTOCOL")
                        or "http/protobuf")
            if protocol != "http/protobuf":
                log.warning("OTLP protocol %s is not installed (http/protobuf is): no traces are sent", protocol)
                continue
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporters.append(OTLPSpanExporter())
        elif name == "console":
            exporters.append(ConsoleSpanExporter())
        elif name != "none":
            log.warning("OTEL_TRACES_EXPORTER %s is not installed (otlp, console or none): ignored", name)
    return exporters


def _resource(service: str) -> Resource:
    """What the variables say of the process, named by ``OTEL_SERVICE_NAME`` or else the service."""
    detected = Resource.create()
    if str(detected.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        return detected.merge(Resource({SERVICE_NAME: service}))
    return detected


class QueriesInsideSpans(Sampler):
    """A query is traced inside a request or a consumed event, never as a trace of its own: the
    relay's and the background jobs' polling would otherwise be most of what is sent."""

    def __init__(self, sampler: Sampler) -> None:
        self._sampler = sampler

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        query = kind is SpanKind.CLIENT and attributes is not None and (
            "db.system" in attributes or "db.system.name" in attributes
        )
        if query and not trace.get_current_span(parent_context).get_span_context().is_valid:
            return SamplingResult(Decision.DROP)
        return self._sampler.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        return f"QueriesInsideSpans{{{self._sampler.get_description()}}}"


# What the instrumentations record that may name a person: the path (tracking codes), the query
# (``?q=`` searches names), the client's address and user agent, captured headers, and a
# query's parameters were they ever captured.
PERSONAL = frozenset({
    "http.target", "http.url", "url.path", "url.query", "url.full", "net.peer.ip", "net.sock.peer.addr",
    "client.address", "http.client_ip", "http.user_agent", "user_agent.original", "db.statement.parameters",
})
PERSONAL_PREFIXES = ("http.request.header.", "http.response.header.")


class Redacted(SpanExporter):
    """Spans as they leave the process: without the attributes that may name a person
    (``PERSONAL``; the route's template stays, in ``http.route`` and the span's name), and with an
    error's class but never its text — a database error's text holds the failing row, a
    validation error the input (``logs.describe`` keeps them out of the logs likewise)."""

    def __init__(self, exporter: SpanExporter) -> None:
        self._exporter = exporter

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self._exporter.export([_redacted(span) for span in spans])

    def shutdown(self) -> None:
        self._exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._exporter.force_flush(timeout_millis)


def _redacted(span: ReadableSpan) -> ReadableSpan:
    attributes = span.attributes or {}
    personal = {key for key in attributes if key in PERSONAL or key.startswith(PERSONAL_PREFIXES)}
    description = span.status.description
    if not personal and description is None and not span.events:
        return span
    cause = (description or "").partition(":")[0]  # "UniqueViolationError: … DETAIL: Key (…)=(…)"
    return ReadableSpan(
        name=span.name, context=span.context, parent=span.parent, resource=span.resource,
        attributes={key: value for key, value in attributes.items() if key not in personal},
        events=[_without_text(event) for event in span.events], links=span.links, kind=span.kind,
        status=Status(span.status.status_code, cause if cause.isidentifier() else None),
        start_time=span.start_time, end_time=span.end_time, instrumentation_scope=span.instrumentation_scope,
    )


def _without_text(event: Event) -> Event:
    """An exception event keeps the exception's class, not its message nor its stack."""
    if event.name != "exception":
        return event
    kept = {key: value for key, value in (event.attributes or {}).items() if key == "exception.type"}
    return Event(event.name, kept, event.timestamp)
