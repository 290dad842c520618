"""Apache Kafka 4 in KRaft mode, from Maven Central, for the suites that must run on the real broker.

Tooling, never imported by a service. ``tools/kafka/pom.xml`` names the artifacts; Maven copies
them and their runtime dependencies once into ``~/.cache/cppcc-liaison/kafka-<version>/libs``
(``$XDG_CACHE_HOME`` is honoured) and a later run that finds them there fetches nothing and
needs no Maven. Each node is ``java -cp 'libs/*' kafka.Kafka server.properties`` after
``kafka.tools.StorageTool format``: one node, or three combined controllers+brokers. Ports
are free ones on 127.0.0.1 and the data lives in a temporary directory.

``server.properties`` is derived from ``deploy/compose``: the Kafka environment of
``compose.yaml`` (``KAFKA_FOO_BAR`` → ``foo.bar``, as the ``apache/kafka`` image maps it) with
the values of ``.env.example`` — its ``# ha:`` lines for three nodes. Only what must differ
on one machine is replaced: node id, listeners, quorum addresses and the data directory.

Nodes die with the thread that started them (Linux's parent-death signal): start a cluster
from a thread that lives as long as it, not from ``asyncio.to_thread``.

    python -m liaison_tools.apache_kafka run [--nodes 3] -- pytest tests/integration
    python -m liaison_tools.apache_kafka serve [--nodes 3]
    python -m liaison_tools.apache_kafka fetch
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import concurrent.futures
import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .devstack import die_with_parent, free_port, stop_process

ROOT = Path(__file__).resolve().parents[3]
POM = ROOT / "tools" / "kafka" / "pom.xml"
COMPOSE = ROOT / "deploy" / "compose"
JAVA_MAJOR = 17  # Kafka 4 brokers need Java 17
HEAP = "512m"
# What compose sets per machine and the launcher must set per node on 127.0.0.1.
PER_NODE = ("KAFKA_NODE_ID", "KAFKA_LISTENERS", "KAFKA_ADVERTISED_LISTENERS",
            "KAFKA_CONTROLLER_QUORUM_VOTERS", "KAFKA_LOG_DIRS")
LOG4J2 = """\
status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = out
logger.request.name = kafka.request.logger
logger.request.level = WARN
"""


class Missing(RuntimeError):
    """A prerequisite is absent; the message is the one line to show."""


# --- the artifacts ------------------------------------------------------------------------

def kafka_version() -> str:
    """``APACHE_KAFKA_VERSION``, else the pom's ``kafka.version``."""
    if os.environ.get("APACHE_KAFKA_VERSION"):
        return os.environ["APACHE_KAFKA_VERSION"]
    # S314: our own pom.xml, not input
    found = ElementTree.parse(POM).getroot().find("{http://maven.apache.org/POM/4.0.0}properties/"  # noqa: S314
                                                  "{http://maven.apache.org/POM/4.0.0}kafka.version")
    if found is None or not found.text:
        raise RuntimeError(f"{POM} names no kafka.version")
    return found.text.strip()


def cache_home(version: str | None = None) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "cppcc-liaison" / f"kafka-{version or kafka_version()}"


def cached_libs(version: str | None = None) -> Path | None:
    """The libs directory when every jar its manifest lists is there, else None."""
    home = cache_home(version)
    manifest = home / "jars.txt"
    if not manifest.exists():
        return None
    jars = manifest.read_text().split()
    return home / "libs" if jars and all((home / "libs" / j).is_file() for j in jars) else None


def fetch(version: str | None = None) -> Path:
    """The jars of Apache Kafka ``version``: from the cache, else copied there by Maven."""
    version = version or kafka_version()
    if libs := cached_libs(version):
        return libs
    home = cache_home(version)
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two sessions starting cold fetch once
        if libs := cached_libs(version):
            return libs
        mvn = shutil.which("mvn")
        if mvn is None:
            raise Missing(f"Apache Kafka {version} is not in {home} and Maven (mvn) is not on PATH:"
                          " install Maven 3 (e.g. apt-get install maven) to fetch it from Maven Central")
        staging = Path(tempfile.mkdtemp(dir=home, prefix=".libs-"))
        done = subprocess.run(
            [mvn, "-B", "-q", "-f", str(POM), "dependency:copy-dependencies", "-DincludeScope=runtime",
             f"-Dkafka.version={version}", f"-DoutputDirectory={staging}"],
            capture_output=True, text=True,
        )
        if done.returncode != 0 or not (staging / f"kafka_2.13-{version}.jar").exists():
            shutil.rmtree(staging, ignore_errors=True)
            raise RuntimeError(f"mvn could not fetch Apache Kafka {version}:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
        shutil.rmtree(home / "libs", ignore_errors=True)
        staging.rename(home / "libs")
        (home / "jars.txt").write_text("\n".join(sorted(p.name for p in (home / "libs").glob("*.jar"))) + "\n")
        return home / "libs"


def require_java() -> str:
    """The ``java`` to run; Missing unless it is Java 17 or newer."""
    java = shutil.which("java")
    if java is None:
        raise Missing(f"Java {JAVA_MAJOR} or newer is not on PATH: install it"
                      f" (e.g. apt-get install openjdk-{JAVA_MAJOR}-jre-headless) to run Apache Kafka")
    shown = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    match = re.search(r'version "(\d+)(?:\.(\d+))?', shown)
    major = int(match[1]) if match else 0
    if major == 1 and match and match[2]:  # "1.8.0" is Java 8
        major = int(match[2])
    if major < JAVA_MAJOR:
        raise Missing(f"{java} is Java {major or '?'}; Apache Kafka 4 needs Java {JAVA_MAJOR} or newer:"
                      f" install it (e.g. apt-get install openjdk-{JAVA_MAJOR}-jre-headless)")
    return java


# --- server.properties from deploy/compose -------------------------------------------------

def cluster_id(draw: Callable[[], bytes] = lambda: uuid.uuid4().bytes) -> str:
    """A KRaft cluster id as Kafka's Uuid.randomUuid makes one: 16 random bytes in URL-safe
    base64, drawn again when the text would begin with '-' (a command line reads that as a flag)."""
    while (text := base64.urlsafe_b64encode(draw()).rstrip(b"=").decode()).startswith("-"):
        pass
    return text


def property_name(variable: str) -> str:
    """``KAFKA_LOG_DIRS`` → ``log.dirs``, as the apache/kafka image reads its environment."""
    name = variable.removeprefix("KAFKA_")
    return name.replace("___", "\0").replace("__", "\1").replace("_", ".").replace("\0", "-") \
        .replace("\1", "_").lower()


def compose_kafka() -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(the environment every Kafka service shares, each Kafka service's own) in compose.yaml."""
    document = yaml.safe_load((COMPOSE / "compose.yaml").read_text())
    shared = {k: str(v) for k, v in document["x-kafka"]["environment"].items()}
    nodes = {
        name: {k: str(v) for k, v in service["environment"].items() if k not in shared}
        for name, service in document["services"].items()
        if name.startswith("kafka-")
    }
    return shared, nodes


def env_example(*, ha: bool) -> dict[str, str]:
    """The values of .env.example; with ``ha``, its ``# ha:`` lines (three brokers) win."""
    values: dict[str, str] = {}
    ha_values: dict[str, str] = {}
    for line in (COMPOSE / ".env.example").read_text().splitlines():
        if match := re.match(r"^(# ha: )?([A-Z0-9_]+)=(.*)$", line):
            (ha_values if match[1] else values)[match[2]] = match[3]
    return values | ha_values if ha else values


def substitute(value: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\{([A-Z0-9_]+)\}", lambda m: variables[m[1]], value)


def relocate(addresses: str, ports: dict[str, int]) -> str:
    """``INTERNAL://:9092,CONTROLLER://:9093`` → the same listener names on 127.0.0.1 ports."""
    return ",".join(f"{entry.split('://')[0]}://127.0.0.1:{ports[entry.split('://')[0]]}"
                    for entry in addresses.split(","))


@dataclass
class Node:
    node_id: int
    ports: dict[str, int]  # listener name → port
    home: Path
    properties: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.ports[self.properties['inter.broker.listener.name']]}"

    @property
    def log_path(self) -> Path:
        return self.home / "server.log"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def command(self, java: str, libs: Path, main: str, *args: str, brief: bool = False) -> list[str]:
        # a brief tool starts faster with the client compiler and the serial collector
        vm = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"] if brief else ["-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20"]
        return [java, f"-Xmx{HEAP}", "-Xms128m", *vm, "-Djava.awt.headless=true",
                f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
                f"-Dkafka.logs.dir={self.home}", "-cp", f"{libs}/*", main, *args]

    def start(self, java: str, libs: Path) -> Node:
        """Start (or restart, on the same data) this node."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command(java, libs, "kafka.Kafka", str(self.home / "server.properties")),
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                # an orphaned broker holds nothing worth a clean shutdown: SIGKILL, no leftovers
                preexec_fn=die_with_parent(signal.SIGKILL),
            )
        return self

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM (a controlled shutdown), then SIGKILL after ``timeout``."""
        if self.process is not None:
            stop_process(self.process, timeout=timeout)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


class ApacheKafka:
    """One node, or three controllers+brokers (replication 3, min.insync.replicas 2)."""

    # what the services' settings need on this broker: idempotence, as production has it
    client_settings = {"kafka_idempotence": True}

    def __init__(self, nodes: int = 1, *, home: Path | None = None, version: str | None = None,
                 listen_ports: dict[int, int] | None = None, advertised_ports: dict[int, int] | None = None):
        """``listen_ports`` and ``advertised_ports`` fix a node's client listener and what it
        advertises (the fault suite puts a proxy between them, so cutting the proxy cuts
        every client off)."""
        if nodes not in (1, 3):
            raise ValueError("compose describes one broker or three")
        self.listen_ports, self.advertised_ports = listen_ports or {}, advertised_ports or {}
        self.size = nodes
        self.version = version or kafka_version()
        self._own_home = home is None
        self.home = Path(home) if home else Path()  # a temporary directory once started
        self.values = env_example(ha=nodes == 3)
        self.cluster_id = cluster_id()
        self.nodes: list[Node] = []
        self.java = ""
        self.libs = Path()

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(node.address for node in self.nodes)

    @property
    def replication_factor(self) -> int:
        return int(self.values["KAFKA_REPLICATION_FACTOR"])

    def env(self) -> dict[str, str]:
        """The services' settings that point at this cluster (as .env.example has them)."""
        return {"KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
                "KAFKA_REPLICATION_FACTOR": str(self.replication_factor),
                "KAFKA_IDEMPOTENCE": self.values["KAFKA_IDEMPOTENCE"]}

    def server_properties(self, node_id: int, ports: dict[int, dict[str, int]], data: Path) -> dict[str, str]:
        shared, services = compose_kafka()
        own = services[f"kafka-{node_id}"]
        variables = dict(self.values)
        controller = substitute(shared["KAFKA_CONTROLLER_LISTENER_NAMES"], variables)
        variables["KAFKA_CONTROLLER_QUORUM_VOTERS"] = ",".join(
            f"{voter.split('@')[0]}@127.0.0.1:{ports[int(voter.split('@')[0])][controller]}"
            for voter in self.values["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(","))
        environment = {k: substitute(v, variables) for k, v in shared.items()}
        environment |= {
            "KAFKA_NODE_ID": str(node_id),
            "KAFKA_LISTENERS": relocate(own["KAFKA_LISTENERS"], ports[node_id]),
            "KAFKA_ADVERTISED_LISTENERS": relocate(own["KAFKA_ADVERTISED_LISTENERS"], ports[node_id] | (
                {shared["KAFKA_INTER_BROKER_LISTENER_NAME"]: self.advertised_ports[node_id]}
                if node_id in self.advertised_ports else {})),
            "KAFKA_LOG_DIRS": str(data),
        }
        if not set(own) <= set(PER_NODE):
            raise RuntimeError(f"compose sets {sorted(set(own) - set(PER_NODE))} per node")
        return {property_name(k): v for k, v in environment.items()}

    def start(self, timeout: float = 120) -> ApacheKafka:
        self.java = require_java()
        self.libs = fetch(self.version)
        if self._own_home:
            self.home = Path(tempfile.mkdtemp(prefix="liaison-kafka-"))
        voters = [int(v.split("@")[0]) for v in self.values["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")]
        if len(voters) != self.size:
            raise RuntimeError(f"compose's controller quorum {voters} is not of {self.size} nodes")
        shared, services = compose_kafka()
        clients = shared["KAFKA_INTER_BROKER_LISTENER_NAME"]
        ports = {
            node_id: {name: self.listen_ports[node_id] if name == clients and node_id in self.listen_ports
                      else free_port()
                      for name in (entry.split("://")[0]
                                   for entry in services[f"kafka-{node_id}"]["KAFKA_LISTENERS"].split(","))}
            for node_id in voters
        }
        for node_id in voters:
            node = Node(node_id, ports[node_id], self.home / f"node-{node_id}")
            node.home.mkdir(parents=True, exist_ok=True)
            node.properties = self.server_properties(node_id, ports, node.home / "data")
            (node.home / "server.properties").write_text(
                "".join(f"{k}={v}\n" for k, v in sorted(node.properties.items())))
            (node.home / "log4j2.properties").write_text(LOG4J2)
            self.nodes.append(node)
        try:
            self._format()
            for node in self.nodes:
                node.start(self.java, self.libs)
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _format(self) -> None:
        formats = [
            (node, subprocess.Popen(
                node.command(self.java, self.libs, "kafka.tools.StorageTool", "format",
                             f"--cluster-id={self.cluster_id}", "--config", str(node.home / "server.properties"),
                             brief=True),
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                preexec_fn=die_with_parent(signal.SIGKILL)))
            for node in self.nodes
        ]
        for node, process in formats:
            output, _ = process.communicate(timeout=120)
            if process.returncode != 0:
                raise RuntimeError(f"formatting node {node.node_id} failed:\n{output[-3000:]}")

    def wait_ready(self, timeout: float = 120, nodes: list[Node] | None = None) -> None:
        """Until every running node has started and the cluster reports all of them as brokers."""
        deadline = time.monotonic() + timeout
        for node in nodes or self.nodes:
            while "Kafka Server started" not in node.log_path.read_text(errors="replace"):
                if not node.alive:
                    raise RuntimeError(f"Apache Kafka node {node.node_id} exited:\n{node.log_tail()}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"Apache Kafka node {node.node_id} not started in {timeout}s:\n"
                                       f"{node.log_tail()}")
                time.sleep(0.2)
        wanted = {n.node_id for n in self.nodes if n.alive}
        while (seen := self.brokers()) != wanted:
            if time.monotonic() > deadline:
                raise TimeoutError(f"Apache Kafka reports brokers {sorted(seen)}, not {sorted(wanted)}")
            time.sleep(0.2)

    def brokers(self) -> set[int]:
        """The ids of the brokers the cluster's metadata lists now (empty if unreachable)."""
        from aiokafka.admin import AIOKafkaAdminClient

        bootstrap = ",".join(n.address for n in self.nodes if n.alive)

        async def describe() -> set[int]:
            admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
            try:
                await admin.start()
                return {b["node_id"] for b in (await admin.describe_cluster())["brokers"]}
            except Exception:
                return set()
            finally:
                await admin.close()

        # its own thread and loop: callable from sync code and from inside a running loop
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, describe()).result()

    def node(self, node_id: int) -> Node:
        return next(n for n in self.nodes if n.node_id == node_id)

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM to every node at once (one by one, the last would wait for a lost quorum),
        SIGKILL to those still running after ``timeout``; then the data goes."""
        for node in self.nodes:
            if node.process is not None and node.alive:
                node.process.send_signal(signal.SIGTERM)
        for node in self.nodes:
            node.stop(timeout)
        if self._own_home and self.home != Path():
            shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> ApacheKafka:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --- the command line ----------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m liaison_tools.apache_kafka", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("fetch", help="the jars into the cache (nothing when they are there)")
    for name, text in (("serve", "run until interrupted"), ("run", "run COMMAND against it, then stop")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--nodes", type=int, choices=(1, 3), default=1)
        if name == "run":
            command.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- COMMAND")
    args = parser.parse_args(argv)

    def terminate(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    try:
        if args.command == "fetch":
            require_java()
            print(fetch())
            return 0
        started = time.monotonic()
        with ApacheKafka(args.nodes) as kafka:
            print(f"Apache Kafka {kafka.version}, {kafka.size} node(s) at {kafka.bootstrap_servers}"
                  f" (started in {time.monotonic() - started:.1f}s, data in {kafka.home})", flush=True)
            if args.command == "serve":
                signal.pause()
                return 0
            command = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
            if not command:
                parser.error("run needs a command after --")
            return subprocess.run(command, env={**os.environ, **kafka.env()}).returncode
    except Missing as missing:
        print(f"apache_kafka: {missing}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
