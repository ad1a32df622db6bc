//! The order's life cycle: which states exist, which moves are legal, what settles the wallet hold.
use serde::{Deserialize, Serialize};

/// Our own view of an order. `Placed` means the row and hold exist and the send is pending or its
/// outcome is not known yet; the upstream statuses follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrderStatus {
    Placed,
    Handling,
    Queued,
    Fulfilled,
    Refunded,
    Failed,
}

/// What a transition does to the customer's hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldEffect {
    Keep,
    Capture,
    Release,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::Placed,
        OrderStatus::Handling,
        OrderStatus::Queued,
        OrderStatus::Fulfilled,
        OrderStatus::Refunded,
        OrderStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Placed => "PLACED",
            OrderStatus::Handling => "HANDLING",
            OrderStatus::Queued => "QUEUED",
            OrderStatus::Fulfilled => "FULFILLED",
            OrderStatus::Refunded => "REFUNDED",
            OrderStatus::Failed => "FAILED",
        }
    }

    pub fn parse(s: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Final orders are never polled again and their hold is settled.
    pub fn is_final(self) -> bool {
        matches!(self, OrderStatus::Fulfilled | OrderStatus::Refunded | OrderStatus::Failed)
    }

    /// Legal moves. Staying in the same state is allowed (a poll that saw no change).
    /// QUEUED may go back to HANDLING: upstream sometimes re-processes a queued card.
    pub fn can_move_to(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        if self == to {
            return !self.is_final();
        }
        match self {
            Placed => matches!(to, Handling | Queued | Fulfilled | Refunded | Failed),
            Handling => matches!(to, Queued | Fulfilled | Refunded),
            Queued => matches!(to, Handling | Fulfilled | Refunded),
            Fulfilled | Refunded | Failed => false,
        }
    }

    /// What entering this state does to the hold.
    pub fn hold_effect(self) -> HoldEffect {
        match self {
            OrderStatus::Fulfilled => HoldEffect::Capture,
            OrderStatus::Refunded | OrderStatus::Failed => HoldEffect::Release,
            _ => HoldEffect::Keep,
        }
    }
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

super::text_enum! {
    /// Where the order's price stands in the customer's wallet.
    pub enum HoldState {
        /// Reserved while the order is open.
        Held = "held",
        /// Spent: the card was delivered.
        Captured = "captured",
        /// Given back: the order failed or was refunded.
        Released = "released",
    }
}

super::text_enum! {
    /// Why an order failed on our side, rendered per language.
    pub enum FailureReason {
        /// OneClickDZ refused the number.
        InvalidNumber = "invalid_number",
        OutOfStock = "out_of_stock",
        /// The shop's side (balance, key): admins are alerted.
        Unavailable = "unavailable",
        /// The send never reached OneClickDZ (proved by check-ref after the grace period).
        NotSent = "not_sent",
    }
}

/// Our unique order reference, sent to OneClickDZ as `ref`: user id, time and randomness, as the
/// API guide suggests, short enough for logs and check-ref paths.
pub fn new_order_ref(user_id: i64, unix_millis: i64, random: u32) -> String {
    format!("nc-{user_id}-{unix_millis}-{random:08x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    #[test]
    fn final_states_never_move() {
        for from in [Fulfilled, Refunded, Failed] {
            for to in OrderStatus::ALL {
                assert!(!from.can_move_to(to), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn life_cycle_moves() {
        assert!(Placed.can_move_to(Handling));
        assert!(Placed.can_move_to(Failed));
        assert!(Handling.can_move_to(Fulfilled));
        assert!(Handling.can_move_to(Queued));
        assert!(Queued.can_move_to(Fulfilled));
        assert!(Queued.can_move_to(Refunded));
        assert!(!Handling.can_move_to(Failed), "a sent order is refunded upstream, never just failed");
        assert!(!Handling.can_move_to(Placed));
        assert!(Handling.can_move_to(Handling));
    }

    #[test]
    fn holds_settle_exactly_on_final_states() {
        for s in OrderStatus::ALL {
            assert_eq!(s.is_final(), s.hold_effect() != HoldEffect::Keep, "{s}");
        }
        assert_eq!(Fulfilled.hold_effect(), HoldEffect::Capture);
        assert_eq!(Refunded.hold_effect(), HoldEffect::Release);
    }

    #[test]
    fn status_round_trips() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(OrderStatus::parse("nope"), None);
    }

    #[test]
    fn refs_are_distinct_and_short() {
        let a = new_order_ref(123456789, 1_764_000_000_000, 1);
        let b = new_order_ref(123456789, 1_764_000_000_000, 2);
        assert_ne!(a, b);
        assert!(a.len() <= 64);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    }
}
