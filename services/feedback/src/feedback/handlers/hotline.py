"""Cases from the 12345 government hotline (12345 热线工单), imported in batches.

Each row is its own unit of work: a bad row writes nothing and the good ones around it are
kept. A row becomes a case through the intake every other channel uses (``intake.submit``, with
channel ``hotline`` and the importing staff as actor), so intake's rules — a known unit, consent
for personal data, the category — hold for it too. The hotline's case number (工单号) is claimed
in the same transaction as the case: imported again, in this file or another, the row finds it
taken and creates nothing. What a rejection says is built from field names and our own words,
never from the row's values — nor its names nobody knows, which may be values in the wrong place —
and a case number is repeated only when it is one: a caller's name or phone is in no report and no
log. What the database refuses of a row (a value the schema let through) is that row's rejection."""

from __future__ import annotations

import uuid

from liaison_shared import db
from liaison_shared.auth import Principal
from liaison_shared.errors import ApiError
from pydantic import ValidationError

from ..domain import hotline
from ..schemas.hotline import HotlineCaseIn
from ..storage import hotline as storage
from ..storage import opinions as opinions_storage
from . import intake


async def import_cases(runtime, principal: Principal, rows: list[tuple[int, dict]]) -> dict:
    """Every row, in order: created, already imported or rejected with the reason. Takes the
    runtime, not a unit of work: each row opens its own."""
    results = [await _import_row(runtime, principal, number, raw) for number, raw in rows]
    counts = {outcome: sum(r["outcome"] == outcome for r in results)
              for outcome in ("created", "already_imported", "rejected")}
    return {"rows": len(results), **counts, "results": results}


async def _import_row(runtime, principal: Principal, number: int, raw: dict) -> dict:
    named = {k: v for k, v in raw.items() if k != "__error__"}
    values, unknown = hotline.fields_of(named)
    shown = hotline.shown_case_number(values.get("case_number"))

    def rejected(reason: str) -> dict:
        return {"row": number, "case_number": shown, "outcome": "rejected", "opinion_id": None, "reason": reason}

    if "__error__" in raw:
        return rejected(str(raw["__error__"]))
    if unknown:
        return rejected(hotline.not_recognised(unknown, len(named), "fields"))
    try:
        case = HotlineCaseIn.model_validate(values)
    except ValidationError as invalid:
        return rejected(reasons(invalid))
    try:
        async with runtime.uow() as uow:
            org_unit = case.org_unit or hotline.unit_named_in(case.location or "",
                                                               await storage.units_named(uow.conn))
            if not principal.is_staff_over(org_unit):
                return rejected(f"org unit {org_unit} is outside your scope")
            opinion_id = uuid.uuid4()
            before = await storage.claim(uow.conn, city=hotline.city_of(org_unit), case_number=case.case_number,
                                         opinion_id=opinion_id, org_unit=org_unit, received_at=case.received_at,
                                         imported_by=principal.sub)
            if before is not None:
                if not principal.is_staff_over(before["org_unit"]):
                    # another county's case under this number: neither its id nor its place is said
                    return rejected("case_number: already imported by another unit")
                return {"row": number, "case_number": case.case_number, "outcome": "already_imported",
                        "opinion_id": before["opinion_id"], "reason": None}
            await intake.submit(uow, runtime.settings, {
                "content": case.content, "org_unit": org_unit, "channel": "hotline", "category": case.category,
                "urgency": case.urgency, "submitter_name": case.caller_name, "submitter_phone": case.caller_phone,
                "consent": case.consent, "hotline_case_number": case.case_number,
            }, opinion_id=opinion_id, actor=principal)
            # the case's history says where it came from, as the hotline numbered and dated it
            await opinions_storage.record(
                uow.writer, str(opinion_id), **principal.actor, action="hotline_import", from_status="received",
                to_status="received", detail={"case_number": case.case_number, "received_at":
                                              case.received_at.isoformat() if case.received_at else None})
    except hotline.Unlocated as unlocated:
        return rejected(str(unlocated))
    except ValidationError as invalid:  # an event's schema refusing a value: said without the value
        return rejected(reasons(invalid))
    except ApiError as refused:  # intake's own refusals (422, 403): their messages name no personal data
        return rejected(refused.message)
    except db.REFUSED_VALUES:  # rolled back; the database's message would quote the row
        return rejected("a value the database cannot hold (a character or a number out of its range)")
    return {"row": number, "case_number": case.case_number, "outcome": "created", "opinion_id": str(opinion_id),
            "reason": None}


async def latest_answer(conn, opinion_id: str) -> str | None:
    """办理结果 of a case imported from the hotline, for notify to send it at the moment it sends the
    status (no event carries a reply's text: it may quote the caller); None for a case that did not
    come from the hotline or has no answer yet. A case merged into another has that one's answers."""
    if not await storage.is_hotline_case(conn, opinion_id):
        return None
    answered_by = await opinions_storage.merged_into_chain(conn, opinion_id)
    on_the_spot = await storage.answered_on_the_spot(conn, answered_by)
    if on_the_spot is None:
        return None
    return hotline.latest_answer(on_the_spot["answer"], on_the_spot["at"], await storage.replies(conn, answered_by),
                                 await opinions_storage.conversion_answers(conn, answered_by))


def reasons(invalid: ValidationError) -> str:
    """What is wrong with a row, by field, in pydantic's words or ours — without the input."""
    said = []
    for error in invalid.errors(include_input=False, include_url=False, include_context=False):
        field = ".".join(str(part) for part in error["loc"]) or "row"
        message = error["msg"].removeprefix("Value error, ")
        said.append(message if message.startswith(f"{field}:") else f"{field}: {message}")
    return "; ".join(said)
