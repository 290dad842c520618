-- migrate:up
-- 组织单元: the four levels as a tree keyed by division code; `path` is the
-- materialised significant prefix, so a subtree is an indexed prefix match.
CREATE TABLE org_units (
    code        text PRIMARY KEY CHECK (code ~ '^\d{12}$'),
    name        text        NOT NULL,
    parent      text REFERENCES org_units (code),
    level       text        NOT NULL CHECK (level IN ('city', 'county', 'town', 'village')),
    kind        text        NOT NULL CHECK (kind IN ('committee', 'liaison_group', 'contact_point')),
    duty_name   text,
    duty_email  text,
    duty_phone  text,
    duties      text,          -- 亮责任: what this CPPCC body does for the public
    address     text,
    active      boolean     NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX org_units_code_pattern ON org_units (code text_pattern_ops);
CREATE INDEX org_units_parent ON org_units (parent);

-- 承办单位: government departments and handling units of each level.
CREATE TABLE departments (
    id          uuid PRIMARY KEY,
    name        text        NOT NULL,
    org_unit    text        NOT NULL REFERENCES org_units (code),
    duty_name   text,
    duty_email  text,
    duty_phone  text,
    active      boolean     NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_unit, name)
);
CREATE INDEX departments_org_unit ON departments (org_unit text_pattern_ops);

-- migrate:down
DROP TABLE departments;
DROP TABLE org_units;
