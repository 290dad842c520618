"""HTTP shapes of the category tree (问题分类)."""

from __future__ import annotations

from typing import Annotated

from liaison_shared.contracts.common import OrgCode
from pydantic import AfterValidator, BaseModel, Field, model_validator

from ..domain.categories import category_name
from .common import Strict

CODE = r"^[0-9A-Za-z._-]{1,32}$"
# A name is one step of a path: no separator, nothing invisible; kept NFC-normalised.
Name = Annotated[str, Field(min_length=1, max_length=30), AfterValidator(category_name)]


class CategoryIn(Strict):
    name: Name = Field(..., examples=["渠道清淤"], description="The category's name (one step of a path: no '/', "
                       "no invisible character; NFC-normalised), unique among its siblings along the unit's line.")
    parent: str | None = Field(None, pattern=CODE, examples=["0201"],
                               description="The code of the category it goes under; none: a top-level category.")
    org_unit: OrgCode | None = Field(None, description="The unit that adds it, for itself and the units under it "
                                     "(a county's own sub-categories). None: the base tree every unit inherits "
                                     "(city staff and admins).")
    description: str | None = Field(None, max_length=200, description="What it covers, for the public form and "
                                    "Open311's service description.")
    code: str | None = Field(None, pattern=CODE, examples=["020101"], description="Its code (Open311's "
                             "service_code); default: the parent's code and the next two digits.")


class CategoryChange(Strict):
    name: Name | None = Field(None, description="A new name: its path changes, dispatch rules follow, "
                              "cases keep the text they came in with.")
    description: str | None = Field(None, max_length=200, description="A new description.")
    retired: bool | None = Field(None, description="true: no longer offered, nor anything under it (cases keep it); "
                                 "false: offered again.")

    @model_validator(mode="after")
    def _something(self):
        if not self.model_fields_set:
            raise ValueError("name, description or retired: say what changes")
        return self


class PublicCategory(BaseModel):
    code: str = Field(description="The category's code (Open311's service_code).")
    parent: str | None = Field(description="The code of the category above it; null at the top.")
    name: str = Field(description="Its name, e.g. 路灯.")
    path: str = Field(description="What a case's `category` says: the names from the top, e.g. 城乡建设/道路交通/路灯.")
    depth: int = Field(description="1 at the top.")
    description: str | None = Field(description="What it covers.")


class CategoryOut(PublicCategory):
    org_unit: str | None = Field(description="The unit that added it; null: the base tree every unit inherits.")
    retired: bool = Field(description="Retired itself (no longer offered; cases keep it).")
    offered: bool = Field(description="Offered to new cases: neither it nor a category above it retired.")
