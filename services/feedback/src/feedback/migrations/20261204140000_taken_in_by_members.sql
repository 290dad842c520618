-- migrate:up
-- Members do casework (issue 20.1): an opinion a member took in names that member
-- (`received_by`, attested by the member's or staff's token, unlike the public intake's
-- `member_id`), the reception day (委员接待日) or liaison activity (履职活动) where it was taken in,
-- and the sector (界别) whose constituents raised it.
ALTER TABLE opinions
    ADD COLUMN received_by      text,
    ADD COLUMN reception_day_id text,
    ADD COLUMN activity_id      text,
    ADD COLUMN sector_id        text;
CREATE INDEX opinions_received_by ON opinions (received_by, created_at DESC) WHERE received_by IS NOT NULL;

-- Feedback's copy of the reception days and activities of members, to check an opinion taken
-- in against them (from reception_day.scheduled and activity.logged; rebuildable by replay).
CREATE TABLE reception_days (
    id          text PRIMARY KEY,
    member_id   text        NOT NULL,
    venue_id    text        NOT NULL,
    org_unit    text        NOT NULL,
    source_time timestamptz NOT NULL
);

CREATE TABLE activities (
    id          text PRIMARY KEY,
    org_unit    text        NOT NULL,
    member_ids  text[]      NOT NULL,
    source_time timestamptz NOT NULL
);

-- migrate:down
DROP TABLE activities;
DROP TABLE reception_days;
DROP INDEX opinions_received_by;
ALTER TABLE opinions
    DROP COLUMN sector_id,
    DROP COLUMN activity_id,
    DROP COLUMN reception_day_id,
    DROP COLUMN received_by;
