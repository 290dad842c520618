"""Field types shared by the event models."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

OrgCode = Annotated[
    str, Field(pattern=r"^\d{12}$", description="12-digit division code (统计用区划代码)",
               examples=["640221000000"])
]
