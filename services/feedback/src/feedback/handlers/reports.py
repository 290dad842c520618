"""Reports (社情民意信息, 政协专报): composed from cases, submitted upward, adopted, instructed.

Adoption and instructions flow back into the history of every source case, and out as
events that the members service credits to the authors' assessment.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from liaison_shared import orgunits
from liaison_shared.auth import Principal, Role
from liaison_shared.contracts import feedback as events
from liaison_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from liaison_shared.uow import UnitOfWork

from ..domain import report as rules
from ..schemas.reports import (
    AdoptReport,
    ConfirmReport,
    ForwardReport,
    InstructOnReport,
    RejectReport,
    ReportAction,
    ReportIn,
    ReportPatch,
    SubmitReport,
)
from ..storage import opinions as opinion_storage
from ..storage import proposals as proposal_storage
from ..storage import reports as storage
from . import access, conversions


def can_read(principal: Principal, report) -> bool:
    if principal.role is Role.ADMIN:
        return True
    if principal.role is Role.MEMBER:  # its own reports, drafted or co-written
        return principal.member_id is not None and principal.member_id in report["member_ids"]
    if principal.role not in (Role.STAFF, Role.LEADER):
        return False
    # the composing unit's subtree, and the levels it was submitted to
    return principal.covers(report["org_unit"]) or (
        report["submitted_to"] is not None and principal.covers(report["submitted_to"])
    )


async def compose(uow: UnitOfWork, principal: Principal, command: ReportIn, *,
                  report_id: uuid.UUID | None = None) -> dict:
    if principal.role is Role.MEMBER:
        return await _draft_as_member(uow, principal, command)
    org_unit = command.org_unit or principal.org
    if not principal.may_manage(org_unit):
        raise NotFound(f"no org unit {org_unit} in your scope")
    for case_id in command.case_ids:
        case = await opinion_storage.opinion(uow.conn, case_id)
        if case is None or not (principal.may_manage(case["handling_unit"])
                                or principal.covers(case["org_unit"])):
            raise Unprocessable(f"no case {case_id} in your scope")
        # adoption and instructions are written into the source cases: the unit's own cases only
        if not (orgunits.on_the_line(case["org_unit"], org_unit) or orgunits.on_the_line(case["handling_unit"], org_unit)):
            raise Unprocessable(f"case {case_id} is not a case of org unit {org_unit}")
    await _require_authors(uow, org_unit, command.member_ids)
    created = await storage.insert(uow.conn, {**command.model_dump(), "org_unit": org_unit,
                                              "id": report_id or uuid.uuid4()}, principal.sub)
    return dict(created)


async def _draft_as_member(uow: UnitOfWork, principal: Principal, command: ReportIn) -> dict:
    """A member drafts in its own committee, from the cases it took in, naming its co-authors (联名)
    who confirm before it is submitted; it is the first author and has confirmed."""
    me = principal.acting_member_id
    committee = (await proposal_storage.sitting_members(uow.conn, [me])).get(me)
    if committee is None:
        raise Forbidden("only an active member of a committee drafts a report")
    if command.org_unit not in (None, committee):
        raise Unprocessable(f"org_unit: a member drafts in its own committee, {committee}")
    for case_id in command.case_ids:
        case = await opinion_storage.opinion(uow.conn, case_id)
        if case is None or case["received_by"] != me:
            raise Unprocessable(f"case_ids: case {case_id} is not one you took in")
    authors = list(dict.fromkeys([me, *command.member_ids]))
    await _require_authors(uow, committee, authors)
    created = await storage.insert(uow.conn, {
        **command.model_dump(), "org_unit": committee, "id": uuid.uuid4(), "member_ids": authors,
        "drafted_by": me, "confirmed_member_ids": [me]}, principal.sub)
    return dict(created)


async def edit(uow: UnitOfWork, principal: Principal, report_id: str, command: ReportPatch) -> dict:
    report = await _report_for(uow, principal, report_id)
    if report["status"] != "draft":
        raise Conflict(f"a {report['status']} report is no longer edited", code="illegal_transition")
    columns = command.model_dump(exclude_unset=True)  # only what was sent changes
    if "member_ids" in columns:
        await _require_authors(uow, report["org_unit"], columns["member_ids"])
    if columns:
        await storage.update(uow.conn, report_id, columns)
    return dict(await storage.report(uow.conn, report_id))


async def act(uow: UnitOfWork, principal: Principal, report_id: str, command: ReportAction) -> dict:
    report = await _report_for(uow, principal, report_id)
    rules.check(command.action, report["status"])
    await ACTIONS[type(command)](uow, principal, report, command)
    return dict(await storage.report(uow.conn, report_id))


def _ids(report) -> dict:
    return {"report_id": report["id"], "case_ids": list(report["case_ids"]), "member_ids": list(report["member_ids"])}


async def _confirm(uow: UnitOfWork, principal: Principal, report, command: ConfirmReport) -> None:
    if report["drafted_by"] is None or principal.member_id not in report["member_ids"]:
        raise Forbidden("only a co-author named in a member's draft confirms it (联名确认)")
    if principal.member_id not in report["confirmed_member_ids"]:
        await storage.update(uow.conn, report["id"], {
            "confirmed_member_ids": [*report["confirmed_member_ids"], principal.member_id]})


async def _submit(uow: UnitOfWork, principal: Principal, report, command: SubmitReport) -> None:
    if report["drafted_by"] is not None:
        waiting = rules.unconfirmed(list(report["member_ids"]), list(report["confirmed_member_ids"]))
        if waiting:
            raise Conflict(f"co-authors have not confirmed yet: {', '.join(waiting)}", code="illegal_transition")
    if principal.role is Role.MEMBER:
        # the drafting member hands it to its committee, whose staff adopt or forward it
        if principal.member_id != report["drafted_by"]:
            raise Forbidden("the member who drafted it submits it")
        target = report["org_unit"]
    else:
        _require(principal, {Role.STAFF, Role.ADMIN}, report["org_unit"])
        target = orgunits.parent_of(report["org_unit"]) or report["org_unit"]
    await storage.update(uow.conn, report["id"], {"status": "submitted", "submitted_to": target})
    uow.publish(events.ReportSubmitted(kind=report["kind"], org_unit=report["org_unit"], submitted_to=target,
                                       **_ids(report)))


async def _forward(uow: UnitOfWork, principal: Principal, report, command: ForwardReport) -> None:
    """转报: the receiving unit sends it up one more level; announced as a submission to that level."""
    _require(principal, {Role.STAFF, Role.ADMIN}, report["submitted_to"])
    target = orgunits.parent_of(report["submitted_to"])
    if target is None:
        raise Conflict("the city forwards nothing further here: record what the province decided with adopt",
                       code="illegal_transition")
    await storage.update(uow.conn, report["id"], {"submitted_to": target})
    uow.publish(events.ReportSubmitted(kind=report["kind"], org_unit=report["org_unit"], submitted_to=target,
                                       **_ids(report)))


# The receiving level records the outcome: its own adoption, or one that came back from above it.


async def _adopt(uow: UnitOfWork, principal: Principal, report, command: AdoptReport) -> None:
    _require(principal, {Role.STAFF, Role.ADMIN}, report["submitted_to"])
    receiving = orgunits.level_of(report["submitted_to"]).value
    allowed = rules.adoption_levels(receiving)
    level = command.adopted_by or receiving
    if level not in allowed:
        raise Unprocessable(f"adopted_by: a report received at {receiving} level is adopted by "
                            f"{' or '.join(allowed) or 'no one there'}, not {level}")
    await storage.update(uow.conn, report["id"], {"status": "adopted", "adopted_by": level})
    uow.publish(events.ReportAdopted(kind=report["kind"], org_unit=report["org_unit"], adopted_by=level,
                                     **_ids(report)))
    await _back_to_cases(uow, principal, report, "report_adopted", {"report": report["id"], "by": level})
    await conversions.report_adopted(uow, report, level)


async def _reject(uow: UnitOfWork, principal: Principal, report, command: RejectReport) -> None:
    _require(principal, {Role.STAFF, Role.ADMIN}, report["submitted_to"])
    await storage.update(uow.conn, report["id"], {"status": "not_adopted"})


async def _instruct(uow: UnitOfWork, principal: Principal, report, command: InstructOnReport) -> None:
    if principal.role is not Role.LEADER:
        raise Forbidden("an instruction (批示) is a leader's")
    await storage.insert_instruction(uow.conn, report["id"], command.text, principal)
    uow.publish(events.ReportInstructed(org_unit=report["org_unit"], leader_org=principal.org, **_ids(report)))
    await _back_to_cases(uow, principal, report, "instruction", {"report": report["id"], "text": command.text})
    await conversions.report_instructed(uow, report)


ACTIONS: dict[type, Callable[..., Awaitable[None]]] = {
    ConfirmReport: _confirm, SubmitReport: _submit, ForwardReport: _forward, AdoptReport: _adopt,
    RejectReport: _reject, InstructOnReport: _instruct,
}


async def _back_to_cases(uow, principal, report, action: str, detail: dict) -> None:
    for case_id in report["case_ids"]:
        case = await opinion_storage.opinion(uow.conn, str(case_id))
        if case is not None:
            await opinion_storage.record(uow.conn, str(case_id), **principal.actor, action=action,
                                         from_status=case["status"], to_status=case["status"], detail=detail)


async def _require_authors(uow: UnitOfWork, org_unit: str, member_ids: list[str]) -> None:
    """Authors are credited when a report is adopted: real, active members serving the composing
    unit — on a committee above it, at it or under it, never a sibling's."""
    await access.require_members(uow.conn, member_ids, lambda seat: orgunits.on_the_line(seat, org_unit),
                          f"serving org unit {org_unit}")


def _require(principal: Principal, roles: set[Role], unit: str | None) -> None:
    if principal.role not in roles or not principal.may_manage(unit):
        raise Forbidden("not yours to do at this level")


async def _report_for(uow: UnitOfWork, principal: Principal, report_id: str):
    report = await storage.report(uow.conn, report_id, for_update=True)
    if report is None or not can_read(principal, report):
        raise NotFound(f"no report {report_id}")
    return report
