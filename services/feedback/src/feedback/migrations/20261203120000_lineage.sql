-- migrate:up
-- 溯源: what became of a case in consultation — the topic (its stage), its sessions, its outcomes
-- (converted into what, evaluated how) — kept from consultation's events so that one answer shows
-- an opinion's whole chain without calling consultation. Rebuildable by replay: every row converges
-- on the newest event (`source_time`), whatever order the events are read in.
CREATE TABLE lineage_topics (
    id          text PRIMARY KEY,
    org_unit    text        NOT NULL,
    title       text        NOT NULL DEFAULT '',
    stage       text        NOT NULL,
    track       text,
    source_time timestamptz NOT NULL,   -- of the newest event: stage and unit
    title_time  timestamptz,            -- of the newest event that named the title
    track_time  timestamptz             -- of the newest event that named the track
);

CREATE TABLE lineage_sessions (
    id          text PRIMARY KEY,
    topic_id    text        NOT NULL,
    org_unit    text        NOT NULL,
    title       text        NOT NULL,
    form        text,
    starts_at   text,
    status      text        NOT NULL,
    source_time timestamptz NOT NULL
);
CREATE INDEX lineage_sessions_topic ON lineage_sessions (topic_id);

CREATE TABLE lineage_outcomes (
    id                text PRIMARY KEY,
    topic_id          text,
    org_unit          text        NOT NULL,
    title             text        NOT NULL DEFAULT '',
    target_kind       text,
    target_id         text,
    converted_at      timestamptz,
    result            text,
    satisfaction_rate double precision,
    evaluated_at      timestamptz,
    instructed_by     text,                 -- 批示: the leader's unit (a party report)
    instructed_at     timestamptz,
    source_time       timestamptz NOT NULL
);
CREATE INDEX lineage_outcomes_topic ON lineage_outcomes (topic_id);
CREATE INDEX lineage_outcomes_target ON lineage_outcomes (target_id);

-- the reverse way: the cases converted into a topic, the proposals drafted from a source
CREATE INDEX opinions_converted_to ON opinions ((converted_to->>'id')) WHERE converted_to IS NOT NULL;
CREATE INDEX proposals_source ON proposals ((source->>'id')) WHERE source IS NOT NULL;

-- migrate:down
DROP INDEX proposals_source;
DROP INDEX opinions_converted_to;
DROP TABLE lineage_outcomes;
DROP TABLE lineage_sessions;
DROP TABLE lineage_topics;
