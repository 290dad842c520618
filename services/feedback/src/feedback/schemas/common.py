"""Field types and the base every feedback schema uses the same way."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from liaison_shared.openapi import UuidStr
from pydantic import BaseModel, ConfigDict, Field

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
Day = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY, description="YYYY-MM-DD, China time, 2000 to 2100")]
"""Every date the service is given — query, body or path — is bounded here, so an absurd one
(``9999-12-31``) is a 422 at the model, never an overflow in date arithmetic."""

Id = Annotated[UuidStr, Field(min_length=1, max_length=64)]
# Kept in the history, so never blank (the text is stripped first); the bounds are the columns'.
Reason = Annotated[str, Field(min_length=1, max_length=2000)]
Text = Annotated[str, Field(min_length=1, max_length=10_000)]
Note = Annotated[str | None, Field(max_length=2000)]


class Strict(BaseModel):
    """A body as a client sends it: no field the schema does not name, text stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
