"""办理答复期限 — reply deadlines counted in working days (China time).

Working days come from the official calendar where one is known: a schedule staff entered
(``overrides``), else the ``chinese-calendar`` package (weekends, public holidays and the
adjusted working weekends); for a year neither knows, Monday–Friday, and the answer says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from liaison_shared.chinatime import CHINA, today_in_china

__all__ = ["CHINA", "Deadline", "add_working_days", "today_in_china"]


@dataclass(frozen=True)
class Deadline:
    due: date
    calendar_known: bool  # False: counted Monday–Friday for a year with no official schedule


def _package_years() -> range:
    """The years the ``chinese-calendar`` package knows the official schedule of."""
    import chinese_calendar

    return range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)


PACKAGE_YEARS = _package_years()


def _is_workday(day: date, overrides: dict[date, bool]) -> tuple[bool, bool]:
    """(working day?, from an official calendar?) — entered schedules first, then the package."""
    if day in overrides:
        return overrides[day], True
    if day.year in PACKAGE_YEARS:
        import chinese_calendar

        return chinese_calendar.is_workday(day), True
    return day.weekday() < 5, False


def add_working_days(start: date, days: int, overrides: dict[date, bool] | None = None) -> Deadline:
    """The date ``days`` working days after ``start``."""
    current, counted, known = start, 0, True
    while counted < days:
        current += timedelta(days=1)
        workday, official = _is_workday(current, overrides or {})
        known = known and official
        if workday:
            counted += 1
    return Deadline(current, known)
