"""JSON logs that carry the service, the trace id and the event being handled.

No log holds the rows of the database: an asyncpg error's text carries the failing row
(``DETAIL: Failing row contains (…)``) and a pydantic error's the input, so those errors are
logged by class, SQLSTATE and constraint name — also inside tracebacks (``log.exception``).
"""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType
from typing import TextIO, TypeGuard

import asyncpg
from pythonjsonlogger.json import JsonFormatter

from . import tracing


def _carries_data(error: BaseException) -> bool:
    from pydantic import ValidationError

    return isinstance(error, asyncpg.PostgresError | ValidationError | UnicodeError)


def _one(error: BaseException) -> str:
    name = f"{type(error).__module__}.{type(error).__qualname__}"
    if isinstance(error, asyncpg.PostgresError):
        return f"{name} (sqlstate {error.sqlstate}, constraint {error.constraint_name})"
    if _carries_data(error):
        return name
    return f"{name}: {error}"


def describe(error: BaseException, *, stack: bool = True) -> str:
    """An error for the log: its class (SQLSTATE and constraint for the database's), its causes,
    and with ``stack`` where it was raised — without the text of errors that carry data."""
    chain: list[str] = []
    seen: BaseException | None = error
    while seen is not None and len(chain) < 5:
        chain.append(_one(seen))
        seen = seen.__cause__ or (None if seen.__suppress_context__ else seen.__context__)
    text = " <- ".join(chain)
    if stack and error.__traceback__ is not None:
        frames = traceback.extract_tb(error.__traceback__)[-12:]
        text += "\n" + "".join(f'  File "{f.filename}", line {f.lineno}, in {f.name}\n' for f in frames).rstrip()
    return text


# What logging hands formatException (sys.exc_info()'s shape).
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


class _SafeExceptions(logging.Formatter):
    """A formatter whose tracebacks go through ``describe`` (first in the bases of the two below)."""

    def formatException(self, ei: ExcInfo) -> str:  # noqa: N802 — logging's hook name
        if ei and ei[1] is not None and _carries_data_in_chain(ei[1]):
            return "Traceback (text withheld): " + describe(ei[1])
        return super().formatException(ei)


def _carries_data_in_chain(error: BaseException) -> bool:
    seen: BaseException | None = error
    depth = 0
    while seen is not None and depth < 10:
        if _carries_data(seen):
            return True
        seen, depth = seen.__cause__ or seen.__context__, depth + 1
    return False


class _JsonFormatter(_SafeExceptions, JsonFormatter):
    pass


class _TextFormatter(_SafeExceptions, logging.Formatter):
    pass


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.trace_id = tracing.trace_id_of(tracing.current_traceparent.get())
        record.event_id = tracing.current_event_id.get()
        # ``log.warning("… %s", error)`` anywhere: the error by class, never its text
        if isinstance(record.msg, BaseException) and _carries_data_in_chain(record.msg):
            record.msg = describe(record.msg, stack=False)
        if isinstance(record.args, tuple) and any(_withheld(a) for a in record.args):
            record.args = tuple(describe(a, stack=False) if _withheld(a) else a for a in record.args)
        return True


def _withheld(arg: object) -> TypeGuard[BaseException]:
    return isinstance(arg, BaseException) and _carries_data_in_chain(arg)


def configure_logging(service: str, level: str = "INFO", fmt: str = "json") -> None:
    root = logging.getLogger()
    root.handlers[:] = [handler(service, fmt)]
    root.setLevel(level.upper())
    # aiokafka logs every reconnect attempt at ERROR; an outage is reported by metrics.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    # Request lines hold paths, and paths hold capabilities (a tracking code: whoever has it reads
    # and rates the case): neither the requests served nor those made (httpx logs each at INFO).
    for name in ("uvicorn.access", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


def handler(service: str, fmt: str = "json", stream: TextIO | None = None) -> logging.Handler:
    """The service's log handler: context fields, and errors that carry data by class only."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(_ContextFilter(service))
    if fmt == "json":
        handler.setFormatter(
            _JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(trace_id)s %(event_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                json_ensure_ascii=False,
            )
        )
    else:
        handler.setFormatter(
            _TextFormatter("%(asctime)s %(levelname)s [%(service)s] %(name)s: %(message)s")
        )
    return handler
