-- migrate:up
-- 界别活动组 (issue 20.1): a sector's activity group at its committee — one per sector — with a
-- convener (召集人), members of that sector, a yearly plan and the activities the group holds.
CREATE TABLE sector_groups (
    id          uuid PRIMARY KEY,
    org_unit    text        NOT NULL REFERENCES org_units (code),
    sector_id   uuid        NOT NULL UNIQUE REFERENCES sectors (id),
    name        text        NOT NULL,
    convener_id uuid REFERENCES members (id),
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_unit, name)
);
CREATE INDEX sector_groups_org_unit ON sector_groups (org_unit text_pattern_ops);

CREATE TABLE sector_group_members (
    group_id  uuid        NOT NULL REFERENCES sector_groups (id) ON DELETE CASCADE,
    member_id uuid        NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    joined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX sector_group_members_member ON sector_group_members (member_id);

-- 活动计划: what the group means to hold in a year, each with a day and a theme.
CREATE TABLE sector_group_plan_items (
    id          uuid PRIMARY KEY,
    group_id    uuid        NOT NULL REFERENCES sector_groups (id) ON DELETE CASCADE,
    planned_on  date        NOT NULL,
    theme       text        NOT NULL,
    type        text,
    description text,
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sector_group_plan_items_group ON sector_group_plan_items (group_id, planned_on);

-- A group activity is a liaison activity (activities, with its participants) the group held,
-- maybe carrying out one item of its plan.
CREATE TABLE sector_group_activities (
    activity_id  uuid PRIMARY KEY REFERENCES activities (id) ON DELETE CASCADE,
    group_id     uuid NOT NULL REFERENCES sector_groups (id) ON DELETE CASCADE,
    plan_item_id uuid REFERENCES sector_group_plan_items (id) ON DELETE SET NULL
);
CREATE INDEX sector_group_activities_group ON sector_group_activities (group_id);

-- What an opinion led to, as feedback announces it (report.submitted names its cases,
-- outcome.converted an opinion's proposal): how an opinion taken in at a group activity is
-- followed to the reports and proposals it fed. Rebuildable by replay.
CREATE TABLE opinion_follow_ups (
    opinion_id text        NOT NULL,
    kind       text        NOT NULL CHECK (kind IN ('report', 'proposal')),
    ref_id     text        NOT NULL,
    at         timestamptz NOT NULL,
    PRIMARY KEY (opinion_id, kind, ref_id)
);

-- migrate:down
DROP TABLE opinion_follow_ups;
DROP TABLE sector_group_activities;
DROP TABLE sector_group_plan_items;
DROP TABLE sector_group_members;
DROP TABLE sector_groups;
