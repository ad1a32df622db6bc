//! Price overrides per card type, value and tier.
use super::audit::{self, AuditEntry};
use super::{Store, StoreError, now_ms};
use crate::domain::{CardType, PriceTier};
use std::collections::HashMap;

/// Overrides for one card type: value → (customer price, reseller price).
pub type PriceTable = HashMap<i64, (Option<i64>, Option<i64>)>;

/// The tables as last read. Read on every price shown, changed only by `/setprice` through
/// `set_price`, which forgets them and moves the epoch on, so a read that raced with the change
/// does not cache the old table.
#[derive(Debug, Default)]
pub(crate) struct PriceCache(std::sync::Mutex<(u64, HashMap<CardType, PriceTable>)>);

impl PriceCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, HashMap<CardType, PriceTable>)> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Store {
    /// Sets one price, and writes its audit entry (old and new price) in the same transaction:
    /// `/setprice` and the panel both come through here.
    pub async fn set_price(
        &self,
        t: CardType,
        value: i64,
        tier: PriceTier,
        price: i64,
        admin_id: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let before: Option<(i64,)> =
            sqlx::query_as("SELECT price FROM prices WHERE card_type = ? AND value = ? AND tier = ?")
                .bind(t.as_api())
                .bind(value)
                .bind(tier.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO prices (card_type, value, tier, price, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT(card_type, value, tier) DO UPDATE SET price = excluded.price,
                updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(t.as_api())
        .bind(value)
        .bind(tier.as_str())
        .bind(price)
        .bind(admin_id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        let entry = AuditEntry {
            admin_id,
            action: "set-price".into(),
            target: Some(format!("price:{}:{value}:{}", t.as_api(), tier.as_str())),
            before: before.map(|b| b.0.to_string()),
            after: Some(price.to_string()),
        };
        audit::record(&mut tx, &entry).await?;
        tx.commit().await?;
        let mut c = self.prices.lock();
        c.0 += 1;
        c.1.remove(&t);
        Ok(())
    }

    pub async fn price_table(&self, t: CardType) -> Result<PriceTable, StoreError> {
        let epoch = {
            let c = self.prices.lock();
            if let Some(table) = c.1.get(&t) {
                return Ok(table.clone());
            }
            c.0
        };
        let rows: Vec<(i64, String, i64)> = sqlx::query_as("SELECT value, tier, price FROM prices WHERE card_type = ?")
            .bind(t.as_api())
            .fetch_all(&self.pool)
            .await?;
        let mut table = PriceTable::new();
        for (value, tier, price) in rows {
            let entry = table.entry(value).or_default();
            if tier == PriceTier::Reseller.as_str() {
                entry.1 = Some(price);
            } else {
                entry.0 = Some(price);
            }
        }
        let mut c = self.prices.lock();
        if c.0 == epoch {
            c.1.insert(t, table.clone());
        }
        Ok(table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::temp_store;

    #[tokio::test]
    async fn prices_are_set_per_tier_and_replaced() {
        let (s, _d) = temp_store().await;
        s.set_price(CardType::Adsl, 1000, PriceTier::Customer, 1050, 1).await.unwrap();
        s.set_price(CardType::Adsl, 1000, PriceTier::Reseller, 990, 1).await.unwrap();
        s.set_price(CardType::Adsl, 1000, PriceTier::Customer, 1100, 1).await.unwrap();
        let t = s.price_table(CardType::Adsl).await.unwrap();
        assert_eq!(t.get(&1000), Some(&(Some(1100), Some(990))));
        assert!(s.price_table(CardType::FourG).await.unwrap().is_empty());
        // Tables are kept in memory once read; a change shows at once.
        s.set_price(CardType::Adsl, 1000, PriceTier::Customer, 1200, 1).await.unwrap();
        s.set_price(CardType::FourG, 500, PriceTier::Reseller, 480, 1).await.unwrap();
        assert_eq!(s.price_table(CardType::Adsl).await.unwrap().get(&1000), Some(&(Some(1200), Some(990))));
        assert_eq!(s.price_table(CardType::FourG).await.unwrap().get(&500), Some(&(None, Some(480))));
    }

    #[tokio::test]
    async fn every_price_change_is_audited_with_the_old_and_new_price() {
        let (s, _d) = temp_store().await;
        s.set_price(CardType::Adsl, 1000, PriceTier::Customer, 1050, 7).await.unwrap();
        s.set_price(CardType::Adsl, 1000, PriceTier::Customer, 1100, 8).await.unwrap();
        let f = crate::store::audit::AuditFilter { limit: 10, ..Default::default() };
        let rows = s.audit_page(&f).await.unwrap();
        let got: Vec<_> = rows
            .iter()
            .map(|r| (r.admin_id, r.action.as_str(), r.target.as_deref(), r.before.as_deref(), r.after.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (8, "set-price", Some("price:ADSL:1000:customer"), Some("1050"), Some("1100")),
                (7, "set-price", Some("price:ADSL:1000:customer"), None, Some("1050")),
            ]
        );
    }
}
