"""China time, in which deadlines are dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))


def today_in_china(now: datetime | None = None) -> date:
    return (now or datetime.now(CHINA)).astimezone(CHINA).date()
