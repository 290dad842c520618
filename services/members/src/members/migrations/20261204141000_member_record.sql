-- migrate:up
-- Members do casework (issue 20.1). An opinion a member took in, as opinion.submitted announces it:
-- attested by a token (`received_by`), at a reception day or an activity; and how it ended.
ALTER TABLE opinions
    ADD COLUMN received_by      text,
    ADD COLUMN reception_day_id text,
    ADD COLUMN activity_id      text,
    ADD COLUMN channel          text,
    ADD COLUMN category         text;
CREATE INDEX opinions_activity ON opinions (activity_id) WHERE activity_id IS NOT NULL;

-- The latest step of each opinion (answered, replied, rated, converted, merged, closed), from
-- feedback's opinion events; `at` keeps a redelivered older step from overwriting a newer one.
CREATE TABLE opinion_outcomes (
    opinion_id text PRIMARY KEY,
    step       text        NOT NULL,
    rating     text,
    at         timestamptz NOT NULL
);

-- 委员履职档案: the work of a member that other services announce — reports written
-- (社情民意), proposals filed (提案), consultation sessions attended (协商议事) — one row per
-- member and thing, its state updated as later events arrive. Rebuildable by replay.
CREATE TABLE member_work (
    member_id  text        NOT NULL,
    kind       text        NOT NULL CHECK (kind IN ('report', 'proposal', 'session')),
    ref_id     text        NOT NULL,
    org_unit   text        NOT NULL,
    title      text        NOT NULL DEFAULT '',
    state      text        NOT NULL,
    detail     jsonb       NOT NULL DEFAULT '{}',
    started_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (member_id, kind, ref_id)
);

-- migrate:down
DROP TABLE member_work;
DROP TABLE opinion_outcomes;
DROP INDEX opinions_activity;
ALTER TABLE opinions
    DROP COLUMN category,
    DROP COLUMN channel,
    DROP COLUMN activity_id,
    DROP COLUMN reception_day_id,
    DROP COLUMN received_by;
