-- migrate:up
-- The chain is sealed by blocks rather than row by row: a seal covers every row written by
-- the transactions with ids in [from_txid, to_txid) — all finished when it was made, so no
-- row can join a sealed block later — and audit rows are never updated at all.
ALTER TABLE audit_log ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX audit_log_txid ON audit_log (txid, id);
DROP INDEX audit_log_unsealed;
ALTER TABLE audit_log DROP COLUMN seq, DROP COLUMN prev_hash, DROP COLUMN hash;

CREATE TABLE audit_seals (
    seq        bigint PRIMARY KEY,
    from_txid  xid8        NOT NULL,
    to_txid    xid8        NOT NULL,
    row_count  int         NOT NULL,
    prev_hash  text        NOT NULL,
    hash       text        NOT NULL,
    sealed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_seals_range ON audit_seals (to_txid);

CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_seals_append_only BEFORE UPDATE OR DELETE ON audit_seals
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- migrate:down
DROP TABLE audit_seals;
ALTER TABLE audit_log ADD COLUMN seq bigint UNIQUE, ADD COLUMN prev_hash text, ADD COLUMN hash text;
CREATE INDEX audit_log_unsealed ON audit_log (id) WHERE seq IS NULL;
DROP INDEX audit_log_txid;
ALTER TABLE audit_log DROP COLUMN txid;
