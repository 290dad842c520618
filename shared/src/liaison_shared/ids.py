"""Identifiers that sort by time (UUID version 7, RFC 9562) for rows written in large numbers.

A random (version 4) key puts every insert on a random leaf of its index: once the index
outgrows memory, each insert reads a page, and after every checkpoint each first touch of a
page writes the whole page to the WAL again. In a soak at 300 opinions/s that grew the WAL from
14 to 46 KB per opinion within twenty minutes. Keys that grow with time land on the index's
right edge instead: event ids (the outbox's, every inbox's and notify's unique key) and opinion
ids. Nothing secret is made here — a tracking code stays random — and the time an id gives
away is the time its row records anyway.

Python 3.14 has ``uuid.uuid7``; until the services run on it, this is the same layout.
"""

from __future__ import annotations

import os
import time
import uuid


def time_ordered() -> uuid.UUID:
    """48 bits of Unix milliseconds, the version (7), 12 random bits, the variant, 62 random bits."""
    millis = time.time_ns() // 1_000_000
    random = int.from_bytes(os.urandom(10), "big")
    value = (millis & (2**48 - 1)) << 80 | 0x7 << 76 | (random >> 62 & 0xFFF) << 64 | 0b10 << 62 | random & (2**62 - 1)
    return uuid.UUID(int=value)
