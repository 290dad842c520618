"""Field types every members schema bounds the same way."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field

# A day the registry can speak of: beyond it, date arithmetic (a day range's end) overflows.
Day = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]

# An id another service or this one gave out (UUIDs, mostly); bounded so a list of them is too.
Ref = Annotated[str, Field(min_length=1, max_length=64)]
