"""HTTP shapes of the Open311 GeoReport v2 façade (field names as the spec spells them) and of the
api_keys staff issue to civic apps."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from liaison_shared.contracts.common import OrgCode, PlainText
from liaison_shared.openapi import UuidStr
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .common import Strict

# --- the façade ------------------------------------------------------------------------------


class Open311Error(BaseModel):
    code: int = Field(description="The HTTP status, as GeoReport's errors carry it.")
    description: str = Field(description="What went wrong, for a person: names the parameter.")


class Service(BaseModel):
    service_code: str = Field(description="The category's code: what a request names.")
    service_name: str = Field(description="The category's name, e.g. 路灯.")
    description: str = Field(description="What it covers (its path when nothing more was written).")
    metadata: bool = Field(description="true: GET /open311/v2/services/{service_code}.json defines its attributes.")
    type: Literal["realtime"] = Field(description="realtime: a request's id is answered at once.")
    keywords: str = Field(description="The names along its path, comma-separated.")
    group: str = Field(description="Its top-level category, e.g. 城乡建设.")


class AttributeValue(BaseModel):
    key: str = Field(description="What a request sends.")
    name: str = Field(description="What a person reads.")


class Attribute(BaseModel):
    variable: bool = Field(description="true: a request sends a value.")
    code: str = Field(description="Sent as attribute[code].")
    datatype: str = Field(description="GeoReport's datatype: singlevaluelist here.")
    required: bool = Field(description="Whether a request must send it.")
    datatype_description: str = Field(description="The values allowed, in words.")
    order: int = Field(description="Where it goes on a form.")
    description: str = Field(description="The question a form asks.")
    values: list[AttributeValue] = Field(description="The allowed values.")


class ServiceDefinition(BaseModel):
    service_code: str = Field(description="The category's code.")
    attributes: list[Attribute] = Field(description="What a request may say beyond its description.")


class RequestIn(BaseModel):
    """POST /open311/v2/requests.json, form-encoded as GeoReport sends it (JSON is taken too).
    Personal fields a client may send (email, first_name, last_name, phone, device_id, account_id)
    are not kept: a citizen's consent (PIPL) is no part of the protocol."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, populate_by_name=True)

    api_key: str = Field(..., min_length=1, max_length=200, description="The client's key, issued by staff.")
    jurisdiction_id: OrgCode = Field(description="The unit where the matter arises: a 12-digit division code.")
    service_code: str = Field(..., min_length=1, max_length=32, description="A service (category) offered there.")
    description: PlainText = Field(..., min_length=1, max_length=5000, description="What the citizen says.")
    lat: float | None = Field(None, ge=-90, le=90, description="Latitude (WGS84), with long.")
    long: float | None = Field(None, ge=-180, le=180, description="Longitude (WGS84), with lat.")
    address_string: PlainText | None = Field(None, max_length=200, description="Where, in words.")
    urgency: Literal["normal", "urgent"] | None = Field(None, alias="attribute[urgency]",
                                                       description="attribute[urgency]: normal or urgent.")

    @model_validator(mode="after")
    def _both_coordinates(self):
        if (self.lat is None) != (self.long is None):
            raise ValueError("lat and long: give both or neither")
        return self


class RequestCreated(BaseModel):
    service_request_id: UuidStr = Field(description="The case's id: GET /open311/v2/requests/{id}.json follows it.")
    service_notice: str = Field(description="What happens next, and by when.")
    account_id: str | None = Field(None, description="Not used: always null.")
    tracking_code: str = Field(description="Extension: the citizen's tracking code (GET /t/{code} to follow and rate "
                                           "the answer). Give it to the citizen; it is their key.")


class ServiceRequest(BaseModel):
    """A case as GeoReport shows it: nothing the citizen said, nothing that could point at them."""

    service_request_id: UuidStr = Field(description="The case's id.")
    status: Literal["open", "closed"] = Field(description="closed once answered (or merged into a case that "
                                                          "carries it); open while it is handled.")
    status_notes: str = Field(description="The state in a sentence (a fixed one per state, never a reply's text).")
    service_name: str | None = Field(description="The category's name; null when the case's category is no "
                                                 "longer in the tree.")
    service_code: str | None = Field(description="The category's code; null as service_name.")
    agency_responsible: str = Field(description="The lead department (主办单位) while one handles it, else the "
                                                "CPPCC unit triaging it.")
    service_notice: str | None = Field(description="The reply deadline in words while one runs, else null.")
    requested_datetime: datetime = Field(description="When it was handed in (China time).")
    updated_datetime: datetime = Field(description="When it last changed (China time).")
    expected_datetime: datetime | None = Field(description="The end of the reply deadline's day (China time), "
                                                           "while one runs.")


class CaseLocation(BaseModel):
    """Where an Open311 client said the matter is: for the staff and departments who handle the case."""

    latitude: float | None = Field(description="Latitude (WGS84), as the client gave it.")
    longitude: float | None = Field(description="Longitude (WGS84), as the client gave it.")
    address_string: str | None = Field(description="Where, in words, as the client gave it.")


# --- api_keys, issued by staff ------------------------------------------------------------------


class ClientIn(Strict):
    name: str = Field(..., min_length=1, max_length=100, examples=["石嘴山随手拍"],
                      description="Who the civic app is: shown to staff, never to the public.")
    org_unit: OrgCode = Field(description="It hands in cases for this unit and those under it.")


class ClientOut(BaseModel):
    id: UuidStr = Field(description="The client's id.")
    name: str = Field(description="Who the civic app is.")
    org_unit: str = Field(description="It hands in cases for this unit and those under it.")
    created_by: str = Field(description="Who issued the key: the token's sub.")
    created_at: datetime = Field(description="When.")
    revoked_at: datetime | None = Field(description="When the key was revoked; null while it works.")


class ClientIssued(ClientOut):
    api_key: str = Field(description="The key, shown this once: only its hash is kept.")
