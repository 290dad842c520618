-- migrate:up
-- Reports adopted and leaders' instructions on them count for their authors too.
ALTER TABLE credits DROP CONSTRAINT credits_kind_check;
ALTER TABLE credits ADD CONSTRAINT credits_kind_check CHECK (kind IN (
    'proposal_accepted', 'outcome_converted', 'satisfied_rating', 'report_adopted', 'instruction'));

-- migrate:down
DELETE FROM credits WHERE kind IN ('report_adopted', 'instruction');
ALTER TABLE credits DROP CONSTRAINT credits_kind_check;
ALTER TABLE credits ADD CONSTRAINT credits_kind_check CHECK (kind IN (
    'proposal_accepted', 'outcome_converted', 'satisfied_rating'));
