//! The pages: each reads what it shows through `store::panel` and renders one template.
use super::PanelState;
use super::session::{self, Admin};
use super::view::{self, Bar, PanelError, Tr, render};
use crate::domain::{CardType, Dinars};
use crate::i18n::Arg;
use crate::store::User;
use crate::store::audit::{AuditFilter, AuditRow};
use crate::store::ledger::{LedgerCheckResult, LedgerEntry};
use crate::store::now_ms;
use crate::store::panel::{BroadcastRow, CustomerRow, Dashboard, OrderDetail, OrderRow, OrderSearch, PriceRow};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};

const PAGE: i64 = 50;
const STATUSES: [&str; 6] = ["PLACED", "HANDLING", "QUEUED", "FULFILLED", "REFUNDED", "FAILED"];

/// What the frame around every page needs.
pub struct Frame {
    pub t: Tr,
    pub nav: &'static str,
    pub csrf: String,
}

impl Frame {
    pub fn new(admin: &Admin, nav: &'static str) -> Frame {
        Frame { t: view::Tr(admin.lang), nav, csrf: admin.csrf.clone().unwrap_or_default() }
    }

    /// What a notice says, in the admin's language.
    pub fn notice(&self, n: &Notice) -> String {
        match n {
            Notice::Done(key) | Notice::Error(key) => self.t.plain(key, &[]),
            Notice::Short(available) => {
                self.t.plain("admin-debit-short", &[("available", Arg::Str(self.t.money(available)))])
            }
            Notice::BelowCost { price, cost } => self.t.plain(
                "admin-price-below-cost",
                &[("price", Arg::Str(self.t.money(price))), ("cost", Arg::Str(self.t.money(cost)))],
            ),
        }
    }
}

impl Frame {
    /// The refund's second question: how much, to whom, and the risk.
    pub fn refund_ask(&self, price: &Dinars, name: &str) -> String {
        self.t
            .plain("panel-refund-ask", &[("price", Arg::Str(self.t.money(price))), ("name", Arg::Str(name.to_owned()))])
    }
}

/// A line at the top of a page after a write: what was done, or why it was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A text key saying what was done.
    Done(String),
    /// A text key saying why nothing was done.
    Error(String),
    /// A debit larger than the balance: nothing moved.
    Short(Dinars),
    /// A price below what OneClickDZ charges: refused as `/setprice` refuses it.
    BelowCost { price: Dinars, cost: Dinars },
}

impl Notice {
    pub fn is_error(&self) -> bool {
        !matches!(self, Notice::Done(_))
    }

    /// A notice named in a redirect's query: only these, never text from the URL.
    fn from_query(q: Option<&str>) -> Option<Notice> {
        let key = match q? {
            "moved" => "panel-move-done",
            "cancelled" => "panel-move-cancelled",
            "price" => "panel-price-saved",
            "recheck" => "panel-recheck-started",
            "refunded" => "panel-refund-done",
            "broadcast-cancelled" => "panel-broadcast-cancel-done",
            _ => return None,
        };
        Some(Notice::Done(key.to_owned()))
    }
}

/// The next page's cursor: the last id shown, when the page was full.
fn next_cursor<T: Keyed>(rows: &[T]) -> Option<i64> {
    (rows.len() as i64 >= PAGE).then(|| rows.last().map(Keyed::key)).flatten()
}

/// A row of a list paged on its id (newest first): the next page starts below the last key.
trait Keyed {
    fn key(&self) -> i64;
}

macro_rules! keyed_by_id {
    ($($t:ty),*) => {$(impl Keyed for $t {
        fn key(&self) -> i64 {
            self.id
        }
    })*};
}
keyed_by_id!(OrderRow, CustomerRow, LedgerEntry, BroadcastRow, AuditRow);

#[derive(askama::Template)]
#[template(path = "panel/landing.html")]
struct Landing {
    t: Tr,
}

/// The entry page: a logged-in browser goes on to the dashboard; inside Telegram the script
/// logs in with `initData`; elsewhere it says how to get a login link.
pub async fn landing(State(state): State<PanelState>, headers: HeaderMap) -> Result<Response, PanelError> {
    if session::logged_in(&state, &headers).await {
        return Ok(Redirect::to("/admin/dashboard").into_response());
    }
    Ok(render(&Landing { t: Tr(Default::default()) })?.into_response())
}

#[derive(askama::Template)]
#[template(path = "panel/login.html")]
struct LoginPage {
    t: Tr,
    token: String,
}

pub async fn login_page(Path(token): Path<String>) -> Result<Html<String>, PanelError> {
    render(&LoginPage { t: Tr(Default::default()), token })
}

#[derive(askama::Template)]
#[template(path = "panel/dashboard.html")]
struct DashboardPage {
    f: Frame,
    d: Dashboard,
    periods: Vec<(String, crate::store::panel::PeriodSales)>,
    bars: Vec<Bar>,
    bar_w: i64,
    chart_w: i64,
    chart_h: i64,
    /// What the OneClickDZ account holds, when it can be read.
    upstream: Option<Dinars>,
    /// The last ledger check: when, and what it found.
    ledger: Option<(i64, String, bool)>,
}

pub async fn dashboard(State(state): State<PanelState>, admin: Admin) -> Result<Html<String>, PanelError> {
    let now = now_ms();
    let d = state.store.dashboard(view::day_start(now), now).await?;
    let f = Frame::new(&admin, "dashboard");
    let periods =
        ["panel-today", "panel-7-days", "panel-30-days"].iter().zip(d.sales).map(|(k, s)| (f.t.t(k), s)).collect();
    let bars = view::bars(&f.t, &d.daily);
    let bar_w = (view::CHART_W / i64::try_from(bars.len().max(1)).unwrap_or(1) - 2).max(1);
    let upstream = match &state.shop {
        Some(shop) => shop.upstream_balance().await,
        None => None,
    };
    // The result the books worker saved (the same one /stats shows).
    let ledger = state.store.last_ledger_check().await?.map(|c| match c.result {
        LedgerCheckResult::Ok => (c.at, f.t.t("panel-ledger-ok"), true),
        LedgerCheckResult::Failed => (c.at, f.t.t("panel-ledger-failed"), false),
        LedgerCheckResult::Mismatches(users) => {
            (c.at, f.t.n("panel-ledger-mismatch", &i64::try_from(users.len()).unwrap_or(i64::MAX)), false)
        }
    });
    render(&DashboardPage {
        f,
        d,
        periods,
        bars,
        bar_w,
        chart_w: view::CHART_W,
        chart_h: view::CHART_H,
        upstream,
        ledger,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct OrdersQuery {
    q: Option<String>,
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<i64>,
}

#[derive(askama::Template)]
#[template(path = "panel/orders.html")]
struct OrdersPage {
    f: Frame,
    q: String,
    status: String,
    from: String,
    to: String,
    statuses: &'static [&'static str],
    rows: Vec<OrderRow>,
    next: Option<i64>,
}

pub async fn orders(
    State(state): State<PanelState>,
    admin: Admin,
    Query(p): Query<OrdersQuery>,
) -> Result<Html<String>, PanelError> {
    let day = |s: &Option<String>| {
        s.as_deref().filter(|s| !s.is_empty()).map(|s| view::parse_day(s).ok_or(PanelError::BadRequest))
    };
    let from_ms = day(&p.from).transpose()?;
    let to_ms = day(&p.to).transpose()?.map(|t| t + 24 * 3600 * 1000);
    let status = p.status.clone().filter(|s| STATUSES.contains(&s.as_str()));
    let search = OrderSearch {
        q: p.q.clone(),
        status: status.clone(),
        from_ms,
        to_ms,
        before_id: p.before,
        user_id: None,
        limit: PAGE,
    };
    let rows = state.store.search_orders(&search).await?;
    render(&OrdersPage {
        f: Frame::new(&admin, "orders"),
        q: p.q.unwrap_or_default(),
        status: status.unwrap_or_default(),
        from: p.from.unwrap_or_default(),
        to: p.to.unwrap_or_default(),
        statuses: &STATUSES,
        next: next_cursor(&rows),
        rows,
    })
}

#[derive(askama::Template)]
#[template(path = "panel/order.html")]
struct OrderPage {
    f: Frame,
    o: OrderDetail,
    /// (time, what happened)
    timeline: Vec<(i64, String)>,
    recheckable: bool,
    refundable: bool,
    /// The refund's second confirmation is shown.
    ask_refund: bool,
    notice: Option<Notice>,
}

pub async fn order(
    State(state): State<PanelState>,
    admin: Admin,
    Path(id): Path<i64>,
    Query(p): Query<NoticeQuery>,
) -> Result<Html<String>, PanelError> {
    order_page(&state, &admin, id, false, Notice::from_query(p.notice.as_deref())).await
}

/// An order with its timeline and the actions of `/lookup` (never its card code).
pub async fn order_page(
    state: &PanelState,
    admin: &Admin,
    id: i64,
    ask_refund: bool,
    notice: Option<Notice>,
) -> Result<Html<String>, PanelError> {
    let o = state.store.order_detail(id).await?.ok_or(PanelError::NotFound)?;
    let typed = state.store.order(id).await?.ok_or(PanelError::NotFound)?;
    let f = Frame::new(admin, "orders");
    let mut timeline = vec![(o.created_at, f.t.t("panel-timeline-placed"))];
    if let Some(at) = o.send_attempted_at {
        timeline.push((at, f.t.t("panel-timeline-sent")));
    }
    if o.was_queued {
        timeline.push((o.updated_at, f.t.status("QUEUED")));
    }
    timeline.push((o.finished_at.unwrap_or(o.updated_at), f.t.status(&o.status)));
    let (recheckable, refundable) = (typed.recheckable() && state.shop.is_some(), typed.refundable_by_admin());
    render(&OrderPage { f, o, timeline, recheckable, refundable, ask_refund: ask_refund && refundable, notice })
}

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    before: Option<i64>,
}

#[derive(askama::Template)]
#[template(path = "panel/customers.html")]
struct CustomersPage {
    f: Frame,
    q: String,
    rows: Vec<CustomerRow>,
    next: Option<i64>,
}

pub async fn customers(
    State(state): State<PanelState>,
    admin: Admin,
    Query(p): Query<ListQuery>,
) -> Result<Html<String>, PanelError> {
    let rows = state.store.search_customers(p.q.as_deref(), p.before, PAGE).await?;
    render(&CustomersPage {
        f: Frame::new(&admin, "customers"),
        q: p.q.unwrap_or_default(),
        next: next_cursor(&rows),
        rows,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct CustomerQuery {
    ledger_before: Option<i64>,
    orders_before: Option<i64>,
    notice: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "panel/customer.html")]
struct CustomerPage {
    f: Frame,
    c: User,
    ledger: Vec<LedgerEntry>,
    ledger_next: Option<i64>,
    orders: Vec<OrderRow>,
    orders_next: Option<i64>,
    notice: Option<Notice>,
}

pub async fn customer(
    State(state): State<PanelState>,
    admin: Admin,
    Path(id): Path<i64>,
    Query(p): Query<CustomerQuery>,
) -> Result<Html<String>, PanelError> {
    let notice = Notice::from_query(p.notice.as_deref());
    customer_page(&state, &admin, id, p, notice).await
}

/// A customer's page: wallet, ledger, orders, and the credit / debit form.
pub async fn customer_page(
    state: &PanelState,
    admin: &Admin,
    id: i64,
    p: CustomerQuery,
    notice: Option<Notice>,
) -> Result<Html<String>, PanelError> {
    let c = state.store.user(id).await?.ok_or(PanelError::NotFound)?;
    let ledger = state.store.ledger_page(id, p.ledger_before, PAGE).await?;
    let search = OrderSearch { user_id: Some(id), before_id: p.orders_before, limit: PAGE, ..Default::default() };
    let orders = state.store.search_orders(&search).await?;
    render(&CustomerPage {
        f: Frame::new(admin, "customers"),
        c,
        ledger_next: next_cursor(&ledger),
        ledger,
        orders_next: next_cursor(&orders),
        orders,
        notice,
    })
}

#[derive(askama::Template)]
#[template(path = "panel/prices.html")]
struct PricesPage {
    f: Frame,
    rows: Vec<PriceView>,
    notice: Option<Notice>,
    /// OneClickDZ's costs could be read: prices can be changed.
    editable: bool,
}

/// A card's prices as they apply: without an override a card sells at face value, and a
/// reseller without one pays the customer price.
struct PriceView {
    card_type: String,
    value: i64,
    /// What OneClickDZ charges now, when it can be read.
    cost_now: Option<Dinars>,
    /// What OneClickDZ charged for the last order of this card.
    last_cost: Option<Dinars>,
    /// The customer and reseller prices, by tier name, as the row edits them.
    tiers: [(&'static str, Dinars); 2],
    margin: Option<Dinars>,
}

impl PriceView {
    fn new(p: PriceRow, cost_now: Option<Dinars>) -> PriceView {
        let customer = p.customer.unwrap_or(Dinars(p.value));
        let reseller = p.reseller.unwrap_or(customer);
        PriceView {
            card_type: p.card_type,
            value: p.value,
            cost_now,
            last_cost: p.last_cost,
            tiers: [("customer", customer), ("reseller", reseller)],
            margin: cost_now.or(p.last_cost).map(|c| customer - c),
        }
    }
}

pub async fn prices(
    State(state): State<PanelState>,
    admin: Admin,
    Query(p): Query<NoticeQuery>,
) -> Result<Html<String>, PanelError> {
    prices_page(&state, &admin, Notice::from_query(p.notice.as_deref())).await
}

#[derive(serde::Deserialize, Default)]
pub struct NoticeQuery {
    notice: Option<String>,
}

/// The prices of every card the shop has priced or sold, and every card OneClickDZ sells now.
pub async fn prices_page(
    state: &PanelState,
    admin: &Admin,
    notice: Option<Notice>,
) -> Result<Html<String>, PanelError> {
    let mut rows = state.store.price_rows().await?;
    let mut costs = std::collections::HashMap::new();
    let mut editable = state.shop.is_some();
    if let Some(shop) = &state.shop {
        for t in CardType::ALL {
            match shop.costs(t, false).await {
                Some(list) => {
                    for (value, cost) in list {
                        costs.insert((t.as_api(), value), cost);
                        if !rows.iter().any(|r| r.card_type == t.as_api() && r.value == value) {
                            rows.push(PriceRow {
                                card_type: t.as_api().to_owned(),
                                value,
                                customer: None,
                                reseller: None,
                                last_cost: None,
                            });
                        }
                    }
                }
                None => editable = false,
            }
        }
    }
    rows.sort_by(|a, b| (&a.card_type, a.value).cmp(&(&b.card_type, b.value)));
    let rows = rows
        .into_iter()
        .map(|r| {
            let now = costs.get(&(r.card_type.as_str(), r.value)).copied();
            PriceView::new(r, now)
        })
        .collect();
    render(&PricesPage { f: Frame::new(admin, "prices"), rows, notice, editable })
}

#[derive(askama::Template)]
#[template(path = "panel/broadcasts.html")]
struct BroadcastsPage {
    f: Frame,
    rows: Vec<BroadcastRow>,
    next: Option<i64>,
    notice: Option<Notice>,
}

#[derive(serde::Deserialize, Default)]
pub struct BroadcastsQuery {
    before: Option<i64>,
    notice: Option<String>,
}

pub async fn broadcasts(
    State(state): State<PanelState>,
    admin: Admin,
    Query(p): Query<BroadcastsQuery>,
) -> Result<Html<String>, PanelError> {
    broadcasts_page(&state, &admin, p.before, Notice::from_query(p.notice.as_deref())).await
}

/// Broadcasts with their counts, newest first; a running one can be cancelled.
pub async fn broadcasts_page(
    state: &PanelState,
    admin: &Admin,
    before: Option<i64>,
    notice: Option<Notice>,
) -> Result<Html<String>, PanelError> {
    let rows = state.store.broadcast_page(before, PAGE).await?;
    render(&BroadcastsPage { f: Frame::new(admin, "broadcasts"), next: next_cursor(&rows), rows, notice })
}

#[derive(serde::Deserialize, Default)]
pub struct AuditQuery {
    admin: Option<String>,
    action: Option<String>,
    before: Option<i64>,
}

#[derive(askama::Template)]
#[template(path = "panel/audit.html")]
struct AuditPage {
    f: Frame,
    admin: String,
    action: String,
    actions: Vec<String>,
    rows: Vec<AuditRow>,
    next: Option<i64>,
}

pub async fn audit(
    State(state): State<PanelState>,
    admin: Admin,
    Query(p): Query<AuditQuery>,
) -> Result<Html<String>, PanelError> {
    let admin_filter = match p.admin.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(s.parse::<i64>().map_err(|_| PanelError::BadRequest)?),
        None => None,
    };
    let action = p.action.clone().filter(|s| !s.is_empty());
    let filter = AuditFilter { admin_id: admin_filter, action: action.clone(), before_id: p.before, limit: PAGE };
    let rows = state.store.audit_page(&filter).await?;
    render(&AuditPage {
        f: Frame::new(&admin, "audit"),
        admin: admin_filter.map(|a| a.to_string()).unwrap_or_default(),
        action: action.unwrap_or_default(),
        actions: state.store.audit_actions().await?,
        next: next_cursor(&rows),
        rows,
    })
}
