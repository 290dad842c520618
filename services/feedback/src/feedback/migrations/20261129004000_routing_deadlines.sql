-- migrate:up
-- 派单目录: category × org unit → lead department and co-handling departments (data, not code).
CREATE TABLE dispatch_rules (
    id              uuid PRIMARY KEY,
    category        text NOT NULL,
    org_unit        text NOT NULL,             -- applies to cases arising in this unit's subtree
    lead_department text NOT NULL,
    co_departments  text[] NOT NULL DEFAULT '{}',
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (category, org_unit)
);

-- The official calendar as data: staff enter a year's schedule when the State Council
-- announces it; these days override the packaged calendar.
CREATE TABLE calendar_days (
    day     date PRIMARY KEY,
    workday boolean NOT NULL,
    note    text
);

-- 超期: one notice per case and deadline, so `opinion.overdue` goes out exactly once
-- even when the scheduler runs twice or restarts around a deadline.
CREATE TABLE overdue_notices (
    opinion_id uuid NOT NULL REFERENCES opinions (id),
    deadline   date NOT NULL,
    noticed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (opinion_id, deadline)
);

-- migrate:down
DROP TABLE overdue_notices, calendar_days, dispatch_rules;
