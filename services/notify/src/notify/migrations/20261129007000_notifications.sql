-- migrate:up
-- Rules as data: which event notifies whom, on which channels, with which template.
-- `recipient` names a kind and `field` the event field that holds its id(s).
CREATE TABLE rules (
    id         serial PRIMARY KEY,
    event_type text    NOT NULL,          -- without the version: cppcc.feedback.opinion.submitted
    recipient  text    NOT NULL CHECK (recipient IN ('member', 'org_staff', 'department', 'supervisor_staff')),
    field      text    NOT NULL,
    channels   text[]  NOT NULL,
    template   text    NOT NULL,
    active     boolean NOT NULL DEFAULT true,
    UNIQUE (event_type, recipient, field)
);

CREATE TABLE templates (
    key     text NOT NULL,
    locale  text NOT NULL,
    subject text NOT NULL,
    body    text NOT NULL,
    PRIMARY KEY (key, locale)
);

-- One row per recipient and channel of an event: the unique key is the exactly-once.
CREATE TABLE notifications (
    id             uuid PRIMARY KEY,
    event_source   text        NOT NULL,
    event_id       text        NOT NULL,
    event_type     text        NOT NULL,
    org_unit       text        NOT NULL,      -- the event's unit: scope of the delivery log
    recipient_kind text        NOT NULL,
    recipient_id   text        NOT NULL,      -- a member id, a department id, or an org unit (staff role)
    channel        text        NOT NULL CHECK (channel IN ('inbox', 'email')),
    address        text,                      -- e-mail address at the time of sending
    subject        text        NOT NULL,
    body           text        NOT NULL,
    status         text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts       int         NOT NULL DEFAULT 0,
    last_error     text,
    next_attempt   timestamptz NOT NULL DEFAULT now(),
    created_at     timestamptz NOT NULL DEFAULT now(),
    sent_at        timestamptz,
    UNIQUE (event_source, event_id, recipient_kind, recipient_id, channel)
);
CREATE INDEX notifications_pending ON notifications (next_attempt) WHERE status = 'pending';
CREATE INDEX notifications_inbox ON notifications (recipient_kind, recipient_id) WHERE channel = 'inbox';

-- Read state is per person, also for items addressed to a role at a unit.
CREATE TABLE inbox_reads (
    notification_id uuid        NOT NULL REFERENCES notifications (id),
    sub             text        NOT NULL,
    read_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (notification_id, sub)
);

INSERT INTO templates (key, locale, subject, body) VALUES
('opinion_submitted', 'zh-CN', '新的群众意见', '{org_unit_name}收到一条新的群众意见（渠道：{channel}，类别：{category}），请及时受理。'),
('opinion_submitted', 'en', 'New public opinion', 'A new opinion arrived at {org_unit_name} (channel {channel}, category {category}).'),
('opinion_assigned', 'zh-CN', '意见交办通知', '一件群众意见已交由贵单位办理，请于{deadline}前答复。'),
('opinion_assigned', 'en', 'Opinion assigned', 'An opinion was assigned to you; reply by {deadline}.'),
('opinion_escalated', 'zh-CN', '意见上报', '一件群众意见从下级上报至{to_unit_name}，原因：{reason}。'),
('opinion_escalated', 'en', 'Opinion escalated', 'An opinion was escalated to {to_unit_name}: {reason}.'),
('opinion_replied', 'zh-CN', '意见已答复', '您单位受理的群众意见已获承办单位答复。'),
('opinion_replied', 'en', 'Opinion replied', 'An opinion of your unit has been answered.'),
('opinion_overdue', 'zh-CN', '意见办理超期', '一件群众意见已超过办理期限（{deadline}），请尽快办理。'),
('opinion_overdue', 'en', 'Opinion overdue', 'An opinion is past its deadline ({deadline}).'),
('opinion_rated', 'zh-CN', '群众评价', '一件群众意见收到评价：{rating}。'),
('opinion_rated', 'en', 'Opinion rated', 'An opinion was rated: {rating}.'),
('opinion_closed', 'zh-CN', '意见办结', '您接收的一件群众意见已办结。'),
('opinion_closed', 'en', 'Opinion closed', 'An opinion you took in is closed.'),
('proposal_filed', 'zh-CN', '新提案', '提案{number}“{title}”已提交，请审查。'),
('proposal_filed', 'en', 'Proposal filed', 'Proposal {number} "{title}" was filed.'),
('proposal_accepted', 'zh-CN', '提案立案', '您的提案{number}已立案。'),
('proposal_accepted', 'en', 'Proposal accepted', 'Your proposal {number} was accepted.'),
('proposal_assigned', 'zh-CN', '提案交办', '提案{number}已交由贵单位办理，请于{deadline}前答复。'),
('proposal_assigned', 'en', 'Proposal assigned', 'Proposal {number} was assigned to you; reply by {deadline}.'),
('proposal_replied', 'zh-CN', '提案已答复', '您的提案{number}已获答复（{reply_class}类），请评价。'),
('proposal_replied', 'en', 'Proposal replied', 'Your proposal {number} was answered (class {reply_class}); please evaluate it.'),
('proposal_evaluated', 'zh-CN', '提案评价', '提案{number}的提案人评价：{evaluation}。'),
('proposal_evaluated', 'en', 'Proposal evaluated', 'Proposal {number} was evaluated: {evaluation}.'),
('outcome_converted', 'zh-CN', '成果转化', '一项成果已转化为{target_kind}。'),
('outcome_converted', 'en', 'Outcome converted', 'An outcome became a {target_kind}.'),
('member_registered', 'zh-CN', '欢迎', '{name}委员，欢迎使用委员联系界别群众平台。'),
('member_registered', 'en', 'Welcome', 'Welcome, {name}.'),
('member_assigned', 'zh-CN', '委员下沉', '一位委员已下沉到本联系点。'),
('member_assigned', 'en', 'Member assigned', 'A member was assigned to this contact point.'),
('activity_logged', 'zh-CN', '履职活动', '新的履职活动：{title}。'),
('activity_logged', 'en', 'Liaison activity', 'New liaison activity: {title}.');

INSERT INTO rules (event_type, recipient, field, channels, template) VALUES
('cppcc.feedback.opinion.submitted', 'org_staff', 'org_unit', '{inbox,email}', 'opinion_submitted'),
('cppcc.feedback.opinion.submitted', 'member', 'member_id', '{inbox}', 'opinion_submitted'),
('cppcc.feedback.opinion.assigned', 'department', 'department_ids', '{inbox,email}', 'opinion_assigned'),
('cppcc.feedback.opinion.escalated', 'org_staff', 'to_unit', '{inbox,email}', 'opinion_escalated'),
('cppcc.feedback.opinion.replied', 'org_staff', 'org_unit', '{inbox}', 'opinion_replied'),
('cppcc.feedback.opinion.overdue', 'department', 'department_ids', '{inbox,email}', 'opinion_overdue'),
('cppcc.feedback.opinion.overdue', 'supervisor_staff', 'supervisor_unit', '{inbox,email}', 'opinion_overdue'),
('cppcc.feedback.opinion.rated', 'org_staff', 'org_unit', '{inbox}', 'opinion_rated'),
('cppcc.feedback.opinion.rated', 'member', 'member_id', '{inbox}', 'opinion_rated'),
('cppcc.feedback.opinion.closed', 'org_staff', 'org_unit', '{inbox}', 'opinion_closed'),
('cppcc.feedback.proposal.filed', 'org_staff', 'org_unit', '{inbox}', 'proposal_filed'),
('cppcc.feedback.proposal.accepted', 'member', 'proposer_member_ids', '{inbox}', 'proposal_accepted'),
('cppcc.feedback.proposal.assigned', 'department', 'lead_department_id', '{inbox,email}', 'proposal_assigned'),
('cppcc.feedback.proposal.assigned', 'department', 'co_department_ids', '{inbox,email}', 'proposal_assigned'),
('cppcc.feedback.proposal.replied', 'member', 'proposer_member_ids', '{inbox}', 'proposal_replied'),
('cppcc.feedback.proposal.evaluated', 'org_staff', 'org_unit', '{inbox}', 'proposal_evaluated'),
('cppcc.feedback.outcome.converted', 'org_staff', 'org_unit', '{inbox}', 'outcome_converted'),
('cppcc.feedback.outcome.converted', 'member', 'member_ids', '{inbox}', 'outcome_converted'),
('cppcc.consultation.outcome.converted', 'department', 'department_ids', '{inbox,email}', 'outcome_converted'),
('cppcc.members.member.registered', 'member', 'id', '{inbox}', 'member_registered'),
('cppcc.members.member.assigned', 'org_staff', 'contact_point', '{inbox}', 'member_assigned'),
('cppcc.members.activity.logged', 'org_staff', 'org_unit', '{inbox}', 'activity_logged');

-- migrate:down
DROP TABLE inbox_reads, notifications, templates, rules;
