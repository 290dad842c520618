"""The load generator: a process of its own (its CPU is its own), raw HTTP/1.1 over keep-alive
sockets — an httpx client tops out near 470 requests/s on these machines.

Open loop: request *i* is due at ``start + i / rate`` whatever the answers do, and every
request is stamped with when it was due, sent and answered. Latency is measured from *due*,
so a slow answer cannot hide the requests that would have queued behind it (coordinated
omission). A request goes out on an idle connection, or on a new one while fewer than
``max_connections`` are open; only beyond that does it wait — and that wait, like a late
wake-up of this process, shows as due→sent lag, which the benchmark holds against a limit.

Records go to the parent through a pipe in chunks while the run goes on, so a twenty-minute
soak holds no large list here: ``("start", t)``, ``("records", [...])`` and finally
``("done", {...})``. A record is ``(due, sent, answered, status, opinion id or error)``, times
from ``time.monotonic()`` (one clock for every process of the machine); status 0 is a failed
connection, -1 no answer before the end.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import resource
import time

FLUSH_EVERY_S = 0.5
GRACE_S = 30.0  # how long requests still in flight at the end of the schedule may take
# uvicorn closes a keep-alive connection idle for 5 s; a request written to it as it closes is
# lost with a reset, which would count against the server. A real client drops it first.
STALE_AFTER_S = 4.0


def _request(host: str, port: int, number: int, org_unit: str) -> bytes:
    body = json.dumps({"content": f"bench #{number} 小区路灯不亮，夜间出行不便", "org_unit": org_unit,
                       "channel": "online", "category": "市政"}, ensure_ascii=False).encode()
    return (f"POST /api/v1/opinions HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, payload: bytes) -> tuple[int, str]:
    writer.write(payload)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    body = await reader.readexactly(length)
    return status, json.loads(body)["id"] if status == 201 else body[:200].decode(errors="replace")


class Connections:
    """Keep-alive connections: an idle one, else a new one up to the cap, else wait for one."""

    def __init__(self, host: str, port: int, cap: int) -> None:
        self.host, self.port, self.cap = host, port, cap
        self.idle: list = []
        self.open = 0
        self.peak = 0
        self.waited = 0  # requests that found every allowed connection busy
        self._waiters: collections.deque[asyncio.Future] = collections.deque()

    async def acquire(self):
        while self.idle:
            reader, writer, idle_since = self.idle.pop()  # the most recently used first
            if time.monotonic() - idle_since < STALE_AFTER_S:
                return reader, writer
            writer.close()  # the server is about to close it, or has: never send on it
            self.open -= 1
        if self.open < self.cap:
            return await self._connect()
        self.waited += 1
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        return await waiter

    async def _connect(self):
        self.open += 1
        self.peak = max(self.peak, self.open)
        try:
            return await asyncio.open_connection(self.host, self.port)
        except OSError:
            self.open -= 1
            raise

    def release(self, connection) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        self.idle.append((*connection, time.monotonic()))

    def discard(self, connection) -> None:
        connection[1].close()
        self.open -= 1
        if self._waiters:  # someone waits for the connection that just died: open another for them
            asyncio.get_running_loop().create_task(self._replace())

    async def _replace(self) -> None:
        with contextlib.suppress(OSError):
            self.release(await self._connect())


class Recorder:
    """Records, flushed to the parent every ``FLUSH_EVERY_S``."""

    def __init__(self, out) -> None:
        self.out = out
        self.records: list = []

    async def flush_forever(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_EVERY_S)
            self.flush()

    def flush(self) -> None:
        if self.records:
            chunk, self.records = self.records, []
            self.out.send(("records", chunk))


async def _one(connections: Connections, recorder: Recorder, due: float, payload: bytes) -> None:
    sent = answered = None
    try:
        connection = await connections.acquire()
        sent = time.monotonic()
        try:
            status, outcome = await _exchange(*connection, payload)
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            connections.discard(connection)
            status, outcome = 0, repr(error)
        else:
            connections.release(connection)
        answered = time.monotonic()
    except OSError as error:
        status, outcome = 0, repr(error)
    except asyncio.CancelledError:
        recorder.records.append((due, sent or due, None, -1, "no answer"))
        raise
    recorder.records.append((due, sent or time.monotonic(), answered or time.monotonic(), status, outcome))


async def _open_loop(host: str, port: int, rate: float, seconds: float, max_connections: int, org_unit: str,
                     out) -> dict:
    connections = Connections(host, port, max_connections)
    for _ in range(min(16, max_connections)):  # opened before the clock starts, as a warm client would have
        connections.release(await connections._connect())
    recorder = Recorder(out)
    flusher = asyncio.create_task(recorder.flush_forever())
    start = time.monotonic() + 0.2
    out.send(("start", start))
    in_flight: set[asyncio.Task] = set()
    for number in range(int(rate * seconds)):
        due = start + number / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(_one(connections, recorder, due, _request(host, port, number, org_unit)))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    if in_flight:
        _, late = await asyncio.wait(set(in_flight), timeout=GRACE_S)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
    flusher.cancel()
    recorder.flush()
    return {"connections_peak": connections.peak, "waited_for_connection": connections.waited}


async def _closed_loop(host: str, port: int, seconds: float, connections: int, org_unit: str, out) -> dict:
    """Each connection sends its next request as soon as the last is answered: the most the
    server takes (a capacity, not a latency under a schedule). ``due`` is the send time."""
    recorder = Recorder(out)
    flusher = asyncio.create_task(recorder.flush_forever())
    start = time.monotonic()
    out.send(("start", start))
    end = start + seconds

    async def worker(offset: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        number = offset
        while time.monotonic() < end:
            sent = time.monotonic()
            try:
                status, outcome = await _exchange(reader, writer, _request(host, port, number, org_unit))
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                status, outcome = 0, repr(error)
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
            recorder.records.append((sent, sent, time.monotonic(), status, outcome))
            number += connections
        writer.close()

    await asyncio.gather(*(worker(i) for i in range(connections)))
    flusher.cancel()
    recorder.flush()
    return {"connections_peak": connections, "waited_for_connection": 0}


def _finish(out, summary: dict) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out.send(("done", {**summary, "cpu_s": usage.ru_utime + usage.ru_stime}))
    out.close()


def open_loop(host: str, port: int, rate: float, seconds: float, max_connections: int, org_unit: str,
              out) -> None:
    """Process entry: ``rate`` requests per second for ``seconds``."""
    _finish(out, asyncio.run(_open_loop(host, port, rate, seconds, max_connections, org_unit, out)))


def closed_loop(host: str, port: int, seconds: float, connections: int, org_unit: str, out) -> None:
    """Process entry: ``connections`` clients back to back for ``seconds``."""
    _finish(out, asyncio.run(_closed_loop(host, port, seconds, connections, org_unit, out)))
