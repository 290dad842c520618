"""Queries of the lineage (溯源): the projection of consultation's topics, sessions and outcomes,
and the ways between cases, topics, outcomes, proposals and reports."""

from __future__ import annotations

from liaison_shared.db import as_uuid

# --- the projection (from consultation's events) -------------------------------------------------


async def keep_topic(conn, topic_id: str, *, org_unit: str, title: str, stage: str, track: str | None,
                     at) -> None:
    """Each part follows the newest event that names it — stage and unit every event, the title
    the topic's own events, the track those that set it — so the row converges whatever the
    order the events are read in (a session's event may come before its topic's)."""
    await conn.execute(
        """
        INSERT INTO lineage_topics (id, org_unit, title, stage, track, source_time, title_time, track_time)
        VALUES ($1, $2, $3, $4, $5, $6::timestamptz, CASE WHEN $3 <> '' THEN $6::timestamptz END,
                CASE WHEN $5::text IS NOT NULL THEN $6::timestamptz END)
        ON CONFLICT (id) DO UPDATE SET
            org_unit = CASE WHEN lineage_topics.source_time <= excluded.source_time
                            THEN excluded.org_unit ELSE lineage_topics.org_unit END,
            stage = CASE WHEN lineage_topics.source_time <= excluded.source_time
                         THEN excluded.stage ELSE lineage_topics.stage END,
            source_time = greatest(lineage_topics.source_time, excluded.source_time),
            title = CASE WHEN excluded.title_time IS NOT NULL AND (lineage_topics.title_time IS NULL
                              OR lineage_topics.title_time <= excluded.title_time)
                         THEN excluded.title ELSE lineage_topics.title END,
            title_time = greatest(lineage_topics.title_time, excluded.title_time),
            track = CASE WHEN excluded.track_time IS NOT NULL AND (lineage_topics.track_time IS NULL
                              OR lineage_topics.track_time <= excluded.track_time)
                         THEN excluded.track ELSE lineage_topics.track END,
            track_time = greatest(lineage_topics.track_time, excluded.track_time)
        """,
        topic_id, org_unit, title, stage, track, at,
    )


async def keep_session(conn, values: dict, at) -> None:
    """Scheduled, then concluded or cancelled: the newest status stands; form and start come from
    the first event that names them."""
    await conn.execute(
        """
        INSERT INTO lineage_sessions (id, topic_id, org_unit, title, form, starts_at, status, source_time)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (id) DO UPDATE SET
            title = excluded.title,
            form = coalesce(lineage_sessions.form, excluded.form),
            starts_at = coalesce(lineage_sessions.starts_at, excluded.starts_at),
            status = CASE WHEN lineage_sessions.source_time <= excluded.source_time
                          THEN excluded.status ELSE lineage_sessions.status END,
            source_time = greatest(lineage_sessions.source_time, excluded.source_time)
        """,
        values["id"], values["topic_id"], values["org_unit"], values["title"], values.get("form"),
        values.get("starts_at"), values["status"], at,
    )


async def keep_conversion(conn, outcome_id: str, *, topic_id: str | None, org_unit: str, title: str,
                          target_kind: str, target_id: str, at) -> None:
    await conn.execute(
        """
        INSERT INTO lineage_outcomes (id, topic_id, org_unit, title, target_kind, target_id, converted_at, source_time)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
        ON CONFLICT (id) DO UPDATE SET
            topic_id = coalesce(excluded.topic_id, lineage_outcomes.topic_id), title = excluded.title,
            target_kind = excluded.target_kind, target_id = excluded.target_id,
            converted_at = excluded.converted_at,
            source_time = greatest(lineage_outcomes.source_time, excluded.source_time)
        """,
        outcome_id, topic_id, org_unit, title, target_kind, target_id, at,
    )


async def keep_evaluation(conn, outcome_id: str, *, topic_id: str, org_unit: str, result: str,
                          satisfaction_rate: float | None, at) -> None:
    """An outcome evaluated again as it goes on: the newest evaluation stands."""
    await conn.execute(
        """
        INSERT INTO lineage_outcomes (id, topic_id, org_unit, result, satisfaction_rate, evaluated_at, source_time)
        VALUES ($1, $2, $3, $4, $5, $6, $6)
        ON CONFLICT (id) DO UPDATE SET
            topic_id = coalesce(lineage_outcomes.topic_id, excluded.topic_id),
            result = excluded.result, satisfaction_rate = excluded.satisfaction_rate,
            evaluated_at = excluded.evaluated_at,
            source_time = greatest(lineage_outcomes.source_time, excluded.source_time)
        WHERE lineage_outcomes.evaluated_at IS NULL OR lineage_outcomes.evaluated_at <= excluded.evaluated_at
        """,
        outcome_id, topic_id, org_unit, result, satisfaction_rate, at,
    )


async def keep_instruction(conn, outcome_id: str, *, topic_id: str, org_unit: str, leader_org: str, at) -> None:
    """批示 on a party report: the newest stands."""
    await conn.execute(
        """
        INSERT INTO lineage_outcomes (id, topic_id, org_unit, instructed_by, instructed_at, source_time)
        VALUES ($1, $2, $3, $4, $5, $5)
        ON CONFLICT (id) DO UPDATE SET
            topic_id = coalesce(lineage_outcomes.topic_id, excluded.topic_id),
            instructed_by = excluded.instructed_by, instructed_at = excluded.instructed_at,
            source_time = greatest(lineage_outcomes.source_time, excluded.source_time)
        WHERE lineage_outcomes.instructed_at IS NULL OR lineage_outcomes.instructed_at <= excluded.instructed_at
        """,
        outcome_id, topic_id, org_unit, leader_org, at,
    )


# --- reading the chain ---------------------------------------------------------------------------


async def topic(conn, topic_id: str):
    return await conn.fetchrow("SELECT id, org_unit, title, stage, track FROM lineage_topics WHERE id = $1",
                               topic_id)


async def sessions_of(conn, topic_id: str):
    return await conn.fetch("SELECT id, title, form, starts_at, status FROM lineage_sessions WHERE topic_id = $1"
                            " ORDER BY starts_at, id", topic_id)


async def outcomes_of(conn, topic_id: str):
    return await conn.fetch(
        "SELECT id, topic_id, title, target_kind, target_id, converted_at, result, satisfaction_rate, evaluated_at,"
        " instructed_by, instructed_at"
        " FROM lineage_outcomes WHERE topic_id = $1 ORDER BY converted_at NULLS LAST, id", topic_id)


async def outcome(conn, outcome_id: str):
    return await conn.fetchrow(
        "SELECT id, topic_id, title, target_kind, target_id, converted_at, result, satisfaction_rate, evaluated_at,"
        " instructed_by, instructed_at"
        " FROM lineage_outcomes WHERE id = $1", outcome_id)


async def merged_into(conn, opinion_id: str):
    """The cases merged into this one, with the people behind each."""
    return await conn.fetch(
        "SELECT id::text AS id, org_unit, people_count FROM opinions WHERE merged_into = $1::uuid ORDER BY created_at",
        opinion_id)


async def converted_into(conn, target_id: str):
    """The cases converted into (or linked with) this topic, proposal or report."""
    return await conn.fetch(
        "SELECT id::text AS id, org_unit, people_count, converted_to->>'kind' AS kind FROM opinions"
        " WHERE converted_to->>'id' = $1 ORDER BY created_at", target_id)


async def opinion_brief(conn, opinion_id: str):
    key = as_uuid(opinion_id)
    if key is None:
        return None
    return await conn.fetchrow(
        "SELECT id::text AS id, org_unit, handling_unit, status, channel, category, people_count,"
        " merged_into::text AS merged_into, converted_to, deadline, created_at FROM opinions WHERE id = $1", key)


async def proposals(conn, ids: list[str], source_id: str | None = None):
    """Proposals by id, and those drafted from ``source_id`` (a case or an outcome)."""
    keys = [k for k in (as_uuid(i) for i in ids) if k is not None]
    return await conn.fetch(
        "SELECT id::text AS id, committee, number, title, status, source, reply_class, replied_at, evaluation,"
        " merged_into::text AS merged_into FROM proposals"
        " WHERE id = ANY($1::uuid[]) OR ($2::text IS NOT NULL AND source->>'id' = $2) ORDER BY created_at",
        keys, source_id)


async def proposals_merged_into(conn, proposal_id: str):
    return await conn.fetch("SELECT id::text AS id, number, source FROM proposals WHERE merged_into = $1::uuid",
                            proposal_id)


async def reports(conn, ids: list[str], case_id: str | None = None):
    """Reports by id, and those composed from ``case_id``."""
    keys = [k for k in (as_uuid(i) for i in ids) if k is not None]
    return await conn.fetch(
        """
        SELECT r.id::text AS id, r.kind, r.title, r.status, r.org_unit, r.submitted_to, r.adopted_by,
               coalesce((SELECT jsonb_agg(jsonb_build_object('text', i.text, 'leader_org', i.leader_org, 'at', i.at)
                                          ORDER BY i.at)
                         FROM report_instructions i WHERE i.report_id = r.id), '[]') AS instructions
        FROM reports r
        WHERE r.id = ANY($1::uuid[]) OR ($2::uuid IS NOT NULL AND $2::uuid = ANY(r.case_ids))
        ORDER BY r.created_at
        """, keys, as_uuid(case_id) if case_id else None)


async def cases(conn, ids: list[str]):
    keys = [k for k in (as_uuid(i) for i in ids) if k is not None]
    return await conn.fetch(
        "SELECT id::text AS id, status, deadline, rating FROM opinions WHERE id = ANY($1::uuid[])", keys)
