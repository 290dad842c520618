"""Cells of every CSV export: what people typed is shown, never run.

A spreadsheet reads a cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
return before one) as a formula or a DDE command; OWASP's CSV-injection advice is to prefix
such a cell with a single quote. Every CSV of the services and of the operator tools passes
through here; XLSX cells are written as string cells instead (feedback's export).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: object) -> str:
    """A CSV cell a spreadsheet shows as text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def inert_row(row: Iterable[object]) -> list[str]:
    return [inert(cell) for cell in row]


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(inert_row(row) for row in rows)
    return out.getvalue()
