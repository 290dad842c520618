"""溯源 — what became of an opinion, and where a proposal came from, in one answer.

The chain is read from feedback's own tables (the case history: merges, escalations and
conversions; proposals; reports) and from its projection of consultation's events (topics,
sessions, outcomes), kept here by the ``keep_*`` handlers and rebuilt by ``liaison replay``.
Staff and leaders read it with ids and units; ``public_chain`` is the same chain for the
citizen's tracking page, with nothing personal or internal (no ids, no names, no texts).
"""

from __future__ import annotations

import json
from typing import Any

from liaison_shared.contracts.consultation import (
    ConsultationOutcomeConverted,
    OutcomeEvaluated,
    OutcomeInstructed,
    SessionCancelled,
    SessionConcluded,
    SessionScheduled,
    TopicApproved,
    TopicClosed,
    TopicProposed,
    TopicStageChanged,
)
from liaison_shared.events import Envelope
from liaison_shared.uow import UnitOfWork

from ..storage import lineage as storage
from ..storage import opinions as opinion_storage

# the steps of a case's own history that belong to its chain
CHAIN_ACTIONS = {"escalate", "merge", "merged_in", "convert", "department_task", "report_adopted", "instruction"}
PUBLIC_STEPS = {"escalate": "escalated", "merge": "merged", "merged_in": "joined_by", "convert": "converted",
                "department_task": "assigned_as_task", "report_adopted": "report_adopted",
                "instruction": "instructed"}
MERGE_HOPS = 5  # a merged case answers with the chain of the case it joined (merges do not nest deeper)


def _json(value):
    """A jsonb value, whether the connection decodes jsonb (the services' pools) or not."""
    return json.loads(value) if isinstance(value, str) else value


# --- the projection ------------------------------------------------------------------------------


async def keep_topic(uow: UnitOfWork, envelope: Envelope,
                     event: TopicProposed | TopicStageChanged | TopicApproved | TopicClosed) -> None:
    if isinstance(event, TopicStageChanged):
        stage, track = event.stage, event.track
    elif isinstance(event, TopicProposed):
        stage, track = "proposed", "standard"
    elif isinstance(event, TopicApproved):
        # 小事简议 is announced at its selection: it needs no approval
        stage, track = ("selected" if event.track == "small_matter" else "approved"), event.track
    else:
        stage, track = event.final_stage, None
    await storage.keep_topic(uow.conn, event.topic_id, org_unit=event.org_unit, title=event.title, stage=stage,
                             track=track, at=envelope.time)


SESSION_STATUS = {SessionScheduled: "scheduled", SessionConcluded: "concluded", SessionCancelled: "cancelled"}


async def keep_session(uow: UnitOfWork, envelope: Envelope,
                       event: SessionScheduled | SessionConcluded | SessionCancelled) -> None:
    scheduled = event if isinstance(event, SessionScheduled) else None
    await storage.keep_session(uow.conn, {
        "id": event.session_id, "topic_id": event.topic_id, "org_unit": event.org_unit, "title": event.title,
        "form": scheduled.form if scheduled is not None else None,
        # a cancellation names when it was to start too: the chain shows the date that fell through
        "starts_at": event.starts_at if not isinstance(event, SessionConcluded) else None,
        "status": SESSION_STATUS[type(event)]}, envelope.time)
    if scheduled is not None:  # a session scheduled: the topic is in consultation (unless a newer event says more)
        await storage.keep_topic(uow.conn, event.topic_id, org_unit=event.org_unit, title="", stage="consulting",
                                 track=None, at=envelope.time)


async def keep_outcome_conversion(uow: UnitOfWork, envelope: Envelope, event: ConsultationOutcomeConverted) -> None:
    if event.source.kind != "consultation_outcome":
        return
    await storage.keep_conversion(uow.conn, event.source.id, topic_id=event.topic_id, org_unit=event.org_unit,
                                  title=event.title, target_kind=event.target.kind, target_id=event.target.id,
                                  at=envelope.time)


async def keep_outcome_evaluation(uow: UnitOfWork, envelope: Envelope, event: OutcomeEvaluated) -> None:
    await storage.keep_evaluation(uow.conn, event.outcome_id, topic_id=event.topic_id, org_unit=event.org_unit,
                                  result=event.result, satisfaction_rate=event.satisfaction_rate, at=envelope.time)


async def keep_outcome_instruction(uow: UnitOfWork, envelope: Envelope, event: OutcomeInstructed) -> None:
    await storage.keep_instruction(uow.conn, event.outcome_id, topic_id=event.topic_id, org_unit=event.org_unit,
                                   leader_org=event.leader_org, at=envelope.time)


def keep_lineage_projection(consumer) -> None:
    """Subscribe feedback's consumer to the consultation events the lineage is built from."""
    for model in (TopicProposed, TopicStageChanged, TopicApproved, TopicClosed):
        consumer.on(model, rebuildable=True)(keep_topic)
    for session_model in SESSION_STATUS:
        consumer.on(session_model, rebuildable=True)(keep_session)
    consumer.on(ConsultationOutcomeConverted, rebuildable=True)(keep_outcome_conversion)
    consumer.on(OutcomeEvaluated, rebuildable=True)(keep_outcome_evaluation)
    consumer.on(OutcomeInstructed, rebuildable=True)(keep_outcome_instruction)


# --- reading the chain ---------------------------------------------------------------------------


def _proposal(row) -> dict:
    return {"id": row["id"], "committee": row["committee"], "number": row["number"], "title": row["title"],
            "status": row["status"], "reply_class": row["reply_class"], "replied_at": row["replied_at"],
            "evaluation": row["evaluation"], "merged_into": row["merged_into"]}


def _report(row) -> dict:
    return {"id": row["id"], "kind": row["kind"], "title": row["title"], "status": row["status"],
            "org_unit": row["org_unit"], "submitted_to": row["submitted_to"], "adopted_by": row["adopted_by"],
            "instructions": list(_json(row["instructions"]))}


async def downstream(conn, converted_to: dict | None, case_id: str | None = None) -> dict:
    """What a conversion became: the topic with its sessions and outcomes, and what those became
    (proposals, reports, department tasks); also the proposals and reports drafted from the case."""
    target = _json(converted_to) or {}
    kind, target_id = target.get("kind"), target.get("id")
    topic, sessions, outcomes = None, [], []
    proposal_ids: list[str] = []
    report_ids: list[str] = []
    task_ids: list[str] = []
    if kind == "topic" and target_id:
        row = await storage.topic(conn, target_id)
        topic = {"id": target_id, **({k: row[k] for k in ("org_unit", "title", "stage", "track")} if row else
                                     {"org_unit": None, "title": None, "stage": None, "track": None})}
        sessions = [dict(s) for s in await storage.sessions_of(conn, target_id)]
        outcomes = [dict(o) for o in await storage.outcomes_of(conn, target_id)]
    elif kind == "proposal" and target_id:  # (an id-less target would find nothing)
        proposal_ids.append(target_id)
    elif kind in ("public_opinion_report", "special_report") and target_id:
        report_ids.append(target_id)
    for o in outcomes:
        {"proposal": proposal_ids, "public_opinion_report": report_ids,
         "department_task": task_ids}.get(o["target_kind"], []).append(o["target_id"])
    proposals = [_proposal(p) for p in await storage.proposals(conn, proposal_ids, case_id)]
    reports = [_report(r) for r in await storage.reports(conn, report_ids, case_id)]
    tasks = [dict(t) for t in await storage.cases(conn, task_ids)]
    return {"topic": topic, "sessions": sessions, "outcomes": outcomes, "proposals": proposals,
            "reports": reports, "department_tasks": tasks}


async def opinion_lineage(conn, opinion_id: str) -> dict | None:
    """The case, its steps (merges, escalations, conversions, reports), the cases merged into it,
    and downstream: of the case itself or, once merged, of the case it joined."""
    case = await storage.opinion_brief(conn, opinion_id)
    if case is None:
        return None
    steps = [{"at": h["at"], "action": h["action"], "actor_org": h["actor_org"], "from_status": h["from_status"],
              "to_status": h["to_status"], "detail": _json(h["detail"])}
             for h in await opinion_storage.history(conn, opinion_id) if h["action"] in CHAIN_ACTIONS]
    merged_in = [dict(m) for m in await storage.merged_into(conn, opinion_id)]
    holder = case
    for _ in range(MERGE_HOPS):  # a merged case's answer is the answer of the case it joined
        if holder["merged_into"] is None:
            break
        holder = await storage.opinion_brief(conn, holder["merged_into"]) or holder
    return {
        "opinion": {**{k: case[k] for k in ("id", "org_unit", "handling_unit", "status", "channel", "category",
                                            "people_count", "merged_into", "deadline", "created_at")},
                    "converted_to": _json(case["converted_to"])},
        "steps": steps, "merged_in": merged_in,
        "answered_through": holder["id"] if holder["id"] != case["id"] else None,
        **await downstream(conn, holder["converted_to"], holder["id"]),
    }


async def sources_of(conn, source: dict | None) -> dict:
    """Upstream of a proposal's source: the case itself, or the outcome, its topic and every case
    converted into that topic."""
    out: dict[str, Any] = {"outcome": None, "topic": None, "opinions": []}
    if not source:
        return out
    if source.get("kind") == "opinion":
        case = await storage.opinion_brief(conn, source["id"])
        if case is not None:
            out["opinions"].append({"id": case["id"], "org_unit": case["org_unit"],
                                    "people_count": case["people_count"]})
    elif source.get("kind") == "consultation_outcome":
        row = await storage.outcome(conn, source["id"])
        out["outcome"] = dict(row) if row else {"id": source["id"]}
        topic_id = row["topic_id"] if row else None
        if topic_id:
            topic = await storage.topic(conn, topic_id)
            out["topic"] = {"id": topic_id, **({k: topic[k] for k in ("org_unit", "title", "stage", "track")}
                                                if topic else {})}
            out["opinions"] = [{"id": c["id"], "org_unit": c["org_unit"], "people_count": c["people_count"]}
                               for c in await storage.converted_into(conn, topic_id)]
    return out


async def proposal_lineage(conn, proposal_row) -> dict:
    """A proposal back to the opinions that fed it (its own source and those of the proposals
    merged into it — 并案), with the people behind them; forward to its reply and evaluation."""
    own = _json(proposal_row["source"])
    upstream = [await sources_of(conn, own)]
    merged = await storage.proposals_merged_into(conn, proposal_row["id"])
    upstream += [await sources_of(conn, _json(m["source"])) for m in merged]
    opinions = {o["id"]: o for part in upstream for o in part["opinions"]}
    proposal = _proposal((await storage.proposals(conn, [proposal_row["id"]]))[0])
    return {
        "proposal": proposal, "source": own, "merged": [{"id": m["id"], "number": m["number"]} for m in merged],
        "outcomes": [p["outcome"] for p in upstream if p["outcome"]],
        "topics": [p["topic"] for p in upstream if p["topic"]],
        "opinions": list(opinions.values()), "people": sum(o["people_count"] for o in opinions.values()),
    }


async def public_chain(conn, opinion_id: str) -> dict:
    """The chain for the citizen's tracking page: what happened and what it became, with nothing
    personal or internal — no ids, no names, no texts of staff or leaders, no reasons."""
    chain = await opinion_lineage(conn, opinion_id)
    if chain is None:
        return {}
    return {
        "steps": [{"step": PUBLIC_STEPS[s["action"]], "at": s["at"].isoformat()} for s in chain["steps"]],
        "converted_into": (chain["opinion"]["converted_to"] or {}).get("kind"),
        "merged": chain["answered_through"] is not None,
        "topic": {"stage": chain["topic"]["stage"]} if chain["topic"] else None,
        "sessions": [{"status": s["status"], "starts_at": s["starts_at"]} for s in chain["sessions"]],
        "outcomes": [{"converted_into": o["target_kind"], "result": o["result"],
                      "instructed": o["instructed_at"] is not None} for o in chain["outcomes"]],
        "proposals": [{"number": p["number"], "status": p["status"], "reply_class": p["reply_class"],
                       "evaluation": p["evaluation"]} for p in chain["proposals"]],
        "reports": [{"kind": r["kind"], "status": r["status"], "adopted_by": r["adopted_by"],
                     "instructed": bool(r["instructions"])} for r in chain["reports"]],
        "department_tasks": [{"status": t["status"]} for t in chain["department_tasks"]],
    }
