-- migrate:up transaction:false
-- The inbox retention job deletes the oldest rows in batches (liaison_shared.inbox.purge_handled).
-- Built concurrently: a running service keeps writing the inbox meanwhile.
CREATE INDEX CONCURRENTLY IF NOT EXISTS inbox_handled_at ON inbox (handled_at);

-- migrate:down
DROP INDEX IF EXISTS inbox_handled_at;
