"""A minimal SMTP receiver for the benchmark: accepts everything and stamps each Message-ID
with when its message arrived.

Not a mail server — aiosmtpd (used by the tests) parses every message, which on two cores
would compete with the platform it measures. For the same reason it is a bare protocol on a
uvloop loop (no stream reader, no coroutine per line). It runs on a thread of its own, whose
CPU the benchmark reports apart from the observer's (``native_id``).
"""

from __future__ import annotations

import asyncio
import re
import threading
import time

import uvloop
from tooling import free_port

MESSAGE_ID = re.compile(rb"^Message-ID: (\S+)\r$", re.MULTILINE | re.IGNORECASE)
END_OF_DATA = b"\r\n.\r\n"


class _Session(asyncio.Protocol):
    """One SMTP connection: commands line by line, then DATA up to its lone dot."""

    def __init__(self, received: dict[str, float]) -> None:
        self.received = received
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.in_data = False

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(b"220 sink\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        answers = []
        while True:
            if self.in_data:
                end = self.buffer.find(END_OF_DATA)
                if end < 0:
                    break
                message, self.buffer = self.buffer[:end + 2], self.buffer[end + len(END_OF_DATA):]
                if found := MESSAGE_ID.search(message):
                    # the first copy is the one received
                    self.received.setdefault(found.group(1).decode(), time.monotonic())
                self.in_data = False
                answers.append(b"250 ok\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                break
            verb, self.buffer = self.buffer[:4].upper(), self.buffer[end + 2:]
            if verb == b"DATA":
                self.in_data = True
                answers.append(b"354 go on\r\n")
            elif verb == b"QUIT":
                answers.append(b"221 bye\r\n")
                self.transport.write(b"".join(answers))
                self.transport.close()
                return
            elif verb == b"EHLO":
                answers.append(b"250-sink\r\n250 8BITMIME\r\n")
            else:
                answers.append(b"250 ok\r\n")
        if answers:
            self.transport.write(b"".join(answers))


class SmtpSink:
    def __init__(self) -> None:
        self.port = free_port()
        self.received: dict[str, float] = {}  # Message-ID → time.monotonic() at the end of its DATA
        self.native_id: int | None = None
        self._loop = uvloop.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="smtp-sink", daemon=True)

    def _run(self) -> None:
        self.native_id = threading.get_native_id()
        self._loop.run_forever()

    def __enter__(self) -> SmtpSink:
        self._thread.start()
        serving = self._loop.create_server(lambda: _Session(self.received), "127.0.0.1", self.port)
        asyncio.run_coroutine_threadsafe(serving, self._loop).result(10)
        return self

    def __exit__(self, *_exc) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
