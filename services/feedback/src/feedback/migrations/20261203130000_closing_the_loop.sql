-- migrate:up
-- Closing the loop after a conversion (issue 15): what a case became answers it.

-- 召回: staff pulled an assignment back; 协办 done: the lead unit replied for all.
ALTER TABLE assignments DROP CONSTRAINT assignments_state_check;
ALTER TABLE assignments ADD CONSTRAINT assignments_state_check
    CHECK (state IN ('active', 'returned', 'replied', 'recalled'));
ALTER TABLE proposal_units DROP CONSTRAINT proposal_units_state_check;
ALTER TABLE proposal_units ADD CONSTRAINT proposal_units_state_check
    CHECK (state IN ('active', 'returned', 'replied', 'done'));

-- The answers a converted case receives from what it became: a proposal's reply and evaluation,
-- a report's adoption and 批示, a consultation outcome's evaluation, its topic's closing.
-- One row per (case, source, result): a redelivered event adds nothing.
CREATE TABLE conversion_answers (
    id          bigserial   PRIMARY KEY,
    opinion_id  uuid        NOT NULL REFERENCES opinions (id),
    source_kind text        NOT NULL,
    source_id   text        NOT NULL,
    result      text        NOT NULL,
    text        text        NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (opinion_id, source_kind, source_id, result)
);

-- Which topic a consultation outcome belongs to (from consultation's events; rebuildable):
-- a proposal drafted from an outcome answers the cases converted into that topic.
CREATE TABLE outcome_topics (
    outcome_id  text PRIMARY KEY,
    topic_id    text NOT NULL
);

-- 大会发言 drafts: a case converted into a plenary speech becomes one, with its source.
CREATE TABLE plenary_speeches (
    id          uuid        PRIMARY KEY,
    org_unit    text        NOT NULL,
    title       text        NOT NULL,
    body        text        NOT NULL,
    status      text        NOT NULL DEFAULT 'draft' CHECK (status IN ('draft')),
    source_kind text        NOT NULL,
    source_id   text        NOT NULL,
    member_id   text,
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- migrate:down
DROP TABLE plenary_speeches;
DROP TABLE outcome_topics;
DROP TABLE conversion_answers;
ALTER TABLE proposal_units DROP CONSTRAINT proposal_units_state_check;
ALTER TABLE proposal_units ADD CONSTRAINT proposal_units_state_check
    CHECK (state IN ('active', 'returned', 'replied'));
ALTER TABLE assignments DROP CONSTRAINT assignments_state_check;
ALTER TABLE assignments ADD CONSTRAINT assignments_state_check
    CHECK (state IN ('active', 'returned', 'replied'));
