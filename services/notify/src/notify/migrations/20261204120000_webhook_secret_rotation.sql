-- migrate:up
-- Rotating a webhook's signing secret: the secret it replaced is kept, sealed like the new one,
-- until previous_secret_until, and deliveries until then carry a signature by each.
ALTER TABLE subscriptions ADD COLUMN previous_secret_sealed bytea;
ALTER TABLE subscriptions ADD COLUMN previous_secret_until timestamptz;
ALTER TABLE subscriptions ADD COLUMN secret_rotated_at timestamptz;
COMMENT ON COLUMN subscriptions.previous_secret_sealed IS 'The secret before the last rotation, sealed; also signs until previous_secret_until';

-- migrate:down
ALTER TABLE subscriptions DROP COLUMN secret_rotated_at;
ALTER TABLE subscriptions DROP COLUMN previous_secret_until;
ALTER TABLE subscriptions DROP COLUMN previous_secret_sealed;
