//! Wallet top-ups: the two methods, the status machine, amount limits, the online check schedule
//! and the limit on receipts waiting for review.
use super::Dinars;
use std::time::Duration;

/// How the customer pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TopupMethod {
    /// A payment link (OCPay, CIB or Edahabia card); the bot checks the outcome itself.
    Online,
    /// A transfer or cash payment, proven by a receipt an admin reviews.
    Transfer,
}

impl TopupMethod {
    pub const ALL: [TopupMethod; 2] = [TopupMethod::Online, TopupMethod::Transfer];

    pub fn as_str(self) -> &'static str {
        match self {
            TopupMethod::Online => "online",
            TopupMethod::Transfer => "transfer",
        }
    }

    pub fn parse(s: &str) -> Option<TopupMethod> {
        TopupMethod::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// Where a top-up stands. See `migrations/0003_topups.sql` for what each status means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TopupStatus {
    Creating,
    Pending,
    Confirmed,
    Approved,
    Failed,
    Rejected,
    Expired,
}

impl TopupStatus {
    pub const ALL: [TopupStatus; 7] = [
        TopupStatus::Creating,
        TopupStatus::Pending,
        TopupStatus::Confirmed,
        TopupStatus::Approved,
        TopupStatus::Failed,
        TopupStatus::Rejected,
        TopupStatus::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TopupStatus::Creating => "CREATING",
            TopupStatus::Pending => "PENDING",
            TopupStatus::Confirmed => "CONFIRMED",
            TopupStatus::Approved => "APPROVED",
            TopupStatus::Failed => "FAILED",
            TopupStatus::Rejected => "REJECTED",
            TopupStatus::Expired => "EXPIRED",
        }
    }

    pub fn parse(s: &str) -> Option<TopupStatus> {
        TopupStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// A final top-up never moves again and is never checked again.
    pub fn is_final(self) -> bool {
        !matches!(self, TopupStatus::Creating | TopupStatus::Pending)
    }

    /// Entering this status credits the wallet.
    pub fn credits(self) -> bool {
        matches!(self, TopupStatus::Confirmed | TopupStatus::Approved)
    }

    /// The status a top-up of this method starts in: an online row exists before createLink, a
    /// transfer row only once its receipt is in.
    pub fn initial(method: TopupMethod) -> TopupStatus {
        match method {
            TopupMethod::Online => TopupStatus::Creating,
            TopupMethod::Transfer => TopupStatus::Pending,
        }
    }

    /// Whether a top-up of `method` can be in this status at all.
    pub fn exists_for(self, method: TopupMethod) -> bool {
        use TopupStatus::*;
        match method {
            TopupMethod::Online => matches!(self, Creating | Pending | Confirmed | Failed | Expired),
            TopupMethod::Transfer => matches!(self, Pending | Approved | Rejected),
        }
    }

    /// Legal moves. Nothing leaves a final status, so a second settlement changes nothing.
    pub fn can_move_to(self, to: TopupStatus, method: TopupMethod) -> bool {
        use TopupStatus::*;
        if !self.exists_for(method) || !to.exists_for(method) {
            return false;
        }
        match (method, self) {
            // A link made, or createLink refused or unanswered.
            (TopupMethod::Online, Creating) => matches!(to, Pending | Failed),
            (TopupMethod::Online, Pending) => matches!(to, Confirmed | Failed | Expired),
            (TopupMethod::Transfer, Pending) => matches!(to, Approved | Rejected),
            _ => false,
        }
    }
}

impl std::fmt::Display for TopupStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a receipt was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReceiptKind {
    Photo,
    /// A PDF (or other) document.
    Document,
}

impl ReceiptKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptKind::Photo => "photo",
            ReceiptKind::Document => "document",
        }
    }

    pub fn parse(s: &str) -> Option<ReceiptKind> {
        [ReceiptKind::Photo, ReceiptKind::Document].into_iter().find(|k| k.as_str() == s)
    }
}

/// Where a ledger row's money came from, as `/balance` tells the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MoneySource {
    /// An admin's `/credit` or `/debit` (paid or corrected outside the bot).
    Shop,
    /// An online payment link.
    Online,
    /// A transfer or cash receipt approved by an admin.
    Transfer,
    /// An order reserving or spending its price.
    Order,
    /// A failed or refunded order giving its price back.
    Refund,
}

impl MoneySource {
    pub fn as_str(self) -> &'static str {
        match self {
            MoneySource::Shop => "shop",
            MoneySource::Online => "online",
            MoneySource::Transfer => "transfer",
            MoneySource::Order => "order",
            MoneySource::Refund => "refund",
        }
    }

    pub fn parse(s: &str) -> Option<MoneySource> {
        [MoneySource::Shop, MoneySource::Online, MoneySource::Transfer, MoneySource::Order, MoneySource::Refund]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// The source of a ledger row: the stored one, else (rows older than the column) what its kind
    /// implies.
    pub fn of_ledger_row(source: Option<&str>, kind: &str) -> MoneySource {
        source.and_then(MoneySource::parse).unwrap_or(match kind {
            "hold" | "capture" => MoneySource::Order,
            "release" => MoneySource::Refund,
            _ => MoneySource::Shop,
        })
    }

    /// The source a top-up of this method credits with.
    pub fn of_topup(method: TopupMethod) -> MoneySource {
        match method {
            TopupMethod::Online => MoneySource::Online,
            TopupMethod::Transfer => MoneySource::Transfer,
        }
    }
}

/// Who pays OCPay's withdrawal fee (`OCPAY_FEE_MODE`, sent as createLink's `feeMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FeeMode {
    /// The shop pays all fees.
    #[default]
    NoFee,
    /// Half each.
    SplitFee,
    /// The payer pays all fees.
    CustomerFee,
}

impl FeeMode {
    pub fn as_str(self) -> &'static str {
        match self {
            FeeMode::NoFee => "NO_FEE",
            FeeMode::SplitFee => "SPLIT_FEE",
            FeeMode::CustomerFee => "CUSTOMER_FEE",
        }
    }

    pub fn parse(s: &str) -> Option<FeeMode> {
        [FeeMode::NoFee, FeeMode::SplitFee, FeeMode::CustomerFee].into_iter().find(|m| m.as_str() == s)
    }
}

/// What OCPay accepts for one link, whatever the shop configures.
pub const OCPAY_MIN: Dinars = Dinars(500);
pub const OCPAY_MAX: Dinars = Dinars(500_000);
/// OCPay links expire this long after creation when no payment was started.
pub const LINK_LIFETIME: Duration = Duration::from_secs(20 * 60);
/// Receipts one customer may have waiting for review at once.
pub const MAX_WAITING_RECEIPTS: i64 = 3;

/// Whether a customer with `waiting` receipts under review may send one more.
pub fn may_submit_receipt(waiting: i64) -> bool {
    waiting < MAX_WAITING_RECEIPTS
}

/// The shop's limits for one top-up (`TOPUP_MIN`, `TOPUP_MAX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmountLimits {
    pub min: Dinars,
    pub max: Dinars,
}

impl Default for AmountLimits {
    fn default() -> Self {
        AmountLimits { min: Dinars(500), max: Dinars(100_000) }
    }
}

/// Why an amount was refused; the bounds are the ones that apply to the method chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountRefusal {
    TooSmall { min: Dinars },
    TooLarge { max: Dinars },
}

impl AmountLimits {
    /// The bounds for a method: online amounts also stay within what OCPay accepts.
    pub fn for_method(self, method: TopupMethod) -> AmountLimits {
        match method {
            TopupMethod::Online => AmountLimits { min: self.min.max(OCPAY_MIN), max: self.max.min(OCPAY_MAX) },
            TopupMethod::Transfer => self,
        }
    }

    pub fn check(self, method: TopupMethod, amount: Dinars) -> Result<Dinars, AmountRefusal> {
        let l = self.for_method(method);
        if amount < l.min {
            Err(AmountRefusal::TooSmall { min: l.min })
        } else if amount > l.max {
            Err(AmountRefusal::TooLarge { max: l.max })
        } else {
            Ok(amount)
        }
    }

    /// The suggested amounts that fit the method's bounds.
    pub fn suggestions(self, method: TopupMethod) -> Vec<Dinars> {
        const SUGGESTED: [i64; 3] = [1_000, 2_000, 5_000];
        SUGGESTED.into_iter().map(Dinars).filter(|a| self.check(method, *a).is_ok()).collect()
    }
}

/// When to look at an online payment again. A link is young (checked often) for a while after
/// it is made, since most payers pay at once; after that a payment the bank is still processing
/// is followed slowly until the end of the window, when the top-up is closed as expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckSchedule {
    pub fast_interval: Duration,
    /// Measured from the link's creation; a little longer than the link's 20 minutes so the
    /// outcome of a payment started at the last minute is seen quickly.
    pub fast_window: Duration,
    pub slow_interval: Duration,
    /// Measured from the link's creation.
    pub give_up_after: Duration,
}

impl Default for CheckSchedule {
    fn default() -> Self {
        CheckSchedule {
            fast_interval: Duration::from_secs(10),
            fast_window: Duration::from_secs(25 * 60),
            slow_interval: Duration::from_secs(10 * 60),
            give_up_after: Duration::from_secs(24 * 3600),
        }
    }
}

impl CheckSchedule {
    /// After a check at `now` (ms) that left the payment pending, when to check next; `None`
    /// once the window is over: the check just made was the last, close the top-up as expired.
    /// The last check is always made at the end of the window itself, never skipped.
    pub fn next_check(&self, link_created_at: i64, now: i64) -> Option<i64> {
        let age = now.saturating_sub(link_created_at);
        let deadline = link_created_at.saturating_add(ms(self.give_up_after));
        if now >= deadline {
            return None;
        }
        let interval = if age < ms(self.fast_window) { self.fast_interval } else { self.slow_interval };
        Some(now.saturating_add(ms(interval).max(1)).min(deadline))
    }

    /// The first check of a link just made.
    pub fn first_check(&self, link_created_at: i64) -> i64 {
        link_created_at.saturating_add(ms(self.fast_interval).max(1))
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// When an online link stops accepting a payment.
pub fn link_expires_at(link_created_at: i64) -> i64 {
    link_created_at.saturating_add(ms(LINK_LIFETIME))
}

/// Whether the amount OCPay reports as paid (when it reports one) is the amount the link asked.
/// A mismatch does not change what is credited (the amount asked) but is worth an admin's look.
pub fn reported_amount_matches(asked: Dinars, reported: Option<f64>) -> bool {
    reported.is_none_or(|r| r.is_finite() && (r - asked.get() as f64).abs() < 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_finality() {
        for s in TopupStatus::ALL {
            assert_eq!(TopupStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(TopupStatus::parse("pending"), None);
        let open: Vec<_> = TopupStatus::ALL.into_iter().filter(|s| !s.is_final()).collect();
        assert_eq!(open, vec![TopupStatus::Creating, TopupStatus::Pending]);
        let crediting: Vec<_> = TopupStatus::ALL.into_iter().filter(|s| s.credits()).collect();
        assert_eq!(crediting, vec![TopupStatus::Confirmed, TopupStatus::Approved]);
        for m in TopupMethod::ALL {
            assert_eq!(TopupMethod::parse(m.as_str()), Some(m));
            assert!(TopupStatus::initial(m).exists_for(m));
        }
        assert_eq!(ReceiptKind::parse("document"), Some(ReceiptKind::Document));
        assert_eq!(ReceiptKind::parse("video"), None);
    }

    #[test]
    fn legal_moves() {
        use TopupMethod::*;
        use TopupStatus::*;
        let legal = |m: TopupMethod| -> Vec<(TopupStatus, TopupStatus)> {
            let mut v = vec![];
            for a in TopupStatus::ALL {
                for b in TopupStatus::ALL {
                    if a.can_move_to(b, m) {
                        v.push((a, b));
                    }
                }
            }
            v
        };
        assert_eq!(
            legal(Online),
            vec![(Creating, Pending), (Creating, Failed), (Pending, Confirmed), (Pending, Failed), (Pending, Expired)]
        );
        assert_eq!(legal(Transfer), vec![(Pending, Approved), (Pending, Rejected)]);
        // Nothing leaves a final status, whatever the method.
        for m in TopupMethod::ALL {
            for a in TopupStatus::ALL.into_iter().filter(|s| s.is_final()) {
                assert!(TopupStatus::ALL.into_iter().all(|b| !a.can_move_to(b, m)), "{a} moved");
            }
        }
    }

    #[test]
    fn ledger_sources() {
        assert_eq!(MoneySource::of_ledger_row(Some("online"), "credit"), MoneySource::Online);
        assert_eq!(MoneySource::of_ledger_row(None, "credit"), MoneySource::Shop);
        assert_eq!(MoneySource::of_ledger_row(None, "debit"), MoneySource::Shop);
        assert_eq!(MoneySource::of_ledger_row(None, "hold"), MoneySource::Order);
        assert_eq!(MoneySource::of_ledger_row(None, "capture"), MoneySource::Order);
        assert_eq!(MoneySource::of_ledger_row(None, "release"), MoneySource::Refund);
        assert_eq!(MoneySource::of_ledger_row(Some("bogus"), "release"), MoneySource::Refund);
        assert_eq!(MoneySource::of_topup(TopupMethod::Transfer), MoneySource::Transfer);
    }

    #[test]
    fn amount_limits_per_method() {
        let l = AmountLimits::default();
        assert_eq!(l.check(TopupMethod::Transfer, Dinars(500)), Ok(Dinars(500)));
        assert_eq!(l.check(TopupMethod::Transfer, Dinars(499)), Err(AmountRefusal::TooSmall { min: Dinars(500) }));
        assert_eq!(l.check(TopupMethod::Online, Dinars(100_000)), Ok(Dinars(100_000)));
        assert_eq!(
            l.check(TopupMethod::Online, Dinars(100_001)),
            Err(AmountRefusal::TooLarge { max: Dinars(100_000) })
        );
        // A shop allowing 100 DA to 1 000 000 DA: transfers get that, online stays within OCPay's range.
        let wide = AmountLimits { min: Dinars(100), max: Dinars(1_000_000) };
        assert_eq!(wide.check(TopupMethod::Transfer, Dinars(100)), Ok(Dinars(100)));
        assert_eq!(wide.check(TopupMethod::Transfer, Dinars(1_000_000)), Ok(Dinars(1_000_000)));
        assert_eq!(wide.check(TopupMethod::Online, Dinars(499)), Err(AmountRefusal::TooSmall { min: OCPAY_MIN }));
        assert_eq!(wide.check(TopupMethod::Online, Dinars(500_000)), Ok(Dinars(500_000)));
        assert_eq!(wide.check(TopupMethod::Online, Dinars(500_001)), Err(AmountRefusal::TooLarge { max: OCPAY_MAX }));
        assert_eq!(l.suggestions(TopupMethod::Online), vec![Dinars(1_000), Dinars(2_000), Dinars(5_000)]);
        let small = AmountLimits { min: Dinars(500), max: Dinars(2_000) };
        assert_eq!(small.suggestions(TopupMethod::Transfer), vec![Dinars(1_000), Dinars(2_000)]);
    }

    #[test]
    fn check_schedule_fast_then_slow_then_closed() {
        let s = CheckSchedule::default();
        let t0 = 1_000_000;
        let min = 60_000;
        assert_eq!(s.first_check(t0), t0 + 10_000);
        assert_eq!(s.next_check(t0, t0 + 10_000), Some(t0 + 20_000));
        // Still young just before 25 minutes: every 10 s.
        assert_eq!(s.next_check(t0, t0 + 25 * min - 1), Some(t0 + 25 * min - 1 + 10_000));
        // From 25 minutes on: every 10 minutes.
        assert_eq!(s.next_check(t0, t0 + 25 * min), Some(t0 + 35 * min));
        let day = 24 * 60 * min;
        // The last interval is cut short so the final check falls on the end of the window...
        assert_eq!(s.next_check(t0, t0 + day - 3 * min), Some(t0 + day));
        // ...and a pending answer there closes the top-up.
        assert_eq!(s.next_check(t0, t0 + day), None);
        assert_eq!(s.next_check(t0, t0 + 2 * day), None);
        // A clock going backwards (a check dated before the link) still schedules forwards.
        assert_eq!(s.next_check(t0, t0 - 5), Some(t0 - 5 + 10_000));
    }

    #[test]
    fn short_schedules_for_tests_still_move_forward() {
        let s = CheckSchedule {
            fast_interval: Duration::ZERO,
            fast_window: Duration::from_millis(50),
            slow_interval: Duration::from_millis(20),
            give_up_after: Duration::from_millis(100),
        };
        assert_eq!(s.next_check(0, 10), Some(11));
        assert_eq!(s.next_check(0, 60), Some(80));
        assert_eq!(s.next_check(0, 90), Some(100));
        assert_eq!(s.next_check(0, 100), None);
    }

    #[test]
    fn waiting_receipts_limit() {
        assert!(may_submit_receipt(0));
        assert!(may_submit_receipt(2));
        assert!(!may_submit_receipt(3));
        assert!(!may_submit_receipt(4));
    }

    #[test]
    fn link_lifetime_and_reported_amount() {
        assert_eq!(link_expires_at(0), 20 * 60 * 1000);
        assert!(reported_amount_matches(Dinars(2000), None));
        assert!(reported_amount_matches(Dinars(2000), Some(2000.0)));
        assert!(!reported_amount_matches(Dinars(2000), Some(2020.0)));
        assert!(!reported_amount_matches(Dinars(2000), Some(f64::NAN)));
    }
}
