"""The gauges operators watch: the three rates on the dashboard (响应率, 解决率, 满意率), and the
last year of the official working-day calendar, which an alert wants a year ahead from December."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from liaison_shared import metrics
from liaison_shared.jobs import periodic

from ..domain.deadlines import PACKAGE_YEARS
from ..storage import catalogue, stats

log = logging.getLogger(__name__)
WINDOW = timedelta(days=90)


async def publish_rates(conn) -> dict[str, float]:
    rows = await stats.case_stats(conn, pattern="%", group="none", child_prefix=12,
                                  start=datetime.now(UTC) - WINDOW, end=None)
    row: Mapping[str, Any] = rows[0] if rows else {}
    cases = row["cases"] if row else 0
    rates = {
        "response": row["responded"] / cases if cases else 0.0,
        "resolution": row["resolved"] / cases if cases else 0.0,
        "satisfaction": row["satisfied"] / row["rated"] if row and row["rated"] else 0.0,
    }
    for name, value in rates.items():
        metrics.FEEDBACK_RATE.labels(name).set(value)
    return rates


async def publish_calendar_year(conn) -> int:
    last = max(PACKAGE_YEARS[-1], await catalogue.last_entered_year(conn) or 0)
    metrics.WORKING_DAY_CALENDAR_LAST_YEAR.set(last)
    return last


async def refresh_rates(runtime) -> None:
    async with runtime.pool.acquire() as conn:
        await publish_rates(conn)
        await publish_calendar_year(conn)


# Background job: recompute the gauges every minute (in an outage they keep their values).
run_rates = periodic(refresh_rates, every=60, name="rates")
