-- migrate:up
-- 退单审核: staff's ruling on a return — upheld, or overruled (the department keeps the case).
ALTER TABLE assignments
    ADD COLUMN return_ruling        text CHECK (return_ruling IN ('upheld', 'overruled')),
    ADD COLUMN return_ruling_reason text,
    ADD COLUMN return_ruled_at      timestamptz;

-- migrate:down
ALTER TABLE assignments DROP COLUMN return_ruled_at, DROP COLUMN return_ruling_reason, DROP COLUMN return_ruling;
