-- migrate:up
-- A credit for work on an opinion (a satisfied rating, an opinion's conversion) names the opinion
-- and counts only while that opinion was taken in by the credited member in its committee: it is
-- checked when scores are computed, not when the event arrives, because opinion.submitted and
-- the events that credit it travel on different topics and may come in either order (always
-- so on a replay from the beginning).
ALTER TABLE credits ADD COLUMN opinion_id text;
CREATE INDEX credits_opinion ON credits (opinion_id) WHERE opinion_id IS NOT NULL;

-- migrate:down
DROP INDEX credits_opinion;
ALTER TABLE credits DROP COLUMN opinion_id;
