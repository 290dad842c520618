"""Outcomes (成果): recorded from a consultation, converted into a report, a department task,
a proposal or a public-opinion report, given the leaders' instruction (批示), and evaluated."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from liaison_shared.auth import Principal, Role
from liaison_shared.chinatime import today_in_china
from liaison_shared.contracts import consultation as events
from liaison_shared.contracts.feedback import OutcomeRef
from liaison_shared.errors import Conflict, NotFound, Unprocessable
from liaison_shared.uow import UnitOfWork

from ..domain import outcome as rules
from ..domain import topic as topic_rules
from ..domain.topic import Stage
from ..schemas.outcomes import Convert, Evaluate, Instruct, OutcomeAction, OutcomeIn, Publish
from ..storage import outcomes as storage
from ..storage import sessions as session_storage
from ..storage import topics as topic_storage
from . import reach
from .topics import ROLE_ACTORS, actor_of, topic_for


def can_read(principal: Principal, outcome) -> bool:
    if principal.role is Role.ADMIN:
        return True
    if principal.role is Role.DEPARTMENT:
        return principal.dept in outcome["department_ids"] or principal.dept in outcome["topic_department_ids"]
    return principal.covers(outcome["org_unit"])


async def record(uow: UnitOfWork, principal: Principal, command: OutcomeIn) -> dict:
    topic = await topic_for(uow, principal, command.topic_id)
    if actor_of(principal, topic) != "staff":
        raise NotFound(f"no topic {command.topic_id}")
    if Stage(topic["stage"]) not in topic_rules.OUTCOME_STAGES:
        raise Conflict(f"outcomes come from a consultation; this topic is {topic['stage']}",
                       code="illegal_transition")
    if command.session_id:
        session = await session_storage.session(uow.conn, command.session_id)
        if session is None or session["topic_id"] != topic["id"]:
            raise Unprocessable(f"no session {command.session_id} of this topic")
        if session["status"] != "concluded":
            raise Conflict("the session has not concluded", code="illegal_transition")
    outcome_id = uuid.uuid4()
    await storage.insert(uow.conn, {**command.model_dump(), "id": outcome_id, "created_by": principal.sub})
    await topic_storage.record(uow.conn, topic["id"], principal_cols=principal.actor, action="outcome",
                               from_stage=topic["stage"], to_stage=topic["stage"], org_unit=topic["org_unit"],
                               detail={"outcome_id": str(outcome_id), "kind": command.kind})
    return dict(await storage.outcome(uow.conn, str(outcome_id)))


async def act(uow: UnitOfWork, principal: Principal, outcome_id: str, command: OutcomeAction) -> dict:
    outcome = await storage.outcome(uow.conn, outcome_id, for_update=True)
    if outcome is None or not can_read(principal, outcome):
        raise NotFound(f"no outcome {outcome_id}")
    rules.check(command.action, dict(outcome), ROLE_ACTORS[principal.role])
    if isinstance(command, Convert):
        await _convert(uow, outcome, command)
    elif isinstance(command, Instruct):
        await storage.update(uow.conn, outcome_id, {"instruction": command.text, "instructed_by": principal.org,
                                                    "instructed_at": datetime.now(UTC)})
        uow.publish(events.OutcomeInstructed(outcome_id=outcome["id"], topic_id=outcome["topic_id"],
                                             org_unit=outcome["org_unit"], leader_org=principal.org))
    elif isinstance(command, Publish):
        await storage.update(uow.conn, outcome_id, {"published_at": datetime.now(UTC) if command.public else None})
    else:
        await _evaluate(uow, outcome, command)
    await topic_storage.record(uow.conn, outcome["topic_id"], principal_cols=principal.actor,
                               action=f"outcome_{command.action}", from_stage=outcome["topic_stage"],
                               to_stage=outcome["topic_stage"], org_unit=outcome["org_unit"],
                               detail={"outcome_id": outcome_id})
    return dict(await storage.outcome(uow.conn, outcome_id))


async def _convert(uow, outcome, command: Convert) -> None:
    target = command.target
    department_ids = await reach.departments(uow.conn, command.department_ids, outcome["org_unit"])
    member_ids = await reach.members(uow.conn, command.member_ids, outcome["org_unit"])
    deadline = command.deadline
    if target == "department_task" and deadline is None:
        days = (await topic_storage.step_days(uow.conn, outcome["track"]))["department_task"]
        deadline = today_in_china() + timedelta(days=days)
    if deadline is not None and deadline < today_in_china():
        raise Unprocessable("the deadline is in the past")
    target_id = str(uuid.uuid4())
    await storage.update(uow.conn, outcome["id"], {
        "status": "converted", "target_kind": target, "target_id": target_id, "department_ids": department_ids,
        "member_ids": member_ids, "deadline": deadline, "converted_at": datetime.now(UTC)})
    uow.publish(events.ConsultationOutcomeConverted(
        source=OutcomeRef(kind="consultation_outcome", id=outcome["id"]), target=OutcomeRef(kind=target, id=target_id),
        org_unit=outcome["org_unit"], title=outcome["text"][:200], department_ids=department_ids,
        deadline=deadline.isoformat() if deadline else None, member_ids=member_ids, topic_id=outcome["topic_id"],
        urgency=topic_rules.urgency(outcome["track"])))


async def _evaluate(uow, outcome, command: Evaluate) -> None:
    result = command.result
    counts = {"satisfied": command.satisfied, "basically_satisfied": command.basically_satisfied,
              "unsatisfied": command.unsatisfied}
    await storage.update(uow.conn, outcome["id"], {"status": "evaluated", "result": result, "reason": command.reason,
                                                   **counts, "evaluated_at": datetime.now(UTC)})
    uow.publish(events.OutcomeEvaluated(
        outcome_id=outcome["id"], topic_id=outcome["topic_id"], org_unit=outcome["org_unit"], result=result,
        satisfaction_rate=rules.satisfaction_rate(*counts.values())))
