-- migrate:up
-- Venues (履职平台) as the members service publishes them; sessions are held at them.
CREATE TABLE venues (
    id           text PRIMARY KEY,
    kind         text        NOT NULL,
    name         text        NOT NULL,
    org_unit     text        NOT NULL,
    active       boolean     NOT NULL DEFAULT true,
    source_time  timestamptz NOT NULL
);

-- 切口小、关注多、能解决: the weights of the selection score, as data staff can read and change.
CREATE TABLE selection_weights (
    factor      text PRIMARY KEY CHECK (factor IN ('scope', 'attention', 'solvability', 'attention_half')),
    value       numeric     NOT NULL CHECK (value >= 0),
    meaning     text        NOT NULL,
    updated_by  text        NOT NULL DEFAULT 'migration',
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO selection_weights (factor, value, meaning) VALUES
('scope', 0.3, '切口小: 1 / number of distinct org units the sources come from'),
('attention', 0.4, '关注多: n / (n + attention_half), n = people concerned + linked opinions + supporters'),
('solvability', 0.3, '能解决: share of the competent departments that sit at the topic''s own org unit'),
('attention_half', 10, 'the attention count at which attention scores 0.5');

-- Days each step may take, by track: 急事快议 shortens every one, 小事简议 drops approval.
CREATE TABLE track_deadlines (
    track  text NOT NULL CHECK (track IN ('standard', 'small_matter', 'urgent')),
    step   text NOT NULL CHECK (step IN ('plan_decision', 'first_session', 'conversion', 'department_task')),
    days   int  NOT NULL CHECK (days > 0),
    PRIMARY KEY (track, step)
);
INSERT INTO track_deadlines (track, step, days) VALUES
('standard', 'plan_decision', 10), ('standard', 'first_session', 30), ('standard', 'conversion', 15),
('standard', 'department_task', 30),
('small_matter', 'first_session', 7), ('small_matter', 'conversion', 3), ('small_matter', 'department_task', 15),
('urgent', 'plan_decision', 2), ('urgent', 'first_session', 3), ('urgent', 'conversion', 2),
('urgent', 'department_task', 7);

-- 市县镇村四级差异化定位: what each level's platform takes up, and the forms it uses.
CREATE TABLE level_positioning (
    level  text PRIMARY KEY CHECK (level IN ('city', 'county', 'town', 'village')),
    focus  text   NOT NULL,
    forms  text[] NOT NULL
);
INSERT INTO level_positioning (level, focus, forms) VALUES
('city', '全局性、战略性的重大问题和跨区域事项', '{政协搭台、各方参与}'),
('county', '县域发展重点难点和群众关切的民生实事', '{政协搭台、各方参与,基层搭台、政协嵌入}'),
('town', '镇域民生实事、基层治理中的具体问题', '{基层搭台、政协嵌入,议事厅,小微协商}'),
('village', '村（社区）群众身边的小事、急事', '{基层搭台、政协嵌入,议事厅,小微协商}');

-- 议题: a topic of an org unit's pool, from formation to evaluated outcome.
CREATE TABLE topics (
    id                uuid PRIMARY KEY,
    org_unit          text        NOT NULL,
    level             text        NOT NULL,
    title             text        NOT NULL,
    description       text        NOT NULL DEFAULT '',
    source_kind       text        NOT NULL,
    track             text        NOT NULL DEFAULT 'standard',
    stage             text        NOT NULL DEFAULT 'proposed',
    department_ids    text[]      NOT NULL DEFAULT '{}',
    supporters        int         NOT NULL DEFAULT 0 CHECK (supporters >= 0),
    plan              jsonb,
    due               jsonb       NOT NULL DEFAULT '{}',
    created_by        text        NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    closed_at         timestamptz
);
CREATE INDEX topics_org_unit ON topics (org_unit text_pattern_ops, stage);
CREATE INDEX topics_level ON topics (level, stage);

-- Where a topic came from; opinions linked later count the people behind them.
CREATE TABLE topic_sources (
    topic_id   uuid        NOT NULL REFERENCES topics (id),
    kind       text        NOT NULL,
    ref        text        NOT NULL,
    org_unit   text        NOT NULL,
    people     int         NOT NULL DEFAULT 1 CHECK (people >= 0),
    added_by   text        NOT NULL,
    added_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic_id, kind, ref)
);

CREATE TABLE topic_history (
    id          bigserial PRIMARY KEY,
    topic_id    uuid        NOT NULL REFERENCES topics (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor_sub   text        NOT NULL,
    actor_role  text        NOT NULL,
    actor_org   text,
    action      text        NOT NULL,
    from_stage  text,
    to_stage    text        NOT NULL,
    org_unit    text        NOT NULL,
    detail      jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX topic_history_topic ON topic_history (topic_id, id);

-- 学习调研: field visits and materials, with the members who did them.
CREATE TABLE research (
    id           uuid PRIMARY KEY,
    topic_id     uuid        NOT NULL REFERENCES topics (id),
    kind         text        NOT NULL CHECK (kind IN ('field_visit', 'material')),
    title        text        NOT NULL,
    summary      text        NOT NULL DEFAULT '',
    happened_on  date,
    location     text,
    url          text,
    member_ids   text[]      NOT NULL DEFAULT '{}',
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX research_topic ON research (topic_id);

-- 协商议事: a session of a topic, its participants, attendance and minutes.
CREATE TABLE sessions (
    id                       uuid PRIMARY KEY,
    topic_id                 uuid        NOT NULL REFERENCES topics (id),
    org_unit                 text        NOT NULL,
    title                    text        NOT NULL,
    form                     text        NOT NULL,
    starts_at                timestamptz NOT NULL,
    ends_at                  timestamptz,
    venue_id                 text,
    location                 text,
    member_ids               text[]      NOT NULL DEFAULT '{}',
    department_ids           text[]      NOT NULL DEFAULT '{}',
    experts                  text[]      NOT NULL DEFAULT '{}',
    resident_representatives int         NOT NULL DEFAULT 0 CHECK (resident_representatives >= 0),
    attended_member_ids      text[]      NOT NULL DEFAULT '{}',
    attended_department_ids  text[]      NOT NULL DEFAULT '{}',
    residents_attended       int         NOT NULL DEFAULT 0 CHECK (residents_attended >= 0),
    status                   text        NOT NULL DEFAULT 'scheduled',
    minutes                  text,
    concluded_at             timestamptz,
    created_by               text        NOT NULL,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_topic ON sessions (topic_id);
CREATE INDEX sessions_org_unit ON sessions (org_unit text_pattern_ops, starts_at);

-- Opinions residents raised in a session, handed to feedback (same id there).
CREATE TABLE session_opinions (
    id              uuid PRIMARY KEY,
    session_id      uuid        NOT NULL REFERENCES sessions (id),
    content         text        NOT NULL,
    category        text,
    disposition     text        NOT NULL,
    answer          text,
    department_ids  text[]      NOT NULL DEFAULT '{}',
    deadline        date,
    member_id       text,
    created_by      text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX session_opinions_session ON session_opinions (session_id);

-- 成果: a consensus point or suggestion, converted, then evaluated.
CREATE TABLE outcomes (
    id               uuid PRIMARY KEY,
    topic_id         uuid        NOT NULL REFERENCES topics (id),
    session_id       uuid REFERENCES sessions (id),
    kind             text        NOT NULL CHECK (kind IN ('consensus', 'suggestion')),
    text             text        NOT NULL,
    status           text        NOT NULL DEFAULT 'drafted',
    target_kind      text,
    target_id        text,
    department_ids   text[]      NOT NULL DEFAULT '{}',
    member_ids       text[]      NOT NULL DEFAULT '{}',
    deadline         date,
    converted_at     timestamptz,
    instruction      text,
    instructed_by    text,
    instructed_at    timestamptz,
    result           text,
    reason           text,
    satisfied        int         NOT NULL DEFAULT 0 CHECK (satisfied >= 0),
    basically_satisfied int      NOT NULL DEFAULT 0 CHECK (basically_satisfied >= 0),
    unsatisfied      int         NOT NULL DEFAULT 0 CHECK (unsatisfied >= 0),
    evaluated_at     timestamptz,
    created_by       text        NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outcomes_topic ON outcomes (topic_id);

-- migrate:down
DROP TABLE outcomes;
DROP TABLE session_opinions;
DROP TABLE sessions;
DROP TABLE research;
DROP TABLE topic_history;
DROP TABLE topic_sources;
DROP TABLE topics;
DROP TABLE level_positioning;
DROP TABLE track_deadlines;
DROP TABLE selection_weights;
DROP TABLE venues;
