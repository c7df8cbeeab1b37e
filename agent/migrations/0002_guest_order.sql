-- Per-guest order is the guest's own order: Meta's message timestamp (seconds), then arrival id.
-- A redelivery that arrives late still queues before the guest's later messages that are not answered yet.
ALTER TABLE inbound_messages ADD COLUMN meta_ts bigint NOT NULL DEFAULT 0;
CREATE INDEX inbound_guest_pending_order ON inbound_messages (guest, meta_ts, id) WHERE state = 'pending';
CREATE INDEX inbound_pending_order ON inbound_messages (meta_ts, id) WHERE state = 'pending';

-- "sending": recorded before the Graph call, so a reclaim knows a reply may have gone out and checks the
-- statuses Meta sent back for it (matched by biz_opaque_callback_data = the reply's key) before resending.
ALTER TABLE outbound_messages ADD COLUMN sending_at timestamptz;
ALTER TABLE message_statuses ADD COLUMN callback text;
CREATE INDEX message_statuses_callback ON message_statuses (callback) WHERE callback IS NOT NULL;
