-- migrate:up
-- SMS, and the citizen who handed in an opinion as a recipient (reached only with consent,
-- through feedback at the moment of sending; no phone number is kept here).
ALTER TABLE notifications DROP CONSTRAINT notifications_channel_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_channel_check
    CHECK (channel IN ('inbox', 'email', 'webhook', 'sms'));
ALTER TABLE rules DROP CONSTRAINT rules_recipient_check;
ALTER TABLE rules ADD CONSTRAINT rules_recipient_check
    CHECK (recipient IN ('member', 'org_staff', 'department', 'supervisor_staff', 'submitter'));

-- What the development SMS gateway "sent"; the idempotency key makes a retry after a crash
-- send nothing twice.
CREATE TABLE sms_messages (
    idempotency_key text PRIMARY KEY,
    phone           text        NOT NULL,
    body            text        NOT NULL,
    sent_at         timestamptz NOT NULL DEFAULT now()
);

INSERT INTO templates (key, locale, subject, body) VALUES
('opinion_replied_citizen', 'zh-CN', '意见答复', '您反映的问题已有答复，请查看并评价：{link}'),
('opinion_replied_citizen', 'en', 'Your opinion was answered', 'Your opinion has an answer; see and rate it: {link}');
INSERT INTO rules (event_type, recipient, field, channels, template) VALUES
('cppcc.feedback.opinion.replied', 'submitter', 'opinion_id', '{sms}', 'opinion_replied_citizen');

-- migrate:down
DELETE FROM rules WHERE recipient = 'submitter';
DELETE FROM templates WHERE key = 'opinion_replied_citizen';
DROP TABLE sms_messages;
DELETE FROM notifications WHERE channel = 'sms';
ALTER TABLE notifications DROP CONSTRAINT notifications_channel_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_channel_check CHECK (channel IN ('inbox', 'email', 'webhook'));
ALTER TABLE rules DROP CONSTRAINT rules_recipient_check;
ALTER TABLE rules ADD CONSTRAINT rules_recipient_check
    CHECK (recipient IN ('member', 'org_staff', 'department', 'supervisor_staff'));
