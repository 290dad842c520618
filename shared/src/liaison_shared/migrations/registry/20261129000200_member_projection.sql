-- migrate:up
-- Members as the members service publishes them (no private contact data).
CREATE TABLE members (
    id             text PRIMARY KEY,
    name           text        NOT NULL,
    sector_id      text        NOT NULL,
    sector_name    text        NOT NULL,
    org_unit       text        NOT NULL,
    status         text        NOT NULL,
    contact_points text[]      NOT NULL DEFAULT '{}',
    source_time    timestamptz NOT NULL
);
CREATE INDEX members_org_unit ON members (org_unit text_pattern_ops);

-- migrate:down
DROP TABLE members;
