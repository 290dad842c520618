-- migrate:up
-- 扫码签到 (issue 21.5): who was present at an activity, a reception day or a consultation session,
-- and when — recorded from the signed code the organiser showed, not self-reported. One row per
-- member and occasion: a second scan finds it and changes nothing.
CREATE TABLE check_ins (
    occasion      text        NOT NULL CHECK (occasion IN ('activity', 'reception_day', 'session')),
    occasion_id   text        NOT NULL,
    member_id     uuid        NOT NULL REFERENCES members (id),
    org_unit      text        NOT NULL,
    checked_in_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (occasion, occasion_id, member_id)
);
CREATE INDEX check_ins_member ON check_ins (member_id, checked_in_at);

-- 协商议事 as consultation announces them (session.scheduled): what a session's check-in code is
-- bound to — its unit, its time and whom it invited. Rebuildable by replay.
CREATE TABLE consultation_sessions (
    id          text PRIMARY KEY,
    topic_id    text        NOT NULL,
    org_unit    text        NOT NULL,
    title       text        NOT NULL,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz,
    member_ids  text[]      NOT NULL DEFAULT '{}',
    source_time timestamptz NOT NULL
);

-- 学习调研 on consultation topics joins the work a member's file and score count.
ALTER TABLE member_work DROP CONSTRAINT member_work_kind_check;
ALTER TABLE member_work ADD CONSTRAINT member_work_kind_check
    CHECK (kind IN ('report', 'proposal', 'session', 'research'));

-- migrate:down
DELETE FROM member_work WHERE kind = 'research';
ALTER TABLE member_work DROP CONSTRAINT member_work_kind_check;
ALTER TABLE member_work ADD CONSTRAINT member_work_kind_check CHECK (kind IN ('report', 'proposal', 'session'));
DROP TABLE consultation_sessions;
DROP TABLE check_ins;
