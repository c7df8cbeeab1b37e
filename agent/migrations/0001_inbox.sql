-- The receptionist's durable state: guests, conversations, inbox, outbound messages, statuses,
-- bookings, handoffs, dead letters, audit. Times are written by the agent from its clock.

CREATE TABLE guests (
    guest          text PRIMARY KEY,            -- wa_id, or the business-scoped user id when no wa_id
    wa_id          text,
    user_id        text,
    profile_name   text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    -- The per-guest lease: one message of a guest is processed at a time, by the lease holder.
    lease_token    text,
    lease_until    timestamptz,
    lease_message  bigint
);

CREATE TABLE conversations (
    id             bigserial PRIMARY KEY,
    guest          text NOT NULL UNIQUE REFERENCES guests (guest),
    state          jsonb NOT NULL DEFAULT '{}'::jsonb,
    language       text NOT NULL DEFAULT 'es',
    needs_human    boolean NOT NULL DEFAULT false,
    handoff_reason text NOT NULL DEFAULT '',
    last_inbound_at timestamptz,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX conversations_needs_human ON conversations (updated_at) WHERE needs_human;

-- The inbox: inbound guest messages, and failed-status events that need the worker (kind = 'status').
CREATE TABLE inbound_messages (
    id             bigserial PRIMARY KEY,
    wamid          text NOT NULL UNIQUE,
    guest          text NOT NULL,
    kind           text NOT NULL DEFAULT 'message',
    type           text NOT NULL,
    payload        jsonb NOT NULL,
    received_at    timestamptz NOT NULL,
    state          text NOT NULL DEFAULT 'pending',   -- pending | done | dead
    attempts       integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    planned_at     timestamptz,                    -- replies decided and recorded (a retry resends, never re-decides)
    outcome        text,
    last_error     text,
    processed_at   timestamptz
);
CREATE INDEX inbound_pending ON inbound_messages (id) WHERE state = 'pending';
CREATE INDEX inbound_guest_pending ON inbound_messages (guest, id) WHERE state = 'pending';
CREATE INDEX inbound_guest ON inbound_messages (guest, id);

-- Replies: keyed by (inbound wamid, index) so reprocessing a message never sends a reply twice.
CREATE TABLE outbound_messages (
    id             bigserial PRIMARY KEY,
    inbound_wamid  text,
    idx            integer NOT NULL DEFAULT 0,
    guest          text NOT NULL,
    origin         text NOT NULL DEFAULT 'agent',      -- agent | staff | apology | notice | fallback
    body           jsonb NOT NULL,
    state          text NOT NULL DEFAULT 'planned',    -- planned | sent | delivered | read | failed
    wamid          text UNIQUE,
    error_code     integer,
    error_detail   text,
    created_at     timestamptz NOT NULL,
    sent_at        timestamptz,
    updated_at     timestamptz NOT NULL,
    UNIQUE (inbound_wamid, idx)
);
CREATE INDEX outbound_guest ON outbound_messages (guest, id);

-- Every status Meta reported, in arrival order (statuses may arrive before the send response is recorded).
CREATE TABLE message_statuses (
    wamid          text NOT NULL,
    status         text NOT NULL,
    error_code     integer,
    payload        jsonb NOT NULL,
    received_at    timestamptz NOT NULL,
    PRIMARY KEY (wamid, status)
);

CREATE TABLE bookings (
    id             bigserial PRIMARY KEY,
    conversation_id bigint REFERENCES conversations (id),
    guest          text NOT NULL,
    pms_booking_id text,
    payload        jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at     timestamptz NOT NULL
);

CREATE TABLE handoffs (
    id             bigserial PRIMARY KEY,
    conversation_id bigint NOT NULL REFERENCES conversations (id),
    guest          text NOT NULL,
    reason         text NOT NULL,
    created_at     timestamptz NOT NULL,
    resolved_at    timestamptz,
    resolved_by    text
);
CREATE INDEX handoffs_open ON handoffs (conversation_id) WHERE resolved_at IS NULL;

CREATE TABLE dead_letters (
    id             bigserial PRIMARY KEY,
    inbound_id     bigint NOT NULL REFERENCES inbound_messages (id),
    wamid          text NOT NULL,
    guest          text NOT NULL,
    error          text NOT NULL,
    attempts       integer NOT NULL,
    created_at     timestamptz NOT NULL,
    retried_at     timestamptz
);

CREATE TABLE audit (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL,
    actor          text NOT NULL,
    action         text NOT NULL,
    detail         jsonb NOT NULL DEFAULT '{}'::jsonb
);

-- Status order for "never go backwards" (statuses arrive out of order; failed wins).
CREATE FUNCTION agent_status_rank(status text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE status
        WHEN 'planned' THEN 0 WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2
        WHEN 'read' THEN 3 WHEN 'played' THEN 4 WHEN 'failed' THEN 5 ELSE 0 END
$$;
