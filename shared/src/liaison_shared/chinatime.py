"""China time (UTC+8, no daylight saving): deadlines are dates there, and days start there."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

CHINA = timezone(timedelta(hours=8))


def today_in_china(now: datetime | None = None) -> date:
    return (now or datetime.now(CHINA)).astimezone(CHINA).date()


def day_range(date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    """The instants that bound the China-time days from ``date_from`` to ``date_to`` inclusive."""
    start = datetime.combine(date_from, time.min, CHINA) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time.min, CHINA) if date_to else None
    return start, end


_CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


def _wall_clock(value: object) -> object:
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ValueError("a time of day in China time, without an offset (e.g. 22:00)")
        return value.replace(microsecond=0)
    if not isinstance(value, str) or re.fullmatch(_CLOCK, value) is None:
        raise ValueError("a time of day in China time as HH:MM or HH:MM:SS, without an offset (e.g. 22:00)")
    return value


# A time of day on China's wall clock (quiet hours and the like). JSON Schema's "format: time"
# is RFC 3339's full-time, which needs an offset; a wall-clock time has none, so the schema
# says exactly what is accepted and answered: HH:MM or HH:MM:SS.
ClockTime = Annotated[
    time,
    BeforeValidator(_wall_clock),
    PlainSerializer(lambda t: t.isoformat(timespec="seconds"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": _CLOCK,
                    "examples": ["22:00"]}),
]
