-- migrate:up
-- Open311 GeoReport v2: the civic apps staff issued an api_key to, and the cases they handed in.
-- Only a SHA-256 of a key is kept (a key is 256 random bits: nothing to try), so a copy of the
-- database opens no door; staff see a key once, when they issue it.
CREATE TABLE open311_clients (
    id         uuid PRIMARY KEY,
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    org_unit   text        NOT NULL,           -- it hands in cases for this unit and those under it
    key_hash   bytea       NOT NULL UNIQUE,
    created_by text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX open311_clients_org_unit ON open311_clients (org_unit text_pattern_ops);

-- A case handed in through Open311, by which client, and where (optional, as the client gave it):
-- kept with the case for the staff who handle it, never shown by the public Open311 reads.
CREATE TABLE open311_requests (
    opinion_id     uuid PRIMARY KEY REFERENCES opinions (id),
    client_id      uuid NOT NULL REFERENCES open311_clients (id),
    latitude       double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude      double precision CHECK (longitude BETWEEN -180 AND 180),
    address_string text CHECK (length(address_string) <= 200),
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((latitude IS NULL) = (longitude IS NULL))
);
CREATE INDEX open311_requests_client ON open311_requests (client_id, created_at DESC);

-- migrate:down
DROP TABLE open311_requests, open311_clients;
