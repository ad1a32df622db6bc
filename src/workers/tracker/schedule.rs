//! The tracker's in-memory schedule: which order is due when, and the hand-off of new orders and
//! finished steps (`Inbox`).
use crate::shop::PlacedOrders;
use crate::store::Order;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Mutex;
use tokio::sync::Notify;

/// Where handlers (a new order) and finished steps report an order's next check time.
#[derive(Debug, Default)]
pub struct Inbox {
    queue: Mutex<Vec<Report>>,
    pub(super) wake: Notify,
}

/// An order's next check time (milliseconds; `None`: never again) and, when the reporter holds
/// it, the order's row exactly as the table now has it.
#[derive(Debug)]
pub(super) struct Report {
    pub(super) id: i64,
    pub(super) at: Option<i64>,
    pub(super) row: Option<Order>,
}

/// A new order, as `place_order_with_hold` wrote it: its first step needs no read.
impl PlacedOrders for Inbox {
    fn placed(&self, order: Order) {
        self.report(Report { id: order.id, at: order.next_check_at, row: Some(order) });
    }
}

impl Inbox {
    pub(super) fn report(&self, r: Report) {
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).push(r);
        self.wake.notify_one();
    }

    pub(super) fn take(&self) -> Vec<Report> {
        std::mem::take(&mut *self.queue.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// `orders.next_check_at` mirrored in memory, so a wake costs no query. The table stays the
/// truth: it is read at start and every `RESYNC_EVERY` (see the tracker's loop), and each step re-reads its order's time.
///
/// It also keeps the row each scheduled order had when its last step ended, so the next step
/// starts without reading it: once placed, an order is written only by its steps (one at a time),
/// each of which ends with the row as written (`RETURNING *`). A step that fails leaves no row.
#[derive(Debug, Default)]
pub(super) struct Schedule {
    /// Min-heap of (time, id); an entry whose time differs from `at[id]` is stale and skipped.
    heap: BinaryHeap<Reverse<(i64, i64)>>,
    pub(super) at: HashMap<i64, i64>,
    rows: HashMap<i64, Order>,
}

impl Schedule {
    pub(super) fn set(&mut self, id: i64, at: Option<i64>) {
        match at {
            Some(t) => {
                if self.at.insert(id, t) != Some(t) {
                    self.heap.push(Reverse((t, id)));
                }
            }
            None => {
                self.at.remove(&id);
            }
        }
    }

    /// `set`, keeping `row` (or forgetting the one held) while the order stays scheduled.
    pub(super) fn set_with_row(&mut self, id: i64, at: Option<i64>, row: Option<Order>) {
        self.set(id, at);
        match row.filter(|_| at.is_some()) {
            Some(row) => self.rows.insert(id, row),
            None => self.rows.remove(&id),
        };
    }

    /// Kept rows matching `f` (orders scheduled with their row known).
    pub(super) fn count_rows(&self, f: impl Fn(&Order) -> bool) -> usize {
        self.rows.values().filter(|r| f(r)).count()
    }

    /// The row kept for this order, handed over once.
    pub(super) fn take_row(&mut self, id: i64) -> Option<Order> {
        self.rows.remove(&id)
    }

    pub(super) fn replace(&mut self, rows: impl IntoIterator<Item = (i64, i64)>) {
        self.heap.clear();
        self.at.clear();
        for (id, t) in rows {
            self.set(id, Some(t));
        }
        // Rows of orders that left the schedule would otherwise stay forever.
        let at = &self.at;
        self.rows.retain(|id, _| at.contains_key(id));
    }

    pub(super) fn next_time(&mut self) -> Option<i64> {
        while let Some(Reverse((t, id))) = self.heap.peek().copied() {
            if self.at.get(&id) == Some(&t) {
                return Some(t);
            }
            self.heap.pop();
        }
        None
    }

    /// The next order due at `now`, oldest first, taken off the schedule.
    pub(super) fn pop_due(&mut self, now: i64) -> Option<i64> {
        let t = self.next_time()?;
        if t > now {
            return None;
        }
        let Reverse((_, id)) = self.heap.pop()?;
        self.at.remove(&id);
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(s: &mut Schedule, now: i64) -> Vec<i64> {
        std::iter::from_fn(|| s.pop_due(now)).collect()
    }

    #[test]
    fn due_orders_come_oldest_first_and_only_once() {
        let mut s = Schedule::default();
        s.set(1, Some(300));
        s.set(2, Some(100));
        s.set(3, Some(200));
        s.set(4, None);
        assert_eq!(s.next_time(), Some(100));
        assert_eq!(drain(&mut s, 250), vec![2, 3]);
        assert_eq!(drain(&mut s, 250), Vec::<i64>::new());
        assert_eq!(s.next_time(), Some(300));
        assert_eq!(drain(&mut s, 1_000), vec![1]);
        assert_eq!(s.next_time(), None);
    }

    #[test]
    fn a_new_time_replaces_the_old_one() {
        let mut s = Schedule::default();
        s.set(1, Some(100));
        s.set(1, Some(500));
        s.set(2, Some(100));
        s.set(2, None);
        assert_eq!(drain(&mut s, 400), Vec::<i64>::new(), "stale entries are skipped");
        assert_eq!(s.next_time(), Some(500));
        s.set(1, Some(50));
        assert_eq!(drain(&mut s, 60), vec![1]);
        assert_eq!(drain(&mut s, 1_000), Vec::<i64>::new(), "taken once, not again for its old time");
    }

    #[test]
    fn a_resync_replaces_everything() {
        let mut s = Schedule::default();
        s.set(1, Some(100));
        s.set(2, Some(100));
        s.replace([(2, 300), (3, 200)]);
        assert_eq!(drain(&mut s, 1_000), vec![3, 2]);
    }

    fn reports(inbox: &Inbox) -> Vec<(i64, Option<i64>, Option<i64>)> {
        inbox.take().into_iter().map(|r| (r.id, r.at, r.row.map(|o| o.id))).collect()
    }

    #[test]
    fn the_inbox_hands_over_reports_once() {
        let inbox = Inbox::default();
        inbox.report(Report { id: 7, at: Some(5), row: None });
        inbox.report(Report { id: 8, at: None, row: None });
        inbox.placed(row(9, Some(40)));
        assert_eq!(reports(&inbox), vec![(7, Some(5), None), (8, None, None), (9, Some(40), Some(9))]);
        assert!(inbox.take().is_empty());
    }

    fn row(id: i64, next_check_at: Option<i64>) -> Order {
        Order { next_check_at, ..crate::store::testing::order(id) }
    }

    /// A row is handed to the next step only while its order is scheduled, once, and never one
    /// older than the last report.
    #[test]
    fn rows_are_kept_only_while_scheduled_and_handed_over_once() {
        let mut s = Schedule::default();
        s.set_with_row(1, Some(100), Some(row(1, Some(100))));
        s.set_with_row(2, Some(100), Some(row(2, Some(100))));
        s.set_with_row(3, None, Some(row(3, None)));
        assert!(s.take_row(3).is_none(), "an order off the schedule keeps no row");
        s.set_with_row(2, Some(200), None);
        assert!(s.take_row(2).is_none(), "a report without a row forgets the old one");
        assert_eq!(s.take_row(1).map(|o| o.id), Some(1));
        assert!(s.take_row(1).is_none(), "handed over once");
        s.set_with_row(1, Some(300), Some(row(1, Some(300))));
        s.set_with_row(4, Some(300), Some(row(4, Some(300))));
        s.replace([(4, 300)]);
        assert!(s.take_row(1).is_none(), "a resync drops rows of orders no longer scheduled");
        assert_eq!(s.take_row(4).map(|o| o.next_check_at), Some(Some(300)));
    }
}
