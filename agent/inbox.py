"""The durable inbox in Postgres: store webhook items, claim per-guest leases, plan replies, finish, retry, dead-letter.

Each operation is one SQL statement (data-modifying CTEs), so it is atomic in autocommit and costs one round trip.
Times come from the agent's clock, never from the database's now().
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from agent.envelope import Envelope, InboundView, StatusUpdate, normalise_fields

NOTIFY_CHANNEL = "agent_inbox"
FAILED_STATUS_PREFIX = "status:failed:"

# Every pool connection: autocommit (each operation below is one statement, so one round trip and no BEGIN/COMMIT),
# and server-side prepared from the first use, so Postgres parses and plans each statement once per connection.
# Those cached plans are made while the tables may be nearly empty (a fresh database, the first seconds of a
# deployment), when a sequential scan or a hash of a whole table looks cheapest; kept for the connection's life,
# they would read the whole table on every statement once it grows. Every statement here is a look-up by key or a
# small batch, so its plan is an index look-up whatever the table size: no sequential scans, hash or merge joins.
# With those plans safe at any size, each statement is planned once per connection (generic plan), not per call:
# left to choose, Postgres re-plans a statement whose estimate depends on a parameter (an array's length) each time.
_PLANNER_OPTIONS = (
    "-c enable_seqscan=off -c enable_hashjoin=off -c enable_mergejoin=off -c plan_cache_mode=force_generic_plan"
)


def connection_kwargs(database_url: str) -> dict[str, Any]:
    """psycopg connection arguments for the agent's pools (options given in the URL are kept)."""
    given = conninfo_to_dict(database_url).get("options")
    options = f"{given} {_PLANNER_OPTIONS}" if given else _PLANNER_OPTIONS
    return {"autocommit": True, "prepare_threshold": 0, "options": options}


def _jsonb(value: Any) -> Jsonb:
    return Jsonb(value, dumps=lambda o: orjson.dumps(o).decode())


def meta_seconds(timestamp: str) -> int:
    """Meta's `timestamp` (epoch seconds as a string); 0 when missing or malformed, so arrival order decides."""
    return int(timestamp) if timestamp.isascii() and timestamp.isdigit() and len(timestamp) < 12 else 0


@dataclass(frozen=True)
class Stored:
    """What a webhook POST added: new inbox items (messages and failed-status events) and statuses recorded."""

    new_wamids: list[str]
    statuses: int


# Statuses: record each once, and move the reply's state forward (they arrive out of order). The reply lookup
# goes through the wamid index (`= ANY`): joined to the JSON rows alone, the planner guesses 100 rows and scans.
_STATUS_CTES = """
st AS (
    INSERT INTO message_statuses (wamid, status, error_code, payload, received_at, callback)
    SELECT x.wamid, x.status, x.code, x.payload, %(now)s, x.payload->>'biz_opaque_callback_data'
    FROM jsonb_to_recordset(%(statuses)s::jsonb) AS x(wamid text, status text, code int, payload jsonb)
    ON CONFLICT (wamid, status) DO NOTHING
), ob AS (
    UPDATE outbound_messages o
    SET state = x.status, error_code = COALESCE(x.code, o.error_code), updated_at = %(now)s
    FROM (
        SELECT DISTINCT ON (wamid) wamid, status, code
        FROM jsonb_to_recordset(%(statuses)s::jsonb) AS y(wamid text, status text, code int)
        ORDER BY wamid, agent_status_rank(status) DESC
    ) x
    WHERE o.wamid = ANY(%(status_wamids)s::text[]) AND o.wamid = x.wamid
      AND agent_status_rank(x.status) > agent_status_rank(o.state)
)"""

_STORE_SQL = f"""
WITH g AS (
    INSERT INTO guests (guest, wa_id, user_id, profile_name, created_at)
    SELECT DISTINCT ON (x.guest) x.guest, x.wa_id, x.user_id, x.name, %(now)s
    FROM jsonb_to_recordset(%(guests)s::jsonb) AS x(guest text, wa_id text, user_id text, name text)
    -- A known guest whose name is unchanged is left alone: ON CONFLICT would lock (and write) its row anyway.
    WHERE NOT EXISTS (SELECT 1 FROM guests k WHERE k.guest = x.guest AND (x.name = '' OR k.profile_name = x.name))
    ORDER BY x.guest, length(x.name) DESC
    ON CONFLICT (guest) DO UPDATE SET profile_name = EXCLUDED.profile_name
        WHERE EXCLUDED.profile_name <> '' AND guests.profile_name IS DISTINCT FROM EXCLUDED.profile_name
), {_STATUS_CTES.strip()}, m AS (
    INSERT INTO inbound_messages (wamid, guest, kind, type, payload, received_at, next_attempt_at, meta_ts)
    SELECT x.wamid, x.guest, x.kind, x.type, x.payload, %(now)s, %(now)s, x.ts
    FROM jsonb_to_recordset(%(messages)s::jsonb)
         AS x(wamid text, guest text, kind text, type text, payload jsonb, ord int, ts bigint)
    ORDER BY x.ord
    ON CONFLICT (wamid) DO NOTHING
    RETURNING wamid
)
SELECT m.wamid, pg_notify('{NOTIFY_CHANNEL}', '') FROM m
"""

# The status fast path: delivery statuses with nothing for the worker to do (not `failed`), batched.
_STATUSES_SQL = f"WITH {_STATUS_CTES.strip()} SELECT 1"


def _status_rows(statuses: list[StatusUpdate]) -> tuple[list[dict[str, Any]], list[str]]:
    rows = [
        {"wamid": st.wamid, "status": st.status, "code": st.errors[0].code if st.errors else None, "payload": st.raw}
        for st in statuses
    ]
    return rows, list({st.wamid for st in statuses})


def needs_worker(st: StatusUpdate) -> bool:
    """A `failed` status is queued for the worker (fallbacks need I/O); the others are only recorded."""
    return st.status == "failed" and bool(st.recipient)


async def store_statuses(pool: AsyncConnectionPool, env: Envelope, now: datetime) -> Stored:
    """Record an envelope of statuses that need no worker (see `needs_worker`) in one statement, then return."""
    statuses = env.statuses
    rows, wamids = _status_rows(statuses)
    async with pool.connection() as conn:
        await conn.execute(_STATUSES_SQL, {"now": now, "statuses": _jsonb(rows), "status_wamids": wamids})
    return Stored([], len(statuses))


async def store_envelope(pool: AsyncConnectionPool, env: Envelope, now: datetime) -> Stored:
    """Insert every message (unique wamid: redeliveries are no-ops), record statuses, queue failed statuses.

    Returns after the commit: the caller may then acknowledge the webhook.
    """
    # One JSON parameter per kind of row: orjson is far cheaper than psycopg's per-element array escaping.
    guests: dict[str, dict[str, Any]] = {}
    messages: list[dict[str, Any]] = []
    for msg in env.messages:
        known = guests.get(msg.guest)
        if known is None or (msg.profile_name and not known["name"]):
            guests[msg.guest] = {
                "guest": msg.guest,
                "wa_id": msg.wa_id,
                "user_id": msg.user_id,
                "name": msg.profile_name,
            }
        # The normalised view is stored, so the worker never normalises Meta's shapes again; raw is for the record.
        payload = {
            "view": msg.stored(),
            "message": msg.raw,
            "phone_number_id": msg.phone_number_id,
            "name": msg.profile_name,
        }
        messages.append(
            {
                "wamid": msg.wamid,
                "guest": msg.guest,
                "kind": "message",
                "type": msg.type,
                "payload": payload,
                "ts": meta_seconds(msg.timestamp),
            }
        )
    statuses, status_wamids = _status_rows(env.statuses)
    for st, row in zip(env.statuses, statuses, strict=True):
        if needs_worker(st):
            # Fallbacks (template, human) need I/O: queue the failure for the worker, in the guest's order.
            guests.setdefault(st.recipient, {"guest": st.recipient, "wa_id": st.recipient, "user_id": None, "name": ""})
            messages.append(
                {
                    "wamid": FAILED_STATUS_PREFIX + st.wamid,
                    "guest": st.recipient,
                    "kind": "status",
                    "type": "status_failed",
                    "payload": {"status": st.raw, "code": row["code"]},
                    "ts": meta_seconds(st.timestamp),
                }
            )
    params = {
        "now": now,
        "guests": _jsonb(list(guests.values())),
        "statuses": _jsonb(statuses),
        "status_wamids": status_wamids,
        "messages": _jsonb([{**m, "ord": i} for i, m in enumerate(messages)]),
    }
    async with pool.connection() as conn:
        cur = await conn.execute(_STORE_SQL, params)
        rows = await cur.fetchall()
    return Stored([r[0] for r in rows], len(statuses))


@dataclass(frozen=True)
class PlannedReply:
    """An outbound row: sent already (wamid set) or still to send."""

    id: int
    idx: int
    body: dict[str, Any]
    wamid: str | None


@dataclass
class Claim:
    """A claimed inbox item with its guest lease and the guest's conversation (None before the first turn)."""

    inbound_id: int
    wamid: str
    guest: str
    kind: str
    type: str
    payload: dict[str, Any]
    received_at: datetime
    attempts: int
    planned: bool
    lease_token: str
    wa_id: str | None
    user_id: str | None
    profile_name: str
    conversation_id: int | None
    state: dict[str, Any]
    language: str
    needs_human: bool
    # A planned message's replies (with the wamids of those already out), read by the claim; None when not planned.
    replies: list[PlannedReply] | None = None
    # (outbound id, wamid) sent during this attempt, recorded with `finish` (or `record_sent` on failure).
    sent: list[tuple[int, str]] = field(default_factory=list)
    # Set by `finish`: the guest has later messages waiting (unknown until then, so assume so).
    more_pending: bool = True

    def view(self) -> InboundView:
        """The message as normalised at the webhook."""
        stored = self.payload.get("view")
        if stored is None:  # stored before views were kept: the one normalisation happens here instead
            return InboundView(wamid=self.wamid, **normalise_fields(self.payload.get("message")))
        return InboundView.from_stored(self.wamid, stored)


_CLAIM_SQL = """
WITH cand AS (
    SELECT m.id, g.guest
    FROM inbound_messages m JOIN guests g ON g.guest = m.guest
    WHERE m.state = 'pending' AND m.next_attempt_at <= %(now)s
      AND (g.lease_until IS NULL OR g.lease_until < %(now)s)
      -- The guest's own order: Meta's timestamp, then arrival (a late redelivery goes before later messages).
      -- OFFSET 0 keeps this a per-candidate look-up of the guest's own entries, never a join over all pending ones.
      AND NOT EXISTS (
          SELECT 1 FROM inbound_messages e WHERE e.guest = m.guest AND e.state = 'pending'
            AND (e.meta_ts, e.id) < (m.meta_ts, m.id) OFFSET 0)
    ORDER BY m.meta_ts, m.id
    LIMIT %(limit)s
    FOR UPDATE OF g SKIP LOCKED
), leased AS (
    -- The transaction id makes each claim's token unique: a worker re-claiming its own expired message must not
    -- hold the stalled attempt's token (finish and extend check it).
    UPDATE guests SET lease_token = %(owner)s || ':' || cand.id || ':' || txid_current(), lease_until = %(until)s,
        lease_message = cand.id
    FROM cand WHERE guests.guest = cand.guest
    RETURNING guests.guest, guests.lease_token, guests.wa_id, guests.user_id, guests.profile_name, guests.lease_message
), bumped AS (
    UPDATE inbound_messages i SET attempts = i.attempts + 1
    FROM leased WHERE i.id = leased.lease_message
    RETURNING i.id, i.wamid, i.guest, i.kind, i.type, i.payload, i.received_at, i.attempts, i.planned_at
)
SELECT b.id, b.wamid, b.guest, b.kind, b.type, b.payload, b.received_at, b.attempts, b.planned_at IS NOT NULL,
       l.lease_token, l.wa_id, l.user_id, l.profile_name, c.id, c.state, c.language, c.needs_human,
       -- A retry of a planned message needs its replies: read here, not in another round trip. A reply marked
       -- "sending" whose wamid was never recorded (a crash mid-send) did go out if a status carries its callback key.
       CASE WHEN b.planned_at IS NOT NULL THEN (
           SELECT jsonb_agg(jsonb_build_array(o.id, o.idx, o.body, o.wamid, f.wamid) ORDER BY o.idx)
           FROM outbound_messages o
           LEFT JOIN LATERAL (
               SELECT s.wamid FROM message_statuses s
               WHERE o.wamid IS NULL AND o.sending_at IS NOT NULL AND s.callback = 'o:' || o.id
               ORDER BY agent_status_rank(s.status) DESC LIMIT 1) f ON true
           WHERE o.inbound_wamid = b.wamid) END
FROM bumped b JOIN leased l ON l.lease_message = b.id LEFT JOIN conversations c ON c.guest = b.guest
ORDER BY b.id
"""


async def claim(pool: AsyncConnectionPool, owner: str, limit: int, now: datetime, lease: timedelta) -> list[Claim]:
    """Lease up to `limit` guests: for each, its first pending message in the guest's order (Meta timestamp, then
    arrival id), when due and nothing before it is still pending."""
    async with pool.connection() as conn:
        cur = await conn.execute(_CLAIM_SQL, {"now": now, "until": now + lease, "owner": owner, "limit": limit})
        rows = await cur.fetchall()
    return [
        Claim(
            inbound_id=r[0],
            wamid=r[1],
            guest=r[2],
            kind=r[3],
            type=r[4],
            payload=r[5],
            received_at=r[6],
            attempts=r[7],
            planned=r[8],
            lease_token=r[9],
            wa_id=r[10],
            user_id=r[11],
            profile_name=r[12] or "",
            conversation_id=r[13],
            state=r[14] or {},
            language=r[15] or "es",
            needs_human=bool(r[16]),
            replies=[PlannedReply(i, x, body, w or found) for i, x, body, w, found in r[17] or []] if r[8] else None,
            # Found through their statuses: recorded with `finish` like any reply sent in this attempt.
            sent=[(i, found) for i, _, _, w, found in r[17] or [] if w is None and found],
        )
        for r in rows
    ]


async def extend_lease(pool: AsyncConnectionPool, guest: str, token: str, until: datetime) -> bool:
    """Keep a long turn's lease alive; False when the lease was lost."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "UPDATE guests SET lease_until = %s WHERE guest = %s AND lease_token = %s RETURNING 1",
            (until, guest, token),
        )
        return await cur.fetchone() is not None


# Nothing is written when an earlier message of the guest (Meta timestamp, then arrival) arrived during this turn:
# the turn yields, the earlier message is answered first, and this one is decided again after it.
_PLAN_SQL = """
WITH earlier AS (
    -- The guest is given, so this reads the guest's own pending entries, not every pending one.
    SELECT 1 FROM inbound_messages e
    WHERE e.guest = %(guest)s AND e.state = 'pending'
      AND (e.meta_ts, e.id) < (SELECT me.meta_ts, me.id FROM inbound_messages me WHERE me.id = %(inbound_id)s)
    LIMIT 1
), conv AS (
    INSERT INTO conversations (guest, state, language, needs_human, handoff_reason, last_inbound_at,
                               created_at, updated_at)
    SELECT %(guest)s, %(state)s, %(lang)s, %(handoff)s, %(reason)s, %(received)s, %(now)s, %(now)s
    WHERE NOT EXISTS (SELECT 1 FROM earlier)
    ON CONFLICT (guest) DO UPDATE SET
        state = EXCLUDED.state, language = EXCLUDED.language,
        needs_human = conversations.needs_human OR EXCLUDED.needs_human,
        handoff_reason = CASE WHEN EXCLUDED.needs_human THEN EXCLUDED.handoff_reason
                              ELSE conversations.handoff_reason END,
        last_inbound_at = GREATEST(conversations.last_inbound_at, EXCLUDED.last_inbound_at),
        updated_at = EXCLUDED.updated_at
    RETURNING id
), outs AS (
    -- Recorded as "sending" (sending_at): this is the last write before the Graph call.
    INSERT INTO outbound_messages (inbound_wamid, idx, guest, origin, body, created_at, updated_at, sending_at)
    SELECT %(wamid)s, x.idx, %(guest)s, %(origin)s, x.body, %(now)s, %(now)s, %(now)s
    FROM jsonb_to_recordset(%(replies)s::jsonb) AS x(idx int, body jsonb)
    WHERE NOT EXISTS (SELECT 1 FROM earlier)
    ON CONFLICT (inbound_wamid, idx) DO NOTHING
    RETURNING id, idx, body
), ho AS (
    INSERT INTO handoffs (conversation_id, guest, reason, created_at)
    SELECT conv.id, %(guest)s, %(reason)s, %(now)s FROM conv WHERE %(handoff)s
), mark AS (
    UPDATE inbound_messages SET planned_at = %(now)s WHERE id = %(inbound_id)s AND NOT EXISTS (SELECT 1 FROM earlier)
)
SELECT (SELECT id FROM conv), o.id, o.idx, o.body FROM (SELECT 1) one LEFT JOIN outs o ON true ORDER BY o.idx
"""


class EarlierMessagePending(Exception):
    """An earlier message of the guest arrived while this one was being decided (a late redelivery): nothing was
    planned; answer the earlier one first."""


async def plan(
    pool: AsyncConnectionPool,
    claim_: Claim,
    *,
    state: dict[str, Any],
    language: str,
    bodies: list[dict[str, Any]],
    origin: str,
    handoff: bool,
    reason: str,
    now: datetime,
) -> tuple[int, list[PlannedReply]]:
    """Persist the turn atomically: new state, replies to send (keyed by inbound wamid and index), handoff."""
    params = {
        "guest": claim_.guest,
        "state": _jsonb(state),
        "lang": language,
        "handoff": handoff,
        "reason": reason,
        "received": claim_.received_at,
        "now": now,
        "wamid": claim_.wamid,
        "origin": origin,
        "replies": _jsonb([{"idx": i, "body": b} for i, b in enumerate(bodies)]),
        "inbound_id": claim_.inbound_id,
    }
    async with pool.connection() as conn:
        cur = await conn.execute(_PLAN_SQL, params)
        rows = await cur.fetchall()
    conv_id = rows[0][0]
    if conv_id is None:
        raise EarlierMessagePending(claim_.wamid)
    return conv_id, [PlannedReply(r[1], r[2], r[3], None) for r in rows if r[1] is not None]


async def add_replies(
    pool: AsyncConnectionPool, key: str, guest: str, origin: str, bodies: list[dict[str, Any]], now: datetime
) -> list[PlannedReply]:
    """Record extra replies under `key` (once: existing rows win) and return all rows under it."""
    async with pool.connection() as conn:
        await conn.execute(
            "INSERT INTO outbound_messages"
            " (inbound_wamid, idx, guest, origin, body, created_at, updated_at, sending_at)"
            " SELECT %(key)s, x.idx, %(guest)s, %(origin)s, x.body, %(now)s, %(now)s, %(now)s"
            " FROM jsonb_to_recordset(%(replies)s::jsonb) AS x(idx int, body jsonb)"
            " ON CONFLICT (inbound_wamid, idx) DO NOTHING",
            {
                "key": key,
                "guest": guest,
                "origin": origin,
                "now": now,
                "replies": _jsonb([{"idx": i, "body": b} for i, b in enumerate(bodies)]),
            },
        )
    return await planned_replies(pool, key, now)


def callback_key(outbound_id: int) -> str:
    """The biz_opaque_callback_data sent with a reply; Meta echoes it in that reply's status webhooks."""
    return f"o:{outbound_id}"


# A reply marked "sending" whose send response was lost (crash) may still have gone out: a status carrying its
# callback key proves it did, and gives its wamid. Those are recorded here and not sent again.
_PLANNED_SQL = """
WITH found AS (
    UPDATE outbound_messages o
    SET wamid = s.wamid, sent_at = COALESCE(o.sent_at, %(now)s), updated_at = %(now)s,
        state = CASE WHEN agent_status_rank(s.status) > agent_status_rank(o.state) THEN s.status ELSE o.state END
    FROM (
        SELECT DISTINCT ON (callback) callback, wamid, status FROM message_statuses
        WHERE callback IN (SELECT 'o:' || id FROM outbound_messages
                           WHERE inbound_wamid = %(key)s AND wamid IS NULL AND sending_at IS NOT NULL)
        ORDER BY callback, agent_status_rank(status) DESC
    ) s
    WHERE o.inbound_wamid = %(key)s AND o.wamid IS NULL AND s.callback = 'o:' || o.id
    RETURNING o.id, o.wamid
)
SELECT o.id, o.idx, o.body, COALESCE(o.wamid, f.wamid)
FROM outbound_messages o LEFT JOIN found f ON f.id = o.id
WHERE o.inbound_wamid = %(key)s ORDER BY o.idx
"""


async def planned_replies(pool: AsyncConnectionPool, inbound_wamid: str, now: datetime) -> list[PlannedReply]:
    """Replies recorded for an inbound message by an earlier attempt, with the wamids of those already sent
    (including those a crash kept from being recorded, found through their statuses' callback key)."""
    async with pool.connection() as conn:
        cur = await conn.execute(_PLANNED_SQL, {"key": inbound_wamid, "now": now})
        return [PlannedReply(*r) for r in await cur.fetchall()]


_RECORD_SENT_SQL = """
UPDATE outbound_messages o
SET wamid = x.wamid, sent_at = %(now)s, updated_at = %(now)s,
    state = COALESCE((SELECT s.status FROM message_statuses s WHERE s.wamid = x.wamid
                      ORDER BY agent_status_rank(s.status) DESC LIMIT 1), 'sent'),
    error_code = (SELECT s.error_code FROM message_statuses s WHERE s.wamid = x.wamid AND s.status = 'failed')
FROM jsonb_to_recordset(%(sent)s::jsonb) AS x(id bigint, wamid text)
-- Found by primary key (`= ANY`). `(wamid IS NULL) IS TRUE` is the same test but no index condition: as one, a
-- plan cached while few replies were unsent would walk every unsent reply through the wamid index instead.
WHERE o.id = ANY(%(sent_ids)s::bigint[]) AND o.id = x.id AND (o.wamid IS NULL) IS TRUE
"""


def _sent_params(sent: list[tuple[int, str]]) -> dict[str, Any]:
    return {"sent": _jsonb([{"id": i, "wamid": w} for i, w in sent]), "sent_ids": [i for i, _ in sent]}


async def record_sent(pool: AsyncConnectionPool, sent: list[tuple[int, str]], now: datetime) -> None:
    """Store the wamids Meta assigned; apply any statuses that arrived before we knew the wamid."""
    if not sent:
        return
    async with pool.connection() as conn:
        await conn.execute(_RECORD_SENT_SQL, {**_sent_params(sent), "now": now})


async def record_send_failure(
    pool: AsyncConnectionPool, outbound_id: int, code: int | None, detail: str, now: datetime
) -> None:
    """A reply Meta refused for good (validation, policy): keep the reason, never resend it."""
    async with pool.connection() as conn:
        await conn.execute(
            "UPDATE outbound_messages SET state = 'failed', error_code = %s, error_detail = %s, updated_at = %s,"
            " wamid = COALESCE(wamid, 'refused:' || id) WHERE id = %s",
            (code, detail[:500], now, outbound_id),
        )


# Finishing records the sent replies (the same update as record_sent), marks the item done and frees the guest.
# Only the lease holder marks it done (freeing the lease first decides it: a takeover cannot slip in between); a
# turn that lost its lease still records what it sent, so the new holder neither loses nor repeats those replies.
_FINISH_SQL = f"""
WITH rs AS ({_RECORD_SENT_SQL}), freed AS (
    UPDATE guests SET lease_token = NULL, lease_until = NULL, lease_message = NULL
    WHERE guest = %(guest)s AND lease_token = %(token)s
    RETURNING 1
), done AS (
    UPDATE inbound_messages SET state = 'done', outcome = %(outcome)s, processed_at = %(now)s, last_error = NULL
    WHERE id = %(id)s AND guest = %(guest)s AND state = 'pending' AND EXISTS (SELECT 1 FROM freed)
    RETURNING id
)
SELECT (SELECT count(*) FROM done),
    EXISTS (SELECT 1 FROM inbound_messages e WHERE e.guest = %(guest)s AND e.state = 'pending' AND e.id <> %(id)s)
FROM freed
"""


async def finish(pool: AsyncConnectionPool, claim_: Claim, outcome: str, now: datetime) -> bool:
    """Record the replies sent, mark the item done and free the guest; False when our lease had been lost.

    Also tells whether the guest has more pending messages (`claim_.more_pending`): only then is a claim worth it.
    """
    async with pool.connection() as conn:
        cur = await conn.execute(
            _FINISH_SQL,
            {
                "outcome": outcome,
                "now": now,
                "id": claim_.inbound_id,
                "guest": claim_.guest,
                "token": claim_.lease_token,
                **_sent_params(claim_.sent),
            },
        )
        row = await cur.fetchone()
    if row is None:
        return False
    claim_.more_pending = bool(row[1])
    return True


_RETRY_SQL = """
WITH up AS (
    UPDATE inbound_messages SET next_attempt_at = %(next)s, last_error = %(error)s
    WHERE id = %(id)s AND guest = %(guest)s AND state = 'pending'
)
UPDATE guests SET lease_token = NULL, lease_until = NULL, lease_message = NULL
WHERE guest = %(guest)s AND lease_token = %(token)s
"""


async def schedule_retry(pool: AsyncConnectionPool, claim_: Claim, error: str, next_at: datetime) -> None:
    """Free the guest and try this item again at `next_at` (the guest's later messages wait behind it)."""
    async with pool.connection() as conn:
        await conn.execute(
            _RETRY_SQL,
            {
                "next": next_at,
                "error": error[:2000],
                "id": claim_.inbound_id,
                "guest": claim_.guest,
                "token": claim_.lease_token,
            },
        )


_DEAD_SQL = """
WITH up AS (
    UPDATE inbound_messages SET state = 'dead', last_error = %(error)s, processed_at = %(now)s, outcome = 'dead'
    WHERE id = %(id)s AND guest = %(guest)s AND state = 'pending'
    RETURNING id
), dl AS (
    INSERT INTO dead_letters (inbound_id, wamid, guest, error, attempts, created_at)
    SELECT id, %(wamid)s, %(guest)s, %(error)s, %(attempts)s, %(now)s FROM up
), ap AS (
    -- One apology per guest per hour, however many messages died in a row (decided here: no Redis needed).
    INSERT INTO outbound_messages (inbound_wamid, idx, guest, origin, body, created_at, updated_at, sending_at)
    SELECT %(wamid)s, -1, %(guest)s, 'apology', %(apology)s, %(now)s, %(now)s, %(now)s FROM up
    WHERE %(apologise)s AND NOT EXISTS (
        SELECT 1 FROM outbound_messages a WHERE a.guest = %(guest)s AND a.origin = 'apology'
          AND a.created_at > %(now)s - interval '1 hour')
    ON CONFLICT (inbound_wamid, idx) DO NOTHING
    RETURNING id, idx, body
), rel AS (
    UPDATE guests SET lease_token = NULL, lease_until = NULL, lease_message = NULL
    WHERE guest = %(guest)s AND lease_token = %(token)s
)
SELECT id, idx, body FROM ap
"""


async def dead_letter(
    pool: AsyncConnectionPool, claim_: Claim, error: str, apology: dict[str, Any] | None, now: datetime
) -> PlannedReply | None:
    """Give up on an item: dead-letter it, free the guest, and record the apology to send (None if not owed)."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            _DEAD_SQL,
            {
                "error": error[:2000],
                "now": now,
                "id": claim_.inbound_id,
                "wamid": claim_.wamid,
                "guest": claim_.guest,
                "attempts": claim_.attempts,
                "apology": _jsonb(apology or {}),
                "apologise": apology is not None,
                "token": claim_.lease_token,
            },
        )
        row = await cur.fetchone()
    return PlannedReply(row[0], row[1], row[2], None) if row else None


async def reply_origin(pool: AsyncConnectionPool, wamid: str) -> str | None:
    """Who sent the reply with this wamid (agent, fallback, apology, staff...), None if it is not ours."""
    async with pool.connection() as conn:
        cur = await conn.execute("SELECT origin FROM outbound_messages WHERE wamid = %s", (wamid,))
        row = await cur.fetchone()
    return row[0] if row else None


async def flag_for_human(pool: AsyncConnectionPool, guest: str, reason: str, now: datetime) -> int:
    """Stop auto-replies for a guest's conversation and open a handoff; returns the conversation id."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            """
            WITH conv AS (
                INSERT INTO conversations (guest, needs_human, handoff_reason, created_at, updated_at)
                VALUES (%(guest)s, true, %(reason)s, %(now)s, %(now)s)
                ON CONFLICT (guest) DO UPDATE SET needs_human = true, handoff_reason = EXCLUDED.handoff_reason,
                    updated_at = EXCLUDED.updated_at
                RETURNING id
            ), ho AS (
                INSERT INTO handoffs (conversation_id, guest, reason, created_at)
                SELECT id, %(guest)s, %(reason)s, %(now)s FROM conv
            )
            SELECT id FROM conv
            """,
            {"guest": guest, "reason": reason, "now": now},
        )
        row = await cur.fetchone()
    return int(row[0])


async def inbox_gauges(pool: AsyncConnectionPool, now: datetime) -> tuple[int, float, int]:
    """(pending count, age in seconds of the oldest pending item, open dead letters)."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT count(*), min(received_at),"
            " (SELECT count(*) FROM dead_letters WHERE retried_at IS NULL)"
            " FROM inbound_messages WHERE state = 'pending'"
        )
        count, oldest, dead = await cur.fetchone()
    age = (now - oldest).total_seconds() if oldest else 0.0
    return int(count), max(0.0, age), int(dead)


# -- staff (the admin API): the same tables, so the same module --------------------------------------------------


async def audit(pool: AsyncConnectionPool, action: str, detail: dict[str, Any], now: datetime) -> None:
    """Record a staff action."""
    async with pool.connection() as conn:
        await conn.execute(
            "INSERT INTO audit (at, actor, action, detail) VALUES (%s, 'staff', %s, %s)", (now, action, _jsonb(detail))
        )


async def open_handoffs(pool: AsyncConnectionPool) -> list[tuple[int, str, str, str, datetime]]:
    """(conversation id, guest, profile name, reason, since) of conversations flagged for a human, oldest first."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT c.id, c.guest, g.profile_name, c.handoff_reason,"
            " COALESCE((SELECT min(h.created_at) FROM handoffs h"
            "           WHERE h.conversation_id = c.id AND h.resolved_at IS NULL),"
            "          c.updated_at)"
            " FROM conversations c JOIN guests g ON g.guest = c.guest WHERE c.needs_human ORDER BY 5"
        )
        return await cur.fetchall()


async def transcript(pool: AsyncConnectionPool, guest: str, limit: int) -> list[tuple[Any, ...]] | None:
    """(at, direction, origin, type, body, wamid, state) of a guest's messages in time order; None if unknown."""
    async with pool.connection() as conn:
        cur = await conn.execute("SELECT 1 FROM guests WHERE guest = %s", (guest,))
        if await cur.fetchone() is None:
            return None
        cur = await conn.execute(
            "SELECT * FROM ("
            " SELECT received_at, 'in', 'guest', type, payload->'message', wamid, state FROM inbound_messages"
            "  WHERE guest = %(g)s AND kind = 'message'"
            " UNION ALL"
            " SELECT created_at, 'out', origin, body->>'type', body, wamid, state FROM outbound_messages"
            "  WHERE guest = %(g)s"
            ") t ORDER BY 1 LIMIT %(limit)s",
            {"g": guest, "limit": limit},
        )
        return await cur.fetchall()


async def guest_recipient(pool: AsyncConnectionPool, guest: str) -> tuple[str | None, str | None] | None:
    """(wa_id, user_id) to address a guest; None for a guest who never wrote."""
    async with pool.connection() as conn:
        cur = await conn.execute("SELECT wa_id, user_id FROM guests WHERE guest = %s", (guest,))
        row = await cur.fetchone()
    return (row[0], row[1]) if row else None


async def add_staff_message(pool: AsyncConnectionPool, guest: str, body: dict[str, Any], now: datetime) -> int:
    """Record a message staff are about to send; returns its outbound id (then `record_sent` or a failure)."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "INSERT INTO outbound_messages (guest, origin, body, created_at, updated_at, sending_at)"
            " VALUES (%s, 'staff', %s, %s, %s, %s) RETURNING id",
            (guest, _jsonb(body), now, now, now),
        )
        row = await cur.fetchone()
    return int(row[0])


async def resolve_handoffs(pool: AsyncConnectionPool, guest: str, now: datetime) -> list[int] | None:
    """Close a guest's open handoffs (auto-replies resume); their ids, or None without a conversation."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "WITH c AS (UPDATE conversations SET needs_human = false, handoff_reason = '', updated_at = %(now)s"
            "  WHERE guest = %(g)s RETURNING id), r AS ("
            " UPDATE handoffs SET resolved_at = %(now)s, resolved_by = 'staff'"
            " WHERE conversation_id IN (SELECT id FROM c) AND resolved_at IS NULL RETURNING id)"
            " SELECT (SELECT count(*) FROM c), ARRAY(SELECT id FROM r)",
            {"now": now, "g": guest},
        )
        found, resolved = await cur.fetchone()
    return list(resolved) if found else None


async def dead_letters(pool: AsyncConnectionPool, include_retried: bool) -> list[tuple[Any, ...]]:
    """(id, wamid, guest, error, attempts, created_at, retried_at), newest first."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT id, wamid, guest, error, attempts, created_at, retried_at FROM dead_letters"
            " WHERE %s OR retried_at IS NULL ORDER BY id DESC LIMIT 500",
            (include_retried,),
        )
        return await cur.fetchall()


async def requeue_dead_letter(pool: AsyncConnectionPool, dead_id: int, now: datetime) -> str | None:
    """Put a dead message back in the inbox with fresh attempts; its wamid, or None if not waiting."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "WITH d AS (UPDATE dead_letters SET retried_at = %(now)s WHERE id = %(id)s AND retried_at IS NULL"
            "  RETURNING inbound_id)"
            " UPDATE inbound_messages SET state = 'pending', attempts = 0, next_attempt_at = %(now)s, outcome = NULL"
            " WHERE id IN (SELECT inbound_id FROM d) RETURNING wamid",
            {"now": now, "id": dead_id},
        )
        row = await cur.fetchone()
    return row[0] if row else None
