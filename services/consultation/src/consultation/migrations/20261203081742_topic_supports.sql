-- migrate:up
-- 附议: who supported a topic, once each. A member counts one; staff record the supporters
-- they gathered (a signed list, a meeting) once per staff account. A topic's supporters are
-- the sum, never a number a proposer sends.
CREATE TABLE topic_supports (
    topic_id    uuid        NOT NULL REFERENCES topics (id),
    supporter   text        NOT NULL,
    count       int         NOT NULL CHECK (count > 0),
    supported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic_id, supporter)
);
INSERT INTO topic_supports (topic_id, supporter, count)
    SELECT id, 'before-' || id::text, supporters FROM topics WHERE supporters > 0;
ALTER TABLE topics DROP COLUMN supporters;

-- migrate:down
ALTER TABLE topics ADD COLUMN supporters int NOT NULL DEFAULT 0 CHECK (supporters >= 0);
UPDATE topics t SET supporters = (SELECT sum(s.count) FROM topic_supports s WHERE s.topic_id = t.id)
    WHERE EXISTS (SELECT 1 FROM topic_supports s WHERE s.topic_id = t.id);
DROP TABLE topic_supports;
