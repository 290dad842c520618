-- migrate:up
-- The audit log: one row per committed write through the API, chained by the sealer
-- (seq, prev_hash, hash) so that a changed or removed row breaks the chain.
CREATE TABLE audit_log (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor_sub    text        NOT NULL,
    actor_role   text        NOT NULL,
    actor_org    text,
    action       text        NOT NULL,
    resource     text        NOT NULL,
    resource_id  text,
    trace_id     text,
    change_hash  text        NOT NULL,
    events       text[]      NOT NULL DEFAULT '{}',
    seq          bigint UNIQUE,
    prev_hash    text,
    hash         text
);
CREATE INDEX audit_log_unsealed ON audit_log (id) WHERE seq IS NULL;
CREATE INDEX audit_log_resource ON audit_log (resource_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor_sub, id);

-- Append-only: a row is never deleted, and once sealed never changed; before that only
-- the sealer's three columns may be set.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit_log is append-only';
    END IF;
    IF OLD.seq IS NOT NULL
       OR (NEW.id, NEW.at, NEW.actor_sub, NEW.actor_role, NEW.actor_org, NEW.action, NEW.resource,
           NEW.resource_id, NEW.trace_id, NEW.change_hash, NEW.events)
          IS DISTINCT FROM
          (OLD.id, OLD.at, OLD.actor_sub, OLD.actor_role, OLD.actor_org, OLD.action, OLD.resource,
           OLD.resource_id, OLD.trace_id, OLD.change_hash, OLD.events) THEN
        RAISE EXCEPTION 'audit_log is append-only';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- migrate:down
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
