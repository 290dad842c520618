"""Field types and the base every feedback schema uses the same way."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from liaison_shared.contracts.common import plain_text
from liaison_shared.openapi import UuidStr
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
Day = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY, description="YYYY-MM-DD, China time, 2000 to 2100")]
"""Every date the service is given — query, body or path — is bounded here, so an absurd one
(``9999-12-31``) is a 422 at the model, never an overflow in date arithmetic."""


def _within_days(at: datetime) -> datetime:
    if not FIRST_DAY.year <= at.year <= LAST_DAY.year:
        raise ValueError("a time from 2000 to 2100")
    return at


Moment = Annotated[datetime, AfterValidator(_within_days),
                   Field(description="ISO 8601 date and time, 2000 to 2100")]
"""A time the service is given, bounded as ``Day`` is (``0001-01-01T00:00:00`` minus a span would
overflow)."""

Id = Annotated[UuidStr, Field(min_length=1, max_length=64)]
# Kept in the history, so never blank (the text is stripped first); the bounds are the columns'.
Reason = Annotated[str, Field(min_length=1, max_length=2000)]
Text = Annotated[str, Field(min_length=1, max_length=10_000)]
Note = Annotated[str | None, Field(max_length=2000)]


class Strict(BaseModel):
    """A body as a client sends it: no field the schema does not name, text stripped, and no control
    character in any text field (``PlainText``'s rule, here for every field of every body at once: a
    NUL would otherwise reach PostgreSQL, which refuses it mid-transaction)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _plain_text(cls, value: object) -> object:
        return plain_text(value) if isinstance(value, str) else value
