"""HTTP shapes of the CSV import's report."""

from __future__ import annotations

from pydantic import BaseModel


class RejectedRow(BaseModel):
    row: int
    errors: list[str]


class ImportReport(BaseModel):
    kind: str
    rows: int
    accepted: int
    rejected: list[RejectedRow]
    applied: bool
