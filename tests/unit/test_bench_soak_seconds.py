"""The soak's per-second record: each interval is labelled by the second it starts in (as the
timeline labels its seconds), its rates are over its real length, and a reading that fails
does not end the sampling."""

import asyncio
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from soak import Every, Reading, seconds_between  # noqa: E402

FIELDS = psutil.cpu_times()._fields


def _machine(busy: float, idle: float):
    values = dict.fromkeys(FIELDS, 0.0) | {"user": busy, "idle": idle}
    return psutil.cpu_times().__class__(**values)


def test_an_interval_is_labelled_by_its_start_and_measured_over_its_real_length():
    readings = [
        Reading(10.02, {"feedback": 1.0}, _machine(0.0, 0.0), 3.0, ["VACUUM feedback.outbox"]),
        # a late reading: 1.5 s later, in which feedback spent 0.6 CPU-s
        Reading(11.52, {"feedback": 1.6}, _machine(2.4, 0.6), 40.0, []),
        Reading(12.51, {"feedback": 1.9}, _machine(3.4, 1.6), 2.0, []),
    ]
    first, second = seconds_between(readings, cpus=2)
    assert first["t"] == 10 and second["t"] == 11
    assert first["cpu_ms"]["feedback"] == 400.0  # 600 ms over 1.5 s
    assert first["cpu_pct"]["feedback"] == 20.0  # of two cores
    assert first["busy_pct"] == 80.0
    # the sync and autovacuum seen when the interval began belong to it
    assert (first["disk_sync_ms"], first["autovacuum"]) == (3.0, ["VACUUM feedback.outbox"])
    assert (second["disk_sync_ms"], second["autovacuum"]) == (40.0, [])


def test_a_failing_reading_is_logged_and_the_next_comes():
    calls: list[float] = []

    async def once() -> None:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise ConnectionError("lost")

    async def main() -> None:
        every = Every("test", 0.05, once, time.monotonic())
        every.start()
        await asyncio.sleep(0.3)
        await every.stop()

    asyncio.run(main())
    assert len(calls) >= 3


def test_stop_waits_for_the_reading_in_progress():
    finished: list[bool] = []

    async def once() -> None:
        await asyncio.sleep(0.1)
        finished.append(True)

    async def main() -> None:
        every = Every("test", 1.0, once, time.monotonic())
        every.start()
        await asyncio.sleep(0.02)
        await every.stop()
        assert finished == [True]

    asyncio.run(main())
