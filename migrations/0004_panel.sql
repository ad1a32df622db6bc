-- Admin panel: login links, sessions, the audit log, and the indexes its pages read through.

-- One-time login links for a desktop browser. Only a SHA-256 of the token is kept: a copy of the
-- database does not let anyone log in.
CREATE TABLE panel_login_tokens (
    token_hash  BLOB    PRIMARY KEY,
    admin_id    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);

-- Browser sessions, by SHA-256 of the cookie value. The CSRF token is only ever compared with
-- what a form sends back, so it is kept as is.
CREATE TABLE panel_sessions (
    session_hash BLOB    PRIMARY KEY,
    admin_id     INTEGER NOT NULL,
    csrf         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX panel_sessions_expiry ON panel_sessions(expires_at);

-- Who changed what, append-only like the ledger. `before`/`after` are short JSON or plain text.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    admin_id    INTEGER NOT NULL,
    action      TEXT    NOT NULL,
    target      TEXT,
    before      TEXT,
    after       TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX audit_admin ON audit_log(admin_id, id);
CREATE INDEX audit_action ON audit_log(action, id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;

-- Dashboard: sales per period and per day read only this index (covering), by status then time.
CREATE INDEX orders_status_created ON orders(status, created_at, price, cost, value);
-- Orders search by phone number.
CREATE INDEX orders_number ON orders(number);
-- Customers search by username; exports of the ledger by date.
CREATE INDEX users_username ON users(username COLLATE NOCASE);
CREATE INDEX ledger_created ON ledger(created_at);
