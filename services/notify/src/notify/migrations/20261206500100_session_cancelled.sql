-- migrate:up
-- A session cancelled (协商议事取消): those its invitation reached — members and departments, by
-- the same channels — and the unit's staff hear that it will not be held, and why.
INSERT INTO templates (key, locale, subject, body) VALUES
('session_cancelled', 'zh-CN', '协商议事取消', '原定于{starts_at}（北京时间）举行的“{title}”协商议事已取消，原因：{reason}。'),
('session_cancelled', 'en', 'Consultation cancelled', '"{title}", planned for {starts_at}, will not be held: {reason}.');
INSERT INTO rules (event_type, recipient, field, channels, template) VALUES
('cppcc.consultation.session.cancelled', 'member', 'member_ids', '{inbox,email}', 'session_cancelled'),
('cppcc.consultation.session.cancelled', 'department', 'department_ids', '{inbox,email}', 'session_cancelled'),
('cppcc.consultation.session.cancelled', 'org_staff', 'org_unit', '{inbox}', 'session_cancelled');

-- migrate:down
DELETE FROM rules WHERE template = 'session_cancelled';
DELETE FROM templates WHERE key = 'session_cancelled';
