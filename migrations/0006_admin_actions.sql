-- A credit or debit typed by an admin waits here until its Confirm button is pressed. The row is
-- written when the preview is shown; Confirm flips it from 'pending' in the same transaction as
-- the ledger row, so a second tap (or a replay after a restart) finds it decided and moves nothing.
CREATE TABLE admin_actions (
    id          INTEGER PRIMARY KEY,
    admin_id    INTEGER NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('credit', 'debit')),
    user_id     INTEGER NOT NULL REFERENCES users(id),
    amount      INTEGER NOT NULL CHECK (amount > 0),
    note        TEXT,
    status      TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'cancelled', 'refused')),
    created_at  INTEGER NOT NULL,
    decided_at  INTEGER
);
