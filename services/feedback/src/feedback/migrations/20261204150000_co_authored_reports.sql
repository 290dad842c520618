-- migrate:up
-- Members write 社情民意 (issue 20.1): a report a member drafts names it (`drafted_by`); its
-- co-authors confirm (`confirmed_member_ids`) before it goes anywhere. `adopted_by` names the
-- real receiving level: a county adoption is not "city".
ALTER TABLE reports
    ADD COLUMN drafted_by           text,
    ADD COLUMN confirmed_member_ids text[] NOT NULL DEFAULT '{}';
ALTER TABLE reports DROP CONSTRAINT reports_adopted_by_check;
ALTER TABLE reports ADD CONSTRAINT reports_adopted_by_check
    CHECK (adopted_by IN ('town', 'county', 'city', 'province', 'national'));

-- migrate:down
UPDATE reports SET adopted_by = 'city' WHERE adopted_by IN ('town', 'county');
ALTER TABLE reports DROP CONSTRAINT reports_adopted_by_check;
ALTER TABLE reports ADD CONSTRAINT reports_adopted_by_check
    CHECK (adopted_by IN ('city', 'province', 'national'));
ALTER TABLE reports
    DROP COLUMN confirmed_member_ids,
    DROP COLUMN drafted_by;
