"""Intake (受理): a public opinion becomes a case with an unguessable tracking code."""

from __future__ import annotations

import base64
import secrets
import uuid
from dataclasses import dataclass

from liaison_shared import crypto, ids
from liaison_shared.auth import Principal
from liaison_shared.contracts.feedback import OpinionSubmitted
from liaison_shared.errors import Unprocessable
from liaison_shared.settings import Settings
from liaison_shared.uow import UnitOfWork

from ..storage import opinions as storage
from ..storage import taken_in as taken_in_storage
from . import access, categories


@dataclass(frozen=True)
class Submitter:
    """Whom to answer. Kept only with consent, sealed with the subject's own key."""

    name: str | None
    phone: str | None


def new_tracking_code() -> str:
    """96 random bits in base32 (no 0/1/8/9 confusion in speech), e.g. ``K5Q3…``."""
    return base64.b32encode(secrets.token_bytes(12)).decode().rstrip("=")


async def submit(uow: UnitOfWork, settings: Settings, data: dict, *, opinion_id: uuid.UUID | None = None,
                 received_by: str = "public", actor: Principal | None = None) -> dict:
    """A new case. A public intake naming a member, venue or sector nobody registered, or a category
    not offered at the unit, is refused (422); a consumed one (``received_by`` another service) is
    kept, crediting nobody, with its category as given where it names no offered one. ``actor``:
    the member or staff who recorded an opinion taken in (handlers.taken_in checked it)."""
    if not await storage.org_unit_exists(uow.conn, data["org_unit"]):
        raise Unprocessable(f"org unit {data['org_unit']} is not known")
    strict = received_by == "public" or actor is not None
    category = await categories.resolve(uow.conn, data["org_unit"], data.get("category"), strict=strict)
    data = {**data, "category": category, **await _credited(uow.conn, data, strict=strict)}
    subject_id = None
    if data.get("consent") and (data.get("submitter_name") or data.get("submitter_phone")):
        subject_id = uuid.uuid4()
        ring = crypto.keyring(settings)
        key = ring.new_data_key()
        await storage.insert_submitter(
            uow.writer, subject_id, ring.wrap(subject_id, key),
            crypto.seal(key, subject_id, "name", data.get("submitter_name"), suite=ring.suite),
            crypto.seal(key, subject_id, "phone", data.get("submitter_phone"), suite=ring.suite),
        )
    opinion_id = opinion_id or ids.time_ordered()
    code = new_tracking_code()
    await storage.insert_opinion(uow.writer, {
        **data, "id": opinion_id, "tracking_code": code, "subject_id": subject_id,
        "consent": bool(data.get("consent")), "urgency": data.get("urgency") or "normal",
    })
    who = actor.actor if actor is not None else {
        "actor_sub": received_by, "actor_role": received_by, "actor_org": None}
    await storage.record(uow.writer, str(opinion_id), **who, action="submit",
                         from_status=None, to_status="received", detail={"channel": data["channel"]})
    uow.publish(
        OpinionSubmitted(
            opinion_id=str(opinion_id), org_unit=data["org_unit"], channel=data["channel"],
            category=data.get("category"), urgency=data.get("urgency") or "normal",
            member_id=data.get("member_id"), venue_id=data.get("venue_id"),
            subject_id=str(subject_id) if subject_id else None,
            contact_consented=subject_id is not None and bool(data.get("submitter_phone")),
            received_by=data.get("received_by"), reception_day_id=data.get("reception_day_id"),
            activity_id=data.get("activity_id"), sector_id=data.get("sector_id"),
            hotline_case_number=data.get("hotline_case_number"),  # set by the hotline import only
        ),
    )
    given = bool(data.get("submitter_name") or data.get("submitter_phone"))
    note = None
    if given and subject_id is None:
        note = "name and phone were not kept: no consent was given"
    return {"id": str(opinion_id), "tracking_code": code, "status": "received",
            "personal_data_kept": subject_id is not None, "personal_data_note": note}


async def _credited(conn, data: dict, *, strict: bool) -> dict:
    """The member who took the opinion in and the venue, as far as the registry knows them: a
    satisfied rating credits that member, so an id someone typed must name a real one, serving
    the place where the matter arises (its committee's unit is on the case's line)."""
    found = {}
    for field, lookup in (("member_id", storage.member_unit), ("venue_id", storage.venue_unit)):
        wanted = data.get(field)
        unit = await lookup(conn, wanted) if wanted else None
        if wanted and (unit is None or not access.on_the_line(unit, data["org_unit"])):
            if strict:
                noun = field.removesuffix("_id")
                raise Unprocessable(f"{field}: no registered {noun} {wanted} serves org unit {data['org_unit']}")
            wanted = None
        found[field] = wanted
    sector = data.get("sector_id")
    if sector and not any(access.on_the_line(unit, data["org_unit"])
                          for unit in await taken_in_storage.sector_units(conn, sector)):
        if strict:
            raise Unprocessable(f"sector_id: no registered sector {sector} serves org unit {data['org_unit']}")
        sector = None
    found["sector_id"] = sector
    return found


async def reveal_submitter(conn, settings: Settings, subject_id) -> Submitter | None:
    """Open the sealed name and phone, or None once the subject was erased."""
    if subject_id is None:
        return None
    return _open(settings, await storage.submitter(conn, subject_id))


async def reveal_submitters(conn, settings: Settings, subject_ids) -> dict:
    """Many at once (a list, an export): one query, subject id → ``Submitter``."""
    wanted = [s for s in {*subject_ids} if s is not None]
    rows = await storage.submitters(conn, wanted) if wanted else []
    return {row["subject_id"]: person for row in rows if (person := _open(settings, row)) is not None}


def _open(settings: Settings, row) -> Submitter | None:
    if row is None or row["wrapped_key"] is None:
        return None
    subject_id = row["subject_id"]
    key = crypto.keyring(settings).unwrap(subject_id, row["wrapped_key"])
    return Submitter(
        name=crypto.open_(key, subject_id, "name", row["name_sealed"]),
        phone=crypto.open_(key, subject_id, "phone", row["phone_sealed"]),
    )
