"""A development mail sink: an SMTP server (aiosmtpd) that keeps what it receives.

``make run`` starts one and points the services' SMTP_HOST/SMTP_PORT at it, keeping each
message as an .eml file under LIAISON_HOME/mail (``liaison mail`` lists and shows them); the
tests use it in memory (``liaison_tools.testing.smtp_sink``). Not a mail server: it accepts
everything and delivers nothing.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from pathlib import Path

from .devstack import free_port


class Mailbox:
    """An SMTP sink's handler (aiosmtpd): every message with its recipients, subject, Message-ID;
    with a directory, each also as an .eml file there."""

    def __init__(self, directory: Path | None = None) -> None:
        self.messages: list[dict] = []
        self.directory = directory
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's hook name
        message = message_from_bytes(envelope.content)
        self.messages.append({"to": envelope.rcpt_tos, "subject": _header(message["Subject"]),
                              "id": message["Message-ID"], "body": message.get_payload(decode=True).decode()})
        if self.directory is not None:
            received = datetime.now(UTC)
            name = f"{received:%Y%m%dT%H%M%S%f}-{len(self.messages):05d}.eml"
            recipients = f"X-Delivered-To: {', '.join(envelope.rcpt_tos)}\r\n".encode()
            (self.directory / name).write_bytes(recipients + envelope.content)
        return "250 OK"


def _header(value: str | None) -> str:
    return str(make_header(decode_header(value))) if value else ""


@contextlib.contextmanager
def smtp_sink(directory: Path | None = None, port: int | None = None):
    """An SMTP server on 127.0.0.1 (a free port unless given), in its own thread: ``(mailbox, port)``."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox(directory)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    try:
        yield mailbox, controller.port
    finally:
        controller.stop()


@dataclass(frozen=True)
class Kept:
    """A message the sink kept: its file name is its id."""

    id: str
    to: str
    subject: str
    received: datetime
    body: str


def kept(directory: Path) -> list[Kept]:
    """The messages kept in ``directory``, oldest first."""
    return [read(path) for path in sorted(directory.glob("*.eml"))] if directory.is_dir() else []


def read(path: Path) -> Kept:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    body = message.get_body(preferencelist=("plain",))
    received = datetime.strptime(path.stem.split("-")[0], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
    return Kept(id=path.stem, to=str(message["X-Delivered-To"] or message["To"] or ""),
                subject=str(message["Subject"] or ""), received=received,
                body=body.get_content() if body is not None else "")
