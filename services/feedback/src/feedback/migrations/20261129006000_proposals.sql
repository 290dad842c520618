-- migrate:up
-- 提案 sessions: the filing window of a committee's year, as data.
CREATE TABLE proposal_sessions (
    committee     text NOT NULL,
    year          int  NOT NULL,
    filing_opens  date NOT NULL,
    filing_closes date NOT NULL CHECK (filing_closes >= filing_opens),
    last_number   int  NOT NULL DEFAULT 0,     -- numbering without gaps: taken under the row lock
    PRIMARY KEY (committee, year)
);

CREATE TABLE proposals (
    id                   uuid PRIMARY KEY,
    committee            text        NOT NULL,          -- the city or county CPPCC
    year                 int         NOT NULL,
    number               text,                          -- 2026-0001 once filed
    title                text        NOT NULL,
    body                 text        NOT NULL,
    kind                 text        NOT NULL CHECK (kind IN ('member', 'joint', 'sector', 'special_committee', 'party_group')),
    proposer_member_id   text,                          -- the lead proposer (member kinds)
    proposer_name        text,                          -- a sector, special committee or party group
    source               jsonb,                         -- {"kind": "opinion", "id": …} when converted
    status               text        NOT NULL DEFAULT 'draft',
    not_accepted_reason  text,
    turned_into          text CHECK (turned_into IN ('members_letter', 'opinion')),
    merged_into          uuid REFERENCES proposals (id),
    assigned_at          date,
    deadline             date,
    reply_class          text CHECK (reply_class IN ('A', 'B', 'C', 'D')),
    reply_text           text,
    replied_at           timestamptz,
    evaluation           text,
    rehandled            boolean     NOT NULL DEFAULT false,
    key_proposal         boolean     NOT NULL DEFAULT false,
    key_leader           text,
    created_by           text        NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (committee, number)
);
CREATE INDEX proposals_committee ON proposals (committee text_pattern_ops, year);

-- 联名: every co-signer confirms.
CREATE TABLE proposal_signers (
    proposal_id  uuid NOT NULL REFERENCES proposals (id),
    member_id    text NOT NULL,
    confirmed_at timestamptz,
    PRIMARY KEY (proposal_id, member_id)
);
CREATE INDEX proposal_signers_member ON proposal_signers (member_id);

-- 主办 and 协办 units.
CREATE TABLE proposal_units (
    proposal_id   uuid        NOT NULL REFERENCES proposals (id),
    department_id text        NOT NULL,
    lead          boolean     NOT NULL,
    state         text        NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'returned', 'replied')),
    assigned_at   timestamptz NOT NULL DEFAULT now(),
    return_reason text,
    opinion       text,         -- a co-handling unit's opinion, sent to the lead unit first
    round         int         NOT NULL DEFAULT 1,
    PRIMARY KEY (proposal_id, department_id, round)
);
CREATE INDEX proposal_units_department ON proposal_units (department_id);

CREATE TABLE proposal_history (
    id          bigserial PRIMARY KEY,
    proposal_id uuid        NOT NULL REFERENCES proposals (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor_sub   text        NOT NULL,
    actor_role  text        NOT NULL,
    action      text        NOT NULL,
    from_status text,
    to_status   text        NOT NULL,
    detail      jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX proposal_history_proposal ON proposal_history (proposal_id, id);

-- migrate:down
DROP TABLE proposal_history, proposal_units, proposal_signers, proposals, proposal_sessions;
