//! Following many open orders with `GET /v3/internet/list`: one page answers for up to 100 of
//! them. The list only finds out what changed; each change goes through the same step as a
//! single check (`steps::step` with the answer in hand), so settlement and delivery have one
//! code path. An order the list cannot serve (out of its window, missing from it, FULFILLED
//! without a code, or the list failing) is checked by id as before: nothing is lost.
use crate::oneclick::{OneClickClient, OneClickError, Topup, TopupStatus};
use crate::store::Order;
use std::collections::{HashMap, HashSet};

/// Items per page: the documented maximum.
pub(super) const PAGE_SIZE: u32 = 100;
/// Pages read at most per list read; orders beyond them count as missing (then checked singly).
const MAX_PAGES: u32 = 10;
/// Slack around the window for clocks that disagree (ms).
const MARGIN_MS: i64 = 30_000;
/// Complete reads an order may be missing from before it is checked by id for good.
const MISSES_TO_SINGLE: u8 = 2;
/// After the list fails, it is tried again this long after (ms), at the least.
const RETRY_AFTER_FAILURE_MS: i64 = 60_000;

/// An order the list follows: its row as its last step left it.
#[derive(Debug)]
pub(super) struct Covered {
    pub row: Order,
    misses: u8,
}

/// What a list read says about one followed order. Pure, so each case is unit-tested.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Verdict {
    /// Still as we have it: nothing to write, followed on.
    Unchanged,
    /// Changed: the step takes this answer as if check-id had given it.
    Adopt(Box<Topup>),
    /// FULFILLED without the code delivery needs (or anything the list cannot be trusted with):
    /// one check-id for this order.
    CheckSingly,
    /// Not in this read.
    Missing,
}

pub(super) fn verdict(row: &Order, item: Option<&Topup>) -> Verdict {
    let Some(item) = item else { return Verdict::Missing };
    match &item.status {
        TopupStatus::Handling => Verdict::Unchanged,
        TopupStatus::Fulfilled if item.card_code.is_none() => Verdict::CheckSingly,
        // An undocumented status already recorded: the step has seen it (and alerted) once.
        TopupStatus::Other(s) if row.upstream_status.as_deref() == Some(s.as_str()) => Verdict::Unchanged,
        _ => Verdict::Adopt(Box::new(item.clone())),
    }
}

/// The orders the list follows, and how the list is doing.
#[derive(Debug, Default)]
pub(super) struct Follower {
    pub covered: HashMap<i64, Covered>,
    /// Orders the list did not show: checked by id for the rest of their life.
    never: HashSet<i64>,
    /// Pages the last complete read took.
    pub pages: usize,
    /// Until then (ms) the list is not used, after a failure.
    broken_until: Option<i64>,
    warned: bool,
    /// When the next read may start (ms).
    pub next_at: i64,
    /// Orders older than this (ms) are left to single checks.
    window_ms: i64,
}

/// Who a read looks for: (order id, our ref, top-up id, when the send was attempted).
pub(super) type Wanted = Vec<(i64, String, Option<String>, i64)>;

/// What a complete read found: order id → its item; and the pages it took.
#[derive(Debug)]
pub(super) struct Read {
    pub found: HashMap<i64, Topup>,
    pub pages: usize,
}

impl Follower {
    pub(super) fn new(window: std::time::Duration) -> Self {
        Follower { pages: 1, window_ms: window.as_millis() as i64, ..Default::default() }
    }

    pub(super) fn usable(&self, now: i64) -> bool {
        self.broken_until.is_none_or(|t| now >= t)
    }

    /// An order the list can follow now: sent, HANDLING in its fast window, recent enough for
    /// the list's window, nothing pending for the customer, not waiting for a missing code.
    pub(super) fn can_follow(&self, row: &Order, now: i64) -> bool {
        let sent = row.send_attempted_at.unwrap_or(0);
        row.status == crate::domain::OrderStatus::Handling
            && row.send_attempted_at.is_some()
            && !row.notify_pending
            && row.followup_at.is_none()
            && row.fast_until.is_some_and(|t| now < t)
            && row.upstream_status.as_deref() != Some("FULFILLED")
            && now - sent < self.window_ms
            && !self.never.contains(&row.id)
    }

    pub(super) fn cover(&mut self, row: Order) {
        self.covered.insert(row.id, Covered { row, misses: 0 });
    }

    /// Stops following these orders; their rows, for single checks.
    pub(super) fn release(&mut self, ids: impl IntoIterator<Item = i64>) -> Vec<Order> {
        ids.into_iter().filter_map(|id| self.covered.remove(&id)).map(|c| c.row).collect()
    }

    pub(super) fn release_all(&mut self) -> Vec<Order> {
        self.covered.drain().map(|(_, c)| c.row).collect()
    }

    /// Who the next read looks for; orders that left the window are released (returned).
    pub(super) fn wanted(&mut self, now: i64) -> (Wanted, Vec<Order>) {
        let old: Vec<i64> = self
            .covered
            .values()
            .filter(|c| now - c.row.send_attempted_at.unwrap_or(0) >= self.window_ms)
            .map(|c| c.row.id)
            .collect();
        let released = self.release(old);
        let wanted = self
            .covered
            .values()
            .map(|c| (c.row.id, c.row.r#ref.clone(), c.row.topup_id.clone(), c.row.send_attempted_at.unwrap_or(now)))
            .collect();
        (wanted, released)
    }

    /// A read that failed: every followed order goes back to single checks; warned once.
    pub(super) fn failed(&mut self, now: i64, e: &OneClickError, poll_ms: i64) -> Vec<Order> {
        if self.warned {
            tracing::debug!(error = %e, "order list failed again; checking orders one by one");
        } else {
            self.warned = true;
            tracing::warn!(error = %e, "order list failed; checking orders one by one (logged once)");
        }
        self.broken_until = Some(now + RETRY_AFTER_FAILURE_MS.max(12 * poll_ms));
        self.release_all()
    }

    /// A complete read: what to do with each order it looked for (still followed).
    pub(super) fn judge(&mut self, wanted: &[i64], read: &mut Read) -> Vec<(Order, Option<Topup>)> {
        self.pages = read.pages.max(1);
        let mut out = Vec::new();
        for id in wanted {
            let Some(c) = self.covered.get_mut(id) else { continue };
            match verdict(&c.row, read.found.get(id)) {
                Verdict::Unchanged => c.misses = 0,
                Verdict::Missing => {
                    c.misses += 1;
                    if c.misses >= MISSES_TO_SINGLE {
                        self.never.insert(*id);
                        out.extend(self.release([*id]).into_iter().map(|o| (o, None)));
                    }
                }
                Verdict::CheckSingly => out.extend(self.release([*id]).into_iter().map(|o| (o, None))),
                Verdict::Adopt(t) => out.extend(self.release([*id]).into_iter().map(|o| (o, Some((*t).clone())))),
            }
        }
        // Orders that are gone for good need not be remembered.
        let covered = &self.covered;
        if self.never.len() > 10_000 {
            self.never.retain(|id| covered.contains_key(id));
        }
        out
    }
}

/// Reads the pages that cover `wanted` (newest first), from the oldest wanted send (less a
/// margin) to now (plus one), stopping once all are found or the pages end.
pub(super) async fn read(client: &OneClickClient, wanted: &Wanted, now: i64) -> Result<Read, OneClickError> {
    let oldest = wanted.iter().map(|w| w.3).min().unwrap_or(now);
    let window = (oldest - MARGIN_MS, now + MARGIN_MS);
    let by_ref: HashMap<&str, i64> = wanted.iter().map(|w| (w.1.as_str(), w.0)).collect();
    let by_id: HashMap<&str, i64> = wanted.iter().filter_map(|w| w.2.as_deref().map(|t| (t, w.0))).collect();
    let mut found = HashMap::new();
    let mut page = 1;
    loop {
        let p = client.list_window(page, PAGE_SIZE, Some(window)).await?;
        let n = p.items.len();
        for item in p.items {
            let id = item
                .r#ref
                .as_deref()
                .and_then(|r| by_ref.get(r))
                .or_else(|| item.id.as_deref().and_then(|t| by_id.get(t)))
                .copied();
            if let Some(id) = id {
                found.insert(id, item);
            }
        }
        let last = match p.total_pages {
            Some(total) => page >= total,
            None => n < PAGE_SIZE as usize,
        };
        if last || found.len() >= wanted.len() || page >= MAX_PAGES {
            return Ok(Read { found, pages: page as usize });
        }
        page += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::OrderStatus;

    fn row(id: i64) -> Order {
        Order {
            topup_id: Some(format!("t{id}")),
            send_attempted_at: Some(1_000),
            next_check_at: Some(2_000),
            fast_until: Some(100_000),
            created_at: 1_000,
            updated_at: 1_000,
            send_ended_at: Some(1_000),
            status_since: Some(1_000),
            ..crate::store::testing::order(id)
        }
    }

    fn item(status: TopupStatus, code: bool) -> Topup {
        Topup {
            id: Some("t1".into()),
            r#ref: Some("r1".into()),
            status,
            card_type: None,
            number: None,
            topup_amount: None,
            card_code: code.then(|| "7788".into()),
            num_trans: None,
            date_traitement: None,
            created_at: None,
            refund_message: None,
        }
    }

    #[test]
    fn what_a_list_item_means_for_a_followed_order() {
        use TopupStatus as T;
        let r = row(1);
        let pending = Order { upstream_status: Some("PENDING".into()), ..row(1) };
        let cases: Vec<(&str, &Order, Option<Topup>, Verdict)> = vec![
            ("absent", &r, None, Verdict::Missing),
            ("still handling", &r, Some(item(T::Handling, false)), Verdict::Unchanged),
            (
                "fulfilled with its code",
                &r,
                Some(item(T::Fulfilled, true)),
                Verdict::Adopt(Box::new(item(T::Fulfilled, true))),
            ),
            ("fulfilled without a code", &r, Some(item(T::Fulfilled, false)), Verdict::CheckSingly),
            ("queued", &r, Some(item(T::Queued, false)), Verdict::Adopt(Box::new(item(T::Queued, false)))),
            ("refunded", &r, Some(item(T::Refunded, false)), Verdict::Adopt(Box::new(item(T::Refunded, false)))),
            (
                "a new undocumented status",
                &r,
                Some(item(T::Other("PENDING".into()), false)),
                Verdict::Adopt(Box::new(item(T::Other("PENDING".into()), false))),
            ),
            (
                "the same undocumented status",
                &pending,
                Some(item(T::Other("PENDING".into()), false)),
                Verdict::Unchanged,
            ),
        ];
        for (case, r, it, want) in cases {
            assert_eq!(verdict(r, it.as_ref()), want, "{case}");
        }
    }

    #[test]
    fn which_orders_the_list_follows() {
        let f = Follower::new(std::time::Duration::from_secs(60));
        let now = 5_000;
        assert!(f.can_follow(&row(1), now));
        let cases: Vec<(&str, Order)> = vec![
            ("placed", Order { status: OrderStatus::Placed, ..row(1) }),
            ("queued", Order { status: OrderStatus::Queued, ..row(1) }),
            ("never sent", Order { send_attempted_at: None, ..row(1) }),
            ("past its fast window", Order { fast_until: Some(now), ..row(1) }),
            ("customer still to be told", Order { notify_pending: true, ..row(1) }),
            ("waiting for a missing code", Order { upstream_status: Some("FULFILLED".into()), ..row(1) }),
            ("older than the list window", Order { send_attempted_at: Some(now - 60_000), ..row(1) }),
        ];
        for (case, r) in cases {
            assert!(!f.can_follow(&r, now), "{case}");
        }
    }

    #[test]
    fn missing_twice_or_leaving_the_window_means_single_checks() {
        let mut f = Follower::new(std::time::Duration::from_secs(60));
        f.cover(row(1));
        f.cover(row(2));
        f.cover(Order { send_attempted_at: Some(0), ..row(3) });
        let (wanted, released) = f.wanted(60_000);
        assert_eq!(released.iter().map(|o| o.id).collect::<Vec<_>>(), vec![3], "left the window");
        let ids: Vec<i64> = wanted.iter().map(|w| w.0).collect();
        let mut read = Read { found: HashMap::from([(2, item(TopupStatus::Handling, false))]), pages: 1 };
        assert!(f.judge(&ids, &mut read).is_empty(), "one miss is forgiven");
        let out = f.judge(&ids, &mut read);
        assert_eq!(out.iter().map(|(o, t)| (o.id, t.is_some())).collect::<Vec<_>>(), vec![(1, false)]);
        assert!(!f.can_follow(&row(1), 5_000), "never followed by the list again");
        assert!(f.covered.contains_key(&2));
    }

    #[test]
    fn a_failure_releases_everything_and_pauses_the_list() {
        let mut f = Follower::new(std::time::Duration::from_secs(60));
        f.cover(row(1));
        f.cover(row(2));
        let out = f.failed(1_000, &OneClickError::Malformed("x".into()), 50);
        assert_eq!(out.len(), 2);
        assert!(f.covered.is_empty());
        assert!(!f.usable(1_000 + RETRY_AFTER_FAILURE_MS - 1));
        assert!(f.usable(1_000 + RETRY_AFTER_FAILURE_MS));
    }
}
