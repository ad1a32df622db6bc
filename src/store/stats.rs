//! Figures for `/stats`.
use super::{Store, StoreError};
use crate::domain::Dinars;
use std::collections::HashMap;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub users_total: i64,
    pub users_active_7d: i64,
    pub users_unreachable: i64,
    pub users_banned: i64,
    /// status → (today, 7 days, all time)
    pub orders: HashMap<String, (i64, i64, i64)>,
    /// Fulfilled orders: (revenue, cost) for today, 7 days, all time.
    pub revenue: [(Dinars, Dinars); 3],
    pub wallets_balance: Dinars,
    pub wallets_held: Dinars,
}

impl Store {
    /// `day_start` and `week_start` are unix millis chosen by the caller (local midnight, 7 days ago).
    pub async fn stats(&self, day_start: i64, week_start: i64) -> Result<Stats, StoreError> {
        let (users_total, users_active_7d, users_unreachable, users_banned, wallets_balance, wallets_held): (i64, i64, i64, i64, i64, i64) =
            sqlx::query_as(
                "SELECT COUNT(*), COALESCE(SUM(last_seen_at >= ?), 0), COALESCE(SUM(unreachable), 0), COALESCE(SUM(banned), 0),
                        COALESCE(SUM(balance), 0), COALESCE(SUM(held), 0) FROM users",
            )
            .bind(week_start)
            .fetch_one(&self.pool)
            .await?;
        let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
            "SELECT status, SUM(created_at >= ?), SUM(created_at >= ?), COUNT(*) FROM orders GROUP BY status",
        )
        .bind(day_start)
        .bind(week_start)
        .fetch_all(&self.pool)
        .await?;
        let orders = rows.into_iter().map(|(s, d, w, a)| (s, (d, w, a))).collect();
        let mut revenue = [(Dinars(0), Dinars(0)); 3];
        for (i, since) in [day_start, week_start, 0].into_iter().enumerate() {
            let (r, c): (i64, i64) = sqlx::query_as(
                "SELECT COALESCE(SUM(price), 0), COALESCE(SUM(COALESCE(cost, value)), 0) FROM orders
                 WHERE status = 'FULFILLED' AND created_at >= ?",
            )
            .bind(since)
            .fetch_one(&self.pool)
            .await?;
            revenue[i] = (Dinars(r), Dinars(c));
        }
        Ok(Stats {
            users_total,
            users_active_7d,
            users_unreachable,
            users_banned,
            orders,
            revenue,
            wallets_balance: Dinars(wallets_balance),
            wallets_held: Dinars(wallets_held),
        })
    }
}
