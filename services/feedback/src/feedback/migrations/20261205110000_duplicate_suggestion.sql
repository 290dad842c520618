-- migrate:up
-- 关注多: each case's character grams (domain/duplicates.py) as 32-bit keys, written with the case,
-- so that open cases saying the same thing are found by overlap and ranked by intarray's sorted
-- intersection in C. pg_trgm is not used: its trigrams of whole "words" say little on Chinese,
-- which has no spaces. intarray is a trusted extension (the database owner may create it); it
-- lands in this schema. Cases from before this migration have no keys and are not suggested.
CREATE EXTENSION IF NOT EXISTS intarray;
ALTER TABLE opinions ADD COLUMN shingles int4[];
-- Only open cases are ever suggested: the index holds only them.
CREATE INDEX opinions_shingles ON opinions USING gin (shingles gin__int_ops)
    WHERE status NOT IN ('merged', 'closed');

-- migrate:down
DROP INDEX opinions_shingles;
ALTER TABLE opinions DROP COLUMN shingles;
DROP EXTENSION IF EXISTS intarray;
