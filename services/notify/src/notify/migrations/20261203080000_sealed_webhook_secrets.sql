-- migrate:up
-- Webhook signing secrets are sealed with the master key (AES-GCM, bound to the subscription
-- id). SQL cannot seal them: notify seals the rows written before this at its start and
-- clears their text (notify.webhooks.seal_clear_secrets).
ALTER TABLE subscriptions ADD COLUMN secret_sealed bytea;
ALTER TABLE subscriptions ALTER COLUMN secret DROP NOT NULL;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_secret_kept
    CHECK (secret IS NOT NULL OR secret_sealed IS NOT NULL);
COMMENT ON COLUMN subscriptions.secret IS 'Legacy: a secret in clear, sealed into secret_sealed and cleared at notify''s start';

-- migrate:down
-- Sealed secrets cannot be opened in SQL: their subscriptions end (subscribe again for a new secret).
UPDATE subscriptions SET active = false WHERE secret IS NULL;
UPDATE subscriptions SET secret = '' WHERE secret IS NULL;
ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_secret_kept;
ALTER TABLE subscriptions ALTER COLUMN secret SET NOT NULL;
ALTER TABLE subscriptions DROP COLUMN secret_sealed;
