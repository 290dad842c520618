"""JSON logs that carry the service, the trace id and the event being handled."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from . import tracing


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.trace_id = tracing.trace_id_of(tracing.current_traceparent.get())
        record.event_id = tracing.current_event_id.get()
        return True


def configure_logging(service: str, level: str = "INFO", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ContextFilter(service))
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(trace_id)s %(event_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                json_ensure_ascii=False,
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(service)s] %(name)s: %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiokafka logs every reconnect attempt at ERROR; an outage is reported by metrics.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
