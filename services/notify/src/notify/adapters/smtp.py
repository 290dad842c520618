"""E-mail over SMTP: one session per round of deliveries, messages built by hand."""

from __future__ import annotations

import base64
from email.utils import formatdate

import aiosmtplib
from liaison_shared.uow import outside_transaction


def mime(sender: str, to: str, subject: str, body: str, message_id: str) -> bytes:
    """A UTF-8 text message, built directly: the ``email`` package's header machinery costs
    more than everything else a notification does."""
    encoded = base64.encodebytes(body.encode()).decode().replace("\n", "\r\n")
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: =?utf-8?b?{base64.b64encode(subject.encode()).decode()}?=\r\n"
        f"Message-ID: {message_id}\r\nDate: {formatdate(localtime=False)}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + encoded
    ).encode()


class Mailer:
    """One SMTP session for a round of deliveries (a connection per message costs more than the
    message); after an error the next message opens a fresh one. The Message-ID is the
    notification's id, the same on every attempt, so mail systems drop a resent copy."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self._client: aiosmtplib.SMTP | None = None

    async def send(self, message_id: str, address: str, subject: str, body: str) -> None:
        outside_transaction("an SMTP send")
        s = self.settings
        message = mime(s.smtp_from, address, subject, body, f"<{message_id}@cppcc-liaison>")
        if self._client is None:
            client = aiosmtplib.SMTP(hostname=s.smtp_host, port=s.smtp_port, start_tls=s.smtp_starttls, timeout=10,
                                     local_hostname="cppcc-liaison")
            await client.connect()
            if s.smtp_username:
                await client.login(s.smtp_username, s.smtp_password.get_secret_value() if s.smtp_password else "")
            self._client = client
        try:
            await self._client.sendmail(s.smtp_from, [address], message)
        except Exception:
            await self.close()
            raise

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.quit()
            except Exception:  # already gone
                client.close()
