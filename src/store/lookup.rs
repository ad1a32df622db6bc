//! `/lookup`: finding orders by what an admin has at hand, and the two things done to one order
//! from there (an immediate recheck, a refund decided by an admin).
use super::audit::{self, AuditEntry};
use super::ledger::{self, LedgerEntry, LedgerKind, Reason};
use super::{Order, Store, StoreError, now_ms};
use crate::domain::{CardType, HoldState, OrderStatus, PhoneNumber};

/// What an admin typed after `/lookup`, read every way it can be: an order id, a user id, a ref, a
/// phone number. The matches of all readings are shown together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupQuery {
    /// The number, when the text is one (order id or user id).
    pub id: Option<i64>,
    /// The text as typed (a ref, or a number as stored).
    pub text: String,
    /// The text read as an ADSL or 4G number, in the form orders store.
    pub numbers: Vec<String>,
}

impl LookupQuery {
    /// `None` for text that cannot name anything (empty, or characters no ref, id or number has).
    pub fn parse(input: &str) -> Option<LookupQuery> {
        let text = input.trim().trim_start_matches('#').trim();
        let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+');
        if text.is_empty() || text.len() > 48 || !text.chars().all(ok) {
            return None;
        }
        let id = text.parse::<i64>().ok().filter(|n| *n > 0);
        let numbers = [CardType::Adsl, CardType::FourG]
            .into_iter()
            .filter_map(|t| PhoneNumber::parse(t, text).ok())
            .map(|p| p.as_str().to_owned())
            .collect();
        Some(LookupQuery { id, text: text.to_owned(), numbers })
    }
}

/// One status an order went through, and when it entered it (ms since the epoch). Recorded by
/// the database itself (migration 0007's triggers), oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChange {
    pub status: OrderStatus,
    pub at: i64,
}

/// What an admin's refund did.
#[derive(Debug)]
pub enum AdminRefund {
    /// The hold went back to the customer now; the order is REFUNDED and its customer is to be told.
    Done(Order),
    /// Final already (a second tap, or upstream settled it first): nothing moved.
    AlreadyFinal(Order),
}

/// The orders a query matches, bound as ?1..?4 in `lookup_orders`.
macro_rules! matches_sql {
    () => {
        "FROM orders WHERE id = ?1 OR user_id = ?1 OR ref = ?2 OR number = ?2 OR number = ?3 OR number = ?4"
    };
}

impl Store {
    /// The `page`-th match (newest first) and how many there are.
    pub async fn lookup_orders(&self, q: &LookupQuery, page: i64) -> Result<(Option<Order>, i64), StoreError> {
        let (a, b) = (q.numbers.first().cloned().unwrap_or_default(), q.numbers.get(1).cloned().unwrap_or_default());
        let id = q.id.unwrap_or(-1);
        let (total,): (i64,) = sqlx::query_as(concat!("SELECT COUNT(*) ", matches_sql!()))
            .bind(id)
            .bind(&q.text)
            .bind(&a)
            .bind(&b)
            .fetch_one(&self.pool)
            .await?;
        let order: Option<Order> =
            sqlx::query_as(concat!("SELECT * ", matches_sql!(), " ORDER BY id DESC LIMIT 1 OFFSET ?5"))
                .bind(id)
                .bind(&q.text)
                .bind(&a)
                .bind(&b)
                .bind(page.max(0))
                .fetch_optional(&self.pool)
                .await?;
        Ok((order, total))
    }

    /// The wallet rows of one order (hold, then capture or release), oldest first.
    pub async fn order_ledger(&self, order_id: i64) -> Result<Vec<LedgerEntry>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM ledger WHERE order_id = ? ORDER BY id")
            .bind(order_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Every status the order went through, oldest first (for /lookup and the panel's order page).
    pub async fn order_status_history(&self, order_id: i64) -> Result<Vec<StatusChange>, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, at FROM order_status_history WHERE order_id = ? ORDER BY id")
                .bind(order_id)
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(s, at)| match OrderStatus::parse(&s) {
                Some(status) => Ok(StatusChange { status, at }),
                None => Err(StoreError::Corrupt(format!("order {order_id}: unknown status {s:?} in its history"))),
            })
            .collect()
    }

    /// Makes an order still followed due now, audited under `admin_id` (`recheck`, before: the
    /// order's status) in the same transaction. `None` when the tracker no longer follows it
    /// (final and told): there is nothing left to check, and nothing is written.
    pub async fn recheck_now(&self, order_id: i64, admin_id: i64) -> Result<Option<Order>, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let row: Option<Order> = sqlx::query_as(
            "UPDATE orders SET next_check_at = ?1, updated_at = ?1
             WHERE id = ?2 AND next_check_at IS NOT NULL RETURNING *",
        )
        .bind(now)
        .bind(order_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(o) = &row {
            let entry = super::audit::AuditEntry {
                admin_id,
                action: "recheck".into(),
                target: Some(format!("order:{order_id}")),
                before: Some(o.status.as_str().into()),
                after: None,
            };
            super::audit::record(&mut tx, &entry).await?;
        }
        tx.commit().await?;
        Ok(row)
    }

    /// An admin gives an open order's hold back to its customer (OneClickDZ confirmed it will not
    /// deliver). The order becomes REFUNDED, the release names the admin, the customer is to be
    /// told; all in one transaction, guarded on the order still being open, so a second tap
    /// moves nothing. Never for a FULFILLED order: that money paid for a card.
    pub async fn admin_refund(&self, order_id: i64, admin_id: i64) -> Result<AdminRefund, StoreError> {
        let mut tx = self.write_tx().await?;
        let order: Order = sqlx::query_as("SELECT * FROM orders WHERE id = ?")
            .bind(order_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("order"))?;
        if order.status.is_final() {
            return Ok(AdminRefund::AlreadyFinal(order));
        }
        if !order.status.can_move_to(OrderStatus::Refunded) || order.hold_state != HoldState::Held {
            return Err(StoreError::Corrupt(format!("order {} cannot be refunded from {}", order.r#ref, order.status)));
        }
        if order.price > crate::domain::Dinars(0) {
            let note = format!("refund by admin {admin_id}: {}", order.r#ref);
            let reason =
                Reason { order_id: Some(order.id), admin_id: Some(admin_id), note: Some(&note), ..Default::default() };
            ledger::apply(&mut tx, order.user_id, LedgerKind::Release, order.price, reason).await?;
        }
        let now = now_ms();
        // Due now with the news pending: the tracker tells the customer, then drops the order.
        let refunded: Order = sqlx::query_as(
            "UPDATE orders SET status = 'REFUNDED', hold_state = 'released', notify_pending = 1,
                status_since = ?1, next_check_at = ?1, check_failures = 0, finished_at = ?1, updated_at = ?1
             WHERE id = ?2 AND status = ?3 RETURNING *",
        )
        .bind(now)
        .bind(order.id)
        .bind(order.status.as_str())
        .fetch_one(&mut *tx)
        .await?;
        let entry = AuditEntry {
            admin_id,
            action: "refund".into(),
            target: Some(format!("order:{}", order.id)),
            before: Some(order.status.as_str().into()),
            after: Some(OrderStatus::Refunded.as_str().into()),
        };
        audit::record(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(AdminRefund::Done(refunded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::orders::{NewOrder, PlaceOutcome};
    use crate::store::testing::{customer, temp_store};
    use crate::store::{Balances, StatusUpdate};

    fn new_order(user: i64, r: &str, number: &str) -> NewOrder {
        NewOrder {
            r#ref: r.into(),
            user_id: user,
            chat_id: user,
            message_id: None,
            card_type: CardType::Adsl,
            number: number.into(),
            value: crate::domain::Dinars(1000),
            price: crate::domain::Dinars(1000),
            cost: Some(crate::domain::Dinars(980)),
            fast_window_ms: 1000,
        }
    }

    async fn place(s: &Store, o: NewOrder) -> Order {
        match s.place_order_with_hold(&o).await.unwrap() {
            PlaceOutcome::Placed { order, .. } => order,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn queries_are_read_every_way() {
        let q = LookupQuery::parse(" #036362608 ").unwrap();
        assert_eq!(q.id, Some(36362608));
        assert_eq!(q.numbers, vec!["036362608".to_owned()]);
        let q = LookupQuery::parse("nc-5-1700000000000-0000abcd").unwrap();
        assert_eq!((q.id, q.numbers.len()), (None, 0));
        for bad in ["", "#", "a;b", "x'--", &"9".repeat(60)] {
            assert_eq!(LookupQuery::parse(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn orders_are_found_by_id_user_ref_and_number() {
        let (s, _d) = temp_store().await;
        customer(&s, 5000, 5000).await;
        customer(&s, 6000, 5000).await;
        let a = place(&s, new_order(5000, "ra", "036362608")).await;
        let b = place(&s, new_order(5000, "rb", "036362609")).await;
        let c = place(&s, new_order(6000, "rc", "036362608")).await;
        let find = |q: &str| LookupQuery::parse(q).unwrap();
        let (first, n) = s.lookup_orders(&find("5000"), 0).await.unwrap();
        assert_eq!((first.map(|o| o.id), n), (Some(b.id), 2), "newest first");
        assert_eq!(s.lookup_orders(&find("5000"), 1).await.unwrap().0.map(|o| o.id), Some(a.id));
        assert_eq!(s.lookup_orders(&find("5000"), 2).await.unwrap().0, None);
        assert_eq!(s.lookup_orders(&find("036362608"), 0).await.unwrap().1, 2);
        assert_eq!(s.lookup_orders(&find("rc"), 0).await.unwrap().0.map(|o| o.id), Some(c.id));
        assert_eq!(s.lookup_orders(&find(&format!("#{}", a.id)), 0).await.unwrap().0.map(|o| o.id), Some(a.id));
        assert_eq!(s.lookup_orders(&find("nothing-here"), 0).await.unwrap(), (None, 0));
    }

    fn statuses(h: &[StatusChange]) -> Vec<OrderStatus> {
        h.iter().map(|c| c.status).collect()
    }

    #[tokio::test]
    async fn each_status_change_is_recorded_once_in_order() {
        use OrderStatus::*;
        let (s, _d) = temp_store().await;
        customer(&s, 7, 5000).await;
        let a = place(&s, new_order(7, "ha", "036362608")).await;
        let b = place(&s, new_order(7, "hb", "036362609")).await;
        let h = s.order_status_history(a.id).await.unwrap();
        assert_eq!((statuses(&h), h[0].at), (vec![Placed], a.created_at));
        s.apply_status(a.id, Handling, StatusUpdate::default()).await.unwrap();
        // Polls that see the same status again add nothing, whichever way they are written.
        s.apply_status(a.id, Handling, StatusUpdate::default()).await.unwrap();
        s.refresh_status(a.id, Handling, &StatusUpdate::default()).await.unwrap();
        s.apply_status(a.id, Queued, StatusUpdate::default()).await.unwrap();
        s.apply_status(a.id, Queued, StatusUpdate::default()).await.unwrap();
        s.apply_status(a.id, Handling, StatusUpdate::default()).await.unwrap();
        let done = s.apply_status(a.id, Fulfilled, StatusUpdate::default()).await.unwrap();
        let h = s.order_status_history(a.id).await.unwrap();
        assert_eq!(statuses(&h), vec![Placed, Handling, Queued, Handling, Fulfilled]);
        assert!(h.windows(2).all(|w| w[0].at <= w[1].at), "{h:?}");
        assert_eq!(h.last().unwrap().at, done.updated_at);
        // Another order's rows stay its own; an admin refund is recorded too.
        s.admin_refund(b.id, 900).await.unwrap();
        assert_eq!(statuses(&s.order_status_history(b.id).await.unwrap()), vec![Placed, Refunded]);
        assert!(s.order_status_history(999).await.unwrap().is_empty());
    }

    /// Orders placed before 0007 get one row: their current status, since when it is known.
    #[tokio::test]
    async fn the_upgrade_backfills_one_row_per_order() {
        use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
        use std::str::FromStr;
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("old.db").display());
        let opts = SqliteConnectOptions::from_str(&url).unwrap().create_if_missing(true);
        let old = SqlitePoolOptions::new().max_connections(1).connect_with(opts).await.unwrap();
        let mut before = sqlx::migrate!();
        before.migrations = before.migrations.iter().filter(|m| m.version < 7).cloned().collect();
        before.run(&old).await.unwrap();
        sqlx::raw_sql(
            "INSERT INTO users (id, first_name, balance, held, created_at, last_seen_at) VALUES (5, 'U', 0, 0, 1, 1);
             INSERT INTO orders (id, ref, user_id, chat_id, card_type, number, value, price, status, hold_state,
                                 created_at, updated_at, status_since)
             VALUES (41, 'r41', 5, 5, 'ADSL', '036362608', 1000, 1000, 'FULFILLED', 'captured', 1, 30, 20),
                    (42, 'r42', 5, 5, 'ADSL', '036362608', 1000, 1000, 'HANDLING', 'captured', 2, 40, NULL);",
        )
        .execute(&old)
        .await
        .unwrap();
        old.close().await;
        let s = Store::open(&url).await.unwrap();
        let h41 = s.order_status_history(41).await.unwrap();
        assert_eq!(h41, vec![StatusChange { status: OrderStatus::Fulfilled, at: 20 }]);
        let h42 = s.order_status_history(42).await.unwrap();
        assert_eq!(h42, vec![StatusChange { status: OrderStatus::Handling, at: 40 }]);
    }

    #[tokio::test]
    async fn an_admin_refund_releases_once_and_never_a_delivered_order() {
        let (s, _d) = temp_store().await;
        customer(&s, 5, 3000).await;
        let a = place(&s, new_order(5, "a", "036362608")).await;
        let b = place(&s, new_order(5, "b", "036362608")).await;
        s.apply_status(a.id, OrderStatus::Handling, StatusUpdate::default()).await.unwrap();
        let AdminRefund::Done(o) = s.admin_refund(a.id, 900).await.unwrap() else { panic!("refund expected") };
        assert_eq!((o.status, o.hold_state, o.notify_pending), (OrderStatus::Refunded, HoldState::Released, true));
        assert!(matches!(s.admin_refund(a.id, 900).await.unwrap(), AdminRefund::AlreadyFinal(_)));
        s.apply_status(b.id, OrderStatus::Fulfilled, StatusUpdate::default()).await.unwrap();
        assert!(matches!(s.admin_refund(b.id, 900).await.unwrap(), AdminRefund::AlreadyFinal(_)));
        assert_eq!(
            s.balances(5).await.unwrap(),
            Balances { balance: crate::domain::Dinars(2000), held: crate::domain::Dinars(0) }
        );
        let rows = s.order_ledger(a.id).await.unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[1].kind, rows[1].admin_id), (LedgerKind::Release, Some(900)));
        assert!(rows[1].note.as_deref().unwrap().contains("900"));
        assert!(s.ledger_mismatches().await.unwrap().is_empty());
        // A recheck: only for orders still followed.
        let told = s.mark_notified(b.id, None).await.unwrap();
        assert_eq!(told.next_check_at, None);
        assert!(s.recheck_now(b.id, 1).await.unwrap().is_none());
        assert!(s.recheck_now(a.id, 1).await.unwrap().is_some(), "the refund is still to be told");
        // Audited with the change, and only the recheck that was made.
        let f = crate::store::audit::AuditFilter { action: Some("recheck".into()), limit: 10, ..Default::default() };
        let got: Vec<_> =
            s.audit_page(&f).await.unwrap().into_iter().map(|r| (r.admin_id, r.target, r.before)).collect();
        assert_eq!(got, [(1, Some(format!("order:{}", a.id)), Some("REFUNDED".to_owned()))]);
    }
}
