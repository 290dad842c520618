"""Pytest fixtures: a real broker and a real PostgreSQL for the whole session.

Loaded by ``-p liaison_tools.testing`` (the root pyproject). Both run on free ports,
so the suite runs beside a live ``make run``. With ``KAFKA_BOOTSTRAP_SERVERS`` and
``DATABASE_URL`` set, the suite uses those instead (a fresh database on that server).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import pytest_asyncio
from liaison_shared import db, registry
from liaison_shared.auth import issue_dev_token
from liaison_shared.kafka import ensure_topics, partitions_of
from liaison_shared.service import ServiceSpec, all_topics, create_app
from liaison_shared.settings import Settings

from .devmail import Mailbox, smtp_sink  # noqa: F401 — the tests' SMTP sink, kept in one place
from .devstack import (
    EmbeddedBroker,
    EmbeddedPostgres,
    development_env,
    die_with_parent,
    free_port,
    stop_process,
)


class TcpProxy:
    """A TCP forwarder that can cut every connection and refuse new ones, then restore."""

    def __init__(self, target_port: int, listen_port: int | None = None) -> None:
        self.target_port = target_port
        self.port = listen_port or free_port()
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        return self

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                dst.close()
                self._writers.discard(dst)

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def cut(self) -> None:
        """Close the listener and every open connection."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def restore(self) -> None:
        if self._server is None:
            await self.start()

    async def stop(self) -> None:
        await self.cut()


@pytest.fixture(scope="session")
def infra(tmp_path_factory) -> Iterator[dict[str, str]]:
    """Bootstrap servers and a database URL for this session."""
    found: dict[str, str] = {}
    broker = postgres = None
    home = tmp_path_factory.mktemp("infra")
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        found["KAFKA_BOOTSTRAP_SERVERS"] = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    else:
        broker = EmbeddedBroker(free_port(), log_path=home / "broker.log").start()
        found["KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap_servers
    if os.environ.get("DATABASE_URL"):
        parts = urlsplit(os.environ["DATABASE_URL"])
        found["DATABASE_URL"] = urlunsplit(
            parts._replace(path=f"/liaison_test_{uuid.uuid4().hex[:8]}")
        )
    else:
        # Outside the pytest tmp tree: PostgreSQL runs as another user under root, and
        # that user must be able to reach its data directory.
        pg_home = Path(tempfile.mkdtemp(prefix="liaison-pg-"))
        postgres = EmbeddedPostgres(pg_home / "pgdata", free_port(), durable=False).start()
        found["DATABASE_URL"] = postgres.url("liaison_test")
    try:
        yield found
    finally:
        if broker is not None:
            broker.stop()
        if postgres is not None:
            postgres.stop()
            shutil.rmtree(postgres.data_dir.parent, ignore_errors=True)


def make_settings(infra: dict[str, str], **overrides) -> Settings:
    values: dict[str, Any] = {
        "kafka_bootstrap_servers": infra["KAFKA_BOOTSTRAP_SERVERS"],
        "database_url": infra["DATABASE_URL"],
        "outbox_poll_interval_s": 0.2,
        "consumer_fetch_wait_ms": 100,  # tests wait on many hops: shorter than production's
        "consumer_max_attempts": 3,
        "log_format": "text",
        "kafka_topic_partitions": 3,
        "dev_mode": True,
    }
    values.update(overrides)
    values.setdefault("notify_service_token", development_env(Settings(**values))["NOTIFY_SERVICE_TOKEN"])
    return Settings(**values)


@pytest.fixture(scope="session")
def settings(infra) -> Settings:
    return make_settings(infra)


@pytest.fixture(scope="session")
def service_specs() -> dict[str, ServiceSpec]:
    return registry.specs()


@pytest.fixture(scope="session")
def platform(settings, service_specs) -> Settings:
    """Every service's schema migrated and every topic created."""
    for name, spec in service_specs.items():
        db.migrate(settings, name, spec.migration_dirs())
    asyncio.run(ensure_topics(settings, all_topics(service_specs.values())))
    return settings


def token_for(settings: Settings, role: str, org: str, **claims) -> dict[str, str]:
    """Authorization headers of a development token."""
    return {"Authorization": f"Bearer {issue_dev_token(settings, role=role, org=org, **claims)}"}


@contextlib.asynccontextmanager
async def running(spec: ServiceSpec, settings: Settings, **kwargs) -> AsyncIterator[httpx.AsyncClient]:
    """A service in this process — lifespan, relay and consumers — with an HTTP client on it."""
    app = create_app(spec, settings, **kwargs)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


async def request_body(receive) -> bytes:
    """The whole body of an ASGI request: what the small fake servers of the tests read."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def eventually(check, *, timeout: float = 20.0, interval: float = 0.1):  # noqa: ASYNC109 — reports the last value seen at the deadline, which a caller's asyncio.timeout cannot
    """Poll ``check`` (sync or async) until it returns a truthy value; return that value."""
    deadline = asyncio.get_running_loop().time() + timeout
    last = None
    while asyncio.get_running_loop().time() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")


@pytest_asyncio.fixture(scope="session")
async def db_pool(platform):
    """A plain pool on the test database (no search_path) for assertions across schemas."""
    import asyncpg

    pool = await asyncpg.create_pool(platform.asyncpg_dsn(), min_size=1, max_size=4)
    yield pool
    await pool.close()


async def collect(
    settings: Settings, topic: str, *, count: int, where=lambda record: True, timeout: float = 20.0  # noqa: ASYNC109 — returns what it found by then, where a caller's asyncio.timeout would lose it
) -> list:
    """Read ``topic`` from the start until ``count`` records match ``where``.

    Partitions are assigned by hand rather than through a consumer group: joining a
    group costs the broker's initial rebalance delay, seconds per call.
    """
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        **settings.kafka_client_options(), enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    consumer.assign(await partitions_of(consumer, [topic]))
    await consumer.seek_to_beginning()
    found: list = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(found) < count and asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                found.extend(r for r in records if where(r))
        # a little longer, so a test of "exactly N" also sees an (N+1)th record
        batches = await consumer.getmany(timeout_ms=300)
        for records in batches.values():
            found.extend(r for r in records if where(r))
    finally:
        await consumer.stop()
    return found


def header(record, name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            return value.decode()
    return None


async def produce_raw(settings: Settings, topic: str, records: list[tuple[bytes | None, bytes, list]]) -> None:
    """Send (key, value, headers) records as they are — duplicates and garbage included."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(**settings.kafka_client_options(), acks="all")
    await producer.start()
    try:
        for key, value, headers in records:
            await producer.send_and_wait(topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


class ServiceProcess:
    """One service as a real process (``liaison serve``) on a free port: started, killed with
    any signal, started again — for the fuzzing and fault suites."""

    def __init__(self, name: str, settings: Settings, *, log_dir: Path, port: int | None = None, **env: str) -> None:
        self.name = name
        self.port = port or free_port()
        self.settings = settings
        self.log_path = log_dir / f"{name}-{self.port}.log"
        self.env = {
            **development_env(settings), **os.environ, "DATABASE_URL": settings.database_url,
            "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers, f"{name.upper()}_PORT": str(self.port),
            "LOG_FORMAT": "text", "LOG_LEVEL": "WARNING", "KAFKA_TOPIC_PARTITIONS": str(settings.kafka_topic_partitions),
            "OUTBOX_POLL_INTERVAL_S": str(settings.outbox_poll_interval_s),
            "CONSUMER_FETCH_WAIT_MS": str(settings.consumer_fetch_wait_ms),
            "KAFKA_IDEMPOTENCE": str(settings.kafka_idempotence).lower(), **env,
        }
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, wait: bool = True, timeout: float = 60) -> ServiceProcess:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "liaison_shared.cli", "serve", self.name], env=self.env,
                stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent(),
            )
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        if self.process is None:
            raise RuntimeError(f"{self.name} was not started")
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} not ready after {timeout}s; see {self.log_path}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(30)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)


class ThreadedTcpProxy:
    """A ``TcpProxy`` on a loop of its own thread, so it forwards while the tests' loop is idle
    — for processes that talk through it all the time (the fault suite's broker link)."""

    def __init__(self, target_port: int, listen_port: int | None = None) -> None:
        import threading

        self.proxy = TcpProxy(target_port, listen_port)
        self.port = self.proxy.port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy", daemon=True)

    def _call(self, coroutine, timeout: float = 10):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def start(self) -> ThreadedTcpProxy:
        self._thread.start()
        self._call(self.proxy.start())
        return self

    def cut(self) -> None:
        self._call(self.proxy.cut())

    def restore(self) -> None:
        self._call(self.proxy.restore())

    def stop(self) -> None:
        self._call(self.proxy.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
