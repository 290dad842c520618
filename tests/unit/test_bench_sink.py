"""The benchmark's SMTP sink stamps every message a real client sends, however the bytes are
split, and only once per Message-ID."""

import asyncio
import socket
import sys
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from smtp_sink import SmtpSink  # noqa: E402


def _message(number: int) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.cn", "b@example.cn", f"n{number}"
    message["Message-ID"] = f"<{number}@bench>"
    message.set_content("line\n.\nnot the end\n" * 50)
    return message


def test_every_message_of_a_session_is_stamped_once():
    async def send(port: int) -> None:
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False) as client:
            for number in (1, 2, 2, 3):
                await client.send_message(_message(number))

    with SmtpSink() as sink:
        asyncio.run(send(sink.port))
    assert set(sink.received) == {"<1@bench>", "<2@bench>", "<3@bench>"}


def test_bytes_split_anywhere_make_the_same_messages():
    with SmtpSink() as sink, socket.create_connection(("127.0.0.1", sink.port)) as conn:
        wire = (b"EHLO x\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\nMessage-ID: <7@bench>\r\n\r\nbody\r\n.\r\n"
                b"MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\nMessage-ID: <8@bench>\r\n\r\n..dot\r\n.\r\nQUIT\r\n")
        for at in range(0, len(wire), 3):
            conn.sendall(wire[at:at + 3])
        answers = b""
        while chunk := conn.recv(4096):
            answers += chunk
    assert set(sink.received) == {"<7@bench>", "<8@bench>"}
    assert answers.count(b"354 ") == 2 and answers.endswith(b"221 bye\r\n")
