-- Wallet top-ups started by the customer: an online payment link (OCPay) or a transfer receipt an
-- admin reviews. Times are unix milliseconds (UTC); money is whole dinars.
--
-- Status (the rules live in src/domain/topup.rs):
--   CREATING   online: written before createLink is called; no URL has been shown yet
--   PENDING    online: the link exists and is checked on schedule (also past its 20 minutes, while
--              the bank may still be processing); transfer: the receipt waits for an admin
--   CONFIRMED  online, final: OCPay said CONFIRMED; credited in the same transaction
--   APPROVED   transfer, final: an admin approved; credited in the same transaction (amount_credited
--              may differ from amount_asked when the admin typed the amount actually received)
--   FAILED     online, final: createLink refused or its answer lost (nothing can be paid), or OCPay
--              said FAILED (declined, cancelled, link expired unused); no money
--   REJECTED   transfer, final: an admin refused, with a reason; no money
--   EXPIRED    online, final: still not settled 24 h after the link was made; closed with no money
-- A transfer row is born PENDING with its receipt: nothing is written for a customer who stops
-- before sending one.
CREATE TABLE topups (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id           INTEGER NOT NULL REFERENCES users(id),
    chat_id           INTEGER NOT NULL,
    method            TEXT    NOT NULL CHECK (method IN ('online', 'transfer')),
    status            TEXT    NOT NULL CHECK (status IN ('CREATING', 'PENDING', 'CONFIRMED', 'APPROVED',
                                                         'FAILED', 'REJECTED', 'EXPIRED')),
    amount_asked      INTEGER NOT NULL CHECK (amount_asked > 0),
    amount_credited   INTEGER CHECK (amount_credited > 0),   -- set with the credit, never otherwise
    fee_mode          TEXT,                                  -- OCPay feeMode sent with createLink
    payment_ref       TEXT    UNIQUE,                        -- OCPay paymentRef (NULLs do not collide)
    payment_url       TEXT,
    link_created_at   INTEGER,
    link_expires_at   INTEGER,                               -- link_created_at + 20 min: OCPay sends no expiry
    upstream_status   TEXT,                                  -- last OCPay status seen, unknown ones included
    failure_reason    TEXT,                                  -- a short machine code, rendered per language
    receipt_file_id   TEXT,                                  -- Telegram file id of the photo or document
    receipt_kind      TEXT    CHECK (receipt_kind IN ('photo', 'document')),
    decided_by        INTEGER,                               -- the admin whose decision won
    decided_at        INTEGER,
    decision_reason   TEXT,                                  -- the admin's words when refusing
    status_message_id INTEGER,                               -- the customer's message edited with the outcome
    next_check_at     INTEGER,                               -- due for a check or a notice; NULL when idle
    check_count       INTEGER NOT NULL DEFAULT 0,
    notify_pending    INTEGER NOT NULL DEFAULT 0,            -- the customer has not yet been told the outcome
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    finished_at       INTEGER,
    CHECK ((method = 'online' AND status IN ('CREATING', 'PENDING', 'CONFIRMED', 'FAILED', 'EXPIRED'))
        OR (method = 'transfer' AND status IN ('PENDING', 'APPROVED', 'REJECTED'))),
    CHECK ((amount_credited IS NOT NULL) = (status IN ('CONFIRMED', 'APPROVED'))),
    CHECK (method = 'online' OR receipt_file_id IS NOT NULL)
);
-- The worker's queue after a restart: links to check and outcomes not yet told.
CREATE INDEX topups_due ON topups(next_check_at) WHERE next_check_at IS NOT NULL;
-- /topups: receipts waiting for an admin, oldest first.
CREATE INDEX topups_waiting ON topups(created_at, id) WHERE method = 'transfer' AND status = 'PENDING';
-- A customer's open top-ups: the waiting-receipt count and the link still open.
CREATE INDEX topups_user_open ON topups(user_id, method) WHERE status IN ('CREATING', 'PENDING');

-- Every copy of a receipt request sent to admins, so each can be edited to show who decided.
CREATE TABLE topup_admin_copies (
    topup_id    INTEGER NOT NULL REFERENCES topups(id),
    chat_id     INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    PRIMARY KEY (topup_id, chat_id, message_id)
);

-- Where a ledger row's money came from. NULL where the kind says it (and on rows older than this
-- migration): credit/debit: the shop, hold/capture: an order, release: a refund. The ledger stays
-- append-only: adding columns rewrites no row.
ALTER TABLE ledger ADD COLUMN source TEXT
    CHECK (source IN ('shop', 'online', 'transfer', 'order', 'refund'));
ALTER TABLE ledger ADD COLUMN topup_id INTEGER REFERENCES topups(id)
    CHECK (topup_id IS NULL OR (kind = 'credit' AND source IN ('online', 'transfer')));
-- A top-up credits the ledger at most once, whatever the number of checks, taps and restarts.
CREATE UNIQUE INDEX ledger_topup ON ledger(topup_id) WHERE topup_id IS NOT NULL;
