//! The budget planner: how the tracker follows its open orders within OneClickDZ's request
//! budget. Pure functions of the numbers (unit-tested without a clock or a network).
//!
//! The budget is shared, in this order: customers' requests (they book their slots in the
//! limiter; the planner leaves them what they used in the last minute, with a margin), the
//! tracker's list pages (one request follows up to 100 orders), then sends and single checks. The
//! poll interval stretches with the number of open orders instead of letting requests queue up
//! in the limiter, where they would crowd out sends.
use std::time::Duration;

/// From this many open orders on, one list page beats a check per order.
pub(super) const LIST_MIN_OPEN: usize = 3;
/// Share of the tracker's budget the list pages may take; sends and single checks get the rest.
const LIST_SHARE: f64 = 0.4;
/// Share of the tracker's budget single checks may take when there is no list; sends the rest.
const SINGLE_SHARE: f64 = 0.75;
/// What customers are left at least, as a share of the steady rate.
const CUSTOMER_FLOOR: f64 = 0.1;
/// Margin over the customers' demand of the last minute.
const CUSTOMER_MARGIN: f64 = 1.5;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Inputs {
    /// Orders in fast polling (HANDLING, sent, within the fast window).
    pub open: usize,
    /// Pages the last complete list read took (at least 1).
    pub list_pages: usize,
    /// The list is allowed (ONECLICK_LIST) and not in its fallback after an error.
    pub list_usable: bool,
    /// Customer-lane requests in the last minute.
    pub customer_per_min: f64,
    /// The limiter's steady rate per minute (the budget less its burst).
    pub steady_per_min: f64,
    /// ORDER_POLL_SECS: never poll faster than this.
    pub base_poll: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Follow {
    /// A check-id per order.
    Single,
    /// List pages for the orders the list can follow; check-id for the rest.
    List,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Plan {
    pub follow: Follow,
    /// How often an open order is looked at (by a list read or its own check).
    pub poll_every: Duration,
    /// Single checks allowed per minute (the dispatcher's pace for checks).
    pub singles_per_min: f64,
}

pub(super) fn plan(i: &Inputs) -> Plan {
    let base = i.base_poll.as_secs_f64().max(0.001);
    if i.steady_per_min <= 0.0 {
        // Unlimited budget: nothing to share.
        let follow = if i.list_usable && i.open >= LIST_MIN_OPEN { Follow::List } else { Follow::Single };
        return Plan { follow, poll_every: i.base_poll, singles_per_min: f64::INFINITY };
    }
    let customers =
        (i.customer_per_min * CUSTOMER_MARGIN).max(i.steady_per_min * CUSTOMER_FLOOR).min(i.steady_per_min * 0.5);
    let tracker = (i.steady_per_min - customers).max(1.0);
    let pages = i.list_pages.max(1);
    if i.list_usable && i.open >= LIST_MIN_OPEN && pages < i.open {
        let every = base.max(pages as f64 * 60.0 / (tracker * LIST_SHARE));
        let list_per_min = pages as f64 * 60.0 / every;
        // Half of what is left for checks of orders the list cannot follow, half for sends.
        let singles = ((tracker - list_per_min) / 2.0).max(1.0);
        return Plan { follow: Follow::List, poll_every: Duration::from_secs_f64(every), singles_per_min: singles };
    }
    let singles = (tracker * SINGLE_SHARE).max(1.0);
    let every = base.max(i.open as f64 * 60.0 / singles);
    Plan { follow: Follow::Single, poll_every: Duration::from_secs_f64(every), singles_per_min: singles }
}

/// Paces single checks at the plan's rate (GCRA in milliseconds; a small burst so a few orders
/// never wait): each check books the next slot, so checks held back go in turn, oldest first.
#[derive(Debug, Default)]
pub(super) struct Pacer {
    tat: i64,
}

impl Pacer {
    /// Books a slot for a check wanted at `now` at `per_min`; returns when it may go (`now` if
    /// at once).
    pub(super) fn book(&mut self, now: i64, per_min: f64) -> i64 {
        if !per_min.is_finite() || per_min <= 0.0 {
            return now;
        }
        let spacing = (60_000.0 / per_min).ceil() as i64;
        let burst = ((per_min / 6.0) as i64).max(3);
        let at = now.max(self.tat - spacing * (burst - 1));
        self.tat = self.tat.max(at) + spacing;
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(open: usize) -> Inputs {
        Inputs {
            open,
            list_pages: 1,
            list_usable: true,
            customer_per_min: 0.0,
            steady_per_min: 100.0,
            base_poll: Duration::from_secs(5),
        }
    }

    #[test]
    fn few_orders_are_checked_one_by_one_at_the_configured_interval() {
        for open in 0..LIST_MIN_OPEN {
            let p = plan(&inputs(open));
            assert_eq!(p.follow, Follow::Single, "{open} open");
            assert_eq!(p.poll_every, Duration::from_secs(5), "{open} open");
        }
    }

    #[test]
    fn several_orders_are_followed_by_list_at_the_configured_interval() {
        for open in [3usize, 10, 100, 300] {
            let p = plan(&Inputs { list_pages: open.div_ceil(100), ..inputs(open) });
            assert_eq!(p.follow, Follow::List, "{open} open");
            assert_eq!(p.poll_every, Duration::from_secs(5), "{open} open");
            assert!(p.singles_per_min >= 20.0, "{open} open: sends and odd checks keep a share: {p:?}");
        }
    }

    #[test]
    fn a_list_that_needs_many_pages_is_read_less_often_and_within_its_share() {
        let p = plan(&Inputs { list_pages: 10, ..inputs(900) });
        assert_eq!(p.follow, Follow::List);
        let pages_per_min = 10.0 * 60.0 / p.poll_every.as_secs_f64();
        assert!(pages_per_min <= 100.0 * 0.9 * LIST_SHARE + 0.01, "{pages_per_min}");
        assert!(p.poll_every > Duration::from_secs(5));
    }

    #[test]
    fn without_the_list_the_interval_stretches_with_the_open_orders() {
        let off = |open| plan(&Inputs { list_usable: false, ..inputs(open) });
        assert_eq!(off(5).follow, Follow::Single);
        assert_eq!(off(5).poll_every, Duration::from_secs(5));
        // 100 open orders cannot be checked every 5 s on 100 a minute: about once a minute each,
        // and never more checks a minute than the plan allows.
        let p = off(100);
        let checks_per_min = 100.0 * 60.0 / p.poll_every.as_secs_f64();
        assert!(checks_per_min <= p.singles_per_min + 0.01, "{p:?}");
        assert!(p.poll_every > Duration::from_secs(60), "{p:?}");
        assert!(off(300).poll_every > off(100).poll_every);
    }

    #[test]
    fn customers_come_first() {
        let quiet = plan(&Inputs { list_usable: false, ..inputs(50) });
        let busy = plan(&Inputs { list_usable: false, customer_per_min: 30.0, ..inputs(50) });
        assert!(busy.singles_per_min < quiet.singles_per_min);
        assert!(busy.poll_every > quiet.poll_every);
        // Customers' demand of 30 a minute (45 with the margin) leaves the tracker 55.
        assert!((busy.singles_per_min - 55.0 * SINGLE_SHARE).abs() < 0.01, "{busy:?}");
        // Even with customers asking for everything, the tracker keeps half the budget.
        let flood = plan(&Inputs { list_usable: false, customer_per_min: 1000.0, ..inputs(50) });
        assert!((flood.singles_per_min - 50.0 * SINGLE_SHARE).abs() < 0.01, "{flood:?}");
    }

    #[test]
    fn a_list_that_failed_gives_way_to_single_checks() {
        let p = plan(&Inputs { list_usable: false, ..inputs(300) });
        assert_eq!(p.follow, Follow::Single);
    }

    #[test]
    fn an_unlimited_budget_polls_at_the_configured_interval() {
        let p = plan(&Inputs { steady_per_min: 0.0, ..inputs(300) });
        assert_eq!((p.follow, p.poll_every), (Follow::List, Duration::from_secs(5)));
        let p = plan(&Inputs { steady_per_min: 0.0, list_usable: false, ..inputs(300) });
        assert_eq!((p.follow, p.poll_every), (Follow::Single, Duration::from_secs(5)));
    }

    #[test]
    fn the_pacer_lets_a_few_through_then_keeps_the_rate() {
        let mut p = Pacer::default();
        // 60 a minute: one a second, a burst of 10.
        let now = 1_000_000;
        for _ in 0..10 {
            assert_eq!(p.book(now, 60.0), now);
        }
        // Held back: each in turn, one a second, none sharing a slot.
        assert_eq!(p.book(now, 60.0), now + 1000);
        assert_eq!(p.book(now, 60.0), now + 2000);
        assert_eq!(p.book(now + 500, 60.0), now + 3000);
        // Later, once the rate has caught up: at once again.
        assert_eq!(p.book(now + 60_000, 60.0), now + 60_000);
        let mut free = Pacer::default();
        assert!((0..1000).all(|_| free.book(now, f64::INFINITY) == now));
    }
}
