"""HTTP shapes of the 12345 hotline import: one case as the hotline gives it, and the report."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from liaison_shared.contracts.common import OrgCode
from liaison_shared.contracts.feedback import Urgency
from liaison_shared.openapi import UuidStr
from pydantic import BaseModel, Field, field_validator

from ..domain import hotline
from .common import Strict


class HotlineCaseIn(Strict):
    """A 12345 hotline case (工单). In a CSV file the columns may carry the Chinese names of
    docs/hotline.md (工单号, 来电时间, 问题分类, 诉求内容, 来电人, 联系电话, 同意留存个人信息, 区划代码,
    事发地点, 紧急程度); in JSON the same names or these."""

    case_number: str = Field(..., min_length=1, max_length=64, pattern=hotline.CASE_NUMBER,
                             examples=["SZS2026120600123"],
                             description="The hotline's case number (工单号): a case imported once, whatever "
                                         "file brings it again.")
    received_at: datetime | None = Field(None, examples=["2026-12-06 09:30"],
                                         description="When the hotline took the call (来电时间); without a zone, "
                                                     "China time.")
    category: str | None = Field(None, max_length=50, examples=["水利"], description="问题分类: the case's category.")
    content: str = Field(..., min_length=1, max_length=5000, examples=["村口灌溉渠堵塞，影响春灌"],
                         description="诉求内容: what the caller says.")
    caller_name: str | None = Field(None, max_length=50, description="来电人: kept only with consent, sealed.")
    caller_phone: str | None = Field(None, pattern=r"^[0-9+\-() ]{5,30}$",
                                     description="联系电话: kept only with consent, sealed.")
    consent: bool = Field(False, description="同意留存个人信息: the caller agreed that name and phone be kept "
                                             "(是/否, true/false). Without it none is kept.")
    org_unit: OrgCode | None = Field(None, description="区划代码: where the matter arises. Without it, `location` "
                                                      "must name one known unit.")
    location: str | None = Field(None, max_length=200, examples=["平罗县黄渠桥镇东风村"],
                                 description="事发地点: read for the org unit when none is given, then not kept "
                                             "(it is often a caller's address).")
    urgency: Urgency = Field("normal", description="紧急程度: 一般/普通 → normal; 紧急/加急/特急 → urgent (急事快议).")

    @field_validator("received_at", mode="before")
    @classmethod
    def _received_at(cls, value: object) -> object:
        return None if value is None else hotline.received_at_of(value)

    @field_validator("urgency", mode="before")
    @classmethod
    def _urgency(cls, value: object) -> object:
        return hotline.urgency_of(value)

    @field_validator("consent", mode="before")
    @classmethod
    def _consent(cls, value: object) -> object:
        return hotline.consent_of(value)

    @field_validator("case_number", mode="before")
    @classmethod
    def _case_number(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value


Outcome = Literal["created", "already_imported", "rejected"]


class HotlineRow(BaseModel):
    row: int = Field(description="The row's line in a CSV file, or its position (from 1) in a JSON list.")
    case_number: str | None = Field(description="The hotline's case number, when the row gave a readable one.")
    outcome: Outcome = Field(description="created: a new case; already_imported: a case has this number "
                                         "already, nothing changed; rejected: nothing written, see reason.")
    opinion_id: UuidStr | None = Field(None, description="The case: the new one, or the one imported before.")
    reason: str | None = Field(None, description="Why the row was rejected (it never repeats a value of the row).")


class HotlineImportReport(BaseModel):
    rows: int = Field(description="Rows read.")
    created: int = Field(description="Cases created.")
    already_imported: int = Field(description="Rows whose case number was imported before (a re-import).")
    rejected: int = Field(description="Rows refused; nothing was written for them.")
    results: list[HotlineRow] = Field(description="Row by row, in the file's order.")


class HotlineCaseOut(BaseModel):
    city: str = Field(description="The city whose hotline numbered it.")
    case_number: str = Field(description="The hotline's case number (工单号).")
    opinion_id: UuidStr = Field(description="The case it became.")
    org_unit: str = Field(description="Where the matter arises.")
    received_at: datetime | None = Field(description="When the hotline took the call.")
    imported_at: datetime = Field(description="When it was imported.")
    imported_by: str = Field(description="Who imported it (the token's sub).")
