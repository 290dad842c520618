-- migrate:up
-- Overdue notices also go by SMS to the departments' duty phones (urgent by nature).
UPDATE rules SET channels = '{inbox,email,sms}'
 WHERE event_type = 'cppcc.feedback.opinion.overdue' AND recipient = 'department';

-- A person (the token subject) can be a recipient too, besides a member, a department or a role.
ALTER TABLE rules DROP CONSTRAINT rules_recipient_check;
ALTER TABLE rules ADD CONSTRAINT rules_recipient_check
    CHECK (recipient IN ('member', 'org_staff', 'department', 'supervisor_staff', 'submitter', 'person'));

INSERT INTO templates (key, locale, subject, body) VALUES
('topic_proposed', 'zh-CN', '新的协商议题', '议题“{title}”已进入议题库。'),
('topic_proposed', 'en', 'New consultation topic', 'Topic "{title}" entered the pool.'),
('topic_approved', 'zh-CN', '协商方案获批', '议题“{title}”的协商方案已获批准。'),
('topic_approved', 'en', 'Consultation plan approved', 'The plan of topic "{title}" was approved.'),
('session_scheduled', 'zh-CN', '协商议事邀请', '诚邀您参加“{title}”协商议事，时间：{starts_at}。'),
('session_scheduled', 'en', 'Consultation invitation', 'You are invited to "{title}" at {starts_at}.'),
('session_concluded', 'zh-CN', '协商议事结束', '“{title}”协商议事已结束，纪要已形成。'),
('session_concluded', 'en', 'Consultation concluded', '"{title}" concluded; the minutes are recorded.'),
('report_adopted', 'zh-CN', '社情民意信息采用', '您参与撰写的信息已被采用（{adopted_by}）。'),
('report_adopted', 'en', 'Report adopted', 'A report you wrote was adopted ({adopted_by}).'),
('department_registered', 'zh-CN', '承办单位登记', '{name}已登记为承办单位，交办事项将在此通知。'),
('department_registered', 'en', 'Department registered', '{name} is registered; assignments will be announced here.');
INSERT INTO rules (event_type, recipient, field, channels, template) VALUES
('cppcc.consultation.topic.proposed', 'org_staff', 'org_unit', '{inbox}', 'topic_proposed'),
('cppcc.consultation.topic.approved', 'org_staff', 'org_unit', '{inbox,email}', 'topic_approved'),
('cppcc.consultation.session.scheduled', 'member', 'member_ids', '{inbox,email}', 'session_scheduled'),
('cppcc.consultation.session.scheduled', 'department', 'department_ids', '{inbox,email}', 'session_scheduled'),
('cppcc.consultation.session.scheduled', 'org_staff', 'org_unit', '{inbox}', 'session_scheduled'),
('cppcc.consultation.session.concluded', 'member', 'member_ids', '{inbox}', 'session_concluded'),
('cppcc.consultation.session.concluded', 'org_staff', 'org_unit', '{inbox}', 'session_concluded'),
('cppcc.feedback.report.adopted', 'member', 'member_ids', '{inbox}', 'report_adopted'),
('cppcc.members.department.registered', 'department', 'id', '{inbox}', 'department_registered');

-- migrate:down
UPDATE rules SET channels = '{inbox,email}'
 WHERE event_type = 'cppcc.feedback.opinion.overdue' AND recipient = 'department';
ALTER TABLE rules DROP CONSTRAINT rules_recipient_check;
ALTER TABLE rules ADD CONSTRAINT rules_recipient_check
    CHECK (recipient IN ('member', 'org_staff', 'department', 'supervisor_staff', 'submitter'));
DELETE FROM rules WHERE event_type LIKE 'cppcc.consultation.%'
    OR event_type IN ('cppcc.feedback.report.adopted', 'cppcc.members.department.registered');
DELETE FROM templates WHERE key IN ('topic_proposed', 'topic_approved', 'session_scheduled', 'session_concluded',
                                    'report_adopted', 'department_registered');
