-- migrate:up
-- The 12345 government hotline of a city: where the status changes of the cases it handed us go
-- back, signed like every webhook, in the hotline's own field names and status codes. One per
-- city (case numbers are the city hotline's); edited by admins (POST /api/v1/hotline/endpoints).
CREATE TABLE hotline_endpoints (
    id            uuid PRIMARY KEY,
    city          text        NOT NULL UNIQUE,
    name          text        NOT NULL,
    url           text        NOT NULL,
    secret_sealed bytea       NOT NULL,          -- sealed with the master key, bound to id
    fields        jsonb       NOT NULL DEFAULT '{}',  -- our field → the hotline's name (null: left out), over the defaults
    statuses      jsonb       NOT NULL DEFAULT '{}',  -- our status → the hotline's code (null: not sent), over the defaults
    active        boolean     NOT NULL DEFAULT true,
    updated_by    text        NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Which cases came from a hotline, under which number: from opinion.submitted (its
-- hotline_case_number), so that the case's later events, which carry only its id, find it.
CREATE TABLE hotline_cases (
    opinion_id  text PRIMARY KEY,
    city        text NOT NULL,
    case_number text NOT NULL,
    org_unit    text NOT NULL
);

-- migrate:down
DELETE FROM notifications WHERE recipient_kind = 'hotline';
DROP TABLE hotline_cases, hotline_endpoints;
