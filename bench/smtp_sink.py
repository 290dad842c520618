"""A minimal SMTP receiver for the benchmark: accepts everything and stamps each Message-ID
with when its message arrived.

Not a mail server — aiosmtpd (used by the tests) parses every message, which on two cores
would compete with the platform it measures. It runs on a thread of its own, whose CPU the
benchmark reports apart from the observer's (``native_id``).
"""

from __future__ import annotations

import asyncio
import re
import threading
import time

from tooling import free_port

MESSAGE_ID = re.compile(rb"^Message-ID: (\S+)\r$", re.MULTILINE | re.IGNORECASE)


class SmtpSink:
    def __init__(self) -> None:
        self.port = free_port()
        self.received: dict[str, float] = {}  # Message-ID → time.monotonic() at the end of its DATA
        self.native_id: int | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="smtp-sink", daemon=True)

    def _run(self) -> None:
        self.native_id = threading.get_native_id()
        self._loop.run_forever()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 sink\r\n")
        try:
            while line := await reader.readline():
                verb = line[:4].upper()
                if verb == b"DATA":
                    writer.write(b"354 go on\r\n")
                    data = await reader.readuntil(b"\r\n.\r\n")
                    now = time.monotonic()
                    if found := MESSAGE_ID.search(data):
                        self.received.setdefault(found.group(1).decode(), now)  # the first copy is the one received
                    writer.write(b"250 ok\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 bye\r\n")
                    break
                elif verb == b"EHLO":
                    writer.write(b"250-sink\r\n250 8BITMIME\r\n")
                else:
                    writer.write(b"250 ok\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def __enter__(self) -> SmtpSink:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(asyncio.start_server(self._session, "127.0.0.1", self.port),
                                         self._loop).result(10)
        return self

    def __exit__(self, *_exc) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
