"""Field types and bases every consultation schema uses the same way."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from liaison_shared.openapi import UuidStr
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

Ids = list[UuidStr]
SessionStatus = Literal["scheduled", "concluded", "cancelled"]
OutcomeKind = Literal["consensus", "suggestion"]
OutcomeStatus = Literal["drafted", "converted", "evaluated"]
# The years a consultation's dates may fall in: beyond them a date is a typo or a probe, and
# 9999-12-31 in a zone west of UTC is no timestamp the database can hold.
YEARS = range(2000, 2101)


def _plausible(value: date) -> date:
    if value.year not in YEARS:
        raise ValueError(f"the year is between {YEARS.start} and {YEARS.stop - 1}")
    return value


Day = Annotated[date, AfterValidator(_plausible)]
Moment = Annotated[AwareDatetime, AfterValidator(_plausible)]  # with its offset: 09:00 where?
# Why an action was taken: kept in the history, so it is never blank (the text is stripped first).
Reason = Annotated[str, Field(min_length=1, max_length=2000)]
Note = Annotated[str | None, Field(max_length=2000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Patch(Strict):
    """A partial update. Its fields are declared with the type they hold and a default of None
    that only means "absent" (pydantic does not validate defaults): an explicit null is a 422
    and the OpenAPI says the field is not nullable. Read it with ``model_dump(exclude_unset=True)``."""
