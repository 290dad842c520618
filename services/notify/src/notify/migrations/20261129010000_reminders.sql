-- migrate:up
-- Open deadlines, kept from feedback's events, and the reminders already sent for them.
CREATE TABLE deadlines (
    source_id      text PRIMARY KEY,       -- an opinion or proposal id
    kind           text        NOT NULL CHECK (kind IN ('opinion', 'proposal')),
    org_unit       text        NOT NULL,
    deadline       date        NOT NULL,
    department_ids text[]      NOT NULL,
    open           boolean     NOT NULL DEFAULT true
);
CREATE INDEX deadlines_open ON deadlines (deadline) WHERE open;

INSERT INTO templates (key, locale, subject, body) VALUES
('deadline_reminder', 'zh-CN', '办理期限提醒', '贵单位承办的{kind_name}将于{deadline}到期（还有{days}天），请按时答复。'),
('deadline_reminder', 'en', 'Deadline reminder', 'A {kind} assigned to you is due on {deadline} ({days} days left).');

-- migrate:down
DELETE FROM templates WHERE key = 'deadline_reminder';
DROP TABLE deadlines;
