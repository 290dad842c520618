"""The one loop of background jobs: an outage pauses a job, never ends it; a drain job does not
wait while work is waiting; a job told to wait first does."""

import asyncio
import time
from types import SimpleNamespace

from liaison_shared import metrics
from liaison_shared.jobs import periodic


def runtime():
    return SimpleNamespace(stopping=False, spec=SimpleNamespace(name="probe"))


async def test_a_failing_step_is_tried_again_next_round(caplog):
    rt, calls = runtime(), []

    async def step(rt):
        calls.append(len(calls))
        if len(calls) == 1:
            raise ConnectionError("database away")
        if len(calls) == 3:
            rt.stopping = True

    succeeded = metrics.JOB_LAST_SUCCESS.labels("probe", "probe job")
    succeeded.set(0)
    await asyncio.wait_for(periodic(step, every=0.01, name="probe job")(rt), 2)
    assert calls == [0, 1, 2]
    assert "probe job paused: database away" in caplog.text
    assert succeeded._value.get() > time.time() - 5  # the rounds after the outage count


async def test_a_drain_job_runs_again_at_once_while_there_is_work():
    rt, waiting = runtime(), [5, 3, 0, 2]

    async def step(rt):
        return waiting.pop(0)

    # an hour between rounds: only a job that skips the wait after work done gets past the first
    job = asyncio.create_task(periodic(step, every=3600, drain=True)(rt))
    await asyncio.sleep(0.1)
    job.cancel()
    assert waiting == [2], "ran while there was work, and waits after the round that found none"


async def test_a_job_told_to_wait_first_does_not_run_at_start():
    rt, calls = runtime(), []

    async def step(rt):
        calls.append(1)

    job = asyncio.create_task(periodic(step, every=3600, at_start=False)(rt))
    await asyncio.sleep(0.05)
    job.cancel()
    assert calls == []
