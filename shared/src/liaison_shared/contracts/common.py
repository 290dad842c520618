"""Field types shared by the event models."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from ..orgunits import is_valid_code


def _division_code(code: str) -> str:
    if not is_valid_code(code):
        raise ValueError("not a city, county, town or village division code")
    return code


OrgCode = Annotated[
    str, Field(pattern=r"^[0-9]{12}$", description="12-digit division code (统计用区划代码) of a city, county, town or village",
               examples=["640221000000"]),
    AfterValidator(_division_code),
]
