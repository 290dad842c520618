"""HTTP shapes of the CSV import's report."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RejectedRow(BaseModel):
    row: int = Field(description="The row's number in the file.")
    errors: list[str] = Field(description="What is wrong with it.")


class ImportReport(BaseModel):
    kind: str = Field(description="What was imported: org-units, members or venues.")
    rows: int = Field(description="Rows read.")
    accepted: int = Field(description="Rows that passed.")
    rejected: list[RejectedRow] = Field(description="Rows refused, with the reasons.")
    applied: bool = Field(description="Whether the rows were written (not for a dry run).")
