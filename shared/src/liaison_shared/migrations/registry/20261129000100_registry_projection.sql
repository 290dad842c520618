-- migrate:up
-- A service's own copy of the members registry, kept from members' events
-- (org_unit.changed, department.registered/updated). Rebuildable by replay.
CREATE TABLE org_units (
    code         text PRIMARY KEY,
    name         text        NOT NULL,
    parent       text,
    level        text        NOT NULL,
    kind         text        NOT NULL,
    duty_name    text,
    duty_email   text,
    duty_phone   text,
    active       boolean     NOT NULL DEFAULT true,
    source_time  timestamptz NOT NULL
);
CREATE INDEX org_units_code_pattern ON org_units (code text_pattern_ops);

CREATE TABLE departments (
    id           text PRIMARY KEY,
    name         text        NOT NULL,
    org_unit     text        NOT NULL,
    duty_name    text,
    duty_email   text,
    duty_phone   text,
    active       boolean     NOT NULL DEFAULT true,
    source_time  timestamptz NOT NULL
);
CREATE INDEX departments_org_unit ON departments (org_unit text_pattern_ops);

-- migrate:down
DROP TABLE departments;
DROP TABLE org_units;
