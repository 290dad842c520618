-- migrate:up
-- A session's status as consultation announces it: scheduled (session.scheduled), then cancelled
-- (session.cancelled) or concluded (session.concluded), both final. Only a scheduled session gives
-- check-in codes and takes check-ins, so members never credits attendance consultation would not
-- count. Sessions kept before this column are scheduled until a replay of cppcc.consultation.session
-- (liaison replay) brings their conclusions; a cancellation before it was never announced.
ALTER TABLE consultation_sessions ADD COLUMN status text NOT NULL DEFAULT 'scheduled'
    CHECK (status IN ('scheduled', 'cancelled', 'concluded'));

-- migrate:down
ALTER TABLE consultation_sessions DROP COLUMN status;
