"""Prometheus metrics every service exposes at ``/metrics``.

One process serves one service, so the default registry is enough; the ``service``
label lets one Prometheus tell the four apart when they share a dashboard.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_PUBLISHED = Counter(
    "liaison_events_published", "Events sent to Kafka by the outbox relay.", ["service", "topic"]
)
EVENTS_CONSUMED = Counter(
    "liaison_events_consumed",
    "Events taken from Kafka, by outcome (handled, duplicate, ignored).",
    ["service", "topic", "outcome"],
)
EVENTS_FAILED = Counter(
    "liaison_events_failed", "Handler attempts that raised.", ["service", "topic"]
)
EVENTS_DEAD_LETTERED = Counter(
    "liaison_events_dead_lettered", "Events moved to <topic>.dlq.", ["service", "topic"]
)
HANDLER_SECONDS = Histogram(
    "liaison_event_handler_seconds",
    "Time to handle one event, transaction included.",
    ["service", "event_type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OUTBOX_BACKLOG = Gauge(
    "liaison_outbox_backlog", "Outbox rows not yet published.", ["service"]
)
OUTBOX_OLDEST_SECONDS = Gauge(
    "liaison_outbox_oldest_seconds", "Age of the oldest unpublished outbox row.", ["service"]
)
CONSUMER_LAG = Gauge(
    "liaison_consumer_lag", "Messages behind the end of each partition.",
    ["service", "topic", "partition"],
)
BROKER_UP = Gauge(
    "liaison_broker_up", "1 when the last exchange with Kafka succeeded.", ["service"]
)
DATABASE_UP = Gauge(
    "liaison_database_up", "1 when the last readiness probe reached PostgreSQL.", ["service"]
)
HTTP_REQUESTS = Counter(
    "liaison_http_requests", "HTTP requests answered.", ["service", "method", "route", "status"]
)
HTTP_SECONDS = Histogram(
    "liaison_http_request_seconds",
    "HTTP request latency.",
    ["service", "method", "route"],
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
JOB_LAST_SUCCESS = Gauge(
    "liaison_job_last_success_timestamp_seconds",
    "When a background job last finished a round without error (Unix seconds).",
    ["service", "task"],
)
WORKING_DAY_CALENDAR_LAST_YEAR = Gauge(
    "liaison_working_day_calendar_last_year",
    "The last year whose official working-day schedule is known (entered, or in the package).",
)
FEEDBACK_RATE = Gauge(
    "liaison_feedback_rate",
    "Response, resolution and satisfaction rates of the cases of the last 90 days (0..1).",
    ["rate"],
)
