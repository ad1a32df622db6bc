//! What the shop can sell right now: OneClickDZ's products (cached), our prices per tier, and the
//! upstream balance that decides which values are affordable.
use crate::domain::pricing::price_for;
use crate::domain::{CardType, Dinars, PriceTier};
use crate::oneclick::{OneClickClient, OneClickError, Product};
use crate::store::{Store, StoreError};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One card value on offer to one customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offer {
    pub value: Dinars,
    pub price: Dinars,
    pub cost: Dinars,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Upstream(#[from] OneClickError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A card value whose shop price fell below what OneClickDZ now charges (the cost rose after the
/// price was set). It is hidden from whoever would buy it at a loss; admins hear of it once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BelowCost {
    pub card_type: CardType,
    pub value: i64,
    /// The lowest price the value sells at (customer or reseller).
    pub price: i64,
    pub cost: i64,
}

/// The latch, kept in settings so a restart does not tell admins again: `below_cost:<type>:<value>`.
const BELOW_COST: &str = "below_cost:";

fn below_cost_key(t: CardType, value: i64) -> String {
    format!("{BELOW_COST}{}:{value}", t.as_api())
}

/// A change in whether the OneClickDZ balance covers what we sell; admins hear of each once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BalanceAlert {
    None,
    BecameLow { balance: i64, needed: i64 },
    Recovered { balance: i64 },
}

pub struct Catalog {
    client: OneClickClient,
    store: Store,
    products_ttl: Duration,
    balance_ttl: Duration,
    products: Mutex<HashMap<CardType, (Instant, Vec<Product>)>>,
    balance: Mutex<Option<(Instant, i64)>>,
    /// Per card type: whether admins were told that some value is unaffordable.
    low: Mutex<HashMap<CardType, bool>>,
    /// Values whose below-cost latch is set (mirror of the settings rows, read once).
    below_told: tokio::sync::Mutex<Option<HashSet<String>>>,
    /// Below-cost values newly latched, for the caller to tell admins.
    below_news: Mutex<Vec<BelowCost>>,
}

impl Catalog {
    pub fn new(client: OneClickClient, store: Store, products_ttl: Duration, balance_ttl: Duration) -> Catalog {
        Catalog {
            client,
            store,
            products_ttl,
            balance_ttl,
            products: Mutex::new(HashMap::new()),
            balance: Mutex::new(None),
            low: Mutex::new(HashMap::new()),
            below_told: tokio::sync::Mutex::new(None),
            below_news: Mutex::new(Vec::new()),
        }
    }

    /// Products, from cache unless older than the TTL or `fresh` is asked (at confirm time).
    pub async fn products(&self, t: CardType, fresh: bool) -> Result<Vec<Product>, CatalogError> {
        if !fresh
            && let Some((at, list)) = self.products.lock().unwrap().get(&t)
            && at.elapsed() < self.products_ttl
        {
            return Ok(list.clone());
        }
        let list = self.client.products(t).await?;
        self.products.lock().unwrap().insert(t, (Instant::now(), list.clone()));
        Ok(list)
    }

    /// The OneClickDZ balance in whole dinars, cached briefly.
    pub async fn upstream_balance(&self, fresh: bool) -> Result<i64, CatalogError> {
        if !fresh
            && let Some((at, b)) = *self.balance.lock().unwrap()
            && at.elapsed() < self.balance_ttl
        {
            return Ok(b);
        }
        let b = Dinars::from_upstream_floor(self.client.balance().await?.balance).get();
        *self.balance.lock().unwrap() = Some((Instant::now(), b));
        crate::metrics::oneclick_balance(b);
        Ok(b)
    }

    /// Values in stock that the shop can afford upstream, priced for `tier`, lowest first. Also
    /// reports when affordability changed so the caller can tell admins once.
    pub async fn offers(
        &self,
        t: CardType,
        tier: PriceTier,
        fresh: bool,
    ) -> Result<(Vec<Offer>, BalanceAlert), CatalogError> {
        let products = self.products(t, fresh).await?;
        let table = self.store.price_table(t).await?;
        // If the balance cannot be read, do not hide cards: the send itself will refuse if short.
        let balance = self.upstream_balance(false).await.ok();
        let mut offers = Vec::new();
        let mut needed = 0;
        let mut below = Vec::new();
        let mut fine = Vec::new();
        for p in products.iter().filter(|p| p.available && p.value > 0) {
            let cost = Dinars::from_upstream_ceil(p.cost).get();
            let (customer, reseller) = table.get(&p.value).copied().unwrap_or_default();
            let price_of = |tier| price_for(tier, Dinars(p.value), customer.map(Dinars), reseller.map(Dinars)).get();
            // Judged on both tiers at once, so customers and resellers looking in turn do not
            // set and reset the latch.
            let lowest = price_of(PriceTier::Customer).min(price_of(PriceTier::Reseller));
            if lowest < cost {
                below.push(BelowCost { card_type: t, value: p.value, price: lowest, cost });
            } else {
                fine.push(p.value);
            }
            let price = price_of(tier);
            if price < cost {
                continue;
            }
            if let Some(b) = balance
                && cost > b
            {
                needed = needed.max(cost);
                continue;
            }
            offers.push(Offer { value: Dinars(p.value), price: Dinars(price), cost: Dinars(cost) });
        }
        offers.sort_by_key(|o| o.value);
        offers.dedup_by_key(|o| o.value);
        self.latch_below_cost(t, &below, &fine).await?;
        let alert = self.latch_low(t, balance, needed);
        Ok((offers, alert))
    }

    /// Sets the below-cost latch of each value newly below cost (queuing it for admins) and
    /// clears it for values sold at or above cost again (price raised, or cost dropped).
    async fn latch_below_cost(&self, t: CardType, below: &[BelowCost], fine: &[i64]) -> Result<(), StoreError> {
        let mut told = self.below_told.lock().await;
        if told.is_none() {
            *told = Some(self.store.setting_keys(BELOW_COST).await?.into_iter().collect());
        }
        let told = told.as_mut().expect("loaded above");
        for b in below {
            let key = below_cost_key(t, b.value);
            if told.contains(&key) {
                continue;
            }
            // Written before admins are told: at most once, even across a restart.
            if self.store.set_setting_once(&key, &format!("{}<{}", b.price, b.cost)).await? {
                tracing::warn!(
                    card_type = t.as_api(),
                    value = b.value,
                    price = b.price,
                    cost = b.cost,
                    "card value below cost: hidden"
                );
                self.below_news.lock().unwrap().push(*b);
            }
            told.insert(key);
        }
        for value in fine {
            let key = below_cost_key(t, *value);
            if told.remove(&key) {
                self.store.delete_setting(&key).await?;
                tracing::info!(card_type = t.as_api(), value, "card value back at or above cost");
            }
        }
        Ok(())
    }

    /// Below-cost values latched since the last call: each is to be told to admins once.
    pub fn take_below_cost(&self) -> Vec<BelowCost> {
        std::mem::take(&mut *self.below_news.lock().unwrap())
    }

    fn latch_low(&self, t: CardType, balance: Option<i64>, needed: i64) -> BalanceAlert {
        let Some(balance) = balance else {
            return BalanceAlert::None;
        };
        let mut latches = self.low.lock().unwrap();
        let low = latches.entry(t).or_insert(false);
        match (*low, needed > 0) {
            (false, true) => {
                *low = true;
                BalanceAlert::BecameLow { balance, needed }
            }
            (true, false) => {
                *low = false;
                BalanceAlert::Recovered { balance }
            }
            _ => BalanceAlert::None,
        }
    }

    /// Forgets the cached balance, e.g. after a send was refused for lack of funds.
    pub fn invalidate_balance(&self) {
        *self.balance.lock().unwrap() = None;
    }

    pub fn client(&self) -> &OneClickClient {
        &self.client
    }
}
