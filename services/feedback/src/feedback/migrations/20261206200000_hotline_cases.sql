-- migrate:up
-- Cases imported from a city's 12345 government hotline: the hotline's case number (工单号) is
-- unique within the city's hotline, and the key that makes an import idempotent — a row whose
-- number is here already creates nothing. The opinion it became is inserted after the number is
-- claimed, in the same transaction, hence the deferred reference.
CREATE TABLE hotline_cases (
    city        text        NOT NULL,             -- the city's division code: whose hotline numbered it
    case_number text        NOT NULL,
    opinion_id  uuid        NOT NULL UNIQUE REFERENCES opinions (id) DEFERRABLE INITIALLY DEFERRED,
    org_unit    text        NOT NULL,             -- the case's, for scoping reads
    received_at timestamptz,                      -- when the hotline took the call (来电时间)
    imported_by text        NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (city, case_number)
);
CREATE INDEX hotline_cases_org_unit ON hotline_cases (org_unit text_pattern_ops);

-- migrate:down
DROP TABLE hotline_cases;
