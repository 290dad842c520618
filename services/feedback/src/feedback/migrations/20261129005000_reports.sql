-- migrate:up
-- 社情民意信息 and 政协专报: composed from cases, submitted upward, adopted, instructed (批示).
CREATE TABLE reports (
    id           uuid PRIMARY KEY,
    kind         text        NOT NULL CHECK (kind IN ('public_opinion_report', 'special_report')),
    title        text        NOT NULL,
    body         text        NOT NULL DEFAULT '',
    org_unit     text        NOT NULL,               -- the unit composing it
    member_ids   text[]      NOT NULL DEFAULT '{}',  -- authors among the members
    case_ids     uuid[]      NOT NULL DEFAULT '{}',  -- the source cases
    status       text        NOT NULL DEFAULT 'draft'
                 CHECK (status IN ('draft', 'submitted', 'adopted', 'not_adopted')),
    submitted_to text,
    adopted_by   text CHECK (adopted_by IN ('city', 'province', 'national')),
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reports_org_unit ON reports (org_unit text_pattern_ops);

CREATE TABLE report_instructions (
    id         uuid PRIMARY KEY,
    report_id  uuid        NOT NULL REFERENCES reports (id),
    text       text        NOT NULL,
    leader_sub text        NOT NULL,
    leader_org text        NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);

-- migrate:down
DROP TABLE report_instructions, reports;
