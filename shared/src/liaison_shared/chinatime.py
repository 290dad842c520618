"""China time (UTC+8, no daylight saving): deadlines are dates there, and days start there."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

CHINA = timezone(timedelta(hours=8))


def today_in_china(now: datetime | None = None) -> date:
    return (now or datetime.now(CHINA)).astimezone(CHINA).date()


def day_range(date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    """The instants that bound the China-time days from ``date_from`` to ``date_to`` inclusive."""
    start = datetime.combine(date_from, time.min, CHINA) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time.min, CHINA) if date_to else None
    return start, end
