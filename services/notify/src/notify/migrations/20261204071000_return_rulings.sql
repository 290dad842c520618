-- migrate:up
-- 退单审核: a department whose return staff overruled keeps the case, and hears so.
INSERT INTO templates (key, locale, subject, body) VALUES
('return_overruled', 'zh-CN', '退单未获同意', '{org_unit_name}未同意贵单位的退单，理由：{reason}。该件群众意见仍由贵单位办理，请于{deadline}前答复。'),
('return_overruled', 'en', 'Return overruled', '{org_unit_name} overruled your return: {reason}. The opinion stays with you; reply by {deadline}.');

INSERT INTO rules (event_type, recipient, field, channels, template, only_if) VALUES
('cppcc.feedback.opinion.return_ruled', 'department', 'department_id', '{inbox,email}', 'return_overruled',
 '{"ruling": ["overruled"]}');

-- migrate:down
DELETE FROM rules WHERE template = 'return_overruled';
DELETE FROM templates WHERE key = 'return_overruled';
