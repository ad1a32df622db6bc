//! What the panel changes. Each write checks the CSRF token, goes through the same store function
//! as the chat command (one place for the money rules), and is audited inside that function's
//! transaction. Money moves in two steps: a pending row is written (the one-time action), then
//! Confirm carries it out once, however many times the form is sent.
use super::PanelState;
use super::pages::{self, Frame, Notice};
use super::session::Admin;
use super::view::{PanelError, render};
use crate::domain::money::parse_amount_and_note;
use crate::domain::pricing::check_price_against_cost;
use crate::domain::{CardType, Dinars, PriceTier};
use crate::store::StoreError;
use crate::store::admin_actions::{AdminMove, ConfirmOutcome};
use crate::store::lookup::AdminRefund;
use crate::store::panel::MoveRow;
use axum::extract::{Form, Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};

/// A reason longer than this is cut (it is a ledger note, not a letter).
const MAX_REASON: usize = 200;

#[derive(serde::Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    csrf: String,
    kind: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
}

/// The credit / debit form: checks what was typed as `/credit` does, writes the pending action
/// and shows its confirmation page. Nothing moves yet.
pub async fn propose_move(
    State(state): State<PanelState>,
    admin: Admin,
    Path(id): Path<i64>,
    Form(f): Form<MoveForm>,
) -> Result<Response, PanelError> {
    admin.check_csrf(&f.csrf)?;
    let kind = match f.kind.as_str() {
        "credit" => AdminMove::Credit,
        "debit" => AdminMove::Debit,
        _ => return Err(PanelError::BadRequest),
    };
    let user = state.store.user(id).await?.ok_or(PanelError::NotFound)?;
    let refuse = |n: Notice| async { pages::customer_page(&state, &admin, id, Default::default(), Some(n)).await };
    // The amount field alone, read by the chat's parser: `1 500`, `1.500 DA`, never `1,5`.
    let amount = match parse_amount_and_note(&f.amount) {
        Ok((a, "")) => a,
        Ok(_) => return Ok(refuse(Notice::Error("amount-not-a-number".into())).await?.into_response()),
        Err(e) => return Ok(refuse(Notice::Error(e.message_key().into())).await?.into_response()),
    };
    let reason: String = f.reason.trim().chars().take(MAX_REASON).collect();
    if reason.is_empty() {
        return Ok(refuse(Notice::Error("panel-reason-needed".into())).await?.into_response());
    }
    if kind == AdminMove::Debit && user.balance < amount {
        return Ok(refuse(Notice::Short(user.balance)).await?.into_response());
    }
    let action = state.store.propose_admin_move(admin.id, kind, id, amount, Some(&reason)).await?;
    Ok(Redirect::to(&format!("/admin/moves/{action}")).into_response())
}

#[derive(askama::Template)]
#[template(path = "panel/move.html")]
struct MovePage {
    f: Frame,
    m: MoveRow,
    name: String,
    balance: Dinars,
    new_balance: Dinars,
    notice: Option<Notice>,
}

async fn move_page(
    state: &PanelState,
    admin: &Admin,
    id: i64,
    notice: Option<Notice>,
) -> Result<Html<String>, PanelError> {
    // Only the admin who typed it sees (and may confirm) a pending action, as in the chat.
    let m = state.store.admin_move(id).await?.filter(|m| m.admin_id == admin.id).ok_or(PanelError::NotFound)?;
    let user = state.store.user(m.user_id).await?.ok_or(PanelError::NotFound)?;
    let new_balance = if m.kind == "credit" { user.balance + m.amount } else { user.balance - m.amount };
    let f = Frame::new(admin, "customers");
    render(&MovePage { f, name: user.display_name(), balance: user.balance, new_balance, m, notice })
}

/// The confirmation step: who, how much, the balance now and after.
pub async fn show_move(
    State(state): State<PanelState>,
    admin: Admin,
    Path(id): Path<i64>,
) -> Result<Html<String>, PanelError> {
    move_page(&state, &admin, id, None).await
}

#[derive(serde::Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// Confirm: `confirm_admin_move` marks the action done in the ledger row's transaction (audited
/// there too), so a resent form finds it decided and moves nothing.
pub async fn confirm_move(
    State(state): State<PanelState>,
    admin: Admin,
    Path(id): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, PanelError> {
    admin.check_csrf(&f.csrf)?;
    match state.store.confirm_admin_move(id, admin.id).await? {
        ConfirmOutcome::Done { action, balances } => {
            tracing::info!(
                admin = admin.id,
                user = action.user_id,
                amount = action.amount.get(),
                kind = action.kind.as_str(),
                balance = balances.balance.get(),
                "wallet changed by admin in the panel"
            );
            if action.kind == AdminMove::Credit
                && let Some(shop) = &state.shop
            {
                shop.credited(action.user_id, action.amount, balances.balance).await;
            }
            Ok(Redirect::to(&format!("/admin/customers/{}?notice=moved", action.user_id)).into_response())
        }
        ConfirmOutcome::Refused { available, .. } => {
            Ok(move_page(&state, &admin, id, Some(Notice::Short(available))).await?.into_response())
        }
        ConfirmOutcome::AlreadyDecided => {
            let notice = Notice::Error("panel-move-already".into());
            Ok(move_page(&state, &admin, id, Some(notice)).await?.into_response())
        }
    }
}

pub async fn cancel_move(
    State(state): State<PanelState>,
    admin: Admin,
    Path(id): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, PanelError> {
    admin.check_csrf(&f.csrf)?;
    let m = state.store.admin_move(id).await?.filter(|m| m.admin_id == admin.id).ok_or(PanelError::NotFound)?;
    if state.store.cancel_admin_move(id, admin.id).await? {
        Ok(Redirect::to(&format!("/admin/customers/{}?notice=cancelled", m.user_id)).into_response())
    } else {
        Ok(move_page(&state, &admin, id, Some(Notice::Error("panel-move-already".into()))).await?.into_response())
    }
}

#[derive(serde::Deserialize)]
pub struct PriceForm {
    #[serde(default)]
    csrf: String,
    card_type: String,
    value: i64,
    tier: String,
    #[serde(default)]
    price: String,
}

/// One price edited in place: read and checked as `/setprice` does (the chat's amount parser,
/// the fresh OneClickDZ cost, `check_price_against_cost`), then `Store::set_price`, which audits.
pub async fn set_price(
    State(state): State<PanelState>,
    admin: Admin,
    Form(f): Form<PriceForm>,
) -> Result<Response, PanelError> {
    admin.check_csrf(&f.csrf)?;
    let tier = match f.tier.as_str() {
        "customer" => Some(PriceTier::Customer),
        "reseller" => Some(PriceTier::Reseller),
        _ => None,
    };
    let (Some(t), Some(tier)) = (CardType::parse(&f.card_type), tier) else {
        return Err(PanelError::BadRequest);
    };
    let refuse = |n: Notice| async { Ok(pages::prices_page(&state, &admin, Some(n)).await?.into_response()) };
    let price = match Dinars::parse_positive(&f.price) {
        Ok(p) => p,
        Err(e) => return refuse(Notice::Error(e.message_key().into())).await,
    };
    let Some(shop) = &state.shop else { return refuse(Notice::Error("panel-costs-unavailable".into())).await };
    let Some(costs) = shop.costs(t, true).await else {
        return refuse(Notice::Error("panel-costs-unavailable".into())).await;
    };
    let Some(&(_, cost)) = costs.iter().find(|(v, _)| *v == f.value) else {
        return refuse(Notice::Error("panel-price-not-sold".into())).await;
    };
    if let Err(cost) = check_price_against_cost(price, cost) {
        return refuse(Notice::BelowCost { price, cost }).await;
    }
    state.store.set_price(t, f.value, tier, price.get(), admin.id).await?;
    tracing::info!(
        admin = admin.id,
        card = t.as_api(),
        value = f.value,
        tier = tier.as_str(),
        "price set in the panel"
    );
    Ok(Redirect::to("/admin/prices?notice=price").into_response())
}

/// The refund's second confirmation, naming the risk (as `/lookup` asks it).
pub async fn ask_refund(
    State(state): State<PanelState>,
    admin: Admin,
    Path(id): Path<i64>,
) -> Result<Html<String>, PanelError> {
    let o = state.store.order(id).await?.ok_or(PanelError::NotFound)?;
    let notice = (!o.refundable_by_admin()).then(|| Notice::Error("panel-refund-final".into()));
    pages::order_page(&state, &admin, id, true, notice).await
}

/// Yes, refund: `admin_refund` releases the hold once (guarded on the order still being open) and
/// audits it; the tracker then tells the customer, as after `/lookup`.
pub async fn refund(
    State(state): State<PanelState>,
    admin: Admin,
    Path(id): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, PanelError> {
    admin.check_csrf(&f.csrf)?;
    match state.store.admin_refund(id, admin.id).await {
        Ok(AdminRefund::Done(o)) => {
            tracing::warn!(admin = admin.id, order_ref = %o.r#ref, price = o.price.get(), "order refunded in the panel");
            if let Some(shop) = &state.shop {
                shop.to_tracker(o);
            }
            Ok(Redirect::to(&format!("/admin/orders/{id}?notice=refunded")).into_response())
        }
        Ok(AdminRefund::AlreadyFinal(_)) => {
            let notice = Notice::Error("panel-refund-final".into());
            Ok(pages::order_page(&state, &admin, id, false, Some(notice)).await?.into_response())
        }
        Err(StoreError::NotFound(_)) => Err(PanelError::NotFound),
        // Open but not holding (a FULFILLED order waiting for its code): never refunded.
        Err(StoreError::Corrupt(_)) => {
            let notice = Notice::Error("panel-refund-final".into());
            Ok(pages::order_page(&state, &admin, id, false, Some(notice)).await?.into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Recheck now: the order becomes due and goes to the tracker, as from `/lookup`; audited.
pub async fn recheck(
    State(state): State<PanelState>,
    admin: Admin,
    Path(id): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, PanelError> {
    admin.check_csrf(&f.csrf)?;
    let Some(shop) = &state.shop else { return Err(PanelError::NotFound) };
    match state.store.recheck_now(id, admin.id).await? {
        Some(row) => {
            tracing::info!(admin = admin.id, order_ref = %row.r#ref, "recheck asked in the panel");
            shop.to_tracker(row);
            Ok(Redirect::to(&format!("/admin/orders/{id}?notice=recheck")).into_response())
        }
        None => {
            let notice = Notice::Error("panel-recheck-final".into());
            Ok(pages::order_page(&state, &admin, id, false, Some(notice)).await?.into_response())
        }
    }
}

/// How long a cancel waits for copies already in flight (as the chat's cancel does).
const CANCEL_SETTLE: std::time::Duration = std::time::Duration::from_secs(5);

/// Cancels a running broadcast with the chat's function; audited.
pub async fn cancel_broadcast(
    State(state): State<PanelState>,
    admin: Admin,
    Path(id): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, PanelError> {
    admin.check_csrf(&f.csrf)?;
    if !state.store.cancel_broadcast(id, admin.id).await? {
        let notice = Notice::Error("panel-broadcast-none".into());
        return Ok(pages::broadcasts_page(&state, &admin, None, Some(notice)).await?.into_response());
    }
    // Answered once copies already on their way are out: none follows the notice.
    state.store.wait_sends_settled(&[id], CANCEL_SETTLE).await?;
    tracing::info!(admin = admin.id, job = id, "broadcast cancelled in the panel");
    Ok(Redirect::to("/admin/broadcasts?notice=broadcast-cancelled").into_response())
}
