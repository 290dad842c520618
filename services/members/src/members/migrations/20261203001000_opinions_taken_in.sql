-- migrate:up
-- 群众意见 as feedback announces them (opinion.submitted): where each arose and which member
-- took it in. An activity names only these, and a satisfied rating credits only that member.
-- No personal data: the submitter stays in feedback.
CREATE TABLE opinions (
    id          text PRIMARY KEY,
    org_unit    text        NOT NULL,
    member_id   text,       -- as feedback sent it: not necessarily a member's id
    source_time timestamptz NOT NULL
);
CREATE INDEX opinions_member ON opinions (member_id);

-- migrate:down
DROP TABLE opinions;
