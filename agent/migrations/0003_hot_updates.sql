-- Cheaper writes per guest message (issue 17): fewer indexes to maintain, and room on each page for HOT updates.
-- A HOT update (heap-only tuple) writes no index entry, but only when no indexed column changes and the page
-- has room for the new version.

-- Superseded by the (meta_ts, id) indexes of 0002: nothing reads them, every insert and "done" update wrote them.
DROP INDEX inbound_pending;
DROP INDEX inbound_guest_pending;

-- The claim's index (every pending item in Meta order) gets a predicate only the claim states (its "due" test
-- implies next_attempt_at IS NOT NULL), so a statement about one guest or one item can only use the per-guest
-- index, with the guest as an equality. Plans are cached per connection, often while the tables are nearly empty,
-- when a full scan of a tiny partial index costs as little as a look-up; under a backlog that scan would read
-- every pending item on every statement.
DROP INDEX inbound_pending_order;
CREATE INDEX inbound_pending_order ON inbound_messages (meta_ts, id)
    WHERE state = 'pending' AND next_attempt_at IS NOT NULL;

-- Indexed on updated_at, it made every turn's conversation update a non-HOT one (each turn sets updated_at).
-- The handoff list only needs the flagged rows; the id never changes.
DROP INDEX conversations_needs_human;
CREATE INDEX conversations_needs_human ON conversations (id) WHERE needs_human;

-- Rows updated in place on every turn: guests (lease taken, lease freed), conversations (state), inbox items
-- (attempt, planned, done) and replies (sent, delivered, read). Free space on each page keeps those updates HOT.
ALTER TABLE guests SET (fillfactor = 50);
ALTER TABLE conversations SET (fillfactor = 70);
ALTER TABLE inbound_messages SET (fillfactor = 80);
ALTER TABLE outbound_messages SET (fillfactor = 80);
