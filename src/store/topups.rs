//! Wallet top-ups and the money they bring. A status change and its credit are one transaction;
//! a top-up credits the wallet at most once, whatever the number of checks, taps and restarts
//! (the status guard, and a unique index on the ledger's `topup_id` behind it).
//!
//! Online: `create_topup` (CREATING, before createLink) → `link_created` (PENDING, due for its
//! first check) or `link_failed`; each check that learns nothing final → `checked_pending`; the
//! outcome → `settle_online`. Transfer: `receipt_submitted` (PENDING) → `decide_receipt`.
//! A settled top-up stays due (`notify_pending`) until `topup_notified`, so an outcome reached just
//! before a restart is still told; a CREATING row whose answer never got recorded becomes due at
//! its `answer_deadline`, for the worker to close with `link_failed`.
use super::ledger::{self, Balances, LedgerKind, Reason};
use super::{Store, StoreError, now_ms};
use crate::domain::Dinars;
use crate::domain::topup::{FeeMode, MoneySource, ReceiptKind, TopupMethod, TopupStatus, may_submit_receipt};
use sqlx::sqlite::SqliteRow;
use sqlx::{FromRow, Row, SqliteConnection};

#[derive(Debug, Clone, PartialEq)]
pub struct Topup {
    pub id: i64,
    pub user_id: i64,
    pub chat_id: i64,
    pub method: TopupMethod,
    pub status: TopupStatus,
    pub amount_asked: Dinars,
    /// Set exactly when the wallet was credited (CONFIRMED, APPROVED).
    pub amount_credited: Option<Dinars>,
    pub fee_mode: Option<String>,
    pub payment_ref: Option<String>,
    pub payment_url: Option<String>,
    pub link_created_at: Option<i64>,
    pub link_expires_at: Option<i64>,
    pub upstream_status: Option<String>,
    pub failure_reason: Option<String>,
    pub receipt_file_id: Option<String>,
    pub receipt_kind: Option<ReceiptKind>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<i64>,
    pub decision_reason: Option<String>,
    pub status_message_id: Option<i32>,
    pub next_check_at: Option<i64>,
    pub check_count: i64,
    pub notify_pending: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

impl<'r> FromRow<'r, SqliteRow> for Topup {
    fn from_row(row: &'r SqliteRow) -> Result<Self, sqlx::Error> {
        let decode = |what: &str, v: &str| sqlx::Error::Decode(format!("bad {what} {v:?}").into());
        let method: String = row.try_get("method")?;
        let status: String = row.try_get("status")?;
        let receipt_kind: Option<String> = row.try_get("receipt_kind")?;
        Ok(Topup {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            chat_id: row.try_get("chat_id")?,
            method: TopupMethod::parse(&method).ok_or_else(|| decode("method", &method))?,
            status: TopupStatus::parse(&status).ok_or_else(|| decode("status", &status))?,
            amount_asked: Dinars(row.try_get("amount_asked")?),
            amount_credited: row.try_get::<Option<i64>, _>("amount_credited")?.map(Dinars),
            fee_mode: row.try_get("fee_mode")?,
            payment_ref: row.try_get("payment_ref")?,
            payment_url: row.try_get("payment_url")?,
            link_created_at: row.try_get("link_created_at")?,
            link_expires_at: row.try_get("link_expires_at")?,
            upstream_status: row.try_get("upstream_status")?,
            failure_reason: row.try_get("failure_reason")?,
            receipt_file_id: row.try_get("receipt_file_id")?,
            receipt_kind: match receipt_kind {
                None => None,
                Some(k) => Some(ReceiptKind::parse(&k).ok_or_else(|| decode("receipt_kind", &k))?),
            },
            decided_by: row.try_get("decided_by")?,
            decided_at: row.try_get("decided_at")?,
            decision_reason: row.try_get("decision_reason")?,
            status_message_id: row.try_get("status_message_id")?,
            next_check_at: row.try_get("next_check_at")?,
            check_count: row.try_get("check_count")?,
            notify_pending: row.try_get("notify_pending")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            finished_at: row.try_get("finished_at")?,
        })
    }
}

/// An online top-up about to ask OCPay for a link.
#[derive(Debug, Clone)]
pub struct NewOnlineTopup {
    pub user_id: i64,
    pub chat_id: i64,
    pub amount: Dinars,
    pub fee_mode: FeeMode,
    /// When, with no answer recorded by then, the createLink call counts as lost (the process
    /// died during it): the row becomes due so the worker closes it as failed. Well past the
    /// request timeout, so a slow answer is never overtaken.
    pub answer_deadline: i64,
}

#[derive(Debug)]
pub enum CreateOutcome {
    /// Written: now call createLink.
    Created(Topup),
    /// The customer has a link open (or one being made): show it, make no other. Nothing written.
    AlreadyOpen(Topup),
}

/// What createLink answered.
#[derive(Debug, Clone)]
pub struct LinkInfo {
    pub payment_ref: String,
    pub payment_url: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub first_check_at: i64,
}

/// What the checks learnt about an online payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnlineOutcome {
    /// Paid: credit the amount asked.
    Confirmed,
    /// OCPay said FAILED (declined, cancelled, or the link expired unused).
    Failed,
    /// Still not final at the end of the check window.
    Expired,
}

#[derive(Debug)]
pub enum SettleOutcome {
    /// This call recorded the outcome; `balances` is the wallet after the credit, when there was one.
    Settled { topup: Topup, balances: Option<Balances> },
    /// The top-up was already final: nothing changed.
    AlreadySettled(Topup),
}

/// A receipt sent by the customer.
#[derive(Debug, Clone)]
pub struct NewReceipt {
    pub user_id: i64,
    pub chat_id: i64,
    pub amount: Dinars,
    pub file_id: String,
    pub kind: ReceiptKind,
}

#[derive(Debug)]
pub enum ReceiptOutcome {
    Submitted(Box<Topup>),
    /// The customer already has the maximum waiting. Nothing written.
    TooManyWaiting {
        waiting: i64,
    },
}

/// An admin's answer to a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Credit the amount the customer claimed.
    Approve,
    Reject {
        reason: String,
    },
    /// Credit the amount actually received.
    OtherAmount(Dinars),
}

#[derive(Debug)]
pub enum DecideOutcome {
    /// This decision won; `balances` is the wallet after the credit, when there was one.
    Decided { topup: Topup, balances: Option<Balances> },
    /// Another decision came first (`decided_by`, `decided_at`, `status` say whose and what).
    /// Nothing changed.
    AlreadyDecided(Topup),
}

/// Marks a row final and due for its notice: `?1` status, `?2` amount to credit (NULL: the amount
/// asked; ignored unless the status credits), `?3` now. The caller adds its own `SET` clauses, the
/// `WHERE` guard and `RETURNING *`.
const FINISH: &str = "UPDATE topups SET status = ?1, finished_at = ?3, updated_at = ?3, next_check_at = ?3,
        notify_pending = 1,
        amount_credited = CASE WHEN ?1 IN ('CONFIRMED', 'APPROVED') THEN COALESCE(?2, amount_asked) END";

/// Credits a top-up that just became CONFIRMED or APPROVED, inside the transaction that moved it.
async fn credit_once(conn: &mut SqliteConnection, t: &Topup) -> Result<Option<Balances>, StoreError> {
    let Some(amount) = t.amount_credited.filter(|_| t.status.credits()) else {
        return Ok(None);
    };
    let reason = Reason {
        admin_id: t.decided_by,
        note: t.payment_ref.as_deref(),
        source: Some(MoneySource::of_topup(t.method)),
        topup_id: Some(t.id),
        ..Default::default()
    };
    ledger::apply(conn, t.user_id, LedgerKind::Credit, amount, reason).await.map(Some)
}

async fn by_id(conn: &mut SqliteConnection, id: i64) -> Result<Topup, StoreError> {
    sqlx::query_as("SELECT * FROM topups WHERE id = ?")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("top-up"))
}

/// The customer's online top-up still open: a link not yet expired, or (`with_creating`) one
/// being made.
async fn open_link(
    conn: &mut SqliteConnection,
    user_id: i64,
    now: i64,
    with_creating: bool,
) -> Result<Option<Topup>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT * FROM topups
         WHERE user_id = ? AND method = 'online'
           AND ((status = 'PENDING' AND link_expires_at > ?) OR (? AND status = 'CREATING'))
         ORDER BY id DESC LIMIT 1",
    )
    .bind(user_id)
    .bind(now)
    .bind(with_creating)
    .fetch_optional(conn)
    .await?)
}

/// What a new row sets besides who, how and how much.
struct Born<'a> {
    fee_mode: Option<&'a str>,
    next_check_at: Option<i64>,
    receipt: Option<(&'a str, ReceiptKind)>,
}

/// A new row in the status its method starts in.
async fn insert(
    conn: &mut SqliteConnection,
    user_id: i64,
    chat_id: i64,
    method: TopupMethod,
    amount: Dinars,
    born: Born<'_>,
) -> Result<Topup, StoreError> {
    let now = now_ms();
    Ok(sqlx::query_as(
        "INSERT INTO topups (user_id, chat_id, method, status, amount_asked, fee_mode, next_check_at,
                             receipt_file_id, receipt_kind, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
    )
    .bind(user_id)
    .bind(chat_id)
    .bind(method.as_str())
    .bind(TopupStatus::initial(method).as_str())
    .bind(amount.get())
    .bind(born.fee_mode)
    .bind(born.next_check_at)
    .bind(born.receipt.map(|r| r.0))
    .bind(born.receipt.map(|r| r.1.as_str()))
    .bind(now)
    .bind(now)
    .fetch_one(conn)
    .await?)
}

async fn waiting(conn: &mut SqliteConnection, user_id: i64) -> Result<i64, StoreError> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM topups WHERE user_id = ? AND method = 'transfer' AND status = 'PENDING'")
            .bind(user_id)
            .fetch_one(conn)
            .await?;
    Ok(n)
}

impl Store {
    /// Writes an online top-up before anything leaves the bot. At most one link per customer is
    /// open at a time: while one is (or is being made), nothing is written.
    pub async fn create_topup(&self, new: &NewOnlineTopup) -> Result<CreateOutcome, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        if let Some(open) = open_link(&mut tx, new.user_id, now, true).await? {
            return Ok(CreateOutcome::AlreadyOpen(open));
        }
        let born =
            Born { fee_mode: Some(new.fee_mode.as_str()), next_check_at: Some(new.answer_deadline), receipt: None };
        let t = insert(&mut tx, new.user_id, new.chat_id, TopupMethod::Online, new.amount, born).await?;
        tx.commit().await?;
        Ok(CreateOutcome::Created(t))
    }

    /// createLink answered: the link is open and due for its first check. `None` if the row is no
    /// longer CREATING (already closed as lost): then the link must not be shown.
    pub async fn link_created(&self, id: i64, link: &LinkInfo) -> Result<Option<Topup>, StoreError> {
        Ok(sqlx::query_as(
            "UPDATE topups SET status = 'PENDING', payment_ref = ?, payment_url = ?, link_created_at = ?,
                               link_expires_at = ?, next_check_at = ?, updated_at = ?
             WHERE id = ? AND status = 'CREATING' RETURNING *",
        )
        .bind(&link.payment_ref)
        .bind(&link.payment_url)
        .bind(link.created_at)
        .bind(link.expires_at)
        .bind(link.first_check_at)
        .bind(now_ms())
        .bind(id)
        .fetch_optional(&self.writer)
        .await?)
    }

    /// createLink was refused, or its answer was lost (never retried: it has no idempotency key).
    /// No URL was shown, so nothing can be paid: FAILED with `reason`, no money. `None` if the
    /// row was not CREATING.
    pub async fn link_failed(&self, id: i64, reason: &str) -> Result<Option<Topup>, StoreError> {
        let sql = format!("{FINISH}, failure_reason = ?4 WHERE id = ?5 AND status = 'CREATING' RETURNING *");
        Ok(sqlx::query_as(&sql)
            .bind(TopupStatus::Failed.as_str())
            .bind(None::<i64>)
            .bind(now_ms())
            .bind(reason)
            .bind(id)
            .fetch_optional(&self.writer)
            .await?)
    }

    /// A check that learnt nothing final (still pending, an unknown status, or no answer): counts
    /// it and schedules the next. `None` if the top-up is no longer pending.
    pub async fn checked_pending(
        &self,
        id: i64,
        upstream_status: Option<&str>,
        next_check_at: i64,
    ) -> Result<Option<Topup>, StoreError> {
        Ok(sqlx::query_as(
            "UPDATE topups SET check_count = check_count + 1, upstream_status = COALESCE(?, upstream_status),
                               next_check_at = ?, updated_at = ?
             WHERE id = ? AND method = 'online' AND status = 'PENDING' RETURNING *",
        )
        .bind(upstream_status)
        .bind(next_check_at)
        .bind(now_ms())
        .bind(id)
        .fetch_optional(&self.writer)
        .await?)
    }

    /// Records an online payment's outcome; CONFIRMED credits the amount asked in the same
    /// transaction. Only the first call for a top-up changes anything.
    pub async fn settle_online(&self, id: i64, outcome: OnlineOutcome) -> Result<SettleOutcome, StoreError> {
        let (status, upstream, failure) = match outcome {
            OnlineOutcome::Confirmed => (TopupStatus::Confirmed, Some("CONFIRMED"), None),
            OnlineOutcome::Failed => (TopupStatus::Failed, Some("FAILED"), Some("payment_failed")),
            OnlineOutcome::Expired => (TopupStatus::Expired, None, Some("check_window_over")),
        };
        let sql = format!(
            "{FINISH}, check_count = check_count + 1, upstream_status = COALESCE(?4, upstream_status),
                       failure_reason = ?5
             WHERE id = ?6 AND method = 'online' AND status = 'PENDING' RETURNING *"
        );
        let mut tx = self.write_tx().await?;
        let moved: Option<Topup> = sqlx::query_as(&sql)
            .bind(status.as_str())
            .bind(None::<i64>)
            .bind(now_ms())
            .bind(upstream)
            .bind(failure)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(topup) = moved else {
            let current = by_id(&mut tx, id).await?;
            return if current.status.is_final() {
                Ok(SettleOutcome::AlreadySettled(current))
            } else {
                Err(StoreError::IllegalTransition { from: current.status.as_str(), to: status.as_str() })
            };
        };
        let balances = credit_once(&mut tx, &topup).await?;
        tx.commit().await?;
        Ok(SettleOutcome::Settled { topup, balances })
    }

    /// Writes a transfer top-up with its receipt, waiting for an admin, before any admin is told.
    /// The limit on waiting receipts is checked in the same transaction, so it holds even when
    /// two receipts arrive at once.
    pub async fn receipt_submitted(&self, r: &NewReceipt) -> Result<ReceiptOutcome, StoreError> {
        let mut tx = self.write_tx().await?;
        let n = waiting(&mut tx, r.user_id).await?;
        if !may_submit_receipt(n) {
            return Ok(ReceiptOutcome::TooManyWaiting { waiting: n });
        }
        let born = Born { fee_mode: None, next_check_at: None, receipt: Some((&r.file_id, r.kind)) };
        let t = insert(&mut tx, r.user_id, r.chat_id, TopupMethod::Transfer, r.amount, born).await?;
        tx.commit().await?;
        Ok(ReceiptOutcome::Submitted(Box::new(t)))
    }

    /// An admin's decision on a receipt. The first decision wins; an approval credits in the same
    /// transaction. A later one (a double tap, a second admin) changes nothing and gets the row
    /// as the winner left it.
    pub async fn decide_receipt(
        &self,
        id: i64,
        admin_id: i64,
        decision: &Decision,
    ) -> Result<DecideOutcome, StoreError> {
        let (status, amount, reason) = match decision {
            Decision::Approve => (TopupStatus::Approved, None, None),
            Decision::OtherAmount(a) => (TopupStatus::Approved, Some(a.get()), None),
            Decision::Reject { reason } => (TopupStatus::Rejected, None, Some(reason.as_str())),
        };
        if amount.is_some_and(|a| !(1..=Dinars::MAX_OPERATION).contains(&a)) {
            return Err(StoreError::Corrupt(format!("top-up amount out of range: {}", amount.unwrap_or(0))));
        }
        let sql = format!(
            "{FINISH}, decided_by = ?4, decided_at = ?3, decision_reason = ?5
             WHERE id = ?6 AND method = 'transfer' AND status = 'PENDING' RETURNING *"
        );
        let mut tx = self.write_tx().await?;
        let moved: Option<Topup> = sqlx::query_as(&sql)
            .bind(status.as_str())
            .bind(amount)
            .bind(now_ms())
            .bind(admin_id)
            .bind(reason)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(topup) = moved else {
            let current = by_id(&mut tx, id).await?;
            return match current.method {
                TopupMethod::Transfer => Ok(DecideOutcome::AlreadyDecided(current)),
                TopupMethod::Online => {
                    Err(StoreError::IllegalTransition { from: current.status.as_str(), to: status.as_str() })
                }
            };
        };
        let balances = credit_once(&mut tx, &topup).await?;
        // Audited in the decision's transaction: the chat's buttons and the panel alike.
        let entry = super::audit::AuditEntry {
            admin_id,
            action: if status == TopupStatus::Approved { "topup-approve" } else { "topup-reject" }.into(),
            target: Some(format!("topup:{id}")),
            before: Some(format!("PENDING {}", topup.amount_asked.get())),
            after: Some(match topup.amount_credited {
                Some(a) => format!("{} {}", topup.status.as_str(), a.get()),
                None => format!("{} {}", topup.status.as_str(), reason.unwrap_or_default()),
            }),
        };
        super::audit::record(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(DecideOutcome::Decided { topup, balances })
    }

    /// Top-ups the worker must look at by `now`: links to check, rows whose createLink answer
    /// never got recorded, and outcomes not yet told. After a restart this is every open one.
    pub async fn open_topups_due(&self, now: i64, limit: i64) -> Result<Vec<Topup>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM topups WHERE next_check_at IS NOT NULL AND next_check_at <= ?
             ORDER BY next_check_at, id LIMIT ?",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The customer was told the outcome (and admins, for online payments): no longer due.
    pub async fn topup_notified(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE topups SET notify_pending = 0, next_check_at = NULL, updated_at = ?
             WHERE id = ? AND notify_pending = 1 AND status NOT IN ('CREATING', 'PENDING')",
        )
        .bind(now_ms())
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Receipts waiting for an admin, oldest first (`/topups`).
    pub async fn waiting_receipts(&self, limit: i64) -> Result<Vec<Topup>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM topups WHERE method = 'transfer' AND status = 'PENDING'
             ORDER BY created_at, id LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The customer's payment link still open at `now`, to show instead of making another.
    pub async fn open_link_of(&self, user_id: i64, now: i64) -> Result<Option<Topup>, StoreError> {
        open_link(&mut *self.pool.acquire().await?, user_id, now, false).await
    }

    /// How many of the customer's receipts wait for an admin.
    pub async fn waiting_count(&self, user_id: i64) -> Result<i64, StoreError> {
        waiting(&mut *self.pool.acquire().await?, user_id).await
    }

    pub async fn topup(&self, id: i64) -> Result<Option<Topup>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM topups WHERE id = ?").bind(id).fetch_optional(&self.pool).await?)
    }

    /// The customer's message that shows the top-up, edited when the outcome is known.
    pub async fn set_topup_message(&self, id: i64, message_id: i32) -> Result<(), StoreError> {
        sqlx::query("UPDATE topups SET status_message_id = ?, updated_at = ? WHERE id = ?")
            .bind(message_id)
            .bind(now_ms())
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// One copy of a receipt request reached an admin chat.
    pub async fn admin_copy_sent(&self, id: i64, chat_id: i64, message_id: i32) -> Result<(), StoreError> {
        sqlx::query("INSERT OR IGNORE INTO topup_admin_copies (topup_id, chat_id, message_id) VALUES (?, ?, ?)")
            .bind(id)
            .bind(chat_id)
            .bind(message_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Every copy of a receipt request, to edit each with the decision.
    pub async fn admin_copies(&self, id: i64) -> Result<Vec<(i64, i32)>, StoreError> {
        Ok(sqlx::query_as("SELECT chat_id, message_id FROM topup_admin_copies WHERE topup_id = ? ORDER BY chat_id")
            .bind(id)
            .fetch_all(&self.pool)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{customer, temp_store};
    use std::sync::Arc;

    const MIN: i64 = 60_000;

    fn new_online(user_id: i64, amount: i64) -> NewOnlineTopup {
        NewOnlineTopup {
            user_id,
            chat_id: user_id,
            amount: Dinars(amount),
            fee_mode: FeeMode::NoFee,
            answer_deadline: now_ms() + 2 * MIN,
        }
    }

    fn link(n: u32) -> LinkInfo {
        let now = now_ms();
        LinkInfo {
            payment_ref: format!("OCPL-A1B2C3-{n:04}"),
            payment_url: format!("https://pay.ocdz.link/pay/OCPL-A1B2C3-{n:04}"),
            created_at: now,
            expires_at: now + 20 * MIN,
            first_check_at: now + 10_000,
        }
    }

    /// An online top-up with its link open.
    async fn open_online(s: &Store, user_id: i64, amount: i64, n: u32) -> Topup {
        let CreateOutcome::Created(t) = s.create_topup(&new_online(user_id, amount)).await.unwrap() else {
            panic!("expected a new top-up");
        };
        assert_eq!(t.status, TopupStatus::Creating);
        s.link_created(t.id, &link(n)).await.unwrap().expect("link recorded")
    }

    fn receipt(user_id: i64, amount: i64) -> NewReceipt {
        NewReceipt {
            user_id,
            chat_id: user_id,
            amount: Dinars(amount),
            file_id: format!("AgACAgQAAxkBAAI{amount}"),
            kind: ReceiptKind::Photo,
        }
    }

    async fn submitted(s: &Store, user_id: i64, amount: i64) -> Topup {
        match s.receipt_submitted(&receipt(user_id, amount)).await.unwrap() {
            ReceiptOutcome::Submitted(t) => *t,
            other => panic!("expected a submitted receipt, got {other:?}"),
        }
    }

    async fn topup_credits(s: &Store, user_id: i64) -> Vec<(i64, MoneySource, Option<i64>)> {
        let mut rows: Vec<_> = s
            .recent_ledger(user_id, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.topup_id.is_some())
            .map(|e| (e.amount.get(), e.source, e.topup_id))
            .collect();
        rows.reverse();
        rows
    }

    #[tokio::test]
    async fn concurrent_confirmations_credit_the_amount_asked_once() {
        let (s, _d) = temp_store().await;
        customer(&s, 5, 300).await;
        let t = open_online(&s, 5, 2000, 1).await;
        assert_eq!(t.status, TopupStatus::Pending);
        assert_eq!(t.payment_ref.as_deref(), Some("OCPL-A1B2C3-0001"));

        let s = Arc::new(s);
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move { s.settle_online(t.id, OnlineOutcome::Confirmed).await.unwrap() })
            })
            .collect();
        let mut settled = 0;
        for task in tasks {
            match task.await.unwrap() {
                SettleOutcome::Settled { topup, balances } => {
                    settled += 1;
                    assert_eq!(topup.status, TopupStatus::Confirmed);
                    assert_eq!(topup.amount_credited, Some(Dinars(2000)));
                    assert_eq!(balances.unwrap().balance.get(), 2300);
                }
                SettleOutcome::AlreadySettled(topup) => assert_eq!(topup.status, TopupStatus::Confirmed),
            }
        }
        assert_eq!(settled, 1, "exactly one settlement wins");
        // A later FAILED (a stale check) changes nothing either.
        assert!(matches!(
            s.settle_online(t.id, OnlineOutcome::Failed).await.unwrap(),
            SettleOutcome::AlreadySettled(ref x) if x.status == TopupStatus::Confirmed
        ));
        assert_eq!(s.balances(5).await.unwrap().balance.get(), 2300);
        assert_eq!(topup_credits(&s, 5).await, vec![(2000, MoneySource::Online, Some(t.id))]);
        let entry = &s.recent_ledger(5, 1).await.unwrap()[0];
        assert_eq!(entry.note.as_deref(), Some("OCPL-A1B2C3-0001"));
        assert!(s.ledger_mismatches().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn failed_and_expired_payments_move_no_money() {
        let (s, _d) = temp_store().await;
        customer(&s, 5, 0).await;
        let a = open_online(&s, 5, 1000, 1).await;
        let SettleOutcome::Settled { topup, balances } = s.settle_online(a.id, OnlineOutcome::Failed).await.unwrap()
        else {
            panic!("expected a settlement");
        };
        assert_eq!((topup.status, topup.amount_credited, balances), (TopupStatus::Failed, None, None));
        assert_eq!(topup.failure_reason.as_deref(), Some("payment_failed"));
        // A confirmation seen after FAILED does not credit.
        assert!(matches!(
            s.settle_online(a.id, OnlineOutcome::Confirmed).await.unwrap(),
            SettleOutcome::AlreadySettled(_)
        ));

        let b = open_online(&s, 5, 5000, 2).await;
        let b = s.checked_pending(b.id, Some("PENDING"), now_ms() + 10_000).await.unwrap().unwrap();
        assert_eq!((b.check_count, b.upstream_status.as_deref()), (1, Some("PENDING")));
        let SettleOutcome::Settled { topup, .. } = s.settle_online(b.id, OnlineOutcome::Expired).await.unwrap() else {
            panic!("expected a settlement");
        };
        assert_eq!((topup.status, topup.check_count), (TopupStatus::Expired, 2));
        assert!(s.checked_pending(b.id, Some("PENDING"), now_ms()).await.unwrap().is_none());
        assert_eq!(s.balances(5).await.unwrap().balance.get(), 0);
        assert!(s.recent_ledger(5, 10).await.unwrap().is_empty());
        assert!(s.ledger_mismatches().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_lost_create_link_answer_leaves_a_failed_top_up_nobody_can_pay() {
        let (s, _d) = temp_store().await;
        customer(&s, 5, 0).await;
        let CreateOutcome::Created(t) = s.create_topup(&new_online(5, 2000)).await.unwrap() else {
            panic!("expected a new top-up");
        };
        // While the link is being made, no second one starts.
        assert!(
            matches!(s.create_topup(&new_online(5, 3000)).await.unwrap(), CreateOutcome::AlreadyOpen(ref o) if o.id == t.id)
        );
        // A CREATING row cannot be settled: there is no link to pay.
        assert!(matches!(
            s.settle_online(t.id, OnlineOutcome::Confirmed).await,
            Err(StoreError::IllegalTransition { from: "CREATING", to: "CONFIRMED" })
        ));
        let failed = s.link_failed(t.id, "link_unknown").await.unwrap().unwrap();
        assert_eq!((failed.status, failed.failure_reason.as_deref()), (TopupStatus::Failed, Some("link_unknown")));
        assert!(failed.notify_pending, "the customer is still to be told");
        // An answer arriving after that is not recorded, so its URL is never shown.
        assert!(s.link_created(t.id, &link(1)).await.unwrap().is_none());
        assert!(s.link_failed(t.id, "again").await.unwrap().is_none());
        assert!(s.open_link_of(5, now_ms()).await.unwrap().is_none());
        // The customer can start again.
        assert!(matches!(s.create_topup(&new_online(5, 2000)).await.unwrap(), CreateOutcome::Created(_)));
        assert_eq!(s.balances(5).await.unwrap().balance.get(), 0);
    }

    #[tokio::test]
    async fn an_open_link_is_shown_again_until_it_expires() {
        let (s, _d) = temp_store().await;
        customer(&s, 5, 0).await;
        customer(&s, 6, 0).await;
        let t = open_online(&s, 5, 2000, 1).await;
        let now = now_ms();
        assert_eq!(s.open_link_of(5, now).await.unwrap().map(|o| o.id), Some(t.id));
        assert!(s.open_link_of(6, now).await.unwrap().is_none());
        assert!(
            matches!(s.create_topup(&new_online(5, 1000)).await.unwrap(), CreateOutcome::AlreadyOpen(ref o) if o.id == t.id)
        );
        // Another customer is not held back.
        assert!(matches!(s.create_topup(&new_online(6, 1000)).await.unwrap(), CreateOutcome::Created(_)));
        // Past its 20 minutes the link is no longer offered (still checked: the bank may be at it).
        assert!(s.open_link_of(5, now + 21 * MIN).await.unwrap().is_none());
        assert!(s.open_topups_due(now + 21 * MIN, 10).await.unwrap().iter().any(|d| d.id == t.id));
    }

    #[tokio::test]
    async fn at_most_three_receipts_wait_per_customer() {
        let (s, _d) = temp_store().await;
        customer(&s, 5, 0).await;
        customer(&s, 6, 0).await;
        let first = submitted(&s, 5, 1000).await;
        assert_eq!(first.status, TopupStatus::Pending);
        assert_eq!(first.receipt_kind, Some(ReceiptKind::Photo));
        submitted(&s, 6, 700).await;
        submitted(&s, 5, 2000).await;
        submitted(&s, 5, 3000).await;
        assert_eq!(s.waiting_count(5).await.unwrap(), 3);
        assert!(matches!(
            s.receipt_submitted(&receipt(5, 4000)).await.unwrap(),
            ReceiptOutcome::TooManyWaiting { waiting: 3 }
        ));
        let amounts: Vec<_> = s.waiting_receipts(10).await.unwrap().iter().map(|t| t.amount_asked.get()).collect();
        assert_eq!(amounts, vec![1000, 700, 2000, 3000], "oldest first");
        // Once one is decided, another may be sent.
        s.decide_receipt(first.id, 1, &Decision::Reject { reason: "unreadable".into() }).await.unwrap();
        assert_eq!(s.waiting_count(5).await.unwrap(), 2);
        submitted(&s, 5, 4000).await;
        // Receipts are never checked upstream: not due for the worker.
        assert!(s.open_topups_due(now_ms() + 100 * MIN, 10).await.unwrap().iter().all(|t| t.id == first.id));
    }

    #[tokio::test]
    async fn the_first_decision_wins_and_credits_once() {
        let (s, _d) = temp_store().await;
        customer(&s, 5, 100).await;
        let t = submitted(&s, 5, 2000).await;
        let s = Arc::new(s);
        // Two admins tap at once, one of them twice.
        let taps = [
            (11, Decision::Approve),
            (12, Decision::Approve),
            (11, Decision::Approve),
            (12, Decision::OtherAmount(Dinars(1500))),
        ];
        let tasks: Vec<_> = taps
            .into_iter()
            .map(|(admin, d)| {
                let s = s.clone();
                tokio::spawn(async move { s.decide_receipt(t.id, admin, &d).await.unwrap() })
            })
            .collect();
        let mut winners = vec![];
        let mut losers = vec![];
        for task in tasks {
            match task.await.unwrap() {
                DecideOutcome::Decided { topup, balances } => winners.push((topup, balances)),
                DecideOutcome::AlreadyDecided(topup) => losers.push(topup),
            }
        }
        assert_eq!(winners.len(), 1);
        let (won, balances) = &winners[0];
        let credited = won.amount_credited.unwrap().get();
        assert!(credited == 2000 || credited == 1500);
        assert_eq!(balances.unwrap().balance.get(), 100 + credited);
        for l in &losers {
            assert_eq!((l.decided_by, l.decided_at, l.status), (won.decided_by, won.decided_at, TopupStatus::Approved));
        }
        assert_eq!(s.balances(5).await.unwrap().balance.get(), 100 + credited);
        assert_eq!(topup_credits(&s, 5).await, vec![(credited, MoneySource::Transfer, Some(t.id))]);
        assert_eq!(s.recent_ledger(5, 1).await.unwrap()[0].admin_id, won.decided_by);
        assert!(s.ledger_mismatches().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn other_amount_and_reject() {
        let (s, _d) = temp_store().await;
        customer(&s, 5, 0).await;
        let a = submitted(&s, 5, 2000).await;
        let b = submitted(&s, 5, 5000).await;
        let DecideOutcome::Decided { topup, balances } =
            s.decide_receipt(a.id, 11, &Decision::OtherAmount(Dinars(1800))).await.unwrap()
        else {
            panic!("expected a decision");
        };
        assert_eq!((topup.amount_asked, topup.amount_credited), (Dinars(2000), Some(Dinars(1800))));
        assert_eq!(balances.unwrap().balance.get(), 1800);
        let DecideOutcome::Decided { topup, balances } =
            s.decide_receipt(b.id, 12, &Decision::Reject { reason: "no such transfer".into() }).await.unwrap()
        else {
            panic!("expected a decision");
        };
        assert_eq!(topup.status, TopupStatus::Rejected);
        assert_eq!((topup.decided_by, topup.decision_reason.as_deref()), (Some(12), Some("no such transfer")));
        assert_eq!((topup.amount_credited, balances), (None, None));
        // Approving after the refusal changes nothing.
        assert!(matches!(
            s.decide_receipt(b.id, 11, &Decision::Approve).await.unwrap(),
            DecideOutcome::AlreadyDecided(ref x) if x.status == TopupStatus::Rejected && x.decided_by == Some(12)
        ));
        assert_eq!(s.balances(5).await.unwrap().balance.get(), 1800);
        // Nonsense is refused before anything is written.
        assert!(s.decide_receipt(a.id, 11, &Decision::OtherAmount(Dinars(0))).await.is_err());
        assert!(matches!(s.decide_receipt(999, 11, &Decision::Approve).await, Err(StoreError::NotFound(_))));
        let online = open_online(&s, 5, 1000, 1).await;
        assert!(matches!(
            s.decide_receipt(online.id, 11, &Decision::Approve).await,
            Err(StoreError::IllegalTransition { .. })
        ));
        assert!(s.ledger_mismatches().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn outcomes_stay_due_until_told() {
        let (s, _d) = temp_store().await;
        customer(&s, 5, 0).await;
        let t = open_online(&s, 5, 1000, 1).await;
        let now = now_ms();
        assert!(s.open_topups_due(now, 10).await.unwrap().is_empty(), "first check in 10 s");
        assert_eq!(s.open_topups_due(now + 10_000, 10).await.unwrap()[0].id, t.id);
        s.settle_online(t.id, OnlineOutcome::Confirmed).await.unwrap();
        let due = s.open_topups_due(now_ms(), 10).await.unwrap();
        assert_eq!((due.len(), due[0].status, due[0].notify_pending), (1, TopupStatus::Confirmed, true));
        s.topup_notified(t.id).await.unwrap();
        assert!(s.open_topups_due(now + 100 * MIN, 10).await.unwrap().is_empty());
        s.set_topup_message(t.id, 42).await.unwrap();
        assert_eq!(s.topup(t.id).await.unwrap().unwrap().status_message_id, Some(42));
    }

    #[tokio::test]
    async fn a_restart_sees_every_open_top_up_and_settles_it_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let s = Store::open(&url).await.unwrap();
        customer(&s, 5, 0).await;
        let online = open_online(&s, 5, 2000, 1).await;
        // The process dies while another customer's createLink is in flight.
        customer(&s, 6, 0).await;
        let CreateOutcome::Created(lost) = s.create_topup(&new_online(6, 900)).await.unwrap() else {
            panic!("expected a new top-up");
        };
        let r = submitted(&s, 5, 1000).await;
        s.admin_copy_sent(r.id, -100, 7).await.unwrap();
        s.admin_copy_sent(r.id, 11, 8).await.unwrap();
        s.close().await;

        let s = Store::open(&url).await.unwrap();
        let later = now_ms() + 3 * MIN;
        let due: Vec<_> = s.open_topups_due(later, 10).await.unwrap().into_iter().map(|t| (t.id, t.status)).collect();
        // The link to check, and (past its answer deadline) the row whose answer was lost.
        assert_eq!(due, vec![(online.id, TopupStatus::Pending), (lost.id, TopupStatus::Creating)]);
        assert_eq!(s.waiting_receipts(10).await.unwrap().iter().map(|t| t.id).collect::<Vec<_>>(), vec![r.id]);
        assert_eq!(s.admin_copies(r.id).await.unwrap(), vec![(-100, 7), (11, 8)]);
        assert!(matches!(
            s.settle_online(online.id, OnlineOutcome::Confirmed).await.unwrap(),
            SettleOutcome::Settled { .. }
        ));
        s.close().await;

        let s = Store::open(&url).await.unwrap();
        assert!(matches!(
            s.settle_online(online.id, OnlineOutcome::Confirmed).await.unwrap(),
            SettleOutcome::AlreadySettled(_)
        ));
        assert_eq!(s.balances(5).await.unwrap().balance.get(), 2000);
        assert!(s.ledger_mismatches().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn the_ledger_refuses_a_second_credit_for_a_top_up() {
        let (s, _d) = temp_store().await;
        customer(&s, 5, 0).await;
        let t = submitted(&s, 5, 1000).await;
        s.decide_receipt(t.id, 11, &Decision::Approve).await.unwrap();
        // Even a bug skipping the status guard could not write a second credit for it.
        let mut tx = s.write_tx().await.unwrap();
        let moved = Topup { status: TopupStatus::Approved, amount_credited: Some(Dinars(1000)), ..t.clone() };
        assert!(credit_once(&mut tx, &moved).await.is_err());
        drop(tx);
        assert_eq!(s.balances(5).await.unwrap().balance.get(), 1000);
        assert!(sqlx::query("UPDATE ledger SET topup_id = NULL").execute(s.pool()).await.is_err(), "append-only");
        assert!(s.ledger_mismatches().await.unwrap().is_empty());
    }
}
