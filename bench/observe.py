"""What the benchmark watches while the load runs: the events on Kafka, and the processes'
CPU and memory.

The observer reads what any subscriber reads — ``opinion.submitted`` (opinion → event) and
``notification.sent`` (event → its first notification; for e-mail, also notification → event)
— and stamps each with when it was seen. Its fetches may wait up to 50 ms for data, so a
completion is seen at most that much late: an error that makes latency look worse, never
better. The e-mail side comes from the SMTP sink: notify's Message-ID is
``<notification id@…>`` (services/notify/src/notify/adapters/smtp.py), which the
``notification.sent`` of that e-mail names.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

import psutil
from aiokafka import AIOKafkaConsumer
from liaison_shared.contracts.feedback import OpinionSubmitted
from liaison_shared.contracts.notify import NotificationSent
from liaison_shared.kafka import partitions_of

SUBMITTED = OpinionSubmitted.event_type
SENT = NotificationSent.event_type


class Observer:
    def __init__(self, settings, mailbox) -> None:
        self.settings = settings
        self.mailbox = mailbox
        self.event_of: dict[str, str] = {}         # opinion id → id of its opinion.submitted
        self.first_sent: dict[str, float] = {}     # event id → first notification.sent seen
        self.emails_of: dict[str, list[str]] = {}  # event id → ids of its e-mail notifications
        self.sizes: list[int] = []                 # bytes of some opinion.submitted records
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(**self.settings.kafka_client_options(), group_id=None,
                                         enable_auto_commit=False, fetch_max_wait_ms=50, fetch_min_bytes=16_384)
        await self.consumer.start()
        parts = await partitions_of(self.consumer, [SUBMITTED.topic, SENT.topic])
        self.consumer.assign(parts)
        await self.consumer.seek_to_end(*parts)
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            batch = await self.consumer.getmany(timeout_ms=100, max_records=5000)
            now = time.monotonic()
            for records in batch.values():
                for record in records:
                    headers = dict(record.headers or ())
                    kind = headers.get("ce_type", b"").decode()
                    if kind.startswith(SUBMITTED.unversioned + "."):
                        self.event_of[headers["ce_subject"].decode()] = headers["ce_id"].decode()
                        if len(self.sizes) < 1000:
                            self.sizes.append(len(record.value) + sum(len(k) + len(v) for k, v in headers.items()))
                    elif kind.startswith(SENT.unversioned + "."):
                        data = json.loads(record.value)
                        self.first_sent.setdefault(data["event_id"], now)
                        if data.get("channel") == "email":
                            self.emails_of.setdefault(data["event_id"], []).append(data["notification_id"])

    def notified(self, opinion: str) -> float | None:
        """When the first notification of this opinion was seen on Kafka."""
        event = self.event_of.get(opinion)
        return self.first_sent.get(event) if event else None

    def emailed(self, opinion: str) -> float | None:
        """When the SMTP sink received the first e-mail about this opinion."""
        event = self.event_of.get(opinion)
        times = [t for n in self.emails_of.get(event, ()) if (t := self.mailbox.received.get(f"<{n}@cppcc-liaison>"))]
        return min(times) if times else None

    def forget(self, opinions) -> None:
        """Drop what a finished step left, so a soak's memory is its own."""
        for opinion in opinions:
            event = self.event_of.pop(opinion, None)
            if event:
                self.first_sent.pop(event, None)
                for notification in self.emails_of.pop(event, ()):
                    self.mailbox.received.pop(f"<{notification}@cppcc-liaison>", None)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        await self.consumer.stop()


# --- CPU and memory ------------------------------------------------------------------------

def group_cpu_s(process: psutil.Process) -> float:
    """CPU seconds of a process and its descendants, those that have exited included (their
    time is in the parent's ``children_*`` once reaped — PostgreSQL's backends come and go)."""
    total = 0.0
    try:
        times = process.cpu_times()
        total += times.user + times.system + times.children_user + times.children_system
        children = process.children(recursive=True)
    except psutil.NoSuchProcess:
        return total
    for child in children:
        try:
            times = child.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def machine_cpu() -> dict[str, float]:
    """The whole machine's CPU seconds so far (``/proc/stat``): busy, idle and *stolen* — time
    the hypervisor gave this virtual machine's CPUs to someone else. Steal is what makes two
    runs of the same code on the same cloud machine differ: a step reports it."""
    fields = psutil.cpu_times()
    steal = getattr(fields, "steal", 0.0)
    idle = fields.idle + getattr(fields, "iowait", 0.0)
    return {"busy": sum(fields) - idle - steal - getattr(fields, "guest", 0.0) - getattr(fields, "guest_nice", 0.0),
            "idle": idle, "steal": steal}


def machine_speed() -> float:
    """Milliseconds of CPU a fixed piece of pure Python takes here, best of three: this cloud
    machine's speed drifts by half within minutes (another tenant on the host, not counted as
    steal), so every step records it beside its figures — a step run at 250 ms is not
    comparable with one at 170."""
    def once() -> float:
        began, total = time.process_time(), 0
        for i in range(1_000_000):
            total += i * i % 7
        return time.process_time() - began
    return round(min(once() for _ in range(3)) * 1000, 1)


def machine_share(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Percentages of the machine's CPU time between two readings."""
    spent = {k: after[k] - before[k] for k in before}
    total = sum(spent.values()) or 1.0
    return {f"{k}_pct": round(100 * v / total, 1) for k, v in spent.items()}


def group_rss_mb(process: psutil.Process, *, children: bool) -> float:
    """RSS of a process, or summed over its tree (which counts shared memory once per process:
    an upper bound, for PostgreSQL)."""
    try:
        members = [process, *process.children(recursive=True)] if children else [process]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for member in members:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += member.memory_info().rss
    return total / 2**20


class Sampler:
    """CPU on demand (``cpu()``, for the edges of a measured window) and RSS every second: the
    peak per process is what counts against a memory limit, not a reading after the drain."""

    def __init__(self, processes: dict[str, psutil.Process], services: set[str], sink_thread: int | None,
                 every_s: float = 1.0) -> None:
        self.processes = processes          # name → root process, CPU and RSS of its tree
        self.services = services            # names whose RSS is one process (a service)
        self.sink_thread = sink_thread
        self.every_s = every_s
        self.own = psutil.Process()
        self.peak_mb: dict[str, float] = {}
        self.series: list[tuple[float, dict[str, float]]] = []  # (monotonic time, name → RSS MB)
        self._task: asyncio.Task | None = None

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far of every process, the bench's own split into observer and sink."""
        found = {name: group_cpu_s(p) for name, p in self.processes.items()}
        times = self.own.cpu_times()
        sink = next((t.user_time + t.system_time for t in self.own.threads() if t.id == self.sink_thread), 0.0)
        found["observer"] = times.user + times.system - sink
        found["smtp_sink"] = sink
        return found

    def rss(self) -> dict[str, float]:
        processes = dict(self.processes)  # a copy in one step: the loop adds and drops the generator meanwhile
        return {name: group_rss_mb(p, children=name not in self.services) for name, p in processes.items()}

    def start(self) -> None:
        self._task = asyncio.create_task(self._sample())

    async def _sample(self) -> None:
        while True:
            # psutil reads /proc: quick, but off the loop all the same, so the observer's stamps stay true
            now, found = time.monotonic(), await asyncio.to_thread(self.rss)
            self.series.append((now, found))
            for name, mb in found.items():
                if mb:
                    self.peak_mb[name] = max(self.peak_mb.get(name, 0.0), mb)
            await asyncio.sleep(self.every_s)

    def peak_since(self, since: float) -> dict[str, float]:
        peaks: dict[str, float] = {}
        for at, found in self.series:
            if at >= since:
                for name, mb in found.items():
                    peaks[name] = max(peaks.get(name, 0.0), mb)
        return {name: round(mb, 1) for name, mb in peaks.items()}

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
