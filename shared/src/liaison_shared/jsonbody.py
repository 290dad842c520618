"""A JSON document a client sent, where a route reads it by hand (a body that may be JSON or
something else: Open311's form-or-JSON request, the hotline's CSV-or-JSON export). FastAPI's own
body parsing answers for every other route."""

from __future__ import annotations

import json


class NotJson(ValueError):
    """The document cannot be read; the message says where, never what (the text may be someone's words)."""


def parse(raw: bytes | str) -> object:
    """The document; NotJson for broken JSON, text that is no UTF-8, or nesting deeper than the
    parser's recursion allows (``[`` 100,000 times: a RecursionError, which would be a 500)."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise NotJson("not a JSON document: nested too deeply") from None
    except json.JSONDecodeError as broken:
        raise NotJson(f"not a JSON document: {broken.msg} at line {broken.lineno}, column {broken.colno}") from None
    except ValueError:  # not UTF-8, or an integer of more digits than Python converts
        raise NotJson("not a JSON document") from None
