"""What became of a topic and where it came from (溯源): the opinions that fed it and the
people behind them, its moves between levels, its sessions and outcomes — no personal data."""

from __future__ import annotations

from liaison_shared.auth import Principal
from liaison_shared.errors import NotFound

from ..storage import outcomes as outcome_storage
from ..storage import sessions as session_storage
from ..storage import topics as storage
from .topics import can_read


def session_ref(row) -> dict:
    return {k: row[k] for k in ("id", "title", "form", "starts_at", "status")}


def outcome_ref(row) -> dict:
    return {k: row[k] for k in ("id", "session_id", "kind", "status", "target_kind", "target_id", "result")}


async def sessions_and_outcomes(conn, topic_id: str) -> tuple[list, list]:
    sessions = await session_storage.of_topic(conn, topic_id)
    outcomes = await outcome_storage.of_topic(conn, topic_id)
    return sessions, outcomes


async def topic_lineage(conn, principal: Principal, topic_id: str) -> dict:
    topic = await storage.topic(conn, topic_id)
    if topic is None or not can_read(principal, topic):
        raise NotFound(f"no topic {topic_id}")
    sessions, outcomes = await sessions_and_outcomes(conn, topic["id"])
    opinions = [{"id": s["ref"], "org_unit": s["org_unit"], "people": s["people"], "added_at": s["added_at"]}
                for s in topic["sources"] if s["kind"] == "public"]
    moves = []
    for h in await storage.history(conn, topic["id"]):
        how = {"raise": "raised", "hand_down": "handed_down"}.get(h["action"])
        if how and how in h["detail"]:
            moves.append({"at": h["at"], "action": h["action"], "from_unit": h["detail"][how]["from"],
                          "to_unit": h["detail"][how]["to"]})
    return {
        **{k: topic[k] for k in ("id", "org_unit", "level", "title", "stage", "track")},
        "opinions": opinions, "people": sum(o["people"] for o in opinions),
        "other_sources": [s for s in topic["sources"] if s["kind"] != "public"],
        "moves": moves,
        "sessions": [session_ref(s) for s in sessions],
        "outcomes": [{**outcome_ref(o), "instructed": o["instruction"] is not None, "instructed_by": o["instructed_by"],
                      "evaluated_at": o["evaluated_at"]} for o in outcomes],
    }
