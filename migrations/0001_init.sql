-- netcard-bot schema. Times are unix milliseconds (UTC); money is whole dinars.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,            -- Telegram user id (= private chat id)
    first_name    TEXT    NOT NULL DEFAULT '',
    last_name     TEXT,
    username      TEXT,
    language      TEXT    NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'fr', 'ar')),
    role          TEXT    NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'reseller', 'admin')),
    banned        INTEGER NOT NULL DEFAULT 0,
    unreachable   INTEGER NOT NULL DEFAULT 0,     -- blocked the bot or deactivated: skipped by broadcasts
    balance       INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),   -- spendable
    held          INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0),      -- reserved by orders in progress
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL
);

-- Append-only: every balance change is one row; users.balance/held always equal the sums of the deltas.
CREATE TABLE ledger (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        INTEGER NOT NULL REFERENCES users(id),
    kind           TEXT    NOT NULL CHECK (kind IN ('credit', 'debit', 'hold', 'capture', 'release')),
    amount         INTEGER NOT NULL CHECK (amount > 0),
    balance_delta  INTEGER NOT NULL,
    held_delta     INTEGER NOT NULL,
    balance_after  INTEGER NOT NULL,
    held_after     INTEGER NOT NULL,
    order_id       INTEGER REFERENCES orders(id),
    admin_id       INTEGER,
    note           TEXT,
    created_at     INTEGER NOT NULL
);
CREATE INDEX ledger_user ON ledger(user_id, id);
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;

CREATE TABLE orders (
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
    failure_reason   TEXT,                          -- a short machine code, rendered per language
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
CREATE INDEX orders_due ON orders(next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX orders_user ON orders(user_id, id);
CREATE INDEX orders_created ON orders(created_at);

-- Per-tier price overrides; without one a card sells at face value.
CREATE TABLE prices (
    card_type   TEXT    NOT NULL CHECK (card_type IN ('ADSL', '4G')),
    value       INTEGER NOT NULL,
    tier        TEXT    NOT NULL CHECK (tier IN ('customer', 'reseller')),
    price       INTEGER NOT NULL CHECK (price > 0),
    updated_by  INTEGER,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (card_type, value, tier)
);

-- Dialogue state per chat (teloxide Storage), JSON-encoded.
CREATE TABLE dialogues (
    chat_id     INTEGER PRIMARY KEY,
    state       TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE broadcasts (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    admin_id            INTEGER NOT NULL,
    from_chat_id        INTEGER NOT NULL,
    from_message_id     INTEGER NOT NULL,
    audience            TEXT    NOT NULL,
    status              TEXT    NOT NULL CHECK (status IN ('running', 'done', 'cancelled')),
    progress_chat_id    INTEGER,
    progress_message_id INTEGER,
    total               INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    finished_at         INTEGER
);

-- One row per recipient. 'sending' is written before the request: after a crash such rows are not
-- retried, so nobody gets a broadcast twice.
CREATE TABLE broadcast_recipients (
    broadcast_id  INTEGER NOT NULL REFERENCES broadcasts(id),
    user_id       INTEGER NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'blocked', 'unknown')),
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (broadcast_id, user_id)
);
CREATE INDEX broadcast_pending ON broadcast_recipients(broadcast_id, status);

-- Small persistent switches: maintenance mode, alert latches.
CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
