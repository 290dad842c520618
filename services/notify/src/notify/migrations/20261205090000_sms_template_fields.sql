-- migrate:up
-- A provider that sends only pre-approved templates (Alibaba Cloud SMS) is given a template code and
-- the values of its variables, not our text: an SMS keeps the key of the template it was written
-- from and the values of that template's {fields} (no more than its body already says; a citizen's
-- {link} stays a placeholder, filled at sending).
ALTER TABLE notifications ADD COLUMN template text;
ALTER TABLE notifications ADD COLUMN template_fields jsonb;

-- migrate:down
ALTER TABLE notifications DROP COLUMN template_fields;
ALTER TABLE notifications DROP COLUMN template;
