"""Liaison activities, assessment rules and scores, and the credits other services' events bring."""

from __future__ import annotations

import logging

from liaison_shared import orgunits
from liaison_shared.auth import Principal, Role
from liaison_shared.chinatime import today_in_china
from liaison_shared.contracts.feedback import (
    OpinionRated,
    OpinionSubmitted,
    OutcomeConverted,
    ProposalAccepted,
    ReportAdopted,
    ReportInstructed,
)
from liaison_shared.contracts.members import ActivityLogged, AssessmentPublished
from liaison_shared.errors import Forbidden, NotFound, Unprocessable
from liaison_shared.events import Envelope
from liaison_shared.uow import UnitOfWork

from ..domain.assessment import AssessmentRules, MemberWork, rank_sectors, score
from ..domain.people import check_committee
from ..storage import people as people_storage
from ..storage import record as record_storage
from ..storage import registry as registry_storage
from ..storage import work as storage
from .people import can_see_member
from .registry import require_manager

log = logging.getLogger(__name__)


async def log_activity(uow: UnitOfWork, principal: Principal, data: dict) -> dict:
    member_ids = list(dict.fromkeys(data["member_ids"]))
    opinion_ids = list(dict.fromkeys(data["opinion_ids"]))
    if principal.role is Role.MEMBER:
        # Its own work only: joint work, crediting others too, is recorded by staff.
        if member_ids != [principal.member_id]:
            raise Forbidden("a member logs its own activity and names only itself; staff record joint work")
    elif principal.role not in (Role.STAFF, Role.ADMIN) or not (
        principal.may_manage(data["org_unit"])
    ):
        raise Forbidden("only staff of the place or a participating member log an activity")
    if data["occurred_on"] > today_in_china():
        raise Unprocessable("an activity is logged once it took place: occurred_on is in the future")
    if await registry_storage.org_unit(uow.conn, data["org_unit"]) is None:
        raise Unprocessable(f"org unit {data['org_unit']} is not registered")
    for member_id in member_ids:
        member = await people_storage.member(uow.conn, member_id)
        if member is None:
            raise Unprocessable(f"no member {member_id}")
        if principal.role is Role.MEMBER and not orgunits.is_within(data["org_unit"], member["org_unit"]):
            raise Unprocessable("a member's activity takes place under its own committee")
        if principal.role is Role.STAFF and not can_see_member(principal, member):
            raise Forbidden(f"member {member_id} is neither of this committee nor of its contact points")
    known = await storage.opinions(uow.conn, opinion_ids)
    for opinion_id in opinion_ids:
        opinion = known.get(opinion_id)
        if opinion is None or not _taken_in_by(principal, opinion, member_ids):
            raise Unprocessable(f"opinion {opinion_id} is not known here (yet), or was not taken in "
                                "by a member of this activity")
    data = {**data, "member_ids": member_ids, "opinion_ids": opinion_ids, "logged_by": principal.sub}
    activity_id = await storage.insert_activity(uow.conn, data)
    row = await storage.activity(uow.conn, activity_id)
    uow.publish(
        ActivityLogged(
            id=row["id"], type=row["type"], title=row["title"], org_unit=row["org_unit"],
            occurred_on=row["occurred_on"].isoformat(), member_ids=list(row["member_ids"]),
            people_reached=row["people_reached"], opinion_ids=list(row["opinion_ids"]),
        ),
    )
    return dict(row)


def _taken_in_by(principal: Principal, opinion, member_ids: list[str]) -> bool:
    """A member names the opinions it took in; staff also those of their scope no member took in."""
    if opinion["member_id"] is not None:
        return opinion["member_id"] in member_ids
    return principal.is_staff_over(opinion["org_unit"])


def can_see_activity(principal: Principal, row) -> bool:
    if principal.role is Role.MEMBER:
        return principal.member_id in row["member_ids"]
    if principal.role is Role.DEPARTMENT:
        return False
    return principal.may_manage(row["org_unit"])


async def save_rules(uow: UnitOfWork, principal: Principal, org_unit: str, year: int, rules: AssessmentRules) -> dict:
    require_manager(principal, org_unit)
    check_committee(org_unit)
    return dict(await storage.insert_rules(uow.conn, org_unit, year, rules.model_dump(), principal.sub))


async def rules_for(conn, org_unit: str, year: int) -> dict:
    """The newest rule set of the year, or the defaults as version 0."""
    row = await storage.latest_rules(conn, org_unit, year)
    if row is None:
        return {"org_unit": org_unit, "year": year, "version": 0, "rules": AssessmentRules(),
                "created_by": "default", "created_at": None}
    return {**dict(row), "rules": AssessmentRules.model_validate(row["rules"])}


async def compute(conn, org_unit: str, year: int) -> dict:
    current = await rules_for(conn, org_unit, year)
    version, rules = current["version"], current["rules"]
    scores = []
    for row in await storage.work_of_members(conn, org_unit, year):
        credits = row["credits"]
        scores.append(score(MemberWork(
            member_id=row["member_id"], sector_id=row["sector_id"],
            activities={k: int(v) for k, v in row["activities"].items()},
            opinions_taken_in=int(row["opinions"]),
            proposals_accepted=int(credits.get("proposal_accepted", 0)),
            outcomes_converted=int(credits.get("outcome_converted", 0)),
            satisfied_ratings=int(credits.get("satisfied_rating", 0)),
            reports_adopted=int(credits.get("report_adopted", 0)),
            instructions=int(credits.get("instruction", 0)),
            sessions_attended=int(row["sessions"]),
            research={k: int(v) for k, v in row["research"].items()},
        ), rules))
    rankings = rank_sectors(scores, rules)
    return {
        "org_unit": org_unit, "year": year, "rule_version": version,
        "scores": [s.__dict__ for s in sorted(scores, key=lambda s: (-s.total, s.member_id))],
        "rankings": [r.__dict__ for r in rankings],
    }


async def publish_assessment(uow: UnitOfWork, principal: Principal, org_unit: str, year: int) -> dict:
    require_manager(principal, org_unit)
    check_committee(org_unit)
    result = await compute(uow.conn, org_unit, year)
    row = await storage.insert_assessment(uow.conn, {**result, "published_by": principal.sub})
    uow.publish(
        AssessmentPublished(
            id=row["id"], org_unit=org_unit, year=year, rule_version=result["rule_version"],
            members_scored=len(result["scores"]),
            top_sector_ids=[r["sector_id"] for r in result["rankings"] if r["advanced"]],
        ),
    )
    return dict(row)


async def member_score(conn, principal: Principal, member_id: str, year: int) -> dict:
    member = await people_storage.member(conn, member_id)
    allowed = member is not None and (
        principal.member_id == member_id
        or (principal.role in (Role.STAFF, Role.LEADER) and principal.covers(member["org_unit"]))
        or principal.role is Role.ADMIN
    )
    if not allowed:
        raise NotFound(f"no member {member_id}")
    result = await compute(conn, member["org_unit"], year)
    for entry in result["scores"]:
        if entry["member_id"] == member_id:
            return {**entry, "rule_version": result["rule_version"], "year": year}
    raise NotFound(f"no score for member {member_id} in {year}")


# --- credits from other services' events (consumed) ---------------------------------------


async def project_opinion(uow: UnitOfWork, envelope: Envelope, event: OpinionSubmitted) -> None:
    """Which member took an opinion in, and where it arose: what activities and ratings are checked
    against; taken in during an activity, the activity names it too (委员履职档案)."""
    await record_storage.upsert_taken_in(uow.conn, event.model_dump(), envelope.time)


async def credit_satisfied_rating(uow: UnitOfWork, envelope: Envelope, event: OpinionRated) -> None:
    if event.rating == "satisfied" and event.member_id:
        await _credit(uow, event.member_id, "satisfied_rating", event.opinion_id, envelope,
                      opinion_id=event.opinion_id)


async def credit_accepted_proposal(uow: UnitOfWork, envelope: Envelope, event: ProposalAccepted) -> None:
    for member_id in event.proposer_member_ids:
        await _credit(uow, member_id, "proposal_accepted", event.proposal_id, envelope, where=event.org_unit)


async def credit_converted_outcome(uow: UnitOfWork, envelope: Envelope, event: OutcomeConverted) -> None:
    opinion_id = event.source.id if event.source.kind == "opinion" else None
    for member_id in event.member_ids:
        await _credit(uow, member_id, "outcome_converted", f"{event.target.kind}:{event.target.id}", envelope,
                      where=event.org_unit, opinion_id=opinion_id)


async def credit_adopted_report(uow: UnitOfWork, envelope: Envelope, event: ReportAdopted) -> None:
    for member_id in event.member_ids:
        await _credit(uow, member_id, "report_adopted", event.report_id, envelope, where=event.org_unit)


async def credit_instruction(uow: UnitOfWork, envelope: Envelope, event: ReportInstructed) -> None:
    for member_id in event.member_ids:
        # one credit per instruction event: a report may be instructed more than once
        await _credit(uow, member_id, "instruction", envelope.id, envelope, where=event.org_unit)


async def _credit(uow: UnitOfWork, member_id: str, kind: str, source_id: str, envelope: Envelope, *,
                  where: str | None = None, opinion_id: str | None = None) -> None:
    """The one door of credits from other services: to a member of the committee where the work
    was done or, for work on an opinion, only to the member who took that opinion in — where it
    arose, since an escalated case's events name the unit it went up to. That last condition is
    kept with the credit and checked when scores are computed (storage.work_of_members): the
    opinion's own event may arrive after the one crediting it, being on another topic."""
    member = await people_storage.member(uow.conn, member_id)
    if member is None or (opinion_id is None and (where is None or not orgunits.is_within(where, member["org_unit"]))):
        log.info("not credited: not a member of that committee",
                 extra={"credit": kind, "event_id": envelope.id})
        return
    await storage.add_credit(uow.conn, member_id, kind, source_id, envelope.time, opinion_id=opinion_id)
