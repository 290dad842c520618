-- migrate:up
-- Issue 15: an inbox item says what it is about and where to open it; messages speak in
-- labels and China time; the steps of the headline story that told nobody now tell someone.

-- What a notification is about (kind, id; the unit is org_unit) and where to open it: the
-- service and API path, and the portal's page once there is one.
ALTER TABLE notifications ADD COLUMN about_kind text;
ALTER TABLE notifications ADD COLUMN about_id text;
ALTER TABLE notifications ADD COLUMN link_service text;
ALTER TABLE notifications ADD COLUMN link_api text;
ALTER TABLE notifications ADD COLUMN link_page text;

-- A rule may apply only to some of its events: {"source.kind": ["opinion"]} — a dotted path
-- into the event's data and the values it may have. Two rules for one recipient then differ
-- by template, not only by field.
ALTER TABLE rules ADD COLUMN only_if jsonb;
ALTER TABLE rules DROP CONSTRAINT rules_event_type_recipient_field_key;
ALTER TABLE rules ADD CONSTRAINT rules_event_recipient_field_template UNIQUE (event_type, recipient, field, template);

-- Leaders (党委/政协领导) of a unit are recipients too: the plan of a topic waits for them.
ALTER TABLE rules DROP CONSTRAINT rules_recipient_check;
ALTER TABLE rules ADD CONSTRAINT rules_recipient_check
    CHECK (recipient IN ('member', 'org_staff', 'department', 'supervisor_staff', 'submitter', 'person', 'leader'));

-- Who took part in a topic (invited to its sessions, given its tasks): told when its outcomes
-- are evaluated and when it closes. Kept from consultation's events.
CREATE TABLE topic_people (
    topic_id       text PRIMARY KEY,
    member_ids     text[] NOT NULL DEFAULT '{}',
    department_ids text[] NOT NULL DEFAULT '{}'
);

-- Every text says which case, in labels (the renderer turns enum values into them) and China time.
UPDATE templates SET subject = v.subject, body = v.body
  FROM (VALUES
    ('opinion_submitted', 'zh-CN', '新的群众意见', '{org_unit_name}收到一条新的群众意见（渠道：{channel}，类别：{category}），请及时受理。'),
    ('opinion_assigned', 'zh-CN', '意见交办通知', '一件群众意见已交由贵单位办理（{org_unit_name}，{urgency}），请于{deadline}前答复。'),
    ('opinion_assigned', 'en', 'Opinion assigned', 'An opinion from {org_unit_name} was assigned to you ({urgency}); reply by {deadline}.'),
    ('opinion_escalated', 'zh-CN', '意见上报', '一件群众意见从{org_unit_name}上报至{to_unit_name}，原因：{reason}。'),
    ('opinion_replied', 'zh-CN', '意见已答复', '{org_unit_name}受理的一件群众意见已有答复。'),
    ('opinion_overdue', 'zh-CN', '意见办理超期', '{org_unit_name}的一件群众意见已超过办理期限（{deadline}），请尽快办理。'),
    ('opinion_rated', 'zh-CN', '群众评价', '{org_unit_name}的一件群众意见收到评价：{rating}。'),
    ('opinion_closed', 'zh-CN', '意见办结', '您接收的一件群众意见已办结（{final_status}）。'),
    ('proposal_replied', 'zh-CN', '提案已答复', '您的提案{number}已获答复，办理结果：{reply_class}。请评价。'),
    ('proposal_replied', 'en', 'Proposal replied', 'Your proposal {number} was answered: {reply_class}. Please evaluate it.'),
    ('outcome_converted', 'zh-CN', '成果转化', '一项协商成果已转化为{target_kind}：{title}。'),
    ('outcome_converted', 'en', 'Outcome converted', 'An outcome became a {target_kind}: {title}.'),
    ('session_scheduled', 'zh-CN', '协商议事邀请', '诚邀您参加“{title}”协商议事，时间：{starts_at}（北京时间）。'),
    ('report_adopted', 'zh-CN', '社情民意信息采用', '您参与撰写的{kind}已被{adopted_by}采用。'),
    ('report_adopted', 'en', 'Report adopted', 'A {kind} you wrote was adopted ({adopted_by}).')
  ) AS v(key, locale, subject, body)
 WHERE templates.key = v.key AND templates.locale = v.locale;

INSERT INTO templates (key, locale, subject, body) VALUES
('opinion_converted', 'zh-CN', '意见转化', '{org_unit_name}的一件群众意见已转为{target_kind}：{title}。'),
('opinion_converted', 'en', 'Opinion converted', 'An opinion of {org_unit_name} became a {target_kind}: {title}.'),
('opinion_returned', 'zh-CN', '意见退单', '{department_name}退回了一件群众意见，原因：{reason}。请重新交办。'),
('opinion_returned', 'en', 'Opinion returned', '{department_name} returned an opinion: {reason}. Please assign it again.'),
('plan_submitted', 'zh-CN', '协商方案待审定', '议题“{title}”的协商方案已报送，请审定。'),
('plan_submitted', 'en', 'Consultation plan to approve', 'The plan of topic "{title}" awaits your approval.'),
('proposal_to_sign', 'zh-CN', '提案待签署', '由协商成果起草的提案“{title}”请您确认署名。'),
('proposal_to_sign', 'en', 'Proposal to sign', 'A proposal drafted from a consultation outcome, "{title}", awaits your signature.'),
('outcome_evaluated', 'zh-CN', '成果评价', '协商议题的一项成果已评价：{result}。'),
('outcome_evaluated', 'en', 'Outcome evaluated', 'An outcome of a consultation topic was evaluated: {result}.'),
('topic_closed', 'zh-CN', '议题办结', '议题“{title}”{final_stage}。'),
('topic_closed', 'en', 'Topic closed', 'Topic "{title}" is {final_stage}.'),
('conversion_answered_citizen', 'zh-CN', '意见答复', '您反映的问题已转为{source_kind}办理，结果：{result}。请查看并评价：{link}'),
('conversion_answered_citizen', 'en', 'Your opinion was answered', 'Your opinion became a {source_kind}; its result: {result}. See and rate it: {link}'),
('opinion_recalled', 'zh-CN', '意见交办撤回', '{org_unit_name}撤回了交由贵单位办理的一件群众意见，原因：{reason}。无需再办理。'),
('opinion_recalled', 'en', 'Assignment recalled', 'An opinion of {org_unit_name} assigned to you was recalled: {reason}. No reply is needed.');

UPDATE rules SET only_if = '{"source.kind": ["consultation_outcome", "proposal", "public_opinion_report", "special_report", "plenary_speech", "topic", "department_task", "party_report"]}'
 WHERE event_type = 'cppcc.feedback.outcome.converted';

-- The citizen hears of a plain reply, or of the result of what the case became (its source).
UPDATE rules SET only_if = '{"source": [null]}'
 WHERE event_type = 'cppcc.feedback.opinion.replied' AND recipient = 'submitter';

INSERT INTO rules (event_type, recipient, field, channels, template, only_if) VALUES
('cppcc.feedback.opinion.replied', 'submitter', 'opinion_id', '{sms}', 'conversion_answered_citizen', '{"source.kind": ["consultation_outcome", "proposal", "public_opinion_report", "special_report", "plenary_speech", "topic", "department_task", "party_report", "opinion"]}'),
('cppcc.feedback.opinion.recalled', 'department', 'department_ids', '{inbox,email}', 'opinion_recalled', NULL),
('cppcc.feedback.outcome.converted', 'org_staff', 'org_unit', '{inbox}', 'opinion_converted', '{"source.kind": ["opinion"]}'),
('cppcc.feedback.outcome.converted', 'member', 'member_ids', '{inbox}', 'opinion_converted', '{"source.kind": ["opinion"]}'),
('cppcc.feedback.opinion.returned', 'org_staff', 'handling_unit', '{inbox,email}', 'opinion_returned', NULL),
('cppcc.consultation.outcome.converted', 'member', 'member_ids', '{inbox,email}', 'proposal_to_sign', '{"target.kind": ["proposal"]}'),
('cppcc.consultation.outcome.evaluated', 'org_staff', 'org_unit', '{inbox}', 'outcome_evaluated', NULL),
('cppcc.consultation.outcome.evaluated', 'member', 'topic_member_ids', '{inbox}', 'outcome_evaluated', NULL),
('cppcc.consultation.outcome.evaluated', 'department', 'topic_department_ids', '{inbox}', 'outcome_evaluated', NULL),
('cppcc.consultation.topic.closed', 'org_staff', 'org_unit', '{inbox}', 'topic_closed', NULL),
('cppcc.consultation.topic.closed', 'member', 'topic_member_ids', '{inbox}', 'topic_closed', NULL),
('cppcc.consultation.topic.closed', 'department', 'topic_department_ids', '{inbox}', 'topic_closed', NULL);

-- migrate:down
UPDATE rules SET only_if = NULL WHERE event_type = 'cppcc.feedback.opinion.replied';
DELETE FROM rules WHERE template IN ('opinion_recalled', 'opinion_converted', 'opinion_returned', 'plan_submitted', 'proposal_to_sign',
                                     'outcome_evaluated', 'topic_closed', 'conversion_answered_citizen');
DELETE FROM templates WHERE key IN ('opinion_recalled', 'opinion_converted', 'opinion_returned', 'plan_submitted', 'proposal_to_sign',
                                    'outcome_evaluated', 'topic_closed', 'conversion_answered_citizen');
DROP TABLE topic_people;
DELETE FROM notifications WHERE recipient_kind = 'leader';
ALTER TABLE rules DROP CONSTRAINT rules_recipient_check;
ALTER TABLE rules ADD CONSTRAINT rules_recipient_check
    CHECK (recipient IN ('member', 'org_staff', 'department', 'supervisor_staff', 'submitter', 'person'));
ALTER TABLE rules DROP CONSTRAINT rules_event_recipient_field_template;
ALTER TABLE rules ADD CONSTRAINT rules_event_type_recipient_field_key UNIQUE (event_type, recipient, field);
ALTER TABLE rules DROP COLUMN only_if;
ALTER TABLE notifications DROP COLUMN link_page, DROP COLUMN link_api, DROP COLUMN link_service,
    DROP COLUMN about_id, DROP COLUMN about_kind;
