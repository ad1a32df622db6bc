-- Each status an order went through and when, for /lookup (issue 13 §5). Written by triggers, so the
-- order code pays no extra round trip: one small insert inside the statement that changes the status.
-- No foreign key: orders are never deleted, and the check would cost a lookup on every insert.
CREATE TABLE order_status_history (
    id       INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL,
    status   TEXT    NOT NULL,
    at       INTEGER NOT NULL          -- ms since the epoch: the order's updated_at of that change
);
CREATE INDEX order_status_history_order ON order_status_history(order_id, id);

CREATE TRIGGER order_status_history_insert AFTER INSERT ON orders
BEGIN
    INSERT INTO order_status_history (order_id, status, at) VALUES (new.id, new.status, new.created_at);
END;

-- Fires only for statements that set `status`, and records only a real change: a poll that re-sets
-- the same status adds nothing.
CREATE TRIGGER order_status_history_update AFTER UPDATE OF status ON orders
WHEN old.status IS NOT new.status
BEGIN
    INSERT INTO order_status_history (order_id, status, at) VALUES (new.id, new.status, new.updated_at);
END;

-- Orders placed before this migration: their current status, since when it is known.
INSERT INTO order_status_history (order_id, status, at)
SELECT id, status, COALESCE(status_since, updated_at) FROM orders ORDER BY id;
