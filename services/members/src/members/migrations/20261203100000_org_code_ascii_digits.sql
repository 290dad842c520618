-- migrate:up
-- A division code is twelve ASCII digits: `\d` would let other scripts' digits through.
ALTER TABLE org_units DROP CONSTRAINT org_units_code_check;
ALTER TABLE org_units ADD CONSTRAINT org_units_code_check CHECK (code ~ '^[0-9]{12}$');

-- migrate:down
ALTER TABLE org_units DROP CONSTRAINT org_units_code_check;
ALTER TABLE org_units ADD CONSTRAINT org_units_code_check CHECK (code ~ '^\d{12}$');
