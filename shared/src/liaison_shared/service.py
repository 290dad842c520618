"""The composition of one service: FastAPI for HTTP and FastStream for Kafka in one process.

A service describes itself with a ``ServiceSpec`` (its routers, the events it publishes,
the events it consumes) and ``create_app`` builds the process around it: the database
pool, the outbox relay, the consumers with their inbox and DLQ, ``/healthz``,
``/readyz``, ``/metrics``, ``/openapi.json`` and ``/asyncapi.json``.

Neither the broker nor the database has to be up for the process to start: the relay
and the consumers retry in the background, and ``/readyz`` tells when the database is
reachable. A broker outage shows in ``/readyz``'s body and in ``liaison_broker_up``,
not as a 503, because the outbox keeps the service's writes working.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

import asyncpg
from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from . import asyncapi, audit, audit_routes, crypto, db, metrics, openapi, telemetry
from .auth import TokenVerifier
from .events import Event, dlq_topic
from .events import registry as event_registry
from .http import ERROR_RESPONSES, ErrorFormat, RequestContextMiddleware, install_error_handlers
from .inbox import EventConsumer, InboxRunner, run_inbox_retention
from .kafka import faststream_security
from .logs import configure_logging
from .outbox import AfterPublish, OutboxRelay
from .ratelimit import RateLimit
from .settings import DEV_AUDIT_KEY, DEV_MASTER_KEY, ServiceName, Settings, get_settings
from .uow import UnitOfWork, snapshot

log = logging.getLogger(__name__)

BackgroundJob = Callable[["Runtime"], Awaitable[None]]

# Topics whose history other services rebuild projections from: kept forever, so a new
# consumer can replay from the start. (Not compacted: some carry partial changes.)
RETAINED = {"retention.ms": "-1"}
# Every other topic (events other systems subscribe to, and the DLQs): thirty days.
EVENT_RETENTION = {"retention.ms": str(30 * 24 * 3600 * 1000)}


@dataclass
class ServiceSpec:
    name: ServiceName
    package: str
    description: str
    routers: Sequence[APIRouter] = ()
    # Pages for people (HTML, outside /api/v1): feedback's tracking page /t/{code}.
    pages: Sequence[APIRouter] = ()
    consumer: EventConsumer | None = None
    background_jobs: Sequence[BackgroundJob] = ()
    version: str = "1.0.0"
    # Topics of this service that hold registry state (see RETAINED).
    registry_topics: Sequence[str] = ()
    # Loads the demo data of `make run` idempotently; returns a one-line summary.
    # Shared migration sets the service also needs (e.g. "registry" for the projection).
    shared_migrations: Sequence[str] = ()
    demo_data: Callable[[asyncpg.Pool, Settings], Awaitable[str]] | None = None
    # This service's own checks of its settings at start; each raises UnsafeSettings.
    start_checks: Sequence[Callable[[Settings], None]] = ()
    # Columns holding what the master key sealed: `liaison rewrap` moves them to the current key.
    master_sealed: Sequence[crypto.MasterSealed] = ()
    # Path prefix → the error shape a protocol of its own speaks there (feedback's Open311 façade):
    # every error under it, whatever raised it, in that shape.
    error_formats: Mapping[str, ErrorFormat] = field(default_factory=dict)

    def migration_dirs(self) -> list[Path]:
        return db.migration_dirs(self.package, self.shared_migrations)

    @property
    def publishes(self) -> list[type[Event]]:
        """The events it publishes: those of the registry named after the service (declared in
        ``liaison_shared.contracts``), so no list is kept by hand."""
        return event_registry.of_service(self.name)

    def published_topics(self) -> list[str]:
        return sorted({m.event_type.topic for m in self.publishes})

    def topics_to_create(self) -> dict[str, dict[str, str]]:
        """This service's topics and the DLQs of what it consumes, with their configs."""
        wanted: dict[str, dict[str, str]] = {}
        for topic in self.published_topics():
            wanted[topic] = dict(RETAINED) if topic in self.registry_topics else dict(EVENT_RETENTION)
        if self.consumer is not None:
            for topic in self.consumer.topics:
                wanted.setdefault(topic, {})  # so a consumer can start before its producer
                wanted[dlq_topic(topic)] = dict(EVENT_RETENTION)
        return wanted


def all_topics(specs: Iterable[ServiceSpec]) -> dict[str, dict[str, str]]:
    """Every service's topics; where two name one topic, its publisher's configs win."""
    merged: dict[str, dict[str, str]] = {}
    for spec in specs:
        for topic, configs in spec.topics_to_create().items():
            if configs or topic not in merged:
                merged[topic] = configs
    return merged


@dataclass
class Runtime:
    """What the process holds while it runs; handlers reach it via ``request.app.state``."""

    spec: ServiceSpec
    settings: Settings
    broker: KafkaBroker
    pool: asyncpg.Pool | None = None
    relay: OutboxRelay | None = None
    inbox: InboxRunner | None = None
    broker_started: bool = False
    stopping: bool = False
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def started_pool(self) -> asyncpg.Pool:
        """The pool, once the lifespan has opened it."""
        if self.pool is None:
            raise RuntimeError("the service has not started: no database pool yet")
        return self.pool

    def uow(self, *, write_only: bool = False) -> UnitOfWork:
        return UnitOfWork(
            self.started_pool(), schema=self.spec.name, acquire_timeout=self.settings.db_acquire_timeout_s,
            settings=self.settings, write_only=write_only,
        )

    def snapshot(self) -> contextlib.AbstractAsyncContextManager[asyncpg.Connection]:
        """What a GET route reads through: one moment of the database (``uow.snapshot``)."""
        return snapshot(self.started_pool(), acquire_timeout=self.settings.db_acquire_timeout_s)


def build_broker(spec: ServiceSpec, settings: Settings) -> KafkaBroker:
    broker = KafkaBroker(
        settings.kafka_bootstrap_servers.split(","),  # a string would be taken as one host
        client_id=f"{settings.kafka_client_id_prefix}-{spec.name}",
        acks="all",
        enable_idempotence=settings.kafka_idempotence,
        request_timeout_ms=10_000,
        security=faststream_security(settings),
        logger=None,
    )
    # Declared for the AsyncAPI document only: events are sent by the outbox relay.
    for model in spec.publishes:
        broker.publisher(
            model.event_type.topic,
            title=model.event_type.name,
            schema=model,
            description=(model.__doc__ or "").strip() or None,
        )
    return broker


def asyncapi_document(spec: ServiceSpec, broker: KafkaBroker) -> dict[str, Any]:
    consumed: dict[str, list[type[Event]]] = {}
    if spec.consumer is not None:
        for topic in spec.consumer.topics:
            consumed[topic] = [
                model for model, _ in spec.consumer.handlers.values()
                if model.event_type.topic == topic
            ]
    return asyncapi.document(
        broker, service=spec.name, title=f"cppcc-liaison {spec.name}", version=spec.version,
        description=spec.description, consumed=consumed,
    )


class UnsafeSettings(RuntimeError):
    """The settings would run a service on the development secrets outside development mode."""


def refuse_development_secrets(settings: Settings) -> None:
    """Every start passes here: outside ``DEV_MODE``, tokens are verified with an issuer's keys
    (``AUTH_JWKS_URL``), and the master and audit keys are the operator's own."""
    if settings.dev_mode:
        return
    wrong = []
    if not settings.auth_jwks_url:
        wrong.append("AUTH_JWKS_URL is unset (tokens would be checked with the development key)")
    if settings.data_master_key.get_secret_value().rpartition(":")[2].strip() == DEV_MASTER_KEY:
        wrong.append("DATA_MASTER_KEY is the development key")
    audit_key = settings.audit_hmac_key.get_secret_value()
    if audit_key == DEV_AUDIT_KEY or len(audit_key) < 32:
        wrong.append("AUDIT_HMAC_KEY is the development key or shorter than 32 characters")
    if wrong:
        raise UnsafeSettings("refusing to start: " + "; ".join(wrong)
                             + " — set them, or DEV_MODE=true on a development machine")


def check_start(spec: ServiceSpec, settings: Settings) -> None:
    """The one door of every start (``liaison serve``, the tests' ``running``): the shared checks,
    then the service's own; each refuses with ``UnsafeSettings``."""
    refuse_development_secrets(settings)
    try:
        crypto.keyring(settings)
    except ValueError as wrong:
        raise UnsafeSettings(f"refusing to start: {wrong}") from None
    for check in spec.start_checks:
        check(settings)


def create_app(
    spec: ServiceSpec,
    settings: Settings | None = None,
    *,
    after_publish: AfterPublish | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    runtime = Runtime(spec=spec, settings=settings, broker=build_broker(spec, settings))
    if spec.consumer is not None:
        runtime.inbox = InboxRunner(spec.consumer, runtime.broker, lambda: runtime.pool, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        check_start(spec, settings)  # at the start, not at build: the OpenAPI and gates build apps too
        runtime.pool = await db.create_pool(settings, spec.name)
        runtime.relay = OutboxRelay(
            runtime.pool, settings, service=spec.name, after_publish=after_publish
        )
        runtime.tasks.append(asyncio.create_task(runtime.relay.run(), name="outbox-relay"))
        runtime.tasks.append(asyncio.create_task(_start_broker(runtime), name="broker-start"))
        for job in [audit.run_sealer, run_inbox_retention, *spec.background_jobs]:
            runtime.tasks.append(asyncio.create_task(_forever(job, runtime), name=job.__name__))
        try:
            yield
        finally:
            runtime.stopping = True
            runtime.relay.request_stop()
            for task in runtime.tasks:
                task.cancel()
            # Python 3.11's wait_for can swallow a cancellation (asyncpg uses it when
            # connecting); the loops also watch the stop flags, and we wait only so long.
            await asyncio.wait(runtime.tasks, timeout=5)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(runtime.broker.stop(), 10)
            with contextlib.suppress(Exception):
                await runtime.relay.stop()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(runtime.pool.close(), 5)

    app = FastAPI(
        title=f"cppcc-liaison {spec.name}",
        description=spec.description,
        version=spec.version,
        lifespan=lifespan,
        generate_unique_id_function=openapi.operation_id,
    )
    openapi.install(app)
    telemetry.start(spec.name)  # once per process, from the OTEL_* variables: off unless they configure it
    telemetry.instrument(app)
    app.state.runtime = runtime
    app.state.settings = settings
    app.state.verifier = TokenVerifier(settings)
    app.state.public_limit = RateLimit(settings.public_rate_limit_per_minute,
                                       trusted_proxies=settings.trusted_proxies)
    install_error_handlers(app, spec.error_formats)
    for router in [*spec.routers, audit_routes.router]:
        app.include_router(router, prefix="/api/v1", responses=ERROR_RESPONSES)
    for router in spec.pages:
        app.include_router(router)
    _add_operational_routes(app, runtime)
    if settings.cors_origins:  # without browser origins to allow, the middleware only costs time
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "traceparent"],
            expose_headers=["traceparent", "Retry-After"],
        )
    app.add_middleware(
        RequestContextMiddleware, service=spec.name, max_body_bytes=settings.max_body_bytes,
        audit_key=audit.key_of(settings), audit_mac=audit.mac_of(settings), error_formats=spec.error_formats,
    )
    return app


async def _start_broker(runtime: Runtime) -> None:
    """Connect the consumers, retrying while the broker is unreachable."""
    delay = 0.5
    while not runtime.stopping:
        try:
            await runtime.broker.start()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("broker not reachable yet: %s", error)
            with contextlib.suppress(Exception):
                await runtime.broker.stop()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        else:
            runtime.broker_started = True
            return


async def _forever(job: BackgroundJob, runtime: Runtime) -> None:
    while not runtime.stopping:
        try:
            await job(runtime)
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background job %s failed; restarting", job.__name__)
            await asyncio.sleep(2)


def _add_operational_routes(app: FastAPI, runtime: Runtime) -> None:
    service = runtime.spec.name

    @app.get("/healthz", tags=["operations"], summary="Alive")
    async def healthz() -> dict[str, object]:
        return {"status": "ok", "service": service}

    @app.get("/readyz", tags=["operations"], summary="Ready: database reachable, start-up done")
    async def readyz() -> JSONResponse:
        database_ok = False
        detail = None
        if runtime.pool is not None:
            try:
                async with asyncio.timeout(2):
                    await runtime.pool.fetchval("SELECT 1")
                database_ok = True
            except Exception as error:
                detail = f"{type(error).__name__}: {error}"
        metrics.DATABASE_UP.labels(service).set(1 if database_ok else 0)
        relay = runtime.relay
        body = {
            "service": service,
            "status": "ready" if database_ok else "unavailable",
            "database": {"up": database_ok, "error": detail},
            "broker": {
                # the leading relay talks to the broker all the time: its word is the freshest
                # (consumers that once started say nothing of an outage since)
                "up": relay.broker_up if relay and relay.has_led else runtime.broker_started,
                "consumers_started": runtime.broker_started,
                "relay_leader": bool(relay and relay.is_leader),
                "last_error": relay.last_error if relay else None,
            },
        }
        return JSONResponse(body, status_code=200 if database_ok else 503)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics")
    async def metrics_endpoint() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/asyncapi.json", tags=["operations"], summary="AsyncAPI 3 document")
    async def asyncapi() -> JSONResponse:
        return JSONResponse(asyncapi_document(runtime.spec, runtime.broker))


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _crash_point(after: int) -> AfterPublish | None:
    """The fault suite's forced crash between publish and mark (``FAULT_CRASH_AFTER_PUBLISH``)."""
    if after <= 0:
        return None
    sent = 0

    def maybe_die(ids: list[int]) -> None:
        nonlocal sent
        sent += len(ids)
        if sent >= after:
            log.error("fault injection: dying after %d events published, before marking them", sent)
            os.kill(os.getpid(), signal.SIGKILL)

    return maybe_die


class ServerOptions(TypedDict):
    host: str
    port: int
    proxy_headers: bool
    log_config: None
    access_log: bool
    timeout_graceful_shutdown: int


def server_options(settings: Settings, name: ServiceName) -> ServerOptions:
    """uvicorn's options. ``proxy_headers`` off: uvicorn would otherwise take the client from
    ``X-Forwarded-For`` of any peer on 127.0.0.1 (its default ``forwarded_allow_ips``), so anyone
    on the host could name any address; the rate limit reads the header itself, from
    ``TRUSTED_PROXIES`` only (``ratelimit.py``)."""
    return {
        "host": settings.http_host,
        "port": settings.port_of(name),
        "proxy_headers": False,
        "log_config": None,
        "access_log": False,
        "timeout_graceful_shutdown": 10,
    }


def serve(spec_factory: Callable[[], ServiceSpec]) -> None:
    """Run one service with uvicorn on its port from settings."""
    import sys

    import uvicorn

    settings = get_settings()
    spec = spec_factory()
    configure_logging(spec.name, settings.log_level, settings.log_format)
    try:
        check_start(spec, settings)  # before uvicorn, for one line and exit status 2
    except UnsafeSettings as refused:
        print(f"{spec.name}: {refused}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    app = create_app(spec, settings, after_publish=_crash_point(settings.fault_crash_after_publish))
    # what was loaded to start is never garbage: keep it out of the collector's full passes
    gc.collect()
    gc.freeze()
    # A request allocates a few thousand short-lived objects, nearly all freed by reference
    # counting: at the default 700 the young collection ran several times per request (7 % of
    # feedback's CPU under load, py-spy). Ten times fewer passes find the same few cycles.
    gc.set_threshold(7_000, 10, 10)
    uvicorn.run(app, **server_options(settings, spec.name))
