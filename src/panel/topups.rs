//! Receipts waiting for an admin (when transfer top-ups are on): the image, fetched by the bot, and
//! approve / reject / other amount through `Store::decide_receipt`, the function of the chat's
//! buttons. The first decision wins (a resent form changes nothing) and is audited there.
use super::PanelState;
use super::pages::{Frame, Notice};
use super::session::Admin;
use super::view::{PanelError, render};
use crate::domain::Dinars;
use crate::domain::topup::{ReceiptKind, TopupMethod, TopupStatus};
use crate::store::topups::{DecideOutcome, Decision, Topup};
use axum::extract::{Form, Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{Html, IntoResponse, Redirect, Response};

const SHOWN: i64 = 50;

#[derive(askama::Template)]
#[template(path = "panel/topups.html")]
struct TopupsPage {
    f: Frame,
    /// Each receipt with its customer's name, and whether it is a photo (shown inline).
    rows: Vec<(Topup, String, bool)>,
    enabled: bool,
    notice: Option<Notice>,
}

#[derive(serde::Deserialize, Default)]
pub struct TopupsQuery {
    notice: Option<String>,
}

async fn topups_page(state: &PanelState, admin: &Admin, notice: Option<Notice>) -> Result<Html<String>, PanelError> {
    let enabled = state.shop.as_ref().is_some_and(|s| s.receipts_enabled());
    let mut rows = Vec::new();
    for t in state.store.waiting_receipts(SHOWN).await? {
        let name = state.store.user(t.user_id).await?.map(|u| u.display_name()).unwrap_or_default();
        let photo = t.receipt_kind == Some(ReceiptKind::Photo);
        rows.push((t, name, photo));
    }
    render(&TopupsPage { f: Frame::new(admin, "topups"), rows, enabled, notice })
}

pub async fn page(
    State(state): State<PanelState>,
    admin: Admin,
    Query(q): Query<TopupsQuery>,
) -> Result<Html<String>, PanelError> {
    let notice = (q.notice.as_deref() == Some("decided")).then(|| Notice::Done("panel-topup-decided".into()));
    topups_page(&state, &admin, notice).await
}

/// The receipt's file, streamed from Telegram through the bot; never cached by the browser.
pub async fn receipt(State(state): State<PanelState>, _: Admin, Path(id): Path<i64>) -> Result<Response, PanelError> {
    let t = state.store.topup(id).await?.ok_or(PanelError::NotFound)?;
    let (Some(file), Some(shop)) = (t.receipt_file_id.clone(), state.shop.as_ref()) else {
        return Err(PanelError::NotFound);
    };
    let body = shop.receipt(file).await.ok_or(PanelError::NotFound)?;
    // A photo shows inline; a document (PDF, …) is downloaded, never rendered as a page of ours.
    let (kind, disposition) = match t.receipt_kind {
        Some(ReceiptKind::Photo) => ("image/jpeg", "inline".to_owned()),
        _ => ("application/octet-stream", format!("attachment; filename=\"receipt-{id}\"")),
    };
    Ok((
        [(CONTENT_TYPE, kind.to_owned()), (CONTENT_DISPOSITION, disposition), (CACHE_CONTROL, "no-store".into())],
        body,
    )
        .into_response())
}

#[derive(serde::Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    csrf: String,
    /// `approve`, `reject` or `amount`.
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    amount: String,
}

pub async fn decide(
    State(state): State<PanelState>,
    admin: Admin,
    Path(id): Path<i64>,
    Form(f): Form<DecideForm>,
) -> Result<Response, PanelError> {
    admin.check_csrf(&f.csrf)?;
    let refuse = |key: &str| {
        let n = Notice::Error(key.to_owned());
        async { Ok(topups_page(&state, &admin, Some(n)).await?.into_response()) }
    };
    let decision = match f.decision.as_str() {
        "approve" => Decision::Approve,
        "reject" => {
            let reason = f.reason.trim();
            if reason.is_empty() {
                return refuse("panel-reason-needed").await;
            }
            Decision::Reject { reason: reason.chars().take(200).collect() }
        }
        "amount" => match Dinars::parse_positive(&f.amount) {
            Ok(a) => Decision::OtherAmount(a),
            Err(e) => return refuse(e.message_key()).await,
        },
        _ => return Err(PanelError::BadRequest),
    };
    match state.store.decide_receipt(id, admin.id, &decision).await? {
        DecideOutcome::Decided { topup, .. } => {
            tracing::info!(topup = id, admin = admin.id, status = %topup.status, "receipt decided in the panel");
            if let Some(shop) = &state.shop {
                shop.topup_decided();
            }
            Ok(Redirect::to("/admin/topups?notice=decided").into_response())
        }
        DecideOutcome::AlreadyDecided(t) if t.method == TopupMethod::Transfer && t.status != TopupStatus::Pending => {
            refuse("panel-topup-already").await
        }
        DecideOutcome::AlreadyDecided(_) => Err(PanelError::NotFound),
    }
}
