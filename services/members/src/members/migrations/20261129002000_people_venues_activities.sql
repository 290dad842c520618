-- migrate:up
-- 界别: sectors of a committee (city or county), with the category that sets their duty emphasis.
CREATE TABLE sectors (
    id            uuid PRIMARY KEY,
    org_unit      text        NOT NULL REFERENCES org_units (code),
    name          text        NOT NULL,
    category      text        NOT NULL CHECK (category IN ('cpc', 'parties_groups', 'professional', 'ethnic_religious')),
    duty_emphasis text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_unit, name)
);

-- 专委会 and the sectors each links (三联系); their annual plan items (一委一品).
CREATE TABLE special_committees (
    id         uuid PRIMARY KEY,
    org_unit   text NOT NULL REFERENCES org_units (code),
    name       text NOT NULL,
    UNIQUE (org_unit, name)
);
CREATE TABLE special_committee_sectors (
    special_committee_id uuid NOT NULL REFERENCES special_committees (id) ON DELETE CASCADE,
    sector_id            uuid NOT NULL REFERENCES sectors (id),
    PRIMARY KEY (special_committee_id, sector_id)
);
CREATE TABLE plan_items (
    id                   uuid PRIMARY KEY,
    special_committee_id uuid NOT NULL REFERENCES special_committees (id) ON DELETE CASCADE,
    sector_id            uuid REFERENCES sectors (id),
    year                 int  NOT NULL,
    title                text NOT NULL,
    description          text
);

-- 对口联系: standing bridges between a sector and departments, enterprises, industries.
CREATE TABLE bridges (
    id            uuid PRIMARY KEY,
    sector_id     uuid NOT NULL REFERENCES sectors (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('department', 'enterprise', 'industry')),
    name          text NOT NULL,
    department_id uuid REFERENCES departments (id),
    note          text,
    UNIQUE (sector_id, kind, name)
);

-- 委员: members of a city or county committee.
CREATE TABLE members (
    id                   uuid PRIMARY KEY,
    name                 text        NOT NULL,
    sector_id            uuid        NOT NULL REFERENCES sectors (id),
    org_unit             text        NOT NULL REFERENCES org_units (code),
    special_committee_id uuid REFERENCES special_committees (id),
    occupation           text,
    work_unit            text,
    region               text REFERENCES org_units (code),
    term                 text,
    status               text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
    photo_url            text,
    public_contact       text,       -- 亮身份: the channel shown on the public card
    email                text,       -- private: staff and notify only
    phone                text,       -- private: staff and notify only
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX members_org_unit ON members (org_unit text_pattern_ops);
CREATE INDEX members_sector ON members (sector_id);

-- 下沉: members assigned to grassroots contact points (village-level units).
CREATE TABLE member_assignments (
    member_id     uuid        NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    contact_point text        NOT NULL REFERENCES org_units (code),
    assigned_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (member_id, contact_point)
);
CREATE INDEX member_assignments_point ON member_assignments (contact_point text_pattern_ops);

-- 履职平台: venues, and 委员接待日 at them.
CREATE TABLE venues (
    id            uuid PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('sector_studio', 'reception_room', 'contact_point', 'deliberation_hall')),
    name          text NOT NULL,
    org_unit      text NOT NULL REFERENCES org_units (code),
    address       text,
    opening_hours text,
    sector_id     uuid REFERENCES sectors (id),
    active        boolean     NOT NULL DEFAULT true,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_unit, name)
);
CREATE INDEX venues_org_unit ON venues (org_unit text_pattern_ops);

CREATE TABLE reception_days (
    id         uuid PRIMARY KEY,
    member_id  uuid        NOT NULL REFERENCES members (id),
    venue_id   uuid        NOT NULL REFERENCES venues (id),
    org_unit   text        NOT NULL,
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL CHECK (ends_at > starts_at),
    capacity   int         NOT NULL CHECK (capacity > 0),
    topic      text,
    UNIQUE (member_id, starts_at)
);
CREATE INDEX reception_days_when ON reception_days (starts_at);
CREATE INDEX reception_days_org_unit ON reception_days (org_unit text_pattern_ops);

-- 履职活动: liaison activities with their participants, reach and opinions taken in.
CREATE TABLE activities (
    id             uuid PRIMARY KEY,
    type           text        NOT NULL,
    title          text        NOT NULL,
    org_unit       text        NOT NULL REFERENCES org_units (code),
    occurred_on    date        NOT NULL,
    people_reached int         NOT NULL DEFAULT 0 CHECK (people_reached >= 0),
    opinion_ids    text[]      NOT NULL DEFAULT '{}',
    description    text,
    logged_by      text        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activities_org_unit ON activities (org_unit text_pattern_ops);
CREATE TABLE activity_participants (
    activity_id uuid NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    member_id   uuid NOT NULL REFERENCES members (id),
    PRIMARY KEY (activity_id, member_id)
);
CREATE INDEX activity_participants_member ON activity_participants (member_id);

-- 考核: yearly rule sets (versioned data), credits from other services' events,
-- and published assessments.
CREATE TABLE assessment_rules (
    org_unit   text        NOT NULL REFERENCES org_units (code),
    year       int         NOT NULL,
    version    int         NOT NULL,
    rules      jsonb       NOT NULL,
    created_by text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_unit, year, version)
);
CREATE TABLE credits (
    member_id   uuid        NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('proposal_accepted', 'outcome_converted', 'satisfied_rating')),
    source_id   text        NOT NULL,
    occurred_at timestamptz NOT NULL,
    PRIMARY KEY (member_id, kind, source_id)
);
CREATE TABLE assessments (
    id           uuid PRIMARY KEY,
    org_unit     text        NOT NULL REFERENCES org_units (code),
    year         int         NOT NULL,
    rule_version int         NOT NULL,
    scores       jsonb       NOT NULL,
    rankings     jsonb       NOT NULL,
    published_by text        NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assessments_org_year ON assessments (org_unit, year);

-- migrate:down
DROP TABLE assessments, credits, assessment_rules, activity_participants, activities,
    reception_days, venues, member_assignments, members, bridges, plan_items,
    special_committee_sectors, special_committees, sectors;
