"""HTTP shapes of reports (社情民意信息, 政协专报) and the actions on them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from liaison_shared.contracts.common import OrgCode
from liaison_shared.contracts.feedback import AdoptedBy, ReportKind
from liaison_shared.openapi import UuidStr
from pydantic import BaseModel, Field

from ..domain.report import Action
from .common import Id, Strict


class ReportIn(Strict):
    kind: ReportKind = Field(description="public_opinion_report (社情民意信息) or special_report (政协专报).")
    title: str = Field(..., min_length=1, max_length=200, description="The report's title.")
    body: str = Field("", max_length=50_000, description="The report's text.")
    org_unit: OrgCode | None = Field(None, description="The composing unit; the caller's by default.")
    case_ids: list[Id] = Field(default_factory=list, max_length=200,
        description="The cases (群众意见) it is composed from.")
    member_ids: list[Id] = Field(default_factory=list, max_length=50,
                                 description="Authors: active members of the composing unit's committee or below. "
                                             "A member drafting names its co-authors (联名); it is the first author.")


class ReportPatch(Strict):
    """Only the fields sent change. None here means "not sent": a field is never nulled, so an
    explicit null fails its type (422) and the schema says so."""

    title: str = Field(None, min_length=1, max_length=200, description="The report's title.")  # type: ignore[assignment]  # None: not sent; a null is refused
    body: str = Field(None, max_length=50_000, description="The report's text.")  # type: ignore[assignment]  # None: not sent; a null is refused
    member_ids: list[Id] = Field(None, max_length=50,  # type: ignore[arg-type]  # None: not sent; a null is refused
                                 description="Authors: active members of the composing unit's committee or below.")


# --- the actions on a report: ``{"action": NAME, ...}``, each with the fields it takes ----------------


class ConfirmReport(Strict):
    """联名确认 (a co-author named in a member's draft): it agrees to be an author."""

    action: Literal[Action.CONFIRM] = Field(
        description="The action's name: it decides which other fields the body takes.")


class ForwardReport(Strict):
    """转报 (staff of the receiving unit, submitted): up to the unit above it."""

    action: Literal[Action.FORWARD] = Field(
        description="The action's name: it decides which other fields the body takes.")


class SubmitReport(Strict):
    """报送 (draft): staff of the composing unit, to the parent unit; the member who drafted it, once
    every co-author confirmed, to its own committee, whose staff adopt or forward it."""

    action: Literal[Action.SUBMIT] = Field(
        description="The action's name: it decides which other fields the body takes.")


class AdoptReport(Strict):
    """采用 (staff of the receiving unit, submitted): by whom it was adopted."""

    action: Literal[Action.ADOPT] = Field(
        description="The action's name: it decides which other fields the body takes.")
    adopted_by: AdoptedBy | None = Field(None, description="Who adopted it (采用): the receiving unit's level (the "
                                         "default: town, county or city) or a level above it whose adoption came "
                                         "back (province, national).")


class RejectReport(Strict):
    """未采用 (staff of the receiving unit, submitted)."""

    action: Literal[Action.REJECT] = Field(
        description="The action's name: it decides which other fields the body takes.")


class InstructOnReport(Strict):
    """批示 (a leader, adopted)."""

    action: Literal[Action.INSTRUCT] = Field(
        description="The action's name: it decides which other fields the body takes.")
    text: str = Field(..., min_length=1, max_length=4000, description="The leader's instruction (批示).")


ReportAction = Annotated[ConfirmReport | SubmitReport | ForwardReport | AdoptReport | RejectReport | InstructOnReport,
                         Field(discriminator="action")]


class Instruction(BaseModel):
    text: str = Field(description="The instruction (批示).")
    leader_org: str = Field(description="The leader's unit: division code.")
    at: datetime = Field(description="When it was given.")


class ReportOut(BaseModel):
    id: UuidStr = Field(description="The report's id.")
    kind: ReportKind = Field(description="public_opinion_report (社情民意信息) or special_report (政协专报).")
    title: str = Field(description="The report's title.")
    body: str = Field(description="The report's text.")
    org_unit: str = Field(description="The composing unit: 12-digit division code.")
    member_ids: list[str] = Field(description="The authors (委员).")
    case_ids: list[str] = Field(description="The cases (群众意见) it is composed from.")
    status: str = Field(description="draft, submitted (报送), adopted (采用) or not_adopted.")
    submitted_to: str | None = Field(description="The unit it was submitted to (报送).")
    adopted_by: str | None = Field(description="Who adopted it (采用): town, county, city, province or national.")
    drafted_by: UuidStr | None = Field(None, description="The member (委员) who drafted it; none when staff composed it.")
    confirmed_member_ids: list[str] = Field(default_factory=list,
        description="Authors who confirmed (联名确认); a member's draft is submitted once all have.")
    instructions: list[Instruction] = Field(description="Leaders' instructions (批示) on it.")
    created_at: datetime = Field(description="When it was created.")
    updated_at: datetime = Field(description="When it last changed.")
