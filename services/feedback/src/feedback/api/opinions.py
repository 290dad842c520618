"""Routes of opinions: public intake, tracking and rating; staff and department actions."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response
from liaison_shared.auth import Principal, Role, current_principal, require_roles
from liaison_shared.errors import NotFound, Unprocessable
from liaison_shared.openapi import UuidStr
from liaison_shared.paging import Page, PageParams, page_params
from liaison_shared.ratelimit import public_limit
from liaison_shared.service import runtime_of

from ..domain.opinion import Status, deadline_in_force, mask_name, mask_phone
from ..handlers import access, actions, intake, lineage, retention
from ..schemas.open311 import CaseLocation
from ..schemas.opinions import (
    AssignmentOut,
    HistoryOut,
    OpinionAction,
    OpinionCreated,
    OpinionDetail,
    OpinionIn,
    OpinionOut,
    PublicAnswer,
    RatingIn,
    TrackOut,
)
from ..storage import open311 as open311_storage
from ..storage import opinions as storage

router = APIRouter()
# a member reads only the cases it took in (access.can_read, list_opinions)
readers = require_roles(Role.STAFF, Role.LEADER, Role.DEPARTMENT, Role.ADMIN, Role.MEMBER)
staff = require_roles(Role.STAFF, Role.ADMIN)


_UNREAD = object()


async def _opinion_out(request: Request, row, *, in_clear: bool, tracking_code: bool, model=OpinionOut,
                       submitter=_UNREAD, **extra):
    """The case with its submitter in clear, or masked (张*, 138****5678); the tracking code only
    to whom ``access`` gives it."""
    if submitter is _UNREAD:
        submitter = await intake.reveal_submitter(runtime_of(request).pool, runtime_of(request).settings,
                                                  row["subject_id"])
    name = submitter.name if submitter else None
    phone = submitter.phone if submitter else None
    if not in_clear:
        name, phone = mask_name(name), mask_phone(phone)
    values = {k: row[k] for k in OpinionOut.model_fields if k in row}
    values["tracking_code"] = row["tracking_code"] if tracking_code else None
    values["deadline_reason"] = _deadline_reason(row)
    return model(**values, submitter_name=name, submitter_phone=phone, **extra)


def _deadline_reason(row) -> str | None:
    if row["deadline"] is not None:
        return None
    return deadline_in_force(Status(row["status"]), row["converted_to"], [])[1]


@router.post("/opinions", response_model=OpinionCreated, status_code=201, tags=["opinions"],
             summary="Hand in an opinion (public); answers a tracking code",
             dependencies=[Depends(public_limit)])
async def submit_opinion(request: Request, body: OpinionIn) -> OpinionCreated:
    runtime = runtime_of(request)
    async with runtime.uow(write_only=True) as uow:  # inserts only: one statement
        created = await intake.submit(uow, runtime.settings, body.model_dump())
    return OpinionCreated(**created)


@router.get("/opinions", response_model=Page[OpinionOut], tags=["opinions"],
            summary="Cases of the caller's subtree, assigned to the caller's department, or taken in by the "
                    "calling member")
async def list_opinions(
    request: Request, page: PageParams = Depends(page_params), status: Status | None = None,
    received_by: str | None = Query(None, max_length=64, description=(
        "Only those a member took in (委员收集): its id, or `me` with a member's token. A member's token "
        "lists only its own, whatever is asked.")),
    principal: Principal = Depends(readers),
) -> Page[OpinionOut]:
    department = principal.dept if principal.role is Role.DEPARTMENT else None
    pattern = None if principal.role in (Role.DEPARTMENT, Role.ADMIN, Role.MEMBER) else principal.subtree_pattern
    if principal.role is Role.MEMBER:
        if received_by not in (None, "me", principal.acting_member_id):
            return Page(items=[], total=0)
        received_by = principal.acting_member_id
    elif received_by == "me":
        raise Unprocessable("received_by=me names the calling member: a member's token only")
    async with runtime_of(request).snapshot() as conn:
        rows, total = await storage.opinions_page(
            conn, pattern=pattern, department_id=department, status=status and status.value,
            limit=page.limit, offset=page.offset, received_by=received_by,
        )
        # Lists never show personal data in clear, whoever asks.
        people = await intake.reveal_submitters(conn, runtime_of(request).settings,
                                                [r["subject_id"] for r in rows])
    items = [await _opinion_out(request, r, in_clear=False, tracking_code=access.may_see_tracking_code(principal, r),
                                submitter=people.get(r["subject_id"])) for r in rows]
    return Page(items=items, total=total)


@router.get("/opinions/{opinion_id}", response_model=OpinionDetail, tags=["opinions"])
async def get_opinion(request: Request, opinion_id: UuidStr, principal: Principal = Depends(readers)) -> OpinionDetail:
    async with runtime_of(request).snapshot() as conn:
        row = await storage.opinion(conn, opinion_id)
        assignments = await storage.assignments(conn, opinion_id) if row else []
        departments = {a["department_id"] for a in assignments}
        if row is None or not access.can_read(principal, row, departments):
            raise NotFound(f"no opinion {opinion_id}")
        in_clear = access.may_see_personal_data(principal, row, assignments)
        place = await open311_storage.location(conn, opinion_id) if in_clear else None
        return await _opinion_out(
            request, row, in_clear=in_clear,
            location=CaseLocation(**dict(place)) if place and any(v is not None for v in place.values()) else None,
            tracking_code=access.may_see_tracking_code(principal, row), model=OpinionDetail,
            assignments=[AssignmentOut(**dict(a)) for a in assignments],
            history=[HistoryOut(**dict(h)) for h in await storage.history(conn, opinion_id)],
            allowed_actions=await actions.allowed_actions(conn, principal, row, assignments),
        )


@router.post("/opinions/{opinion_id}/actions", response_model=OpinionDetail, tags=["opinions"],
             summary="Triage: answer, assign, escalate, convert, merge, return, extend, reply, rate, supervise, close")
async def act_on_opinion(
    request: Request, opinion_id: UuidStr, body: OpinionAction, principal: Principal = Depends(current_principal)
) -> OpinionDetail:
    runtime = runtime_of(request)
    async with runtime.uow() as uow:
        await actions.act(uow, runtime.settings, principal, opinion_id, body)
    return await get_opinion(request, opinion_id, principal)


@router.delete("/opinions/{opinion_id}/submitter", status_code=204, tags=["opinions"],
               summary="Erase the submitter's personal data (PIPL); the case and its history stay")
async def erase_submitter(request: Request, opinion_id: UuidStr, principal: Principal = Depends(staff)) -> Response:
    async with runtime_of(request).uow() as uow:
        await retention.erase_on_request(uow, principal, opinion_id)
    return Response(status_code=204)


@router.get("/track/{code}", response_model=TrackOut, tags=["tracking"],
            summary="Status and answers of a case by its tracking code (public)")
async def track(request: Request, code: str) -> TrackOut:
    async with runtime_of(request).snapshot() as conn:
        row = await storage.opinion_by_code(conn, code)
        if row is None:
            raise NotFound("no case with this tracking code")
        return await tracked(conn, row)


async def tracked(pool, row) -> TrackOut:
    """The public view of a case: its answers — a merged case shows those of the case it joined —,
    what it became, the deadline in force; nothing personal, nothing internal."""
    answered_by = row
    if row["merged_into"]:
        answered_by = await storage.opinion(pool, await storage.merged_into_chain(pool, row["id"]))
    answers = await public_answers(pool, answered_by)
    can_rate = row["status"] in ("answered", "replied") or (
        row["status"] == "merged" and bool(answers) and row["rating"] is None)
    converted = answered_by["converted_to"]
    return TrackOut(tracking_code=row["tracking_code"], status=row["status"], created_at=row["created_at"],
                    deadline=answered_by["deadline"], deadline_reason=_deadline_reason(answered_by),
                    converted_to=converted["kind"] if converted else None, merged=row["merged_into"] is not None,
                    answers=answers, rating=row["rating"], can_rate=can_rate,
                    chain=await lineage.public_chain(pool, row["id"]))


async def public_answers(pool, row) -> list[PublicAnswer]:
    answers = []
    if row["answer"]:
        answers.append(PublicAnswer(kind="on_the_spot", text=row["answer"], at=None))
    answers += [
        PublicAnswer(kind="department", text=a["reply"], at=a["replied_at"])
        for a in await storage.assignments(pool, row["id"]) if a["reply"]
    ]
    answers += [PublicAnswer(kind="conversion", text=a["text"], at=a["at"])
                for a in await storage.conversion_answers(pool, row["id"])]
    return answers


@router.post("/track/{code}/rating", response_model=TrackOut, tags=["tracking"],
             summary="Rate the answer (public); allowed once an answer exists",
             dependencies=[Depends(public_limit)])
async def rate_by_code(request: Request, code: str, body: RatingIn) -> TrackOut:
    runtime = runtime_of(request)
    async with runtime.uow() as uow:
        await actions.rate_by_code(uow, runtime.settings, code, body.rating, body.comment)
    return await track(request, code)
