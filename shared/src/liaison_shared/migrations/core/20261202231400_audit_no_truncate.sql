-- migrate:up
-- TRUNCATE fires no row trigger: without these, one statement emptied the log and its seals
-- and the (now empty) chain verified. Statement-level triggers refuse it like a DELETE.
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_seals_no_truncate BEFORE TRUNCATE ON audit_seals
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- migrate:down
DROP TRIGGER audit_seals_no_truncate ON audit_seals;
DROP TRIGGER audit_log_no_truncate ON audit_log;
