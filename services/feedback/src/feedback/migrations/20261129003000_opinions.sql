-- migrate:up
-- 群众意见: one row per case. Personal data lives in `submitters`, encrypted per subject.
CREATE TABLE opinions (
    id             uuid PRIMARY KEY,
    tracking_code  text        NOT NULL UNIQUE,
    content        text        NOT NULL,
    category       text,
    channel        text        NOT NULL CHECK (channel IN ('online', 'reception_day', 'visit', 'contact_point', 'hotline', 'consultation')),
    urgency        text        NOT NULL DEFAULT 'normal' CHECK (urgency IN ('normal', 'urgent')),
    org_unit       text        NOT NULL,           -- where it arises
    handling_unit  text        NOT NULL,           -- the level triaging it now
    first_receiver text        NOT NULL,           -- 首接负责: responsible until accepted elsewhere
    status         text        NOT NULL,
    member_id      text,
    venue_id       text,
    subject_id     uuid,                           -- the submitter's data subject, if consented
    consent        boolean     NOT NULL DEFAULT false,
    people_count   int         NOT NULL DEFAULT 1 CHECK (people_count >= 1),
    merged_into    uuid REFERENCES opinions (id),
    reopened       boolean     NOT NULL DEFAULT false,
    deadline       date,
    answer         text,                           -- on-the-spot answer
    rating         text,
    rating_comment text,
    converted_to   jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    closed_at      timestamptz
);
CREATE INDEX opinions_handling_unit ON opinions (handling_unit text_pattern_ops);
CREATE INDEX opinions_org_unit ON opinions (org_unit text_pattern_ops);
CREATE INDEX opinions_status ON opinions (status);
CREATE INDEX opinions_deadline ON opinions (deadline) WHERE status = 'assigned';

-- The submitter: name and phone sealed with the subject's own data key; erasing the key
-- (crypto-shredding) makes them unreadable everywhere, backups included.
CREATE TABLE submitters (
    subject_id  uuid PRIMARY KEY,
    wrapped_key bytea,                -- NULL once erased
    name_sealed bytea,
    phone_sealed bytea,
    consented_at timestamptz NOT NULL DEFAULT now(),
    erased_at   timestamptz
);

-- 交办: the departments a case went to (lead and co-handling), each with its own state.
CREATE TABLE assignments (
    opinion_id    uuid        NOT NULL REFERENCES opinions (id),
    department_id text        NOT NULL,
    lead          boolean     NOT NULL DEFAULT false,
    state         text        NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'returned', 'replied')),
    deadline      date        NOT NULL,
    assigned_at   timestamptz NOT NULL DEFAULT now(),
    reply         text,
    replied_at    timestamptz,
    return_reason text,
    round         int         NOT NULL DEFAULT 1,
    PRIMARY KEY (opinion_id, department_id, round)
);
CREATE INDEX assignments_department ON assignments (department_id, state);

-- 延期申请: a department asks, staff decide.
CREATE TABLE extension_requests (
    id            uuid PRIMARY KEY,
    opinion_id    uuid        NOT NULL REFERENCES opinions (id),
    department_id text        NOT NULL,
    days          int         NOT NULL CHECK (days BETWEEN 1 AND 60),
    reason        text        NOT NULL,
    decision      text CHECK (decision IN ('approved', 'refused')),
    decided_by    text,
    requested_at  timestamptz NOT NULL DEFAULT now(),
    decided_at    timestamptz
);

-- 督办 and the democratic-supervision forms recorded against a case.
CREATE TABLE supervisions (
    id         uuid PRIMARY KEY,
    opinion_id uuid        NOT NULL REFERENCES opinions (id),
    form       text        NOT NULL,
    note       text,
    by_sub     text        NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);

-- The case history: who did what, when, why.
CREATE TABLE case_history (
    id          bigserial PRIMARY KEY,
    opinion_id  uuid        NOT NULL REFERENCES opinions (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor_sub   text        NOT NULL,
    actor_role  text        NOT NULL,
    actor_org   text,
    action      text        NOT NULL,
    from_status text,
    to_status   text        NOT NULL,
    detail      jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX case_history_opinion ON case_history (opinion_id, id);

-- migrate:down
DROP TABLE case_history, supervisions, extension_requests, assignments, submitters, opinions;
