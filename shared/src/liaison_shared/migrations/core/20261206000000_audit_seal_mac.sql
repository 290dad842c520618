-- migrate:up
-- Each seal names its MAC: HMAC-SHA256, or HMAC-SM3 once CRYPTO_SUITE=sm4-gcm (密评). Seals made
-- before this column were all HMAC-SHA256. Adding a column fires no row trigger.
ALTER TABLE audit_seals ADD COLUMN mac text NOT NULL DEFAULT 'hmac-sha256'
    CHECK (mac IN ('hmac-sha256', 'hmac-sm3'));
ALTER TABLE audit_seals ALTER COLUMN mac DROP DEFAULT;

-- migrate:down
ALTER TABLE audit_seals DROP COLUMN mac;
