//! Orders and the money they hold. A status change and its wallet effect are one transaction.
use super::ledger::{self, Balances, LedgerKind, Reason};
use super::{Store, StoreError, now_ms};
use crate::domain::{CardType, Dinars, FailureReason, HoldEffect, HoldState, OrderStatus};
use sqlx::sqlite::SqliteRow;
use sqlx::{FromRow, Row, SqliteConnection};

#[derive(Clone, PartialEq)]
pub struct Order {
    pub id: i64,
    pub r#ref: String,
    pub user_id: i64,
    pub chat_id: i64,
    pub message_id: Option<i32>,
    pub card_type: CardType,
    pub number: String,
    pub value: Dinars,
    pub price: Dinars,
    pub cost: Option<Dinars>,
    pub status: OrderStatus,
    pub hold_state: HoldState,
    pub send_attempted_at: Option<i64>,
    pub topup_id: Option<String>,
    pub topup_ref: Option<String>,
    pub card_code_enc: Option<Vec<u8>>,
    pub num_trans: Option<String>,
    pub date_traitement: Option<String>,
    pub failure_reason: Option<FailureReason>,
    pub upstream_status: Option<String>,
    pub fast_until: Option<i64>,
    pub next_check_at: Option<i64>,
    pub notify_pending: bool,
    pub was_queued: bool,
    pub check_failures: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
    /// When the send attempt ended (answer, timeout, connection error); the reconcile grace
    /// runs from here.
    pub send_ended_at: Option<i64>,
    /// OneClickDZ said the ref exists: a later "not found" never refunds the order.
    pub upstream_seen: bool,
    /// "Not found" answers to check-ref while reconciling.
    pub not_found_count: i64,
    /// Admin alerts already sent for this order ([`alert_bits`]).
    pub alerted: i64,
    /// When the order entered its current status.
    pub status_since: Option<i64>,
    /// An order failed as never sent is looked up once more at this time.
    pub followup_at: Option<i64>,
}

/// One bit per admin alert an order may raise once (`orders.alerted`): kept in the row so a
/// restart never repeats one.
pub mod alert_bits {
    pub const NO_CODE: i64 = 1;
    pub const UNKNOWN_STATUS: i64 = 2;
    pub const HANDLING_LONG: i64 = 4;
    pub const QUEUED_LONG: i64 = 8;
    pub const SEEN_NOT_FOUND: i64 = 16;
    pub const FOUND_AFTER_FAILING: i64 = 32;
}

// The encrypted code is left out on purpose: logs get the ref and the status, nothing more.
impl std::fmt::Debug for Order {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Order")
            .field("id", &self.id)
            .field("ref", &self.r#ref)
            .field("user_id", &self.user_id)
            .field("card_type", &self.card_type)
            .field("value", &self.value)
            .field("price", &self.price)
            .field("status", &self.status)
            .field("hold_state", &self.hold_state)
            .finish_non_exhaustive()
    }
}

impl<'r> FromRow<'r, SqliteRow> for Order {
    fn from_row(row: &'r SqliteRow) -> Result<Self, sqlx::Error> {
        let decode = |what: &str, v: &str| sqlx::Error::Decode(format!("bad {what} {v:?}").into());
        let card_type: String = row.try_get("card_type")?;
        let status: String = row.try_get("status")?;
        let hold_state: String = row.try_get("hold_state")?;
        let failure_reason: Option<String> = row.try_get("failure_reason")?;
        Ok(Order {
            id: row.try_get("id")?,
            r#ref: row.try_get("ref")?,
            user_id: row.try_get("user_id")?,
            chat_id: row.try_get("chat_id")?,
            message_id: row.try_get("message_id")?,
            card_type: CardType::parse(&card_type).ok_or_else(|| decode("card_type", &card_type))?,
            number: row.try_get("number")?,
            value: row.try_get("value")?,
            price: row.try_get("price")?,
            cost: row.try_get("cost")?,
            status: OrderStatus::parse(&status).ok_or_else(|| decode("status", &status))?,
            hold_state: HoldState::parse(&hold_state).ok_or_else(|| decode("hold_state", &hold_state))?,
            send_attempted_at: row.try_get("send_attempted_at")?,
            topup_id: row.try_get("topup_id")?,
            topup_ref: row.try_get("topup_ref")?,
            card_code_enc: row.try_get("card_code_enc")?,
            num_trans: row.try_get("num_trans")?,
            date_traitement: row.try_get("date_traitement")?,
            failure_reason: match failure_reason {
                Some(r) => Some(FailureReason::parse(&r).ok_or_else(|| decode("failure_reason", &r))?),
                None => None,
            },
            upstream_status: row.try_get("upstream_status")?,
            fast_until: row.try_get("fast_until")?,
            next_check_at: row.try_get("next_check_at")?,
            notify_pending: row.try_get("notify_pending")?,
            was_queued: row.try_get("was_queued")?,
            check_failures: row.try_get("check_failures")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            finished_at: row.try_get("finished_at")?,
            send_ended_at: row.try_get("send_ended_at")?,
            upstream_seen: row.try_get("upstream_seen")?,
            not_found_count: row.try_get("not_found_count")?,
            alerted: row.try_get("alerted")?,
            status_since: row.try_get("status_since")?,
            followup_at: row.try_get("followup_at")?,
        })
    }
}

/// A confirmed draft, about to become an order.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub r#ref: String,
    pub user_id: i64,
    pub chat_id: i64,
    pub message_id: Option<i32>,
    pub card_type: CardType,
    pub number: String,
    pub value: Dinars,
    pub price: Dinars,
    pub cost: Option<Dinars>,
    /// How long after placing the order it is polled at the fast interval.
    pub fast_window_ms: i64,
}

#[derive(Debug)]
pub enum PlaceOutcome {
    Placed {
        order: Order,
        balances: Balances,
    },
    /// The ref exists already: a replayed or doubled confirm. Nothing was written.
    Duplicate(Order),
    /// Not enough spendable money. Nothing was written.
    InsufficientFunds {
        available: crate::domain::Dinars,
    },
}

/// What one look at the order upstream (or the send's answer) changes.
#[derive(Debug, Clone, Default)]
pub struct StatusUpdate {
    pub topup_id: Option<String>,
    pub topup_ref: Option<String>,
    pub card_code_enc: Option<Vec<u8>>,
    pub num_trans: Option<String>,
    pub date_traitement: Option<String>,
    pub upstream_status: Option<String>,
    pub failure_reason: Option<FailureReason>,
    /// When to look again; ignored for final statuses.
    pub next_check_at: Option<i64>,
    /// The chat must be told about this status (the tracker keeps the order due until it is).
    pub notify: bool,
}

/// The `SET` clauses for what a look upstream learnt, bound as ?1..?7 by [`bind_learnt`]: a value
/// once known is kept when a later answer leaves it out. An upstream status means OneClickDZ
/// knows the ref, which is remembered for good.
macro_rules! set_learnt {
    () => {
        "topup_id = COALESCE(?1, topup_id), topup_ref = COALESCE(?2, topup_ref),
         card_code_enc = COALESCE(?3, card_code_enc), num_trans = COALESCE(?4, num_trans),
         date_traitement = COALESCE(?5, date_traitement), upstream_status = COALESCE(?6, upstream_status),
         failure_reason = COALESCE(?7, failure_reason), upstream_seen = upstream_seen OR (?6 IS NOT NULL)"
    };
}

/// Binds `u`'s learnt values as ?1..?7 of a statement built with `set_learnt!`.
fn bind_learnt<'q, O>(
    q: sqlx::query::QueryAs<'q, sqlx::Sqlite, O, sqlx::sqlite::SqliteArguments<'q>>,
    u: &'q StatusUpdate,
) -> sqlx::query::QueryAs<'q, sqlx::Sqlite, O, sqlx::sqlite::SqliteArguments<'q>> {
    q.bind(&u.topup_id)
        .bind(&u.topup_ref)
        .bind(&u.card_code_enc)
        .bind(&u.num_trans)
        .bind(&u.date_traitement)
        .bind(&u.upstream_status)
        .bind(u.failure_reason.map(FailureReason::as_str))
}

async fn load(conn: &mut SqliteConnection, id: i64) -> Result<Order, StoreError> {
    sqlx::query_as("SELECT * FROM orders WHERE id = ?")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("order"))
}

impl Store {
    /// Writes the order with its unique ref and holds its price, in one transaction, before
    /// anything is sent upstream.
    pub async fn place_order_with_hold(&self, o: &NewOrder) -> Result<PlaceOutcome, StoreError> {
        let mut tx = self.write_tx().await?;
        let now = now_ms();
        // The ref is UNIQUE: a replayed confirm inserts nothing and finds the order it placed.
        let inserted: Option<Order> = sqlx::query_as(
            "INSERT INTO orders (ref, user_id, chat_id, message_id, card_type, number, value, price, cost,
                                 status, hold_state, fast_until, next_check_at, created_at, updated_at, status_since)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'PLACED', 'held', ?, ?, ?, ?, ?)
             ON CONFLICT(ref) DO NOTHING RETURNING *",
        )
        .bind(&o.r#ref)
        .bind(o.user_id)
        .bind(o.chat_id)
        .bind(o.message_id)
        .bind(o.card_type.as_api())
        .bind(&o.number)
        .bind(o.value)
        .bind(o.price)
        .bind(o.cost)
        .bind(now + o.fast_window_ms)
        .bind(now)
        .bind(now)
        .bind(now)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(order) = inserted else {
            let existing: Order =
                sqlx::query_as("SELECT * FROM orders WHERE ref = ?").bind(&o.r#ref).fetch_one(&mut *tx).await?;
            return Ok(PlaceOutcome::Duplicate(existing));
        };
        let id = order.id;
        let reason = Reason { order_id: Some(id), note: Some(&o.r#ref), ..Default::default() };
        let balances = if o.price > Dinars(0) {
            match ledger::apply(&mut tx, o.user_id, LedgerKind::Hold, o.price, reason).await {
                Ok(b) => b,
                Err(StoreError::InsufficientFunds { available }) => {
                    tx.rollback().await?;
                    return Ok(PlaceOutcome::InsufficientFunds { available });
                }
                Err(e) => return Err(e),
            }
        } else {
            self.balances(o.user_id).await?
        };
        tx.commit().await?;
        Ok(PlaceOutcome::Placed { order, balances })
    }

    /// Claims the one and only send of an order. Committed before the POST, so after a crash the
    /// order is reconciled by ref instead of being sent again. False if already claimed.
    pub async fn claim_send(&self, id: i64) -> Result<bool, StoreError> {
        let now = now_ms();
        let r = sqlx::query(
            "UPDATE orders SET send_attempted_at = ?1, updated_at = ?1
             WHERE id = ?2 AND status = 'PLACED' AND send_attempted_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Gives the send back after a definite "not processed" answer (rate limited), so it can go
    /// out later. Only for answers that prove the request was refused before processing.
    pub async fn release_send_claim(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE orders SET send_attempted_at = NULL, send_ended_at = NULL WHERE id = ? AND status = 'PLACED'",
        )
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Moves an order to `status`, settling its hold when the status is final, atomically: one
    /// statement when no money moves, else one transaction. Re-applying the current status only
    /// refreshes the schedule; an illegal move is refused.
    pub async fn apply_status(&self, id: i64, status: OrderStatus, u: StatusUpdate) -> Result<Order, StoreError> {
        if status.hold_effect() == HoldEffect::Keep
            && let Some(order) = self.advance_status(id, status, &u).await?
        {
            return Ok(order);
        }
        self.apply_status_in_tx(id, status, u).await
    }

    /// `apply_status` as one transaction that reads the order first: every move, money or not.
    async fn apply_status_in_tx(&self, id: i64, status: OrderStatus, u: StatusUpdate) -> Result<Order, StoreError> {
        let mut tx = self.write_tx().await?;
        let order = load(&mut tx, id).await?;
        if order.status == status && status.is_final() {
            return Ok(order);
        }
        if !order.status.can_move_to(status) {
            return Err(StoreError::IllegalTransition { from: order.status.as_str(), to: status.as_str() });
        }
        let mut hold_state = order.hold_state;
        let effect = status.hold_effect();
        if effect != HoldEffect::Keep {
            if order.hold_state != HoldState::Held {
                return Err(StoreError::Corrupt(format!("order {} settles twice", order.r#ref)));
            }
            let (kind, state) = match effect {
                HoldEffect::Capture => (LedgerKind::Capture, HoldState::Captured),
                _ => (LedgerKind::Release, HoldState::Released),
            };
            if order.price > Dinars(0) {
                let reason = Reason { order_id: Some(id), note: Some(&order.r#ref), ..Default::default() };
                ledger::apply(&mut tx, order.user_id, kind, order.price, reason).await?;
            }
            hold_state = state;
        }
        let now = now_ms();
        let changed = order.status != status;
        let pending = if changed { u.notify } else { order.notify_pending || u.notify };
        let next_check_at = if status.is_final() { pending.then_some(now) } else { u.next_check_at.or(Some(now)) };
        let order: Order = bind_learnt(
            sqlx::query_as(concat!(
                "UPDATE orders SET ",
                set_learnt!(),
                ", status = ?8, hold_state = ?9, next_check_at = ?10,
                notify_pending = ?11, was_queued = was_queued OR ?12, check_failures = 0,
                status_since = CASE WHEN status = ?8 THEN status_since ELSE ?14 END,
                finished_at = CASE WHEN ?13 THEN ?14 ELSE finished_at END, updated_at = ?14
             WHERE id = ?15 RETURNING *",
            )),
            &u,
        )
        .bind(status.as_str())
        .bind(hold_state.as_str())
        .bind(next_check_at)
        .bind(pending)
        .bind(status == OrderStatus::Queued)
        .bind(status.is_final())
        .bind(now)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(order)
    }

    /// `apply_status` for a move that leaves the hold alone (to PLACED, HANDLING or QUEUED): one
    /// guarded statement instead of a transaction. `None` when the order is not in a state that may
    /// move to `status` (or does not exist): `apply_status`'s transaction then says why.
    async fn advance_status(
        &self,
        id: i64,
        status: OrderStatus,
        u: &StatusUpdate,
    ) -> Result<Option<Order>, StoreError> {
        debug_assert_eq!(status.hold_effect(), HoldEffect::Keep);
        // The states that may move to `status`, as ",A,B,": matched with instr() below.
        let from: String = OrderStatus::ALL
            .into_iter()
            .filter(|f| f.can_move_to(status))
            .fold(String::from(","), |acc, f| acc + f.as_str() + ",");
        let now = now_ms();
        // SET expressions read the row as it was: `status = ?8` there is "the status is unchanged".
        Ok(bind_learnt(
            sqlx::query_as(concat!(
                "UPDATE orders SET ",
                set_learnt!(),
                ", status = ?8, next_check_at = ?9,
                notify_pending = CASE WHEN status = ?8 THEN notify_pending OR ?10 ELSE ?10 END,
                was_queued = was_queued OR ?11, check_failures = 0, updated_at = ?12,
                status_since = CASE WHEN status = ?8 THEN status_since ELSE ?12 END
             WHERE id = ?13 AND instr(?14, ',' || status || ',') > 0 RETURNING *",
            )),
            u,
        )
        .bind(status.as_str())
        .bind(u.next_check_at.unwrap_or(now))
        .bind(u.notify)
        .bind(status == OrderStatus::Queued)
        .bind(now)
        .bind(id)
        .bind(from)
        .fetch_optional(&mut *self.light_write().await?)
        .await?)
    }

    /// Most polls see the status the order already has: one statement records what they learnt
    /// and the next check (no money moves, so no transaction). Same effect as `apply_status` with
    /// the current status; `None` if the order's status is not `status` (or is final): use
    /// `apply_status`.
    pub async fn refresh_status(
        &self,
        id: i64,
        status: OrderStatus,
        u: &StatusUpdate,
    ) -> Result<Option<Order>, StoreError> {
        if status.is_final() {
            return Ok(None);
        }
        let now = now_ms();
        Ok(bind_learnt(
            sqlx::query_as(concat!(
                "UPDATE orders SET ",
                set_learnt!(),
                ", next_check_at = ?8,
                notify_pending = notify_pending OR ?9, was_queued = was_queued OR ?10, check_failures = 0,
                updated_at = ?11
             WHERE id = ?12 AND status = ?13 RETURNING *",
            )),
            u,
        )
        .bind(u.next_check_at.unwrap_or(now))
        .bind(u.notify)
        .bind(status == OrderStatus::Queued)
        .bind(now)
        .bind(id)
        .bind(status.as_str())
        .fetch_optional(&mut *self.light_write().await?)
        .await?)
    }

    /// No change upstream (or the check failed): look again at `next_check_at`. Returns the
    /// order as it now is (`None` if it has left the schedule).
    pub async fn reschedule(
        &self,
        id: i64,
        next_check_at: i64,
        failed_check: bool,
    ) -> Result<Option<Order>, StoreError> {
        Ok(sqlx::query_as(
            "UPDATE orders SET next_check_at = ?1, check_failures = check_failures + ?2, updated_at = ?3
             WHERE id = ?4 AND next_check_at IS NOT NULL RETURNING *",
        )
        .bind(next_check_at)
        .bind(i64::from(failed_check))
        .bind(now_ms())
        .bind(id)
        .fetch_optional(&mut *self.light_write().await?)
        .await?)
    }

    /// The chat has been told (or cannot be told) about the current status. A final order then
    /// leaves the tracker's queue. Returns the order as it now is.
    pub async fn mark_notified(&self, id: i64, message_id: Option<i32>) -> Result<Order, StoreError> {
        sqlx::query_as(
            "UPDATE orders SET notify_pending = 0, message_id = COALESCE(?1, message_id),
                next_check_at = CASE WHEN status IN ('FULFILLED', 'REFUNDED', 'FAILED') THEN followup_at ELSE next_check_at END,
                updated_at = ?2
             WHERE id = ?3 RETURNING *",
        )
        .bind(message_id)
        .bind(now_ms())
        .bind(id)
        .fetch_optional(&mut *self.light_write().await?)
        .await?
        .ok_or(StoreError::NotFound("order"))
    }

    /// The send attempt is over (answer, timeout, connection error) at `ended_at`; with
    /// `keep_earlier`, an end already written stands (a reconcile after a crash takes "now" only
    /// when nothing was written). `seen`: OneClickDZ said the ref exists.
    pub async fn note_send_end(
        &self,
        id: i64,
        ended_at: i64,
        keep_earlier: bool,
        seen: bool,
    ) -> Result<Order, StoreError> {
        sqlx::query_as(
            "UPDATE orders SET send_ended_at = CASE WHEN ?2 THEN COALESCE(send_ended_at, ?1) ELSE ?1 END,
                upstream_seen = upstream_seen OR ?3
             WHERE id = ?4 RETURNING *",
        )
        .bind(ended_at)
        .bind(keep_earlier)
        .bind(seen)
        .bind(id)
        .fetch_optional(&mut *self.light_write().await?)
        .await?
        .ok_or(StoreError::NotFound("order"))
    }

    /// One more "not found" from check-ref while reconciling; look again at `next_check_at`.
    pub async fn note_not_found(&self, id: i64, next_check_at: i64) -> Result<Order, StoreError> {
        sqlx::query_as(
            "UPDATE orders SET not_found_count = not_found_count + 1, next_check_at = ?1, updated_at = ?2
             WHERE id = ?3 RETURNING *",
        )
        .bind(next_check_at)
        .bind(now_ms())
        .bind(id)
        .fetch_optional(&mut *self.light_write().await?)
        .await?
        .ok_or(StoreError::NotFound("order"))
    }

    /// Claims the one alert `bit` ([`alert_bits`]) for this order: true only the first time, ever.
    /// Claimed before it is sent, so a crash can lose an alert but never repeat one.
    pub async fn claim_alert(&self, id: i64, bit: i64) -> Result<bool, StoreError> {
        let r = sqlx::query("UPDATE orders SET alerted = alerted | ?1 WHERE id = ?2 AND alerted & ?1 = 0")
            .bind(bit)
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// The next late look-up of an order failed as never sent (`None`: no more). A final order
    /// already told is scheduled for it; one still to be told gets it once told.
    pub async fn set_followup(&self, id: i64, at: Option<i64>) -> Result<Order, StoreError> {
        sqlx::query_as(
            "UPDATE orders SET followup_at = ?1,
                next_check_at = CASE WHEN notify_pending THEN next_check_at ELSE ?1 END, updated_at = ?2
             WHERE id = ?3 RETURNING *",
        )
        .bind(at)
        .bind(now_ms())
        .bind(id)
        .fetch_optional(&self.writer)
        .await?
        .ok_or(StoreError::NotFound("order"))
    }

    /// Every order the tracker still has to look at, with when: what it mirrors in memory.
    pub async fn check_schedule(&self) -> Result<Vec<(i64, i64)>, StoreError> {
        Ok(sqlx::query_as("SELECT id, next_check_at FROM orders WHERE next_check_at IS NOT NULL")
            .fetch_all(&self.pool)
            .await?)
    }

    /// When the order is next due (`None`: final and told, or no such order).
    pub async fn next_check_of(&self, id: i64) -> Result<Option<i64>, StoreError> {
        let row: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT next_check_at FROM orders WHERE id = ?").bind(id).fetch_optional(&self.pool).await?;
        Ok(row.and_then(|r| r.0))
    }

    pub async fn order(&self, id: i64) -> Result<Option<Order>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM orders WHERE id = ?").bind(id).fetch_optional(&self.pool).await?)
    }

    pub async fn order_by_ref(&self, r#ref: &str) -> Result<Option<Order>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM orders WHERE ref = ?").bind(r#ref).fetch_optional(&self.pool).await?)
    }

    /// A user's orders, newest first, one page at a time.
    pub async fn orders_of_user(&self, user_id: i64, offset: i64, limit: i64) -> Result<Vec<Order>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM orders WHERE user_id = ? ORDER BY id DESC LIMIT ? OFFSET ?")
            .bind(user_id)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn count_orders_of_user(&self, user_id: i64) -> Result<i64, StoreError> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM orders WHERE user_id = ?").bind(user_id).fetch_one(&self.pool).await?;
        Ok(n)
    }

    /// Numbers this user bought for before, most recent first, for one-tap reuse.
    pub async fn recent_numbers(
        &self,
        user_id: i64,
        card_type: CardType,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT number FROM orders WHERE user_id = ? AND card_type = ?
             GROUP BY number ORDER BY MAX(id) DESC LIMIT ?",
        )
        .bind(user_id)
        .bind(card_type.as_api())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::temp_store;
    use OrderStatus::*;

    fn new_order(user: i64, r: &str, price: i64) -> NewOrder {
        NewOrder {
            r#ref: r.into(),
            user_id: user,
            chat_id: user,
            message_id: Some(10),
            card_type: CardType::Adsl,
            number: "036362608".into(),
            value: Dinars(1000),
            price: Dinars(price),
            cost: Some(Dinars(980)),
            fast_window_ms: 300_000,
        }
    }

    async fn place(s: &Store, o: &NewOrder) -> Order {
        match s.place_order_with_hold(o).await.unwrap() {
            PlaceOutcome::Placed { order, .. } => order,
            other => panic!("expected placed, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn placing_holds_the_price_once() {
        let (s, _d) = temp_store().await;
        crate::store::testing::customer(&s, 5, 1500).await;
        let o = place(&s, &new_order(5, "r1", 1000)).await;
        assert_eq!((o.status, o.hold_state), (Placed, HoldState::Held));
        assert_eq!(s.balances(5).await.unwrap(), Balances { balance: Dinars(500), held: Dinars(1000) });
        assert!(matches!(
            s.place_order_with_hold(&new_order(5, "r1", 1000)).await.unwrap(),
            PlaceOutcome::Duplicate(_)
        ));
        assert!(matches!(
            s.place_order_with_hold(&new_order(5, "r2", 1000)).await.unwrap(),
            PlaceOutcome::InsufficientFunds { available: crate::domain::Dinars(500) }
        ));
        assert!(s.order_by_ref("r2").await.unwrap().is_none(), "a refused order leaves no row");
        assert_eq!(s.balances(5).await.unwrap(), Balances { balance: Dinars(500), held: Dinars(1000) });
        assert!(s.ledger_mismatches().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn concurrent_confirms_with_money_for_one_pass_exactly_once() {
        let (s, _d) = temp_store().await;
        crate::store::testing::customer(&s, 5, 1000).await;
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move {
                    s.place_order_with_hold(&new_order(5, &format!("race-{i}"), 1000)).await.unwrap()
                })
            })
            .collect();
        let mut placed = 0;
        for t in tasks {
            if let PlaceOutcome::Placed { .. } = t.await.unwrap() {
                placed += 1;
            }
        }
        assert_eq!(placed, 1);
        assert_eq!(s.balances(5).await.unwrap(), Balances { balance: Dinars(0), held: Dinars(1000) });
        assert!(s.ledger_mismatches().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn send_is_claimed_once() {
        let (s, _d) = temp_store().await;
        crate::store::testing::customer(&s, 5, 1000).await;
        let o = place(&s, &new_order(5, "r1", 1000)).await;
        assert!(s.claim_send(o.id).await.unwrap());
        assert!(!s.claim_send(o.id).await.unwrap());
    }

    #[tokio::test]
    async fn fulfilled_captures_and_refunded_releases() {
        let (s, _d) = temp_store().await;
        crate::store::testing::customer(&s, 5, 3000).await;
        let a = place(&s, &new_order(5, "a", 1000)).await;
        let b = place(&s, &new_order(5, "b", 1200)).await;
        s.apply_status(a.id, Handling, StatusUpdate { topup_id: Some("t1".into()), ..Default::default() })
            .await
            .unwrap();
        let a = s
            .apply_status(
                a.id,
                Fulfilled,
                StatusUpdate { card_code_enc: Some(vec![1, 2]), notify: true, ..Default::default() },
            )
            .await
            .unwrap();
        assert_eq!((a.hold_state, a.notify_pending), (HoldState::Captured, true));
        assert_eq!(a.topup_id.as_deref(), Some("t1"));
        s.apply_status(b.id, Queued, StatusUpdate::default()).await.unwrap();
        let b = s.apply_status(b.id, Refunded, StatusUpdate { notify: true, ..Default::default() }).await.unwrap();
        assert_eq!(b.hold_state, HoldState::Released);
        assert!(b.was_queued);
        assert_eq!(s.balances(5).await.unwrap(), Balances { balance: Dinars(2000), held: Dinars(0) });
        // Settling again is a no-op, and a final order never moves.
        s.apply_status(a.id, Fulfilled, StatusUpdate::default()).await.unwrap();
        assert!(matches!(
            s.apply_status(a.id, Refunded, StatusUpdate::default()).await,
            Err(StoreError::IllegalTransition { .. })
        ));
        assert_eq!(s.balances(5).await.unwrap(), Balances { balance: Dinars(2000), held: Dinars(0) });
        assert!(s.ledger_mismatches().await.unwrap().is_empty());
        // Notified final orders leave the queue.
        assert_eq!(s.check_schedule().await.unwrap().len(), 2);
        let told = s.mark_notified(a.id, Some(99)).await.unwrap();
        assert_eq!(Some(&told), s.order(a.id).await.unwrap().as_ref(), "the row returned is the row kept");
        s.mark_notified(b.id, None).await.unwrap();
        assert!(s.check_schedule().await.unwrap().is_empty(), "told final orders leave the schedule");
        assert_eq!(s.next_check_of(a.id).await.unwrap(), None);
        assert_eq!(s.order(a.id).await.unwrap().unwrap().message_id, Some(99));
    }

    /// A poll that sees no change: the one-statement refresh does what `apply_status` with the
    /// same status would, and refuses any other status.
    #[tokio::test]
    async fn refreshing_an_unchanged_status_matches_apply_status() {
        let (s, _d) = temp_store().await;
        crate::store::testing::customer(&s, 5, 3000).await;
        let a = place(&s, &new_order(5, "a", 1000)).await;
        let b = place(&s, &new_order(5, "b", 1000)).await;
        let upd = |at| StatusUpdate {
            topup_id: Some("t1".into()),
            upstream_status: Some("HANDLING".into()),
            next_check_at: Some(at),
            ..Default::default()
        };
        assert!(s.refresh_status(a.id, Handling, &upd(10)).await.unwrap().is_none(), "PLACED is not HANDLING");
        assert!(s.refresh_status(a.id, Fulfilled, &upd(10)).await.unwrap().is_none(), "final: never here");
        s.apply_status(a.id, Handling, StatusUpdate::default()).await.unwrap();
        s.apply_status(b.id, Handling, StatusUpdate::default()).await.unwrap();
        s.reschedule(a.id, 1, true).await.unwrap();
        s.reschedule(b.id, 1, true).await.unwrap();
        let refreshed = s.refresh_status(a.id, Handling, &upd(5_000)).await.unwrap().unwrap();
        let applied = s.apply_status(b.id, Handling, upd(5_000)).await.unwrap();
        let same = |o: &Order| {
            (
                o.status,
                o.topup_id.clone(),
                o.upstream_status.clone(),
                o.next_check_at,
                o.check_failures,
                o.notify_pending,
            )
        };
        assert_eq!(same(&refreshed), same(&applied));
        assert_eq!(same(&refreshed), (Handling, Some("t1".into()), Some("HANDLING".into()), Some(5_000), 0, false));
        assert_eq!(
            s.balances(5).await.unwrap(),
            Balances { balance: Dinars(1000), held: Dinars(2000) },
            "no money moved"
        );
    }

    /// The one-statement move (to PLACED, HANDLING or QUEUED) leaves the same row as the
    /// transaction, from every state, and refuses what the transaction refuses.
    #[tokio::test]
    async fn moves_without_money_in_one_statement_match_the_transaction() {
        let (s, _d) = temp_store().await;
        crate::store::testing::customer(&s, 5, 1_000_000).await;
        let row = |o: &Order| {
            (
                o.status,
                o.hold_state,
                o.topup_id.clone(),
                o.upstream_status.clone(),
                o.next_check_at,
                o.notify_pending,
                o.was_queued,
                o.check_failures,
                o.finished_at.is_some(),
            )
        };
        let mut n = 0;
        for from in OrderStatus::ALL {
            for was_pending in [false, true] {
                for to in [Placed, Handling, Queued] {
                    for notify in [false, true] {
                        let mut twins = Vec::new();
                        for _ in 0..2 {
                            n += 1;
                            let o = place(&s, &new_order(5, &format!("o{n}"), 100)).await;
                            if from != Placed {
                                let u = StatusUpdate { notify: was_pending, ..Default::default() };
                                s.apply_status(o.id, from, u).await.unwrap();
                            }
                            s.reschedule(o.id, 1, true).await.unwrap();
                            twins.push(o.id);
                        }
                        let u = StatusUpdate {
                            topup_id: Some("t9".into()),
                            upstream_status: Some(to.as_str().into()),
                            next_check_at: Some(7_000),
                            notify,
                            ..Default::default()
                        };
                        let case = format!("{from} (pending {was_pending}) -> {to}, notify {notify}");
                        let by_tx = s.apply_status_in_tx(twins[1], to, u.clone()).await;
                        if from.can_move_to(to) {
                            let fast = s.advance_status(twins[0], to, &u).await.unwrap();
                            let fast = fast.unwrap_or_else(|| panic!("{case}: one statement should apply"));
                            assert_eq!(row(&fast), row(&by_tx.unwrap()), "{case}");
                            assert_eq!(
                                Some(fast),
                                s.order(twins[0]).await.unwrap(),
                                "{case}: the row returned is kept"
                            );
                        } else {
                            assert!(s.advance_status(twins[0], to, &u).await.unwrap().is_none(), "{case}");
                            let refused = s.apply_status(twins[0], to, u).await.unwrap_err().to_string();
                            assert_eq!(refused, by_tx.unwrap_err().to_string(), "{case}");
                        }
                    }
                }
            }
        }
        assert!(s.advance_status(999_999, Handling, &StatusUpdate::default()).await.unwrap().is_none());
        assert!(matches!(
            s.apply_status(999_999, Handling, StatusUpdate::default()).await,
            Err(StoreError::NotFound("order"))
        ));
        assert!(s.ledger_mismatches().await.unwrap().is_empty(), "no money moved by these moves");
    }

    #[tokio::test]
    async fn rescheduling_moves_the_next_check() {
        let (s, _d) = temp_store().await;
        crate::store::testing::customer(&s, 5, 3000).await;
        let a = place(&s, &new_order(5, "a", 100)).await;
        let b = place(&s, &new_order(5, "b", 100)).await;
        s.reschedule(a.id, 2_000, false).await.unwrap();
        let moved = s.reschedule(b.id, 1_000, true).await.unwrap();
        assert_eq!(moved, s.order(b.id).await.unwrap(), "the row returned is the row kept");
        let mut sched = s.check_schedule().await.unwrap();
        sched.sort();
        assert_eq!(sched, vec![(a.id, 2_000), (b.id, 1_000)]);
        assert_eq!(s.next_check_of(b.id).await.unwrap(), Some(1_000));
        assert_eq!(s.next_check_of(999).await.unwrap(), None);
        assert_eq!(s.order(b.id).await.unwrap().unwrap().check_failures, 1);
        // A told final order has left the schedule: nothing to move, no row.
        s.apply_status(a.id, Handling, StatusUpdate::default()).await.unwrap();
        s.apply_status(a.id, Fulfilled, StatusUpdate { notify: true, ..Default::default() }).await.unwrap();
        s.mark_notified(a.id, None).await.unwrap();
        assert_eq!(s.reschedule(a.id, 5_000, false).await.unwrap(), None);
        assert_eq!(s.next_check_of(a.id).await.unwrap(), None);
    }

    #[tokio::test]
    async fn what_the_tracker_must_remember_survives_in_the_row() {
        let (s, _d) = temp_store().await;
        crate::store::testing::customer(&s, 5, 3000).await;
        let o = place(&s, &new_order(5, "m1", 100)).await;
        assert_eq!((o.send_ended_at, o.upstream_seen, o.not_found_count, o.alerted), (None, false, 0, 0));
        assert_eq!(o.status_since, Some(o.created_at));
        // The end of the attempt: written once by the send, kept by a later reconcile.
        let e = s.note_send_end(o.id, 1_000, false, false).await.unwrap();
        assert_eq!(e.send_ended_at, Some(1_000));
        let e = s.note_send_end(o.id, 2_000, true, true).await.unwrap();
        assert_eq!((e.send_ended_at, e.upstream_seen), (Some(1_000), true));
        assert_eq!(s.note_not_found(o.id, 9_000).await.unwrap().not_found_count, 1);
        // Each alert once, ever.
        assert!(s.claim_alert(o.id, alert_bits::NO_CODE).await.unwrap());
        assert!(!s.claim_alert(o.id, alert_bits::NO_CODE).await.unwrap());
        assert!(s.claim_alert(o.id, alert_bits::UNKNOWN_STATUS).await.unwrap());
        assert_eq!(s.order(o.id).await.unwrap().unwrap().alerted, alert_bits::NO_CODE | alert_bits::UNKNOWN_STATUS);
        // An upstream status means OneClickDZ knows the ref.
        let b = place(&s, &new_order(5, "m2", 100)).await;
        let u = StatusUpdate { upstream_status: Some("HANDLING".into()), ..Default::default() };
        let b = s.apply_status(b.id, Handling, u).await.unwrap();
        assert!(b.upstream_seen && b.status_since >= Some(b.created_at));
        // A failed order told to its customer is scheduled for its late look-up, then left alone.
        let f = s
            .apply_status(
                o.id,
                Failed,
                StatusUpdate { failure_reason: Some(FailureReason::NotSent), notify: true, ..Default::default() },
            )
            .await
            .unwrap();
        let f = s.set_followup(f.id, Some(50_000)).await.unwrap();
        assert_ne!(f.next_check_at, Some(50_000), "told first");
        let f = s.mark_notified(f.id, None).await.unwrap();
        assert_eq!((f.followup_at, f.next_check_at), (Some(50_000), Some(50_000)));
        let f = s.set_followup(f.id, None).await.unwrap();
        assert_eq!((f.followup_at, f.next_check_at), (None, None));
        assert!(s.ledger_mismatches().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn recent_numbers_are_distinct_newest_first() {
        let (s, _d) = temp_store().await;
        crate::store::testing::customer(&s, 5, 3000).await;
        for (r, n) in [("a", "031000001"), ("b", "031000002"), ("c", "031000001")] {
            let mut o = new_order(5, r, 100);
            o.number = n.into();
            place(&s, &o).await;
        }
        assert_eq!(s.recent_numbers(5, CardType::Adsl, 5).await.unwrap(), vec!["031000001", "031000002"]);
        assert!(s.recent_numbers(5, CardType::FourG, 5).await.unwrap().is_empty());
    }
}

/// Random sequences of every wallet movement against a simple model: the books always add up,
/// nothing goes negative, and every settled order is settled exactly once.
#[cfg(test)]
mod invariants {
    use super::*;
    use crate::i18n::Lang;
    use crate::store::NewUser;
    use crate::store::testing::temp_store;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Credit(u8, i64),
        Debit(u8, i64),
        Place(u8, i64),
        Fulfil(usize),
        Refund(usize),
        Fail(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..3, 1i64..3000).prop_map(|(u, a)| Op::Credit(u, a)),
            (0u8..3, 1i64..3000).prop_map(|(u, a)| Op::Debit(u, a)),
            (0u8..3, 1i64..2500).prop_map(|(u, a)| Op::Place(u, a)),
            (0usize..40).prop_map(Op::Fulfil),
            (0usize..40).prop_map(Op::Refund),
            (0usize..40).prop_map(Op::Fail),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
        #[test]
        fn books_always_add_up(ops in proptest::collection::vec(op(), 1..60)) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                let (s, _d) = temp_store().await;
                for id in 1..=3 {
                    s.touch_user(&NewUser { id, first_name: "U".into(), last_name: None, username: None, language: Lang::En, is_admin: false }).await.unwrap();
                }
                // Model: (balance, held) per user; orders as (id, user, price, settled).
                let mut model = [(0i64, 0i64); 3];
                let mut orders: Vec<(i64, usize, i64, bool)> = Vec::new();
                for (n, op) in ops.into_iter().enumerate() {
                    match op {
                        Op::Credit(u, a) => {
                            s.credit(i64::from(u) + 1, crate::domain::Dinars(a), 99, None).await.unwrap();
                            model[u as usize].0 += a;
                        }
                        Op::Debit(u, a) => {
                            let r = s.debit(i64::from(u) + 1, crate::domain::Dinars(a), 99, None).await;
                            if model[u as usize].0 >= a {
                                r.unwrap();
                                model[u as usize].0 -= a;
                            } else {
                                assert!(matches!(r, Err(StoreError::InsufficientFunds { .. })));
                            }
                        }
                        Op::Place(u, price) => {
                            let o = NewOrder {
                                r#ref: format!("p{n}"), user_id: i64::from(u) + 1, chat_id: 1, message_id: None,
                                card_type: CardType::Adsl, number: "036362608".into(), value: Dinars(1000), price: Dinars(price), cost: None,
                                fast_window_ms: 1000,
                            };
                            match s.place_order_with_hold(&o).await.unwrap() {
                                PlaceOutcome::Placed { order, .. } => {
                                    assert!(model[u as usize].0 >= price);
                                    model[u as usize].0 -= price;
                                    model[u as usize].1 += price;
                                    orders.push((order.id, u as usize, price, false));
                                }
                                PlaceOutcome::InsufficientFunds { .. } => assert!(model[u as usize].0 < price),
                                PlaceOutcome::Duplicate(_) => unreachable!("refs are unique"),
                            }
                        }
                        Op::Fulfil(i) | Op::Refund(i) | Op::Fail(i) if !orders.is_empty() => {
                            let k = i % orders.len();
                            let (id, u, price, settled) = orders[k];
                            let status = match op {
                                Op::Fulfil(_) => OrderStatus::Fulfilled,
                                Op::Refund(_) => OrderStatus::Refunded,
                                _ => OrderStatus::Failed,
                            };
                            let current = s.order(id).await.unwrap().unwrap().status;
                            let r = s.apply_status(id, status, StatusUpdate::default()).await;
                            if settled {
                                // A settled order never settles again, whatever is asked.
                                assert!(r.is_err() || current == status);
                            } else {
                                r.unwrap();
                                model[u].1 -= price;
                                if status != OrderStatus::Fulfilled {
                                    model[u].0 += price;
                                }
                                orders[k].3 = true;
                            }
                        }
                        _ => {}
                    }
                    for (i, (bal, held)) in model.iter().enumerate() {
                        let b = s.balances(i as i64 + 1).await.unwrap();
                        assert_eq!((b.balance.get(), b.held.get()), (*bal, *held));
                        assert!(b.balance >= Dinars(0) && b.held >= Dinars(0));
                    }
                    assert!(s.ledger_mismatches().await.unwrap().is_empty());
                }
            });
        }
    }
}
