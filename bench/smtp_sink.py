"""A minimal SMTP receiver for the benchmark: accepts everything and counts Message-IDs.

Not a mail server — aiosmtpd (used by the tests) parses every message, which on two cores
would compete with the platform it measures.
"""

from __future__ import annotations

import asyncio
import re
import threading

from liaison_shared.devstack import free_port

MESSAGE_ID = re.compile(rb"^Message-ID: (\S+)\r$", re.MULTILINE | re.IGNORECASE)


class SmtpSink:
    def __init__(self) -> None:
        self.port = free_port()
        self.message_ids: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="smtp-sink", daemon=True)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 sink\r\n")
        try:
            while line := await reader.readline():
                verb = line[:4].upper()
                if verb == b"DATA":
                    writer.write(b"354 go on\r\n")
                    data = await reader.readuntil(b"\r\n.\r\n")
                    found = MESSAGE_ID.search(data)
                    self.message_ids.append(found.group(1).decode() if found else "")
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
