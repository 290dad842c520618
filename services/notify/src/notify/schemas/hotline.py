"""HTTP shapes of a city's 12345 hotline endpoint."""

from __future__ import annotations

from datetime import datetime

from liaison_shared.contracts.common import OrgCode
from liaison_shared.openapi import UuidStr
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

Name = str | None


class HotlineEndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    city: OrgCode = Field(..., examples=["640200000000"], description="The city (a city's division code) whose "
                          "hotline this is: its cases' status changes go here. One endpoint per city; posting "
                          "again for the city replaces it.")
    name: str = Field(..., min_length=1, max_length=100, examples=["石嘴山市12345政务服务便民热线"],
                      description="The hotline's name.")
    url: HttpUrl = Field(..., description="Where the messages are POSTed: https at a public address (an address "
                                          "in WEBHOOK_ALLOWLIST may be http and internal), as every webhook.")
    secret: str | None = Field(None, min_length=24, max_length=200, description="The HMAC key the hotline gave "
                               "us. Left out: a new endpoint gets one made here (answered once); an existing one "
                               "keeps its own.")
    fields: dict[str, Name] | None = Field(None, examples=[{"case_number": "workOrderNo", "reason": None}],
                                           description="Our field → the hotline's name for it, over the defaults "
                                                       "of docs/hotline.md; null leaves a field out.")
    statuses: dict[str, Name] | None = Field(None, examples=[{"assigned": "20", "recalled": "21"}],
                                             description="Our status → the hotline's status code, over the "
                                                         "defaults; null: that status is not sent.")
    active: bool = Field(True, description="Whether messages are sent; false stops them (pending ones fail).")


class HotlineEndpointOut(BaseModel):
    id: UuidStr = Field(description="The endpoint's id (the deliveries' recipient_id).")
    city: str = Field(description="The city whose hotline this is.")
    name: str = Field(description="The hotline's name.")
    url: str = Field(description="Where the messages are POSTed.")
    fields: dict[str, Name] = Field(description="In force: our field → the hotline's name (null: left out).")
    statuses: dict[str, Name] = Field(description="In force: our status → the hotline's code (null: not sent).")
    active: bool = Field(description="Whether messages are sent.")
    updated_by: str = Field(description="Who changed it last (the token's sub).")
    updated_at: datetime = Field(description="When.")


class HotlineEndpointSaved(HotlineEndpointOut):
    secret: str | None = Field(None, description="The HMAC key made here for a new endpoint: shown once. Null "
                                                 "when the hotline gave its own or the endpoint kept its key.")
