-- migrate:up
-- A topic's plan submitted (consultation's topic.stage_changed to plan_submitted): the
-- leaders of its unit, who approve it, are told.
INSERT INTO rules (event_type, recipient, field, channels, template, only_if) VALUES
('cppcc.consultation.topic.stage_changed', 'leader', 'org_unit', '{inbox}', 'plan_submitted',
 '{"stage": ["plan_submitted"]}');

-- migrate:down
DELETE FROM rules WHERE event_type = 'cppcc.consultation.topic.stage_changed' AND template = 'plan_submitted';
