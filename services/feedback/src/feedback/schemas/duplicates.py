"""HTTP shapes of the duplicate suggestion (关注多): open cases that say the same thing."""

from __future__ import annotations

from datetime import datetime

from liaison_shared.openapi import UuidStr
from pydantic import BaseModel, Field


class SimilarCase(BaseModel):
    id: UuidStr = Field(description="The open case suggested (群众意见), to `merge` one into the other (合并).")
    similarity: float = Field(ge=0, le=1, description="How much of the text the two share (相似度): Dice's "
                              "coefficient of their character grams, 0–1; at least DUPLICATE_SIMILARITY_THRESHOLD.")
    status: str = Field(description="Its state (办理状态): received, escalated, assigned… never merged or closed.")
    created_at: datetime = Field(description="When it was handed in (受理时间).")
    people_count: int = Field(description="The people behind it so far (关注人数), merges included.")
    excerpt: str = Field(description="The opening of its text (摘要), at most 40 characters, long digit runs "
                                     "masked; never the submitter's name or phone.")


class SimilarCases(BaseModel):
    opinion_id: UuidStr = Field(description="The case the suggestions are for (群众意见).")
    threshold: float = Field(description="The similarity a case needed to be suggested (相似度阈值): "
                                         "DUPLICATE_SIMILARITY_THRESHOLD.")
    units: list[str] = Field(description="Where the suggestions were looked for (办理单位): the case's handling "
                                         "unit and its parent, 12-digit division codes.")
    items: list[SimilarCase] = Field(description="The open cases that say the same thing (疑似重复), most "
                                                 "similar first; empty when none does.")
