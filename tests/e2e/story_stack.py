"""The four services as real processes (``liaison serve``) on a broker and a database of their own,
with every service's demo data loaded as ``make run`` loads it — members' registry first, then
feedback's dispatch catalogue and filing windows — and an SMTP sink for the e-mail they send."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from liaison_shared import db, registry
from liaison_shared.kafka import ensure_topics
from liaison_shared.service import all_topics
from liaison_shared.settings import Settings
from liaison_tools.devstack import EmbeddedBroker, free_port
from liaison_tools.testing import ServiceProcess, eventually, smtp_sink, token_for

SERVICES = ("members", "consultation", "feedback", "notify")


@dataclass
class Stack:
    settings: Settings
    pool: asyncpg.Pool
    services: dict[str, ServiceProcess]
    mailbox: object

    def url(self, name: str) -> str:
        return self.services[name].url

    def token(self, role: str, org: str, **claims) -> dict[str, str]:
        return token_for(self.settings, role, org, **claims)


async def _projected(pool: asyncpg.Pool) -> bool:
    """The demo's registry has reached every service that projects it."""
    return await pool.fetchval(
        "SELECT (SELECT count(*) FROM members.departments) > 0"
        " AND (SELECT count(*) FROM members.departments) = (SELECT count(*) FROM feedback.departments)"
        " AND (SELECT count(*) FROM members.departments) = (SELECT count(*) FROM consultation.departments)"
        " AND (SELECT count(*) FROM members.departments) = (SELECT count(*) FROM notify.departments)"
        " AND (SELECT count(*) FROM members.members) = (SELECT count(*) FROM consultation.members)"
        " AND (SELECT count(*) FROM members.members) = (SELECT count(*) FROM feedback.members)"
        " AND (SELECT count(*) FROM members.venues) = (SELECT count(*) FROM consultation.venues)"
        " AND (SELECT count(*) FROM members.org_units) = (SELECT count(*) FROM feedback.org_units)"
        " AND (SELECT count(*) FROM members.org_units) = (SELECT count(*) FROM notify.org_units)")


@contextlib.asynccontextmanager
async def demo_stack(platform: Settings, log_dir: Path, service_env: dict[str, str] | None = None):
    """``service_env``: settings every service is started with besides (an issuer to trust, say)."""
    broker = EmbeddedBroker(free_port(), log_path=log_dir / "broker.out").start()
    services: dict[str, ServiceProcess] = {}
    pool = settings = None
    try:
        with smtp_sink() as (mailbox, smtp_port):
            url = urlsplit(platform.database_url)
            settings = platform.model_copy(update={
                "kafka_bootstrap_servers": broker.bootstrap_servers, "smtp_port": smtp_port,
                "database_url": urlunsplit(url._replace(path=f"/liaison_story_{uuid.uuid4().hex[:8]}")),
                **broker.client_settings})
            specs = registry.specs()
            for name, spec in specs.items():
                await asyncio.to_thread(db.migrate, settings, name, spec.migration_dirs())
            await ensure_topics(settings, all_topics(specs.values()))
            ports = {name: free_port() for name in SERVICES}
            common = {
                "SMTP_PORT": str(smtp_port), "PUBLIC_RATE_LIMIT_PER_MINUTE": "1000000",
                # as `make run`: every process knows every port (the SMS link follows FEEDBACK_PORT)
                **{f"{name.upper()}_PORT": str(port) for name, port in ports.items()},
                "DELIVERY_POLL_INTERVAL_S": "0.2", "DELIVERY_BACKOFF_S": "0.2", **(service_env or {}),
            }
            for name in SERVICES:
                services[name] = ServiceProcess(name, settings, log_dir=log_dir, port=ports[name], **common)
                services[name].start(wait=False)
            for service in services.values():
                await asyncio.to_thread(service.wait_ready, 90)
            pool = await asyncpg.create_pool(settings.asyncpg_dsn(), min_size=1, max_size=4)
            for name, spec in specs.items():  # as `make run` does, in the registry's order
                if spec.demo_data is not None:
                    service_pool = await db.create_pool(settings, name)
                    try:
                        await spec.demo_data(service_pool, settings)
                    finally:
                        await service_pool.close()
            await eventually(lambda: _projected(pool), timeout=120, interval=0.5)
            yield Stack(settings=settings, pool=pool, services=services, mailbox=mailbox)
    finally:
        for service in services.values():
            service.stop()
        if pool is not None:
            await pool.close()
        broker.stop()
        if settings is not None:
            with contextlib.suppress(Exception):
                conn = await asyncpg.connect(platform.asyncpg_dsn())
                try:
                    name = urlsplit(settings.database_url).path.lstrip("/")
                    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                finally:
                    await conn.close()
