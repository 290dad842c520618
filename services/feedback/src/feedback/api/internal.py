"""Routes for the other services' own use, not for people."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from liaison_shared.auth import Principal, notify_service
from liaison_shared.errors import NotFound
from liaison_shared.openapi import UuidStr
from liaison_shared.service import runtime_of

from ..handlers import hotline, intake
from ..schemas.internal import HotlineAnswer, SubmitterContact
from ..storage import opinions as storage

router = APIRouter()


@router.get("/internal/submitters/{opinion_id}", response_model=SubmitterContact, tags=["internal"],
            summary="The submitter's phone and tracking code, for notify alone; 404 once erased")
async def submitter_contact(request: Request, opinion_id: UuidStr,
                            _: Principal = Depends(notify_service)) -> SubmitterContact:
    runtime = runtime_of(request)
    async with runtime.snapshot() as conn:
        case = await storage.opinion(conn, opinion_id)
        person = await intake.reveal_submitter(conn, runtime.settings, case["subject_id"]) if case else None
    if case is None or not case["consent"] or person is None or not person.phone:
        raise NotFound("no contact to reach for this case")
    return SubmitterContact(phone=person.phone, tracking_code=case["tracking_code"])


@router.get("/internal/hotline-cases/{opinion_id}/answer", response_model=HotlineAnswer, tags=["internal"],
            summary="A 12345 hotline case's latest answer (办理结果), for notify alone to send to the hotline; "
                    "404 for another case or none yet")
async def hotline_answer(request: Request, opinion_id: UuidStr,
                         _: Principal = Depends(notify_service)) -> HotlineAnswer:
    async with runtime_of(request).snapshot() as conn:
        answer = await hotline.latest_answer(conn, opinion_id)
    if answer is None:
        raise NotFound("no answer of a hotline case")
    return HotlineAnswer(answer=answer)
