//! Read-only queries behind the admin panel's pages, and its login links and sessions. Every list
//! is paged in SQL (keyset on the id, newest first); nothing here loads a whole table.
use super::ledger::LedgerEntry;
use super::{Store, StoreError, now_ms};
use crate::domain::Dinars;
use futures_util::stream::BoxStream;
use sha2::{Digest, Sha256};

/// The audit log's action name for a role change (from `/setrole`).
pub const AUDIT_SET_ROLE: &str = "set-role";
/// The audit log's action name for a broadcast stopped before its end.
pub const AUDIT_BROADCAST_CANCEL: &str = "broadcast-cancel";

/// Orders not final after this long are shown as stuck.
pub const STUCK_AFTER_MS: i64 = 30 * 60 * 1000;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// Sales of one period: fulfilled orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PeriodSales {
    pub count: i64,
    pub amount: i64,
    /// Price minus the OneClickDZ cost (face value when the cost was not recorded).
    pub margin: i64,
}

/// One day of the chart; `day_start` in unix millis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaySales {
    pub day_start: i64,
    pub count: i64,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrderRow {
    pub id: i64,
    pub r#ref: String,
    pub user_id: i64,
    pub user_name: String,
    pub card_type: String,
    pub number: String,
    pub value: i64,
    pub price: Dinars,
    pub cost: Option<Dinars>,
    pub status: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dashboard {
    /// Today, 7 days, 30 days.
    pub sales: [PeriodSales; 3],
    pub by_status: Vec<(String, i64)>,
    pub stuck: Vec<OrderRow>,
    pub wallets_balance: i64,
    pub wallets_held: i64,
    /// The last 30 days, oldest first, days without sales included.
    pub daily: Vec<DaySales>,
    /// Transfer receipts waiting for an admin.
    pub topups_waiting: i64,
}

/// What the order page shows. The card code is not selected at all.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrderDetail {
    pub id: i64,
    pub r#ref: String,
    pub user_id: i64,
    pub user_name: String,
    pub card_type: String,
    pub number: String,
    pub value: i64,
    pub price: Dinars,
    pub cost: Option<Dinars>,
    pub status: String,
    pub hold_state: String,
    pub send_attempted_at: Option<i64>,
    pub topup_id: Option<String>,
    pub num_trans: Option<String>,
    pub failure_reason: Option<String>,
    pub upstream_status: Option<String>,
    pub was_queued: bool,
    pub check_failures: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
    pub has_code: bool,
}

#[derive(Debug, Clone, Default)]
pub struct OrderSearch {
    /// An order id, ref, phone number or user id.
    pub q: Option<String>,
    pub status: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub before_id: Option<i64>,
    /// One customer's orders only.
    pub user_id: Option<i64>,
    pub limit: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CustomerRow {
    pub id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub language: String,
    pub role: String,
    pub banned: bool,
    pub unreachable: bool,
    pub balance: Dinars,
    pub held: Dinars,
    pub created_at: i64,
    pub last_seen_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PriceRow {
    pub card_type: String,
    pub value: i64,
    pub customer: Option<Dinars>,
    pub reseller: Option<Dinars>,
    /// The OneClickDZ cost of the last order of this card.
    pub last_cost: Option<Dinars>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BroadcastRow {
    pub id: i64,
    pub admin_id: i64,
    pub audience: String,
    pub status: String,
    pub total: i64,
    pub sent: i64,
    pub failed: i64,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

impl super::Order {
    /// Whether an admin may refund it (the rule of `/lookup`): only an open order still holding
    /// its price. A FULFILLED one paid for a card, and a final one is settled already.
    pub fn refundable_by_admin(&self) -> bool {
        !self.status.is_final() && self.hold_state == crate::domain::HoldState::Held
    }

    /// Whether the tracker still follows it, so that a recheck means something.
    pub fn recheckable(&self) -> bool {
        self.next_check_at.is_some()
    }
}

/// A credit or debit typed in the panel (or the chat), pending until confirmed once.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MoveRow {
    pub id: i64,
    pub admin_id: i64,
    /// `credit` or `debit`.
    pub kind: String,
    pub user_id: i64,
    pub amount: Dinars,
    pub note: Option<String>,
    /// `pending`, `done`, `cancelled` or `refused`.
    pub status: String,
    pub created_at: i64,
}

/// One row of the ledger export.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ExportLedger {
    pub id: i64,
    pub created_at: i64,
    pub user_id: i64,
    pub user_name: String,
    pub kind: String,
    pub amount: i64,
    pub balance_after: i64,
    pub held_after: i64,
    pub order_id: Option<i64>,
    pub admin_id: Option<i64>,
    pub note: Option<String>,
}

/// An order with its customer's full name, as lists and exports show it (a macro so that the
/// export's query can be one `'static` string).
macro_rules! order_row {
    () => {
        "SELECT o.id, o.ref, o.user_id, COALESCE(u.first_name || COALESCE(' ' || u.last_name, ''), '') AS user_name,
            o.card_type, o.number, o.value, o.price, o.cost, o.status, o.created_at
         FROM orders o LEFT JOIN users u ON u.id = o.user_id"
    };
}
const ORDER_ROW: &str = order_row!();
const CUSTOMER_ROW: &str = "SELECT id, first_name, last_name, username, language, role, banned, unreachable, balance,
        held, created_at, last_seen_at FROM users";

fn page_limit(limit: i64) -> i64 {
    limit.clamp(1, 200)
}

/// SHA-256 of a secret token: what the database keeps instead of the token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// 32 random bytes, hex.
pub fn random_token() -> String {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

impl Store {
    /// Everything the dashboard shows. `day_start` is local midnight today, in unix millis.
    pub async fn dashboard(&self, day_start: i64, now: i64) -> Result<Dashboard, StoreError> {
        let mut d = Dashboard::default();
        // One pass over the covering index gives the chart and, summed, the three periods.
        let first = day_start - 29 * DAY_MS;
        let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT (created_at - ?1) / ?2 AS day, COUNT(*), SUM(price), SUM(price - COALESCE(cost, value)) FROM orders
             WHERE status = 'FULFILLED' AND created_at >= ?1 GROUP BY day",
        )
        .bind(first)
        .bind(DAY_MS)
        .fetch_all(&self.pool)
        .await?;
        d.daily = (0..30).map(|i| DaySales { day_start: first + i * DAY_MS, count: 0, amount: 0 }).collect();
        for (day, count, amount, margin) in rows {
            let Some(i) = usize::try_from(day).ok().filter(|i| *i < 30) else { continue };
            (d.daily[i].count, d.daily[i].amount) = (count, amount);
            // Today is day 29, the last 7 days are 23..=29.
            for (p, from) in [29, 23, 0].into_iter().enumerate() {
                if i >= from {
                    d.sales[p].count += count;
                    d.sales[p].amount += amount;
                    d.sales[p].margin += margin;
                }
            }
        }
        d.by_status = sqlx::query_as("SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY status")
            .fetch_all(&self.pool)
            .await?;
        d.stuck = sqlx::query_as(&format!(
            "{ORDER_ROW} WHERE o.status IN ('PLACED', 'HANDLING', 'QUEUED') AND o.created_at < ?
             ORDER BY o.created_at LIMIT 20"
        ))
        .bind(now - STUCK_AFTER_MS)
        .fetch_all(&self.pool)
        .await?;
        (d.wallets_balance, d.wallets_held) =
            sqlx::query_as("SELECT COALESCE(SUM(balance), 0), COALESCE(SUM(held), 0) FROM users")
                .fetch_one(&self.pool)
                .await?;
        (d.topups_waiting,) =
            sqlx::query_as("SELECT COUNT(*) FROM topups WHERE method = 'transfer' AND status = 'PENDING'")
                .fetch_one(&self.pool)
                .await?;
        Ok(d)
    }

    pub async fn search_orders(&self, s: &OrderSearch) -> Result<Vec<OrderRow>, StoreError> {
        let q = s.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        let n = q.and_then(|q| q.parse::<i64>().ok());
        Ok(sqlx::query_as(&format!(
            "{ORDER_ROW} WHERE (?1 IS NULL OR o.ref = ?1 OR o.number = ?1 OR o.id = ?2 OR o.user_id = ?2)
               AND (?3 IS NULL OR o.status = ?3) AND (?4 IS NULL OR o.created_at >= ?4)
               AND (?5 IS NULL OR o.created_at < ?5) AND (?6 IS NULL OR o.id < ?6)
               AND (?8 IS NULL OR o.user_id = ?8)
             ORDER BY o.id DESC LIMIT ?7"
        ))
        .bind(q)
        .bind(n)
        .bind(s.status.as_deref().filter(|s| !s.is_empty()))
        .bind(s.from_ms)
        .bind(s.to_ms)
        .bind(s.before_id)
        .bind(page_limit(s.limit))
        .bind(s.user_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn order_detail(&self, id: i64) -> Result<Option<OrderDetail>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT o.id, o.ref, o.user_id, COALESCE(u.first_name, '') AS user_name, o.card_type, o.number, o.value,
                    o.price, o.cost, o.status, o.hold_state, o.send_attempted_at, o.topup_id, o.num_trans,
                    o.failure_reason, o.upstream_status, o.was_queued, o.check_failures, o.created_at,
                    o.updated_at, o.finished_at, o.card_code_enc IS NOT NULL AS has_code
             FROM orders o LEFT JOIN users u ON u.id = o.user_id WHERE o.id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Customers by id (exact), or name / username (containing `q`), newest first.
    pub async fn search_customers(
        &self,
        q: Option<&str>,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<CustomerRow>, StoreError> {
        let q = q.map(str::trim).map(|q| q.trim_start_matches('@')).filter(|q| !q.is_empty());
        let n = q.and_then(|q| q.parse::<i64>().ok());
        let like = q.map(|q| format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
        Ok(sqlx::query_as(&format!(
            "{CUSTOMER_ROW} WHERE (?1 IS NULL OR id = ?2 OR first_name LIKE ?1 ESCAPE '\\'
                 OR last_name LIKE ?1 ESCAPE '\\' OR username LIKE ?1 ESCAPE '\\')
               AND (?3 IS NULL OR id < ?3)
             ORDER BY id DESC LIMIT ?4"
        ))
        .bind(like)
        .bind(n)
        .bind(before_id)
        .bind(page_limit(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn customer(&self, id: i64) -> Result<Option<CustomerRow>, StoreError> {
        Ok(sqlx::query_as(&format!("{CUSTOMER_ROW} WHERE id = ?")).bind(id).fetch_optional(&self.pool).await?)
    }

    /// A page of one customer's ledger, newest first.
    pub async fn ledger_page(
        &self,
        user_id: i64,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<LedgerEntry>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM ledger WHERE user_id = ? AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3",
        )
        .bind(user_id)
        .bind(before_id)
        .bind(page_limit(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every card type and value that has a price or was ever ordered, with both tiers' prices.
    pub async fn price_rows(&self) -> Result<Vec<PriceRow>, StoreError> {
        Ok(sqlx::query_as(
            "WITH cards AS (SELECT card_type, value FROM prices UNION SELECT DISTINCT card_type, value FROM orders)
             SELECT c.card_type, c.value,
                (SELECT price FROM prices p WHERE p.card_type = c.card_type AND p.value = c.value AND tier = 'customer') AS customer,
                (SELECT price FROM prices p WHERE p.card_type = c.card_type AND p.value = c.value AND tier = 'reseller') AS reseller,
                (SELECT cost FROM orders o WHERE o.card_type = c.card_type AND o.value = c.value AND cost IS NOT NULL
                   ORDER BY o.id DESC LIMIT 1) AS last_cost
             FROM cards c ORDER BY c.card_type, c.value",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn broadcast_page(&self, before_id: Option<i64>, limit: i64) -> Result<Vec<BroadcastRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT b.id, b.admin_id, b.audience, b.status, b.total,
                (SELECT COUNT(*) FROM broadcast_recipients r WHERE r.broadcast_id = b.id AND r.status = 'sent') AS sent,
                (SELECT COUNT(*) FROM broadcast_recipients r WHERE r.broadcast_id = b.id
                   AND r.status IN ('failed', 'blocked', 'unknown')) AS failed,
                b.created_at, b.finished_at
             FROM broadcasts b WHERE (?1 IS NULL OR b.id < ?1) ORDER BY b.id DESC LIMIT ?2",
        )
        .bind(before_id)
        .bind(page_limit(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Orders created in `[from, to)`, oldest first, read as the caller consumes them.
    pub fn export_orders(&self, from: i64, to: i64) -> BoxStream<'_, Result<OrderRow, sqlx::Error>> {
        sqlx::query_as(concat!(
            order_row!(),
            " WHERE o.created_at >= ? AND o.created_at < ? ORDER BY o.created_at, o.id"
        ))
        .bind(from)
        .bind(to)
        .fetch(&self.pool)
    }

    /// Ledger rows written in `[from, to)`, oldest first, read as the caller consumes them.
    pub fn export_ledger(&self, from: i64, to: i64) -> BoxStream<'_, Result<ExportLedger, sqlx::Error>> {
        sqlx::query_as(
            "SELECT l.id, l.created_at, l.user_id, COALESCE(u.first_name || COALESCE(' ' || u.last_name, ''), '')
                    AS user_name, l.kind, l.amount, l.balance_after, l.held_after, l.order_id, l.admin_id, l.note
             FROM ledger l LEFT JOIN users u ON u.id = l.user_id
             WHERE l.created_at >= ? AND l.created_at < ? ORDER BY l.created_at, l.id",
        )
        .bind(from)
        .bind(to)
        .fetch(&self.pool)
    }

    /// A credit or debit written by `propose_admin_move`, as its confirmation page shows it.
    pub async fn admin_move(&self, id: i64) -> Result<Option<MoveRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, admin_id, kind, user_id, amount, note, status, created_at FROM admin_actions WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    // --- login links and sessions ----------------------------------------------------------

    /// A one-time login link token for `admin_id`, valid `ttl_ms`. Only its hash is stored.
    pub async fn create_login_token(&self, admin_id: i64, ttl_ms: i64) -> Result<String, StoreError> {
        let token = random_token();
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM panel_login_tokens WHERE expires_at < ?").bind(now).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO panel_login_tokens (token_hash, admin_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        )
        .bind(token_hash(&token))
        .bind(admin_id)
        .bind(now)
        .bind(now + ttl_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Uses up a login token: the admin it was made for, once, before it expires.
    pub async fn redeem_login_token(&self, token: &str) -> Result<Option<i64>, StoreError> {
        let now = now_ms();
        let row: Option<(i64,)> = sqlx::query_as(
            "UPDATE panel_login_tokens SET used_at = ?1
             WHERE token_hash = ?2 AND used_at IS NULL AND expires_at > ?1 RETURNING admin_id",
        )
        .bind(now)
        .bind(token_hash(token))
        .fetch_optional(&self.writer)
        .await?;
        Ok(row.map(|r| r.0))
    }

    /// A new browser session: (cookie value, CSRF token). Only the cookie's hash is stored.
    pub async fn create_session(&self, admin_id: i64, ttl_ms: i64) -> Result<(String, String), StoreError> {
        let (token, csrf) = (random_token(), random_token());
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM panel_sessions WHERE expires_at < ?").bind(now).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO panel_sessions (session_hash, admin_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(token_hash(&token))
        .bind(admin_id)
        .bind(&csrf)
        .bind(now)
        .bind(now + ttl_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((token, csrf))
    }

    /// The live session of a cookie value: (admin id, CSRF token).
    pub async fn session(&self, token: &str) -> Result<Option<(i64, String)>, StoreError> {
        Ok(sqlx::query_as("SELECT admin_id, csrf FROM panel_sessions WHERE session_hash = ? AND expires_at > ?")
            .bind(token_hash(token))
            .bind(now_ms())
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn end_session(&self, token: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM panel_sessions WHERE session_hash = ?")
            .bind(token_hash(token))
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
