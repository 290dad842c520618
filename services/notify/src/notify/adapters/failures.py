"""What sending can fail with — an SMTP server, a webhook receiver, an SMS gateway, a platform
service — and how the delivery log says it."""

from __future__ import annotations

import aiosmtplib
import httpx
from liaison_shared.servicetoken import TokenRefused

from . import webhooks
from .webhooks import DeliveryRefused


class Undeliverable(DeliveryRefused):
    """Sending again cannot help (a number or a template the SMS provider refuses): the delivery
    fails at once. The message is written here, from the provider's error code, and is safe to show."""


# A delivery that fails with one of these is retried, then failed; anything else is a bug.
FAILURES = (aiosmtplib.SMTPException, OSError, TimeoutError, httpx.HTTPError, DeliveryRefused,
            webhooks.RefusedDestination, TokenRefused)


def describe(error: BaseException) -> str:
    """What the delivery log and NotificationFailed say of a failure: our own words only. A
    receiver's text (an HTTP body, an SMTP reply naming a mailbox, a banner of whatever listens
    on a port) is never repeated to the caller, who might be scanning with our help."""
    if isinstance(error, DeliveryRefused | webhooks.RefusedDestination):
        return str(error)  # written here, from a status code or a fixed reason
    if isinstance(error, webhooks.Unresolved):
        return "host does not resolve"
    if isinstance(error, TokenRefused):
        return "no service token"
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code} from a platform service"
    if isinstance(error, httpx.TimeoutException | TimeoutError | aiosmtplib.SMTPTimeoutError):
        return "timeout"
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"SMTP {error.code}"
    if isinstance(error, httpx.ConnectError | ConnectionRefusedError | aiosmtplib.SMTPConnectError):
        return "connection refused"
    if isinstance(error, httpx.HTTPError | aiosmtplib.SMTPException):
        return "not a valid answer"
    return "network error"
