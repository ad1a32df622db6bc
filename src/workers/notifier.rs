//! What the workers tell the outside world. Workers say *what happened* (an order changed, an
//! alert for admins, a broadcast copy to deliver, a broadcast's progress); the bot layer decides
//! how it looks in Telegram (`bot::notify` implements this trait). Workers know nothing else of
//! the bot and no Telegram type.
use crate::i18n::Lang;
use crate::store::reminders::Reminder;
use crate::store::topups::Topup;
use crate::store::{BroadcastJob, BroadcastProgress, Order};
use std::future::Future;
use std::time::Duration;

/// How telling the customer went.
#[derive(Debug, PartialEq, Eq)]
pub enum Told {
    /// The chat shows the status; the id of the message that holds it.
    Shown(Option<i32>),
    /// The customer blocked the bot or is gone; the receipt stays in /orders.
    Unreachable,
}

/// A message that could not be delivered now (network, Telegram error): worth trying again.
#[derive(Debug, thiserror::Error)]
#[error("not delivered: {0}")]
pub struct Undelivered(pub String);

/// Something admins must hear about.
#[derive(Debug)]
pub enum Alert<'a> {
    /// The order was told to its customer in a state that needs a human look (QUEUED, REFUNDED);
    /// other states alert nobody.
    OrderSettled(&'a Order),
    /// The order's status could not be learnt for many checks in a row, or OneClickDZ reported a
    /// move our books cannot take.
    OrderUnreconciled(&'a Order),
    /// OneClickDZ said FULFILLED without a card code: the order stays open and held, and is
    /// checked until the code comes (sent once per order).
    OrderWithoutCode(&'a Order),
    /// OneClickDZ answered a status nobody documented; shown as processing, checks go on (once).
    UnknownStatus { order: &'a Order, status: &'a str },
    /// The order has been HANDLING (or QUEUED) longer than the configured threshold (once each).
    OpenTooLong { order: &'a Order, hours: i64 },
    /// OneClickDZ once acknowledged the ref, and now says it does not exist: never refunded by
    /// itself, checks go on (once).
    NotFoundAfterSeen(&'a Order),
    /// An order failed as never sent (and refunded) turned up at OneClickDZ on a late look-up;
    /// `status` is what OneClickDZ says. No money was moved.
    FoundAfterFailing { order: &'a Order, status: &'a str },
    /// OneClickDZ refused a send for a reason that is the shop's problem (balance, key), not the
    /// customer's; `error` says which.
    SendRefused { order: &'a Order, error: String },
    /// The health check closed the shop after this many failures in a row.
    MaintenanceOn { failures: u32 },
    /// The health check reopened the shop it had closed.
    MaintenanceOff,
    /// The ledger check found these users' wallets not matching their ledger.
    LedgerMismatch { users: &'a [i64] },
    /// A delivered order's card code could not be decrypted (corrupted row or another key).
    CardCodeUnreadable(&'a Order),
    /// A card value is sold below what OneClickDZ now charges; it is hidden until fixed.
    BelowCost { card_type: crate::domain::CardType, value: i64, price: i64, cost: i64 },
    /// An online top-up was paid and credited (amount, customer, payment ref).
    TopupOnlinePaid(&'a Topup),
    /// OCPay reported another amount than the one asked (and credited) for a paid link.
    TopupAmountMismatch { topup: &'a Topup, reported: f64 },
    /// An online top-up was still not settled at the end of its check window: closed, no credit.
    TopupOnlineExpired(&'a Topup),
}

/// How one broadcast copy (or renewal reminder) went.
#[derive(Debug, PartialEq, Eq)]
pub enum Copied {
    Sent,
    /// Telegram refused it for now: nothing was delivered, wait this long before the next copy.
    RetryAfter(Duration),
    /// The recipient blocked the bot or is gone.
    Unreachable,
    /// Refused for another reason (logged, never retried).
    Failed(String),
}

/// Where a broadcast stands, for its progress message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Sending,
    Finished,
    Cancelled,
}

/// A broadcast's progress as its admin sees it.
#[derive(Debug)]
pub struct BroadcastView<'a> {
    pub job: &'a BroadcastJob,
    /// The admin's language.
    pub lang: Lang,
    pub phase: Phase,
    pub counts: BroadcastProgress,
    /// Seconds until the rest is sent at the current rate.
    pub eta_secs: i64,
    /// Where the progress is shown: chat, and the message to edit if there is one.
    pub chat: i64,
    pub msg: Option<i32>,
}

/// The one interface the workers report through. Implemented by the bot layer; cheap to clone.
pub trait Notifier: Clone + Send + Sync + 'static {
    /// Brings the customer's view of `order` up to date with its status.
    fn order_changed(&self, order: &Order) -> impl Future<Output = Result<Told, Undelivered>> + Send;

    /// Tells the customer a top-up's outcome (edits the message showing it when there is one).
    fn topup_changed(&self, topup: &Topup) -> impl Future<Output = Result<Told, Undelivered>> + Send;

    /// Tells the admins; a failure is logged by the implementation, never retried.
    fn alert(&self, alert: Alert<'_>) -> impl Future<Output = ()> + Send;

    /// Copies the job's message to one recipient, in the lane that yields to customers' replies.
    fn copy_broadcast(&self, to: i64, job: &BroadcastJob) -> impl Future<Output = Copied> + Send;

    /// Shows the broadcast's progress; returns the id of the message now showing it (a new one
    /// when the old one could not be edited).
    fn broadcast_progress(&self, view: BroadcastView<'_>) -> impl Future<Output = Result<i32, Undelivered>> + Send;

    /// Sends a renewal reminder (the line, its last card, Buy again, Stop reminders), in the
    /// lane that yields to customers' replies.
    fn renewal_reminder(&self, reminder: &Reminder) -> impl Future<Output = Copied> + Send;
}
