"""HTTP shape of the member performance file (委员履职档案)."""

from __future__ import annotations

from datetime import date, datetime

from liaison_shared.openapi import UuidStr
from pydantic import BaseModel, Field


class RecordMember(BaseModel):
    id: UuidStr = Field(description="The member (委员), by id.")
    name: str = Field(description="The member's name.")
    sector_name: str = Field(description="The member's sector (界别).")
    org_unit: str = Field(description="The committee (city or county) it sits on: division code.")
    org_unit_name: str = Field(description="The committee's unit, by name.")


class RecordActivity(BaseModel):
    id: UuidStr = Field(description="The liaison activity (履职活动), by id.")
    type: str = Field(description="The kind of activity: visit, research_inspection (调研视察)…")
    title: str = Field(description="The activity's title.")
    org_unit: str = Field(description="Where it took place.")
    occurred_on: date = Field(description="The day it took place.")
    people_reached: int = Field(description="People reached.")
    opinion_ids: list[str] = Field(description="Opinions taken in there (feedback ids).")
    checked_in_at: datetime | None = Field(None, description="When the member checked in there (扫码签到); null "
                                                             "where it was logged, not scanned.")


class RecordReceptionDay(BaseModel):
    id: UuidStr = Field(description="The reception day (委员接待日), by id.")
    venue_id: UuidStr = Field(description="The venue (履职平台), by id.")
    venue_name: str = Field(description="The venue's name.")
    org_unit: str = Field(description="The venue's unit.")
    starts_at: datetime = Field(description="When it starts.")
    ends_at: datetime = Field(description="When it ends.")
    held: bool = Field(description="Whether it has taken place (started before now).")
    opinions_taken_in: int = Field(description="Opinions taken in there (委员收集).")
    checked_in_at: datetime | None = Field(None, description="When the member checked in there (扫码签到).")
    own: bool = Field(True, description="The member's own reception day; false for one it joined (checked in).")


class RecordOpinion(BaseModel):
    id: UuidStr = Field(description="The opinion (群众意见), by feedback id.")
    org_unit: str = Field(description="Where the matter arose.")
    channel: str | None = Field(description="How it came in.")
    category: str | None = Field(description="Its category (派单目录's key), e.g. 水利.")
    reception_day_id: str | None = Field(description="The reception day (委员接待日) where it was taken in.")
    activity_id: str | None = Field(description="The activity (履职活动) where it was taken in.")
    attested: bool = Field(description="Recorded by the member or staff (received_by), not only named by a public "
                                        "intake.")
    taken_in_at: datetime = Field(description="When it was handed in.")
    step: str = Field(description="How it ended (or stands): received, answered, replied, rated, reopened, "
                                  "supervised, merged, closed or converted:<target>.")
    rating: str | None = Field(description="The submitter's rating (群众评价), if any.")


class RecordWork(BaseModel):
    id: str = Field(description="The report's, proposal's or session's id in the service that holds it.")
    org_unit: str = Field(description="Its unit.")
    title: str = Field(description="Its title, where the events carry one.")
    state: str = Field(description="Report: submitted, adopted, instructed (批示); proposal: filed, accepted (立案), "
                                   "replied; session: attended; research: recorded.")
    detail: dict = Field(description="What the events said of it: kind, adopted_by, number, reply_class, topic_id, "
                                     "checked_in_at (a session checked in)…")
    started_at: datetime = Field(description="When the member's part began (submitted, filed, concluded).")
    updated_at: datetime = Field(description="When it last moved on.")


class MemberRecordOut(BaseModel):
    """委员履职档案: one member's year."""

    member: RecordMember = Field(description="Whose file it is.")
    year: int = Field(description="The year, China time.")
    summary: dict = Field(description="The year's figures: activities (by type), people reached, reception days "
                                      "(held), opinions taken in (by outcome, satisfied), reports (adopted, 批示), "
                                      "proposals (accepted, by reply class), sessions attended, research "
                                      "(field visits), check-ins.")
    score: float | None = Field(description="The assessment score (考核分) as it stands now, for an active member.")
    score_breakdown: dict[str, float] | None = Field(
        None, description="The score's points by kind of work, as GET /members/{id}/score: activities, opinions, "
        "…, sessions_attended, research — under the committee's rules of the year (rules as data).")
    rule_version: int | None = Field(None, description="The version of the rules the score applied (0: defaults).")
    activities: list[RecordActivity] = Field(description="Liaison activities (履职活动) it took part in.")
    reception_days: list[RecordReceptionDay] = Field(description="Its reception days (委员接待日).")
    opinions: list[RecordOpinion] = Field(description="Opinions it took in (委员收集的群众意见) and how they ended.")
    reports: list[RecordWork] = Field(description="社情民意信息 and 政协专报 it wrote or co-wrote.")
    proposals: list[RecordWork] = Field(description="Proposals (提案) it filed or co-signed.")
    sessions: list[RecordWork] = Field(description="Consultation sessions (协商议事) it attended.")
    research: list[RecordWork] = Field(default_factory=list, description="Research (学习调研) on consultation topics "
                                                                         "it did: field visits and study material.")
