"""Background jobs that run a step again and again: one loop for all of them.

A step is ``async def step(runtime) -> int | None``. It runs at start (unless told to wait
first) and then every ``every`` seconds until the service stops. A step that fails — most
often the database or broker being away — is logged and tried again next round, so one
outage never ends a job, and ``liaison_job_last_success_timestamp_seconds`` says when a round last
succeeded. A ``drain`` job runs again at once while its step reports work done
(rows waiting in a table), and waits only when there was none.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from . import metrics

if TYPE_CHECKING:
    from .service import Runtime

log = logging.getLogger(__name__)

Step = Callable[["Runtime"], Awaitable[int | None]]
Job = Callable[["Runtime"], Awaitable[None]]


def periodic(step: Step, *, every: float | Callable[[Runtime], float], name: str | None = None,
             at_start: bool = True, drain: bool = False) -> Job:
    """A job running ``step`` every ``every`` seconds (a number, or read from the runtime each
    round, so a setting or a time of day can decide)."""
    interval = every if callable(every) else (lambda runtime: every)

    async def job(runtime: Runtime) -> None:
        if not at_start:
            await asyncio.sleep(interval(runtime))
        while not runtime.stopping:
            try:
                done = await step(runtime)
                # what the "job silent" alerts read (deploy/k8s/base/monitoring/alerts.yaml)
                metrics.JOB_LAST_SUCCESS.labels(runtime.spec.name, job.__name__).set_to_current_time()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # an outage: the next round tries again
                log.warning("%s paused: %s", job.__name__, error)
                done = None
            if not (drain and done):
                await asyncio.sleep(interval(runtime))

    job.__name__ = job.__qualname__ = name or step.__name__
    return job
