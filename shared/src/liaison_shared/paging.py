"""Lists as the contract shapes them: ``?limit=N&offset=M`` → ``{"items": [...], "total": T}``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

T = TypeVar("T")

MAX_LIMIT = 500
DEFAULT_LIMIT = 50


class Page(BaseModel, Generic[T]):
    items: list[T] = Field(description="This page's items, in the list's order.")
    total: int = Field(description="How many items the whole list holds, over every page.")


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int


async def page_params(
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page."),
    offset: int = Query(0, ge=0, le=10_000_000, description="Items to skip."),
) -> PageParams:
    return PageParams(limit=limit, offset=offset)
