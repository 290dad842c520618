-- migrate:up
-- Webhooks for other government systems: by event type and org-unit subtree.
CREATE TABLE subscriptions (
    id          uuid PRIMARY KEY,
    name        text        NOT NULL,
    url         text        NOT NULL,
    secret      text        NOT NULL,        -- the HMAC-SHA256 key shared with the subscriber
    event_types text[]      NOT NULL,        -- unversioned types; '*' for all
    org_unit    text        NOT NULL,        -- events of this unit and the units under it
    active      boolean     NOT NULL DEFAULT true,
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE notifications DROP CONSTRAINT notifications_channel_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_channel_check
    CHECK (channel IN ('inbox', 'email', 'webhook'));

-- migrate:down
DELETE FROM notifications WHERE channel = 'webhook';
ALTER TABLE notifications DROP CONSTRAINT notifications_channel_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_channel_check CHECK (channel IN ('inbox', 'email'));
DROP TABLE subscriptions;
