-- Renewal reminders (issue 17). One row per delivered order, written by the database itself when
-- an order becomes FULFILLED, so the code that settles orders needs no change. The worker sends
-- it once `RENEWAL_REMINDER_DAYS` have passed since `delivered_at`. `status` moves
-- pending -> sending (committed before the message goes out: a restart never sends it twice)
-- -> sent | skipped (the line was recharged again, the customer stopped reminders, is banned or
-- blocked the bot) | failed (Telegram refused it, or a crash caught it mid-send).
CREATE TABLE reminders (
    order_id      INTEGER PRIMARY KEY REFERENCES orders(id),
    user_id       INTEGER NOT NULL REFERENCES users(id),
    delivered_at  INTEGER NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'sending', 'sent', 'skipped', 'failed')),
    reason        TEXT,
    decided_at    INTEGER
);
CREATE INDEX reminders_pending ON reminders(delivered_at) WHERE status = 'pending';

-- A later migration that rebuilds `orders` must create this trigger again (the store's reminder
-- tests fail without it).
CREATE TRIGGER reminders_on_delivery AFTER UPDATE OF status ON orders
WHEN NEW.status = 'FULFILLED' AND OLD.status <> 'FULFILLED'
BEGIN
    INSERT OR IGNORE INTO reminders (order_id, user_id, delivered_at)
    VALUES (NEW.id, NEW.user_id, COALESCE(NEW.finished_at, NEW.updated_at));
END;

-- Customers who turned reminders off (`/reminders off`, or the Stop reminders button).
CREATE TABLE reminder_optouts (
    user_id  INTEGER PRIMARY KEY REFERENCES users(id),
    since    INTEGER NOT NULL
);
