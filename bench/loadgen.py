"""A lean open-loop HTTP/1.1 load generator (its own process, so its CPU is its own).

Requests are scheduled at the target rate whatever the answers do (no coordinated omission):
each is stamped with when it was due, sent and answered. Keep-alive connections, raw
sockets, no HTTP library — an httpx client tops out near 470 requests/s on these machines.
"""

from __future__ import annotations

import asyncio
import json
import resource
import time


def _request(host: str, port: int, body: bytes) -> bytes:
    return (f"POST /api/v1/opinions HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


async def _connection(host: str, port: int, queue: asyncio.Queue, results: list) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    while True:
        item = await queue.get()
        if item is None:
            writer.close()
            return
        number, due, payload = item
        sent = time.time()
        try:
            writer.write(payload)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length)
            opinion = json.loads(body)["id"] if status == 201 else None
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            status, opinion = 0, repr(error)
            writer.close()
            reader, writer = await asyncio.open_connection(host, port)
        results.append((number, due, sent, time.time(), status, opinion))


async def _run(host: str, port: int, stages: list[tuple[float, float]], connections: int, org_unit: str) -> list:
    queue: asyncio.Queue = asyncio.Queue()
    results: list = []
    workers = [asyncio.create_task(_connection(host, port, queue, results)) for _ in range(connections)]
    number = 0
    start = time.time()
    stage_start = start
    for seconds, rate in stages:
        interval = 1.0 / rate
        count = int(seconds * rate)
        for i in range(count):
            due = stage_start + i * interval
            delay = due - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            number += 1
            body = json.dumps({"content": f"bench #{number} 小区路灯不亮，夜间出行不便", "org_unit": org_unit,
                               "channel": "online", "category": "市政"}, ensure_ascii=False).encode()
            queue.put_nowait((number, due, _request(host, port, body)))
        stage_start += seconds
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    return results


def generate(host: str, port: int, stages: list[tuple[float, float]], connections: int, org_unit: str,
             out) -> None:
    """Entry point of the generator process: results and the generator's own CPU seconds."""
    results = asyncio.run(_run(host, port, stages, connections, org_unit))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out.send({"results": results, "cpu_s": usage.ru_utime + usage.ru_stime})
    out.close()
