-- Failure reasons become a closed list like the other enums stored as text (hold_state, the order,
-- broadcast and recipient statuses already have theirs). SQLite cannot add a CHECK to a column,
-- so `orders` is rebuilt as SQLite documents it: new table, copy, drop, rename, same ids, same
-- indexes. Migrations run with foreign keys off (ledger rows point at orders, and dropping the old
-- table would otherwise fail); `Store::open` runs the foreign key check after them.

CREATE TABLE orders_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    ref              TEXT    NOT NULL UNIQUE,       -- our ref, sent to OneClickDZ; also the idempotency key
    user_id          INTEGER NOT NULL REFERENCES users(id),
    chat_id          INTEGER NOT NULL,
    message_id       INTEGER,                       -- the message edited as the status moves
    card_type        TEXT    NOT NULL CHECK (card_type IN ('ADSL', '4G')),
    number           TEXT    NOT NULL,
    value            INTEGER NOT NULL CHECK (value > 0),
    price            INTEGER NOT NULL CHECK (price >= 0),
    cost             INTEGER,                       -- OneClickDZ cost when placed (rounded up)
    status           TEXT    NOT NULL CHECK (status IN ('PLACED', 'HANDLING', 'QUEUED', 'FULFILLED', 'REFUNDED', 'FAILED')),
    hold_state       TEXT    NOT NULL CHECK (hold_state IN ('held', 'captured', 'released')),
    send_attempted_at INTEGER,                      -- set, and committed, before POST /send: never send twice
    topup_id         TEXT,
    topup_ref        TEXT,
    card_code_enc    BLOB,                          -- AES-256-GCM: nonce || ciphertext
    num_trans        TEXT,
    date_traitement  TEXT,
    failure_reason   TEXT CHECK (failure_reason IN ('invalid_number', 'out_of_stock', 'unavailable', 'not_sent')),
    upstream_status  TEXT,                          -- last status string seen, unknown ones included
    fast_until       INTEGER,                       -- end of the fast polling window
    next_check_at    INTEGER,                       -- NULL once final and notified
    notify_pending   INTEGER NOT NULL DEFAULT 0,    -- the chat has not yet been told of the current status
    was_queued       INTEGER NOT NULL DEFAULT 0,
    check_failures   INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    finished_at      INTEGER
);

-- Only these four reasons were ever written; anything else would stop the upgrade, so it is
-- dropped (the order then shows the generic reason for its status).
INSERT INTO orders_new (id, ref, user_id, chat_id, message_id, card_type, number, value, price, cost, status,
                        hold_state, send_attempted_at, topup_id, topup_ref, card_code_enc, num_trans,
                        date_traitement, failure_reason, upstream_status, fast_until, next_check_at,
                        notify_pending, was_queued, check_failures, created_at, updated_at, finished_at)
SELECT id, ref, user_id, chat_id, message_id, card_type, number, value, price, cost, status,
       hold_state, send_attempted_at, topup_id, topup_ref, card_code_enc, num_trans,
       date_traitement,
       CASE WHEN failure_reason IN ('invalid_number', 'out_of_stock', 'unavailable', 'not_sent')
            THEN failure_reason END,
       upstream_status, fast_until, next_check_at,
       notify_pending, was_queued, check_failures, created_at, updated_at, finished_at
FROM orders;

-- Order ids are shown to customers: the new table goes on from the old one's high-water mark.
INSERT INTO sqlite_sequence (name, seq)
SELECT 'orders_new', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'orders_new');
UPDATE sqlite_sequence
SET seq = MAX(seq, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'orders'), 0))
WHERE name = 'orders_new';

DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
CREATE INDEX orders_due ON orders(next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX orders_user ON orders(user_id, id);
CREATE INDEX orders_created ON orders(created_at);
