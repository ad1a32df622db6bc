-- Money at the edges (issue 13): what the tracker must remember across restarts.

-- When the send attempt ended (answer, timeout or connection error): the reconcile grace runs
-- from here, not from the claim, which may wait long for a budget slot.
ALTER TABLE orders ADD COLUMN send_ended_at INTEGER;
-- OneClickDZ said the ref exists (DUPLICATED_REF, or a check found it): "not found" never refunds.
ALTER TABLE orders ADD COLUMN upstream_seen INTEGER NOT NULL DEFAULT 0;
-- "Not found" answers to check-ref while reconciling; two are needed before a refund.
ALTER TABLE orders ADD COLUMN not_found_count INTEGER NOT NULL DEFAULT 0;
-- Admin alerts already sent for this order, one bit each, so a restart never repeats one.
ALTER TABLE orders ADD COLUMN alerted INTEGER NOT NULL DEFAULT 0;
-- When the order entered its current status (HANDLING or QUEUED for too long).
ALTER TABLE orders ADD COLUMN status_since INTEGER;
-- An order failed as never sent is looked up once more at this time (an hour, then a day later).
ALTER TABLE orders ADD COLUMN followup_at INTEGER;

UPDATE orders SET status_since = updated_at;
-- Orders in flight at the upgrade: upstream already answered for every status but PLACED.
UPDATE orders SET upstream_seen = 1 WHERE status <> 'PLACED' AND upstream_status IS NOT NULL;
