"""The four services as real processes (``liaison serve``) on the demo data of ``make run``, on a
broker and a database of their own — so what the tests read back (every table, every topic, every
log line) is this stack's alone, and the demo data loads whatever other suites registered before.

The principals of the demo data the tests act as: staff of the city and of two sibling counties,
members and departments of county A (one of each left out of what the tests create).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from liaison_shared import db, registry
from liaison_shared.kafka import ensure_topics
from liaison_shared.service import all_topics
from liaison_shared.settings import Settings
from liaison_tools.devstack import EmbeddedBroker, free_port
from liaison_tools.testing import ServiceProcess, eventually, smtp_sink, token_for

CITY = "640200000000"
COUNTY_A, COUNTY_B = "640202000000", "640205000000"  # 大武口区, 惠农区 (siblings)
TOWN_A, VILLAGE_A = "640202100000", "640202100201"     # 星海镇 and its first village
SERVICES = ("members", "consultation", "feedback", "notify")


@dataclass
class Stack:
    settings: Settings
    pool: asyncpg.Pool
    services: dict[str, ServiceProcess]
    mailbox: object
    log_dir: Path
    ids: dict[str, str] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return self.services[name].url

    def token(self, role: str, org: str, **claims) -> dict[str, str]:
        return token_for(self.settings, role, org, **claims)

    def logs(self) -> dict[str, str]:
        """Every log the stack's processes wrote so far, by file name."""
        return {path.name: path.read_text(errors="replace") for path in sorted(self.log_dir.glob("*.log"))}


def _fresh_database(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/liaison_security_{uuid.uuid4().hex[:8]}"))


async def _demo_ids(pool: asyncpg.Pool) -> dict[str, str]:
    """Ids of the demo data the tests act as or on (the demo's ids are drawn at load, not fixed)."""

    async def one(query: str, *args) -> str:
        value = await pool.fetchval(query, *args)
        assert value is not None, f"the demo data has nothing for: {query} {args}"
        return str(value)

    members = await pool.fetch("SELECT id::text AS id FROM members.members WHERE org_unit = $1 ORDER BY id LIMIT 3",
                               COUNTY_A)
    return {
        "member_a": members[0]["id"], "member_a2": members[1]["id"], "member_a_outsider": members[2]["id"],
        "member_b": await one("SELECT id::text FROM members.members WHERE org_unit = $1 ORDER BY id LIMIT 1",
                              COUNTY_B),
        "member_city": await one("SELECT id::text FROM members.members WHERE org_unit = $1 ORDER BY id LIMIT 1",
                                 CITY),
        "dept_a": await one("SELECT id::text FROM members.departments WHERE org_unit = $1 ORDER BY name LIMIT 1",
                            COUNTY_A),
        "dept_a_other": await one("SELECT id::text FROM members.departments WHERE org_unit = $1"
                                  " ORDER BY name DESC LIMIT 1", COUNTY_A),
        "dept_b": await one("SELECT id::text FROM members.departments WHERE org_unit = $1 ORDER BY name LIMIT 1",
                            COUNTY_B),
        "dept_city": await one("SELECT id::text FROM members.departments WHERE org_unit = $1 ORDER BY name LIMIT 1",
                               CITY),
        "sector_a": await one("SELECT id::text FROM members.sectors WHERE org_unit = $1 ORDER BY name LIMIT 1",
                              COUNTY_A),
        "venue_a": await one("SELECT id::text FROM members.venues WHERE org_unit = $1 LIMIT 1", COUNTY_A),
        "room_a": await one("SELECT id::text FROM members.venues WHERE org_unit = $1 LIMIT 1", TOWN_A),
        "venue_b": await one("SELECT id::text FROM members.venues WHERE org_unit = $1 LIMIT 1", COUNTY_B),
    }


async def _projected(pool: asyncpg.Pool) -> bool:
    """Every demo department and member has reached the services that project them."""
    return await pool.fetchval(
        "SELECT (SELECT count(*) FROM members.departments) = (SELECT count(*) FROM feedback.departments)"
        " AND (SELECT count(*) FROM members.departments) = (SELECT count(*) FROM consultation.departments)"
        " AND (SELECT count(*) FROM members.departments) = (SELECT count(*) FROM notify.departments)"
        " AND (SELECT count(*) FROM members.members) = (SELECT count(*) FROM consultation.members)"
        " AND (SELECT count(*) FROM members.venues) = (SELECT count(*) FROM consultation.venues)"
        " AND (SELECT count(*) FROM members.org_units) = (SELECT count(*) FROM feedback.org_units)"
        " AND (SELECT count(*) FROM members.departments) > 0")


@contextlib.asynccontextmanager
async def demo_stack(platform: Settings, log_dir: Path, **env: str):
    """Broker, database, the four services as processes with the demo data loaded and projected."""
    broker = EmbeddedBroker(free_port(), log_path=log_dir / "broker.out").start()
    services: dict[str, ServiceProcess] = {}
    pool = settings = None
    try:
        with smtp_sink() as (mailbox, smtp_port):
            settings = platform.model_copy(update={
                "kafka_bootstrap_servers": broker.bootstrap_servers,
                "database_url": _fresh_database(platform.database_url), "smtp_port": smtp_port,
                **broker.client_settings})
            for name, spec in registry.specs().items():
                await asyncio.to_thread(db.migrate, settings, name, spec.migration_dirs())
            await ensure_topics(settings, all_topics(registry.specs().values()))
            ports = {name: free_port() for name in SERVICES}
            common = {
                "SMTP_PORT": str(smtp_port), "PUBLIC_RATE_LIMIT_PER_MINUTE": "1000000", "LOG_LEVEL": "INFO",
                "FEEDBACK_URL": f"http://127.0.0.1:{ports['feedback']}",
                "MEMBERS_URL": f"http://127.0.0.1:{ports['members']}",
                "DELIVERY_POLL_INTERVAL_S": "0.2", "DELIVERY_BACKOFF_S": "0.2", "AUDIT_SEAL_INTERVAL_S": "0.5",
                **env,
            }
            for name in SERVICES:
                services[name] = ServiceProcess(name, settings, log_dir=log_dir, port=ports[name], **common)
                services[name].start(wait=False)
            for service in services.values():
                await asyncio.to_thread(service.wait_ready, 90)
            pool = await asyncpg.create_pool(settings.asyncpg_dsn(), min_size=1, max_size=4)
            spec = registry.specs()["members"]
            members_pool = await db.create_pool(settings, "members")
            try:
                await spec.demo_data(members_pool, settings)
            finally:
                await members_pool.close()
            await eventually(lambda: _projected(pool), timeout=120, interval=0.5)
            stack = Stack(settings=settings, pool=pool, services=services, mailbox=mailbox, log_dir=log_dir)
            stack.ids = await _demo_ids(pool)
            yield stack
    finally:
        for service in services.values():
            service.stop()
        if pool is not None:
            await pool.close()
        broker.stop()
        await _drop(platform, settings.database_url if settings else None)


async def _drop(platform: Settings, url: str | None) -> None:
    """The stack's database goes with it (best effort: on a server of someone else's we may not)."""
    if url is None:
        return
    name = urlsplit(url).path.lstrip("/")
    with contextlib.suppress(Exception):
        conn = await asyncpg.connect(platform.asyncpg_dsn())
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
