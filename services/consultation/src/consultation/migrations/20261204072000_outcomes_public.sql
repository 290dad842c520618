-- migrate:up
-- 公开: staff publish an outcome; the public reads what was agreed and how it was evaluated.
ALTER TABLE outcomes ADD COLUMN published_at timestamptz;
CREATE INDEX outcomes_published ON outcomes (published_at DESC) WHERE published_at IS NOT NULL;

-- migrate:down
DROP INDEX outcomes_published;
ALTER TABLE outcomes DROP COLUMN published_at;
