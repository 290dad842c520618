"""Checking that a webhook came from the platform, exactly as notify signs it.

notify (``services/notify/src/notify/adapters/webhooks.py``) sends, with each delivery:

- ``x-liaison-timestamp`` — Unix seconds when this attempt was signed (every retry signs anew);
- ``x-liaison-signature`` — ``sha256=`` and the hex HMAC-SHA256, keyed with the subscription's
  secret (its UTF-8 bytes), of ``<timestamp>.<body>``: the raw body, byte for byte;
- ``x-liaison-delivery`` — the delivery's id, the same on every retry. It is outside this
  signed string, so a receiver deduplicates on the event's ``source`` and ``id`` in the signed
  body (one delivery per subscription and event: the same thing for one subscription);

and beside them, by Standard Webhooks, ``webhook-id`` (the delivery's id), ``webhook-timestamp``
and ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">``, one or more
separated by spaces, keyed with the base64-decoded secret after ``whsec_`` or else the secret's
own bytes (notify's case). For a while after the subscription's secret is rotated,
``webhook-signature`` holds two: one by the new secret, one by the old, so a receiver still on
the old secret accepts; ``x-liaison-signature`` is by the new secret only. A request with the
Standard Webhooks headers is checked on them (any one signature by your secret holds); one without
them on ``x-liaison-signature``; a request with neither is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

# Attempts are signed when sent, so this allows only for clocks and transit; a replay of a
# captured request is refused once it is older.
TOLERANCE_S = 300


class Refused(Exception):
    """Not signed by the platform, or not now; the message says which check failed."""


def _fresh(timestamp: str | None, now: float) -> str:
    if not timestamp or not timestamp.isascii() or not timestamp.isdigit():
        raise Refused("no timestamp")
    if abs(now - int(timestamp)) > TOLERANCE_S:
        raise Refused("stale timestamp")
    return timestamp


def _liaison(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> None:
    timestamp = _fresh(headers.get("x-liaison-timestamp"), now)
    given = headers.get("x-liaison-signature", "")
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise Refused("bad signature")


def _standard_key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except binascii.Error:
            raise Refused("secret is not whsec_<base64>") from None
    return secret.encode()


def _standard(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> None:
    id_ = headers.get("webhook-id")
    if not id_:
        raise Refused("no webhook-id")
    timestamp = _fresh(headers.get("webhook-timestamp"), now)
    mac = hmac.new(_standard_key(secret), f"{id_}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    expected = base64.b64encode(mac)
    offered = [part.partition(",") for part in headers.get("webhook-signature", "").split()]
    if not any(version == "v1" and hmac.compare_digest(expected, given.encode()) for version, _, given in offered):
        raise Refused("bad webhook-signature")


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> None:
    """Check the request's Standard Webhooks signature, or else its ``x-liaison-signature``, or
    raise ``Refused``. ``headers`` must be looked up by lower-case name (Starlette's are, whatever
    case was sent)."""
    now = time.time() if now is None else now
    liaison = "x-liaison-signature" in headers
    standard = any(name in headers for name in ("webhook-id", "webhook-timestamp", "webhook-signature"))
    if not (liaison or standard):
        raise Refused("not signed")
    if standard:  # signs the delivery id too, and lists the old secret's signature after a rotation
        _standard(secret, headers, body, now)
    else:
        _liaison(secret, headers, body, now)
