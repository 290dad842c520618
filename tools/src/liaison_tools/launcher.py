"""Bring the whole platform up on one machine: what ``make run`` (and the e2e tests) do.

Order: broker and PostgreSQL (embedded unless given), a development mail sink (unless
SMTP_HOST is given), migrations, topics, the four services as processes, readiness, demo
data, URLs. Stopping goes the other way.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import cast

import httpx
from liaison_shared import db, registry
from liaison_shared.kafka import ensure_topics
from liaison_shared.service import all_topics
from liaison_shared.settings import ServiceName, Settings

from . import devmail
from .devstack import (
    EmbeddedBroker,
    EmbeddedPostgres,
    development_env,
    die_with_parent,
    free_port,
    stop_process,
)


class Launcher:
    def __init__(
        self,
        settings: Settings,
        *,
        external_kafka: bool,
        external_database: bool,
        home: Path | None = None,
        extra_env: dict[str, str] | None = None,
        echo=lambda text: print(text, flush=True),
    ) -> None:
        self.settings = settings
        self.external_kafka = external_kafka
        self.external_database = external_database
        self.home = Path(home or os.environ.get("LIAISON_HOME") or settings.liaison_home).resolve()
        self.extra_env = extra_env or {}
        self.echo = echo
        self.broker: EmbeddedBroker | None = None
        self.postgres: EmbeddedPostgres | None = None
        self.services: dict[str, subprocess.Popen] = {}
        self.env: dict[str, str] = {}
        self.mail: contextlib.ExitStack | None = None
        self.mailbox: devmail.Mailbox | None = None

    # --- start ---------------------------------------------------------------------------

    def start(self) -> None:
        started = time.monotonic()
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "logs").mkdir(exist_ok=True)
        env = {**development_env(self.settings), **os.environ, **self.extra_env}
        if not self.external_kafka:
            self.broker = EmbeddedBroker(
                self.settings.broker_port, log_path=self.home / "logs" / "broker.log"
            ).start()
            env["KAFKA_BOOTSTRAP_SERVERS"] = self.broker.bootstrap_servers
            self.echo(f"broker      {self.broker.bootstrap_servers} (embedded, in memory)")
        if not self.external_database:
            self.postgres = EmbeddedPostgres(
                self.home / "pgdata", self.settings.embedded_postgres_port,
                log_path=self.home / "logs" / "postgres.log",
            ).start()
            env["DATABASE_URL"] = self.postgres.url()
            where: Path | str = self.home / "pgdata"
            if self.postgres.location != where:  # under root, out of the database user's reach
                where = f"{self.postgres.location}, linked from {where}"
            self.echo(f"postgresql  127.0.0.1:{self.postgres.port} (embedded, data in {where})")
        if "SMTP_HOST" not in env:
            self._start_mail_sink(env)
        self.env = env
        settings = self.settings.model_copy(update={
            "kafka_bootstrap_servers": env.get("KAFKA_BOOTSTRAP_SERVERS", self.settings.kafka_bootstrap_servers),
            "database_url": env.get("DATABASE_URL", self.settings.database_url),
        })
        specs = registry.specs()
        with_portal = importlib.util.find_spec("portal") is not None
        if with_portal:  # chosen first: members links its check-in QR codes to the portal (PORTAL_PORT)
            env.setdefault("PORTAL_PORT", "8005" if _free(8005) else str(free_port()))
        for name, spec in specs.items():
            db.migrate(settings, name, spec.migration_dirs())
        asyncio.run(ensure_topics(settings, all_topics(specs.values())))
        for name in specs:
            with open(self.home / "logs" / f"{name}.log", "ab") as log:
                self.services[name] = subprocess.Popen(
                    [sys.executable, "-m", "liaison_shared.cli", "serve", name],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    preexec_fn=die_with_parent(),
                )
        if with_portal:  # the people's pages: stateless, on PORTAL_PORT
            with open(self.home / "logs" / "portal.log", "ab") as log:
                self.services["portal"] = subprocess.Popen(
                    [sys.executable, "-m", "portal"], env=env, stdout=log, stderr=subprocess.STDOUT,
                    preexec_fn=die_with_parent(),
                )
        self.wait_ready(settings, list(self.services))
        for name, spec in specs.items():
            if spec.demo_data is not None:
                summary = asyncio.run(_load_demo(spec, settings))
                if summary:
                    self.echo(f"demo data   {name}: {summary}")
        self.echo(f"ready in {time.monotonic() - started:.1f}s")
        for name in specs:
            base = settings.base_url_of(cast(ServiceName, name))  # the registry's names are the services'
            self.echo(f"  {name:<13} {base}/api/v1  (docs {base}/docs, events {base}/asyncapi.json)")
        if "portal" in self.services:
            self.echo(f"  {'portal':<13} {self._base_url(settings, 'portal')}/  (citizens' pages; staff and "
                      "members sign in at /console)")

    def _start_mail_sink(self, env: dict[str, str]) -> None:
        """E-mail goes to a sink that keeps it under LIAISON_HOME/mail (DEV_MAIL_PORT, else a free
        port): without it every delivery would fail on port 25."""
        self.mail = contextlib.ExitStack()
        port = int(env["DEV_MAIL_PORT"]) if env.get("DEV_MAIL_PORT") else None
        self.mailbox, port = self.mail.enter_context(devmail.smtp_sink(self.home / "mail", port))
        env.update({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_STARTTLS": "false"})
        self.echo(f"mail        127.0.0.1:{port} (development sink, kept in {self.home / 'mail'}; "
                  "read with `liaison mail`, SMS with `liaison mail --sms`)")

    def wait_ready(self, settings: Settings, names: list[str], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        waiting = set(names)
        while waiting and time.monotonic() < deadline:
            for name in sorted(waiting):
                process = self.services[name]
                if process.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with {process.returncode}; see {self.home / 'logs' / (name + '.log')}"
                    )
                try:
                    response = httpx.get(f"{self._base_url(settings, name)}/readyz", timeout=1)
                    if response.status_code == 200:
                        waiting.discard(name)
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
        if waiting:
            raise TimeoutError(f"not ready after {timeout}s: {', '.join(sorted(waiting))}")

    def _base_url(self, settings: Settings, name: str) -> str:
        if name == "portal":
            return f"http://{settings.http_host}:{self.env.get('PORTAL_PORT', '8005')}"
        return settings.base_url_of(name)  # type: ignore[arg-type]

    # --- stop ----------------------------------------------------------------------------

    def stop(self) -> None:
        for process in self.services.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.services.values():
            stop_process(process)
        if self.broker is not None:
            self.broker.stop()
        if self.postgres is not None:
            self.postgres.stop()
        if self.mail is not None:
            self.mail.close()

    def run_forever(self) -> int:
        stopping = False

        def on_signal(signum, _frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        try:
            self.start()
            self.echo("Ctrl-C stops everything.")
            while not stopping:
                for name, process in self.services.items():
                    if process.poll() is not None:
                        self.echo(f"{name} exited with {process.returncode}; stopping")
                        return 1
                time.sleep(0.5)
            return 0
        except Exception as error:
            self.echo(f"failed: {type(error).__name__}: {error}")
            return 1
        finally:
            self.echo("stopping…")
            self.stop()


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def _load_demo(spec, settings: Settings) -> str:
    pool = await db.create_pool(settings, spec.name)
    try:
        return await spec.demo_data(pool, settings)
    finally:
        await pool.close()
