-- migrate:up
-- A delivery worker claims a batch (claimed_until) and commits, then sends with no transaction
-- open, then records each outcome: no row lock is held across SMTP, a webhook or an SMS gateway,
-- and a crashed worker's claims come back when they lapse. A member's private address is asked
-- of members at sending; a member who gave none is skipped (the inbox item reached them).
ALTER TABLE notifications ADD COLUMN claimed_until timestamptz;
ALTER TABLE notifications DROP CONSTRAINT notifications_status_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('pending', 'sent', 'failed', 'skipped'));

-- migrate:down
ALTER TABLE notifications DROP CONSTRAINT notifications_status_check;
UPDATE notifications SET status = 'failed' WHERE status = 'skipped';
ALTER TABLE notifications ADD CONSTRAINT notifications_status_check CHECK (status IN ('pending', 'sent', 'failed'));
ALTER TABLE notifications DROP COLUMN claimed_until;
