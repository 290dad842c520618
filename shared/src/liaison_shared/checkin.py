"""Signed, short-lived check-in codes (扫码签到): what an organiser's QR code carries.

A code is a JWT (RFC 7519) signed with HMAC-SHA256 under the check-in key: it names one
occasion (``activity:<id>``, ``reception_day:<id>``, ``session:<id>``) and the span it is good
for (``nbf``..``exp``, at most CHECKIN_CODE_TTL_S and never past the occasion's window). PyJWT
checks the signature in constant time and the span; nothing here parses a token by hand.

Its audience is the check-in's own, and its key is not the key of bearer tokens: a code never
passes as a bearer token, nor a bearer token as a code. The key is CHECKIN_SECRET, or — so a
deployment needs no new secret — one derived from AUDIT_HMAC_KEY by HKDF-SHA256 under a label of
its own, which makes it independent of the audit log's use of that key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .settings import DEV_AUDIT_KEY, Settings

AUDIENCE = "cppcc-liaison:check-in"
ALGORITHM = "HS256"
KEY_INFO = b"cppcc-liaison check-in codes v1"
MIN_SECRET = 32


class InvalidCode(ValueError):
    """Not a check-in code of this platform: forged, tampered with, or not a code at all."""


class CodeOutOfTime(InvalidCode):
    """A genuine code used before its span began or after it ended."""


@dataclass(frozen=True)
class Code:
    occasion: str
    occasion_id: str
    not_before: datetime
    expires: datetime


def key_of(settings: Settings) -> bytes:
    if settings.checkin_secret is not None:
        return settings.checkin_secret.get_secret_value().encode()
    root = settings.audit_hmac_key.get_secret_value().encode()
    return HKDF(hashes.SHA256(), 32, salt=None, info=KEY_INFO).derive(root)


def check_key(settings: Settings) -> str | None:
    """What is wrong with the check-in key outside development, or None."""
    if settings.checkin_secret is not None:
        if len(settings.checkin_secret.get_secret_value()) < MIN_SECRET:
            return f"CHECKIN_SECRET is shorter than {MIN_SECRET} characters"
        return None
    if settings.audit_hmac_key.get_secret_value() == DEV_AUDIT_KEY:
        return "CHECKIN_SECRET is unset and AUDIT_HMAC_KEY, which it would be derived from, is the development key"
    return None


def issue(key: bytes, occasion: str, occasion_id: str, *, not_before: datetime, expires: datetime) -> str:
    if expires <= not_before:
        raise ValueError("a code's span must not be empty")
    claims = {"aud": AUDIENCE, "sub": f"{occasion}:{occasion_id}", "nbf": int(not_before.timestamp()),
              "exp": int(expires.timestamp()), "iat": int(datetime.now(UTC).timestamp())}
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def read(key: bytes, code: str) -> Code:
    """The occasion a genuine code names, checked against the clock; else ``InvalidCode``."""
    try:
        claims = jwt.decode(code, key, algorithms=[ALGORITHM], audience=AUDIENCE,
                            options={"require": ["aud", "sub", "nbf", "exp"]})
    except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError):
        raise CodeOutOfTime("the check-in code is not valid now: ask the organiser for the code on the screen") \
            from None
    except jwt.PyJWTError:
        raise InvalidCode("not a check-in code of this platform") from None
    occasion, _, occasion_id = str(claims["sub"]).partition(":")
    if not occasion or not occasion_id:
        raise InvalidCode("not a check-in code of this platform")
    return Code(occasion, occasion_id, datetime.fromtimestamp(claims["nbf"], UTC),
                datetime.fromtimestamp(claims["exp"], UTC))
