"""The delivery log says failures in notify's own words, never in the receiver's."""

import aiosmtplib
import httpx
import pytest
from notify.adapters.webhooks import DeliveryRefused, RefusedDestination
from notify.handlers.delivery import describe

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("error", "said"), [
    (aiosmtplib.SMTPResponseException(550, "5.1.1 <zhang.wei@example.cn>: Recipient address rejected"), "SMTP 550"),
    (aiosmtplib.SMTPConnectError("Error connecting to 10.0.0.5 on port 25: [Errno 111]"), "connection refused"),
    (httpx.RemoteProtocolError("illegal status line: bytearray(b'SSH-2.0-OpenSSH_9.6p1')"), "not a valid answer"),
    (httpx.ConnectError("[Errno 111] Connect call failed ('10.0.0.5', 5432)"), "connection refused"),
    (httpx.ReadTimeout("timed out reading from 10.0.0.5"), "timeout"),
    (OSError("[Errno 113] No route to host: 10.0.0.5"), "network error"),
    (DeliveryRefused("HTTP 500"), "HTTP 500"),
    (RefusedDestination("address not allowed"), "address not allowed"),
])
def test_the_receivers_words_never_reach_the_delivery_log(error, said):
    assert describe(error) == said
