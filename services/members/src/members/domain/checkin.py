"""扫码签到 — when a check-in at an occasion counts, and for how long a code an organiser shows is
good. Pure: given the occasion's times and the clock, the window and the code's span.

An activity (履职活动) counts on its day, China time; a reception day (委员接待日) and a
consultation session (协商议事) from a grace period before their start to one after their end (a
session without an end: to the end of its day). A code is issued only while the window is open,
for at most its time to live, and never past the window's end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from liaison_shared.chinatime import CHINA

MIN_SPAN = timedelta(seconds=5)
OCCASIONS = {"activity": "履职活动", "reception_day": "委员接待日", "session": "协商议事"}


@dataclass(frozen=True)
class Window:
    opens: datetime
    closes: datetime

    def holds(self, moment: datetime) -> bool:
        return self.opens <= moment < self.closes


def _day_of(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, CHINA)


def activity_window(occurred_on: date) -> Window:
    return Window(_midnight(occurred_on), _midnight(occurred_on + timedelta(days=1)))


def timed_window(starts_at: datetime, ends_at: datetime | None, grace: timedelta) -> Window:
    end = ends_at if ends_at is not None else _midnight(_day_of(starts_at) + timedelta(days=1))
    return Window(starts_at - grace, end + grace)


class WindowClosed(ValueError):
    """The occasion's check-in window is not open now."""


def code_span(window: Window, now: datetime, ttl: timedelta) -> tuple[datetime, datetime]:
    """From now for ``ttl``, cut at the window's end; refused outside the window."""
    # a code must stay good for a few seconds at least: one cut to nothing would be refused at once
    if not window.holds(now) or window.closes - now < MIN_SPAN:
        raise WindowClosed(f"check-in is open from {window.opens.isoformat()} to {window.closes.isoformat()}")
    return now, min(now + ttl, window.closes)


# why a session that is no longer scheduled gives no code and takes no check-in: consultation
# counts no one present at a cancelled session, and names those present when it concludes
SESSION_OVER = {
    "cancelled": "this session was cancelled: it gives no check-in code and takes no check-in",
    "concluded": "this session has concluded: check-in closed with it, and its minutes name who was present",
}


def session_over(status: str) -> str | None:
    """Why no one checks in at a session of this status, or None while it is scheduled."""
    if status == "scheduled":
        return None
    return SESSION_OVER.get(status, f"this session is {status}: check-in is open only while it is scheduled")
