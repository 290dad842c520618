-- migrate:up
-- A leader's 批示 on a consultation outcome: the topic's unit and the people of the topic hear of it.
INSERT INTO templates (key, locale, subject, body) VALUES
('outcome_instructed', 'zh-CN', '成果获批示', '{org_unit_name}的一项协商成果已获领导批示。'),
('outcome_instructed', 'en', 'Outcome instructed', 'A consultation outcome of {org_unit_name} received a leader''s instruction.');
INSERT INTO rules (event_type, recipient, field, channels, template) VALUES
('cppcc.consultation.outcome.instructed', 'org_staff', 'org_unit', '{inbox}', 'outcome_instructed'),
('cppcc.consultation.outcome.instructed', 'member', 'topic_member_ids', '{inbox}', 'outcome_instructed');

-- migrate:down
DELETE FROM rules WHERE template = 'outcome_instructed';
DELETE FROM templates WHERE key = 'outcome_instructed';
