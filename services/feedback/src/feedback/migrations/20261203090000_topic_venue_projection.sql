-- migrate:up
-- Feedback's own copy of what it must check a write against but does not own: the topics of
-- consultation (a case converted into a topic must stay within the caller's scope) and the
-- venues of members (a case taken in at a venue names one that exists). Kept from events;
-- rebuildable by replay; `source_time` keeps a late, older event from overwriting newer state.
CREATE TABLE topics (
    id          text PRIMARY KEY,
    org_unit    text        NOT NULL,
    source_time timestamptz NOT NULL
);

CREATE TABLE venues (
    id          text PRIMARY KEY,
    org_unit    text        NOT NULL,
    active      boolean     NOT NULL DEFAULT true,
    source_time timestamptz NOT NULL
);

-- migrate:down
DROP TABLE venues;
DROP TABLE topics;
