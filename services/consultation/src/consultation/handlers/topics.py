"""Topics: formed in a unit's pool, selected on a track, planned and approved, moved between
levels, concluded and closed — each step checked, recorded in the history and published."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from liaison_shared import orgunits
from liaison_shared.auth import Principal, Role
from liaison_shared.chinatime import today_in_china
from liaison_shared.contracts import consultation as events
from liaison_shared.errors import Conflict, NotFound, Unprocessable
from liaison_shared.uow import UnitOfWork

from ..domain import topic as rules
from ..domain.topic import Stage, Track
from ..schemas.topics import (
    Approve,
    CloseTopic,
    ConcludeTopic,
    Decline,
    HandDown,
    Raise,
    ReturnPlan,
    Select,
    SubmitPlan,
    Support,
    TopicAction,
    TopicIn,
    TopicPatch,
    WeightsIn,
)
from ..storage import outcomes as outcome_storage
from ..storage import sessions as session_storage
from ..storage import topics as storage
from . import reach

log = logging.getLogger(__name__)

ROLE_ACTORS = {Role.STAFF: "staff", Role.ADMIN: "staff", Role.LEADER: "leader", Role.MEMBER: "member",
               Role.DEPARTMENT: "department"}
# Who may put a topic into the pool, and as which source: staff name any source; the others
# are the source themselves.
PROPOSERS = {Role.MEMBER: "member", Role.DEPARTMENT: "department", Role.LEADER: "party_committee"}


def in_scope(principal: Principal, topic) -> bool:
    """Whose topic it is to work on: the subtree of the unit whose pool holds it now."""
    if principal.role is Role.ADMIN:
        return True
    if principal.role is Role.DEPARTMENT:
        return principal.dept in topic["department_ids"]
    return principal.covers(topic["org_unit"])


def can_read(principal: Principal, topic) -> bool:
    """Those in scope, and staff and leaders of a unit that raised it on (they follow what they
    handed up, though the unit above now decides)."""
    if in_scope(principal, topic):
        return True
    return principal.role in (Role.STAFF, Role.LEADER) and any(principal.covers(u) for u in topic["raised_from"])


def actor_of(principal: Principal, topic) -> str:
    """The caller's part in this topic — or 404 when it is not theirs to work on."""
    if not in_scope(principal, topic):
        raise NotFound(f"no topic {topic['id']}")
    return ROLE_ACTORS[principal.role]


async def topic_for(uow: UnitOfWork, principal: Principal, topic_id: str):
    """The topic locked for a change, or 404: reading it (a unit that raised it) is not enough."""
    topic = await storage.topic(uow.conn, topic_id, for_update=True)
    if topic is None or not in_scope(principal, topic):
        raise NotFound(f"no topic {topic_id}")
    return topic


async def propose(uow: UnitOfWork, principal: Principal, command: TopicIn) -> dict:
    org_unit = command.org_unit or principal.org
    if not principal.may_manage(org_unit):
        raise NotFound(f"no org unit {org_unit} in your scope")
    if not await storage.org_unit_known(uow.conn, org_unit):
        raise Unprocessable(f"org unit {org_unit} is not known")
    kind = PROPOSERS.get(principal.role) or command.source_kind or "party_committee"
    ref = {"member": principal.member_id, "department": principal.dept}.get(kind) if principal.role in PROPOSERS \
        else None
    department_ids = await reach.departments(uow.conn, command.department_ids, org_unit)
    source_unit = command.source_org_unit or org_unit
    if not reach.on_the_line(source_unit, org_unit):
        raise Unprocessable(f"source_org_unit is {org_unit}, a unit above it or below it")
    topic_id = uuid.uuid4()
    await storage.insert(uow.conn, {
        "id": topic_id, "org_unit": org_unit, "level": orgunits.level_of(org_unit).value, "title": command.title,
        "description": command.description, "source_kind": kind, "department_ids": department_ids,
        "created_by": principal.sub,
    })
    # the proposer is a source, not a count of people: people concerned come from linked opinions
    await storage.add_source(uow.conn, topic_id, kind=kind, ref=ref or command.source_ref or principal.sub,
                             org_unit=source_unit, people=0, by=principal.sub)
    await storage.record(uow.conn, str(topic_id), principal_cols=principal.actor, action="propose", from_stage=None,
                         to_stage=Stage.PROPOSED.value, org_unit=org_unit, detail={"source_kind": kind})
    uow.publish(events.TopicProposed(topic_id=str(topic_id), org_unit=org_unit, title=command.title,
                                     source_kind=kind))
    return dict(await storage.topic(uow.conn, str(topic_id)))


async def from_opinion(uow: UnitOfWork, *, topic_id: str, opinion_id: str, org_unit: str, pool_unit: str,
                       title: str, people: int, by: str) -> None:
    """A converted opinion: a new topic in the pool of the unit that converted it (``pool_unit``:
    the case's unit or one above it), or one more source of a topic already there — its people
    raise the topic's "people concerned". The source keeps the case's own unit."""
    if not orgunits.is_within(org_unit, pool_unit):
        log.warning("converting unit %s is not above the case's unit %s: the topic goes to the case's unit",
                    pool_unit, org_unit)
        pool_unit = org_unit
    topic = await storage.topic(uow.conn, topic_id, for_update=True)
    if topic is not None and not orgunits.is_within(org_unit, topic["org_unit"]):
        # a case joins only a topic of its own unit or one above it; staff of one county cannot
        # add their case (and its people) to another's pool. Skipped, not retried: it will not improve.
        log.warning("converted opinion not linked: topic %s (%s) does not cover the case's unit %s",
                    topic_id, topic["org_unit"], org_unit)
        return
    if topic is None:
        await storage.insert(uow.conn, {
            "id": topic_id, "org_unit": pool_unit, "level": orgunits.level_of(pool_unit).value,
            "title": title or "群众意见", "source_kind": "public", "created_by": by,
        })
        await storage.record(uow.conn, topic_id, principal_cols={"actor_sub": by, "actor_role": "feedback",
                                                                 "actor_org": pool_unit},
                             action="propose", from_stage=None, to_stage="proposed", org_unit=pool_unit,
                             detail={"opinion_id": opinion_id})
        uow.publish(events.TopicProposed(topic_id=topic_id, org_unit=pool_unit, title=title or "群众意见",
                                         source_kind="public"))
        topic = await storage.topic(uow.conn, topic_id)
    if await storage.add_source(uow.conn, topic_id, kind="public", ref=opinion_id, org_unit=org_unit,
                                people=people, by=by):
        await storage.record(uow.conn, topic_id, principal_cols={"actor_sub": by, "actor_role": "feedback",
                                                                 "actor_org": org_unit},
                             action="link_opinion", from_stage=topic["stage"], to_stage=topic["stage"],
                             org_unit=topic["org_unit"], detail={"opinion_id": opinion_id, "people": people})


async def edit(uow: UnitOfWork, principal: Principal, topic_id: str, command: TopicPatch) -> dict:
    topic = await topic_for(uow, principal, topic_id)
    if actor_of(principal, topic) != "staff":
        raise NotFound(f"no topic {topic_id}")
    if Stage(topic["stage"]) not in (Stage.PROPOSED, Stage.SELECTED):
        raise Conflict(f"a {topic['stage']} topic is no longer edited", code="illegal_transition")
    changes = command.model_dump(exclude_unset=True)
    if "department_ids" in changes:
        changes["department_ids"] = await reach.departments(uow.conn, changes["department_ids"], topic["org_unit"])
    columns = {k: v for k, v in changes.items() if k in {"title", "description", "department_ids"}}
    if columns:
        await storage.update(uow.conn, topic_id, columns)
        await storage.record(uow.conn, topic_id, principal_cols=principal.actor, action="edit",
                             from_stage=topic["stage"], to_stage=topic["stage"], org_unit=topic["org_unit"],
                             detail={"fields": sorted(columns)})
    return dict(await storage.topic(uow.conn, topic_id))


async def act(uow: UnitOfWork, principal: Principal, topic_id: str, command: TopicAction) -> dict:
    topic = await topic_for(uow, principal, topic_id)
    action = command.action
    stage, track = Stage(topic["stage"]), Track(topic["track"])
    rules.check(action, stage, actor_of(principal, topic), track)
    new_stage, changes, detail = await ACTIONS[type(command)](uow, principal, topic, command)
    if detail is None:  # nothing happened (a second support): nothing to record
        return dict(topic)
    if new_stage is not stage:
        changes["stage"] = new_stage.value
        publish_stage(uow, topic, new_stage, org_unit=changes.get("org_unit"), track=changes.get("track"))
    if changes:
        await storage.update(uow.conn, topic_id, changes)
    await storage.record(uow.conn, topic_id, principal_cols=principal.actor, action=action, from_stage=stage.value,
                         to_stage=new_stage.value, org_unit=changes.get("org_unit", topic["org_unit"]), detail=detail)
    return dict(await storage.topic(uow.conn, topic_id))


# --- the actions ---------------------------------------------------------------------------------


async def select(uow, principal, topic, command: Select):
    track = Track(command.track)
    steps = ["first_session"] if track is Track.SMALL_MATTER else ["plan_decision", "first_session"]
    due = rules.due(track, await storage.step_days(uow.conn, track.value), today_in_china(), steps)
    if track is Track.SMALL_MATTER:
        # 小事简议: selecting it is the go-ahead, announced like an approval
        _publish_approved(uow, topic, track)
    return Stage.SELECTED, {"track": track.value, "due": due}, {"track": track.value, "due": due,
                                                                 "note": command.note}


async def decline(uow, principal, topic, command: Decline):
    uow.publish(events.TopicClosed(topic_id=topic["id"], org_unit=topic["org_unit"], title=topic["title"],
                                   final_stage="declined"))
    return Stage.DECLINED, {"closed_at": _now()}, {"reason": command.reason}


async def support(uow, principal, topic, command: Support):
    """附议: once per person — a member counts one; staff record the supporters they gathered,
    once per staff account. Again is no error and changes nothing."""
    if principal.role is Role.MEMBER:
        supporter, count = f"member:{principal.member_id}", 1
    else:
        supporter, count = principal.sub, command.count or 1
    if not await storage.add_support(uow.conn, topic["id"], supporter=supporter, count=count):
        return Stage(topic["stage"]), {}, None
    return Stage(topic["stage"]), {}, {"count": count}


async def raise_(uow, principal, topic, command: Raise):
    return await _move(uow, topic, rules.raise_target(topic["org_unit"]), command.reason, "raised")


async def hand_down(uow, principal, topic, command: HandDown):
    return await _move(uow, topic, rules.hand_down_target(topic["org_unit"], command.to), command.reason,
                       "handed_down")


async def _move(uow, topic, target: str, reason: str, how: str):
    if not await storage.org_unit_known(uow.conn, target):
        raise Unprocessable(f"org unit {target} is not known")
    uow.publish(events.TopicProposed(topic_id=topic["id"], org_unit=target, title=topic["title"],
                                     source_kind=topic["source_kind"], moved_from=topic["org_unit"],
                                     urgency=rules.urgency(topic["track"])))
    # it starts again in the new unit's pool: that unit chooses the track and the plan
    changes: dict[str, Any] = {"org_unit": target, "level": orgunits.level_of(target).value, "track": "standard", "due": {},
               "plan": None}
    return Stage.PROPOSED, changes, {how: {"from": topic["org_unit"], "to": target}, "reason": reason}


async def submit_plan(uow, principal, topic, command: SubmitPlan):
    plan = command.plan.model_dump(exclude_none=True)
    forms = await storage.forms_of(uow.conn, topic["level"])
    if plan["form"] not in forms:
        raise Unprocessable(f"plan.form at a {topic['level']} platform is one of: {', '.join(forms)}")
    return Stage.PLAN_SUBMITTED, {"plan": plan}, {"plan": plan}


async def approve(uow, principal, topic, command: Approve):
    _publish_approved(uow, topic, Track(topic["track"]))
    return Stage.APPROVED, {}, {"note": command.note}


async def return_plan(uow, principal, topic, command: ReturnPlan):
    return Stage.SELECTED, {}, {"reason": command.reason}


async def conclude(uow, principal, topic, command: ConcludeTopic):
    sessions = await session_storage.of_topic(uow.conn, topic["id"])
    if any(s["status"] == "scheduled" for s in sessions):
        raise Conflict("a session of this topic is still scheduled: conclude or cancel it first",
                       code="illegal_transition")
    if not any(s["status"] == "concluded" for s in sessions):
        raise Conflict("no session of this topic has concluded", code="illegal_transition")
    return Stage.CONCLUDED, {"due": await concluded_due(uow, topic)}, {"note": command.note}


async def close(uow, principal, topic, command: CloseTopic):
    outcomes = await outcome_storage.of_topic(uow.conn, topic["id"])
    if not outcomes:
        raise Conflict("a topic closes with its outcomes: none was recorded", code="illegal_transition")
    waiting = [o["id"] for o in outcomes if o["status"] != "evaluated"]
    if waiting:
        raise Conflict(f"{len(waiting)} outcome(s) not evaluated yet", code="illegal_transition", outcomes=waiting)
    uow.publish(events.TopicClosed(topic_id=topic["id"], org_unit=topic["org_unit"], title=topic["title"],
                                   final_stage="closed", outcomes=len(outcomes)))
    return Stage.CLOSED, {"closed_at": _now()}, {"outcomes": len(outcomes)}


ACTIONS: dict[type, Callable[..., Awaitable[tuple[Stage, dict, dict | None]]]] = {
    Select: select, Decline: decline, Support: support, Raise: raise_, HandDown: hand_down,
    SubmitPlan: submit_plan, Approve: approve, ReturnPlan: return_plan, ConcludeTopic: conclude,
    CloseTopic: close,
}


async def set_weights(uow: UnitOfWork, principal: Principal, command: WeightsIn) -> list[dict]:
    """New weights of the selection score (the route lets admins only): every score follows at once."""
    for factor, value in command.model_dump(exclude_unset=True).items():
        await storage.set_weight(uow.conn, factor, value, principal.sub)
    return [dict(r) for r in await storage.weights_rows(uow.conn)]


async def concluded_due(uow, topic) -> dict:
    track = Track(topic["track"])
    return {**topic["due"], **rules.due(track, await storage.step_days(uow.conn, track.value), today_in_china(),
                                        ["conversion"])}


def publish_stage(uow, topic, stage: Stage, *, org_unit: str | None = None, track: str | None = None) -> None:
    """Every change of a topic's stage is announced: feedback's lineage of an opinion follows it."""
    unit, track = org_unit or topic["org_unit"], track or topic["track"]
    uow.publish(events.TopicStageChanged(topic_id=topic["id"], org_unit=unit, title=topic["title"], stage=stage.value,
                                         from_stage=topic["stage"], track=track, urgency=rules.urgency(track)))


def _publish_approved(uow, topic, track: Track) -> None:
    uow.publish(events.TopicApproved(topic_id=topic["id"], org_unit=topic["org_unit"], title=topic["title"],
                                     track=track.value, urgency=rules.urgency(track)))


def _now():
    return datetime.now(UTC)
