"""HTTP shapes of reports (社情民意信息, 政协专报) and the actions on them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from liaison_shared.contracts.common import OrgCode
from liaison_shared.contracts.feedback import AdoptedBy, ReportKind
from pydantic import BaseModel, Field

from ..domain.report import Action
from .common import Id, Strict


class ReportIn(Strict):
    kind: ReportKind
    title: str = Field(..., min_length=1, max_length=200)
    body: str = Field("", max_length=50_000)
    org_unit: OrgCode | None = Field(None, description="The composing unit; the caller's by default.")
    case_ids: list[Id] = Field(default_factory=list, max_length=200)
    member_ids: list[Id] = Field(default_factory=list, max_length=50,
                                 description="Authors: active members of the composing unit's committee or below.")


class ReportPatch(Strict):
    """Only the fields sent change. None here means "not sent": a field is never nulled, so an
    explicit null fails its type (422) and the schema says so."""

    title: str = Field(None, min_length=1, max_length=200)
    body: str = Field(None, max_length=50_000)
    member_ids: list[Id] = Field(None, max_length=50,
                                 description="Authors: active members of the composing unit's committee or below.")


# --- the actions on a report: ``{"action": NAME, ...}``, each with the fields it takes ----------------


class SubmitReport(Strict):
    """报送 (staff of the composing unit, draft): to the parent unit."""

    action: Literal[Action.SUBMIT]


class AdoptReport(Strict):
    """采用 (staff of the receiving unit, submitted): by whom it was adopted."""

    action: Literal[Action.ADOPT]
    adopted_by: AdoptedBy = "city"


class RejectReport(Strict):
    """未采用 (staff of the receiving unit, submitted)."""

    action: Literal[Action.REJECT]


class InstructOnReport(Strict):
    """批示 (a leader, adopted)."""

    action: Literal[Action.INSTRUCT]
    text: str = Field(..., min_length=1, max_length=4000, description="The leader's instruction (批示).")


ReportAction = Annotated[SubmitReport | AdoptReport | RejectReport | InstructOnReport, Field(discriminator="action")]


class Instruction(BaseModel):
    text: str
    leader_org: str
    at: datetime


class ReportOut(BaseModel):
    id: str
    kind: ReportKind
    title: str
    body: str
    org_unit: str
    member_ids: list[str]
    case_ids: list[str]
    status: str
    submitted_to: str | None
    adopted_by: str | None
    instructions: list[Instruction]
    created_at: datetime
    updated_at: datetime
