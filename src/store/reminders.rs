//! Renewal reminders: one row per delivered order (written by a trigger, migration 0008), sent
//! once by `workers::reminders`, and who turned them off.
use super::{Store, StoreError, now_ms};
use crate::domain::{CardType, Dinars};
use sqlx::Row;

/// What a reminder says: the line and its last card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    pub order_id: i64,
    pub user_id: i64,
    pub card_type: CardType,
    pub number: String,
    pub value: Dinars,
    pub delivered_at: i64,
}

/// What claiming a due reminder decided.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// Marked 'sending' (committed): send it now, then `finish_reminder`.
    Send(Reminder),
    /// Closed without a message, for this reason.
    Skipped(&'static str),
    /// Not pending any more (another run took it).
    Gone,
}

/// How sending a claimed reminder went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderOutcome {
    Sent,
    /// The customer blocked the bot: marked unreachable in the same transaction.
    Unreachable,
    Failed,
}

impl Store {
    /// Pending reminders of orders delivered at or before `delivered_before`, oldest first.
    pub async fn due_reminders(&self, delivered_before: i64, limit: i64) -> Result<Vec<i64>, StoreError> {
        let ids: Vec<(i64,)> = sqlx::query_as(
            "SELECT order_id FROM reminders WHERE status = 'pending' AND delivered_at <= ?
             ORDER BY delivered_at, order_id LIMIT ?",
        )
        .bind(delivered_before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().map(|r| r.0).collect())
    }

    /// When the oldest pending reminder's order was delivered.
    pub async fn oldest_pending_reminder(&self) -> Result<Option<i64>, StoreError> {
        let (at,): (Option<i64>,) = sqlx::query_as("SELECT MIN(delivered_at) FROM reminders WHERE status = 'pending'")
            .fetch_one(&self.pool)
            .await?;
        Ok(at)
    }

    /// Decides a due reminder in one transaction: skipped (the line was ordered again since, the
    /// customer stopped reminders, is banned or unreachable, or the reminder is older than
    /// `stale_before`), or marked 'sending' before the message goes out, so a crash never sends
    /// it twice.
    pub async fn claim_reminder(&self, order_id: i64, stale_before: i64) -> Result<Claim, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "SELECT r.user_id, r.delivered_at, o.card_type, o.number, o.value, u.banned, u.unreachable,
                    EXISTS (SELECT 1 FROM reminder_optouts x WHERE x.user_id = r.user_id) AS stopped,
                    EXISTS (SELECT 1 FROM orders n
                            WHERE n.user_id = o.user_id AND n.card_type = o.card_type AND n.number = o.number
                              AND n.id > o.id AND n.status IN ('PLACED', 'HANDLING', 'QUEUED', 'FULFILLED')) AS again
             FROM reminders r JOIN orders o ON o.id = r.order_id JOIN users u ON u.id = r.user_id
             WHERE r.order_id = ? AND r.status = 'pending'",
        )
        .bind(order_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(Claim::Gone) };
        let delivered_at: i64 = row.try_get("delivered_at")?;
        let reason = if row.try_get::<bool, _>("again")? {
            Some("recharged")
        } else if row.try_get::<bool, _>("stopped")? {
            Some("stopped")
        } else if row.try_get::<bool, _>("banned")? {
            Some("banned")
        } else if row.try_get::<bool, _>("unreachable")? {
            Some("unreachable")
        } else if delivered_at < stale_before {
            Some("stale")
        } else {
            None
        };
        let status = if reason.is_some() { "skipped" } else { "sending" };
        sqlx::query("UPDATE reminders SET status = ?, reason = ?, decided_at = ? WHERE order_id = ?")
            .bind(status)
            .bind(reason)
            .bind(now_ms())
            .bind(order_id)
            .execute(&mut *tx)
            .await?;
        let card_type: String = row.try_get("card_type")?;
        let card_type =
            CardType::parse(&card_type).ok_or_else(|| StoreError::Corrupt(format!("card type {card_type}")))?;
        let reminder = Reminder {
            order_id,
            user_id: row.try_get("user_id")?,
            card_type,
            number: row.try_get("number")?,
            value: Dinars(row.try_get("value")?),
            delivered_at,
        };
        tx.commit().await?;
        Ok(match reason {
            Some(r) => Claim::Skipped(r),
            None => Claim::Send(reminder),
        })
    }

    /// Records how a claimed reminder's send went.
    pub async fn finish_reminder(&self, order_id: i64, outcome: ReminderOutcome) -> Result<(), StoreError> {
        let (status, reason) = match outcome {
            ReminderOutcome::Sent => ("sent", None),
            ReminderOutcome::Unreachable => ("failed", Some("unreachable")),
            ReminderOutcome::Failed => ("failed", Some("refused")),
        };
        let mut tx = self.write_tx().await?;
        let user: Option<(i64,)> = sqlx::query_as(
            "UPDATE reminders SET status = ?, reason = ?, decided_at = ? WHERE order_id = ? AND status = 'sending'
             RETURNING user_id",
        )
        .bind(status)
        .bind(reason)
        .bind(now_ms())
        .bind(order_id)
        .fetch_optional(&mut *tx)
        .await?;
        let blocked = match (outcome, user) {
            (ReminderOutcome::Unreachable, Some((user,))) => {
                sqlx::query("UPDATE users SET unreachable = 1 WHERE id = ?").bind(user).execute(&mut *tx).await?;
                Some(user)
            }
            _ => None,
        };
        tx.commit().await?;
        if let Some(user) = blocked {
            // Their next message must clear the flag again, not be answered from the cache.
            self.members.forget(user);
        }
        Ok(())
    }

    /// A claimed reminder that was not sent (Telegram asked to wait first) goes back to pending.
    pub async fn unclaim_reminder(&self, order_id: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE reminders SET status = 'pending', decided_at = NULL WHERE order_id = ? AND status = 'sending'",
        )
        .bind(order_id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Reminders a crash caught mid-send may have reached the customer: closed, never resent.
    pub async fn settle_interrupted_reminders(&self) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "UPDATE reminders SET status = 'failed', reason = 'interrupted', decided_at = ? WHERE status = 'sending'",
        )
        .bind(now_ms())
        .execute(&self.writer)
        .await?;
        Ok(r.rows_affected())
    }

    /// The reminder of an order: its status and why (for tests and operators).
    pub async fn reminder_status(&self, order_id: i64) -> Result<Option<(String, Option<String>)>, StoreError> {
        Ok(sqlx::query_as("SELECT status, reason FROM reminders WHERE order_id = ?")
            .bind(order_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// `/reminders on|off`, and the Stop reminders button.
    pub async fn set_reminders(&self, user_id: i64, on: bool) -> Result<(), StoreError> {
        let q = if on {
            sqlx::query("DELETE FROM reminder_optouts WHERE user_id = ?").bind(user_id)
        } else {
            sqlx::query("INSERT OR IGNORE INTO reminder_optouts (user_id, since) VALUES (?, ?)")
                .bind(user_id)
                .bind(now_ms())
        };
        q.execute(&self.writer).await?;
        Ok(())
    }

    pub async fn reminders_on(&self, user_id: i64) -> Result<bool, StoreError> {
        let (off,): (bool,) = sqlx::query_as("SELECT EXISTS (SELECT 1 FROM reminder_optouts WHERE user_id = ?)")
            .bind(user_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(!off)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::OrderStatus::{Fulfilled, Handling, Refunded};
    use crate::store::testing::{customer, temp_store};
    use crate::store::{NewOrder, Order, PlaceOutcome, StatusUpdate};

    async fn order(s: &Store, user: i64, r: &str, number: &str) -> Order {
        let o = NewOrder {
            r#ref: r.into(),
            user_id: user,
            chat_id: user,
            message_id: None,
            card_type: CardType::Adsl,
            number: number.into(),
            value: Dinars(1000),
            price: Dinars(1000),
            cost: None,
            fast_window_ms: 1000,
        };
        match s.place_order_with_hold(&o).await.unwrap() {
            PlaceOutcome::Placed { order, .. } => order,
            other => panic!("{other:?}"),
        }
    }

    async fn deliver(s: &Store, o: &Order) {
        s.apply_status(o.id, Handling, StatusUpdate::default()).await.unwrap();
        let code = StatusUpdate { card_code_enc: Some(vec![1]), ..Default::default() };
        s.apply_status(o.id, Fulfilled, code).await.unwrap();
    }

    #[tokio::test]
    async fn a_delivery_writes_one_reminder_that_is_claimed_once() {
        let (s, _d) = temp_store().await;
        customer(&s, 5, 5000).await;
        let a = order(&s, 5, "a", "036362608").await;
        let b = order(&s, 5, "b", "036000001").await;
        assert!(s.due_reminders(i64::MAX, 10).await.unwrap().is_empty(), "nothing before a delivery");
        deliver(&s, &a).await;
        s.apply_status(b.id, Refunded, StatusUpdate::default()).await.unwrap();
        // Applying the final status again writes nothing more.
        s.apply_status(a.id, Fulfilled, StatusUpdate::default()).await.unwrap();
        assert_eq!(s.due_reminders(i64::MAX, 10).await.unwrap(), vec![a.id], "refunded orders get none");
        assert!(s.due_reminders(0, 10).await.unwrap().is_empty(), "not due before its time");
        let Claim::Send(r) = s.claim_reminder(a.id, 0).await.unwrap() else { panic!("claimed") };
        assert_eq!((r.user_id, r.number.as_str(), r.value), (5, "036362608", Dinars(1000)));
        assert_eq!(s.claim_reminder(a.id, 0).await.unwrap(), Claim::Gone, "claimed once");
        s.finish_reminder(a.id, ReminderOutcome::Sent).await.unwrap();
        assert_eq!(s.reminder_status(a.id).await.unwrap(), Some(("sent".into(), None)));
        assert!(s.due_reminders(i64::MAX, 10).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn skipped_when_ordered_again_stopped_banned_or_stale() {
        let (s, _d) = temp_store().await;
        customer(&s, 5, 9000).await;
        let a = order(&s, 5, "a", "036362608").await;
        deliver(&s, &a).await;
        let again = order(&s, 5, "a2", "036362608").await;
        assert_eq!(s.claim_reminder(a.id, 0).await.unwrap(), Claim::Skipped("recharged"), "{again:?}");

        let b = order(&s, 5, "b", "036000002").await;
        deliver(&s, &b).await;
        s.set_reminders(5, false).await.unwrap();
        assert!(!s.reminders_on(5).await.unwrap());
        assert_eq!(s.claim_reminder(b.id, 0).await.unwrap(), Claim::Skipped("stopped"));
        s.set_reminders(5, true).await.unwrap();

        let c = order(&s, 5, "c", "036000003").await;
        deliver(&s, &c).await;
        s.set_banned(1, 5, true).await.unwrap();
        assert_eq!(s.claim_reminder(c.id, 0).await.unwrap(), Claim::Skipped("banned"));
        s.set_banned(1, 5, false).await.unwrap();

        let d = order(&s, 5, "d", "036000004").await;
        deliver(&s, &d).await;
        assert_eq!(s.claim_reminder(d.id, i64::MAX).await.unwrap(), Claim::Skipped("stale"));
        assert_eq!(s.reminder_status(d.id).await.unwrap(), Some(("skipped".into(), Some("stale".into()))));
    }

    #[tokio::test]
    async fn a_blocked_customer_is_marked_and_a_crash_mid_send_is_not_resent() {
        let (s, _d) = temp_store().await;
        customer(&s, 5, 5000).await;
        let a = order(&s, 5, "a", "036362608").await;
        let b = order(&s, 5, "b", "036000002").await;
        deliver(&s, &a).await;
        deliver(&s, &b).await;
        assert!(matches!(s.claim_reminder(a.id, 0).await.unwrap(), Claim::Send(_)));
        s.finish_reminder(a.id, ReminderOutcome::Unreachable).await.unwrap();
        assert!(s.user(5).await.unwrap().unwrap().unreachable);
        assert!(matches!(s.claim_reminder(b.id, 0).await.unwrap(), Claim::Skipped("unreachable")));

        s.set_unreachable(5, false).await.unwrap();
        let c = order(&s, 5, "c", "036000003").await;
        deliver(&s, &c).await;
        assert!(matches!(s.claim_reminder(c.id, 0).await.unwrap(), Claim::Send(_)));
        s.unclaim_reminder(c.id).await.unwrap();
        assert!(matches!(s.claim_reminder(c.id, 0).await.unwrap(), Claim::Send(_)), "unclaimed: pending again");
        // The process stops here, mid-send.
        assert_eq!(s.settle_interrupted_reminders().await.unwrap(), 1);
        assert_eq!(s.reminder_status(c.id).await.unwrap(), Some(("failed".into(), Some("interrupted".into()))));
        assert!(s.due_reminders(i64::MAX, 10).await.unwrap().is_empty());
    }
}
