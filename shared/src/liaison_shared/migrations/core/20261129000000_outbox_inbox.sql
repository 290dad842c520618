-- migrate:up
-- The transactional outbox: events written in the same transaction as the state change
-- that caused them, sent by the relay in id order and then marked.
CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    event_id     uuid        NOT NULL UNIQUE,
    topic        text        NOT NULL,
    record_key   text        NOT NULL,
    event_type   text        NOT NULL,
    headers      text[]      NOT NULL,
    payload      bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
-- The relay scans only what is still to send.
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
CREATE INDEX outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL;

-- The idempotent inbox: one row per handled event, written with the handler's effects.
CREATE TABLE inbox (
    source      text        NOT NULL,
    event_id    text        NOT NULL,
    event_type  text        NOT NULL,
    handled_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, event_id)
);

-- migrate:down
DROP TABLE inbox;
DROP TABLE outbox;
