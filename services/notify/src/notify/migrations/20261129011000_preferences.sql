-- migrate:up
-- Per recipient: language, quiet hours (China time) and a daily digest for non-urgent e-mail.
CREATE TABLE preferences (
    recipient_kind text    NOT NULL,
    recipient_id   text    NOT NULL,
    locale         text    NOT NULL DEFAULT 'zh-CN' CHECK (locale IN ('zh-CN', 'en')),
    quiet_from     time,
    quiet_to       time,
    digest         boolean NOT NULL DEFAULT false,
    PRIMARY KEY (recipient_kind, recipient_id),
    CHECK ((quiet_from IS NULL) = (quiet_to IS NULL))
);

ALTER TABLE notifications ADD COLUMN urgent boolean NOT NULL DEFAULT false;
ALTER TABLE notifications ADD COLUMN in_digest boolean NOT NULL DEFAULT false;

INSERT INTO templates (key, locale, subject, body) VALUES
('daily_digest', 'zh-CN', '每日通知汇总（{count}条）', '{items}'),
('daily_digest', 'en', 'Daily digest ({count})', '{items}');

-- migrate:down
DELETE FROM templates WHERE key = 'daily_digest';
ALTER TABLE notifications DROP COLUMN in_digest;
ALTER TABLE notifications DROP COLUMN urgent;
DROP TABLE preferences;
