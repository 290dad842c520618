-- migrate:up
-- 公开: a proposal's reply made public by staff, once every member proposer consented to it.
ALTER TABLE proposal_signers ADD COLUMN disclosure_consented_at timestamptz;
ALTER TABLE proposals ADD COLUMN reply_published_at timestamptz;
CREATE INDEX proposals_reply_published ON proposals (reply_published_at DESC) WHERE reply_published_at IS NOT NULL;

-- migrate:down
DROP INDEX proposals_reply_published;
ALTER TABLE proposals DROP COLUMN reply_published_at;
ALTER TABLE proposal_signers DROP COLUMN disclosure_consented_at;
