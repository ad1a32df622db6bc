//! What the shop can sell right now: OneClickDZ's products (cached), our prices per tier, and the
//! upstream balance that decides which values are affordable.
use crate::domain::pricing::price_for;
use crate::domain::{CardType, Dinars, PriceTier};
use crate::oneclick::{OneClickClient, OneClickError, Product};
use crate::store::{Store, StoreError};
use std::collections::HashMap;
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
        for p in products.iter().filter(|p| p.available && p.value > 0) {
            let cost = Dinars::from_upstream_ceil(p.cost);
            if let Some(b) = balance
                && cost.get() > b
            {
                needed = needed.max(cost.get());
                continue;
            }
            let (customer, reseller) = table.get(&p.value).copied().unwrap_or_default();
            let price = price_for(tier, Dinars(p.value), customer.map(Dinars), reseller.map(Dinars));
            offers.push(Offer { value: Dinars(p.value), price, cost });
        }
        offers.sort_by_key(|o| o.value);
        offers.dedup_by_key(|o| o.value);
        let alert = self.latch_low(t, balance, needed);
        Ok((offers, alert))
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
