//! CSV exports of orders and the ledger for a date range. Rows stream from the database into the
//! response through a small bounded channel: memory stays flat however many rows there are.
//! UTF-8 with a BOM, so spreadsheet programs read Arabic names right.
use super::PanelState;
use super::session::Admin;
use super::view::{self, PanelError};
use crate::store::Store;
use crate::store::panel::{ExportLedger, OrderRow};
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

/// Bytes gathered before a chunk goes out.
const CHUNK: usize = 16 * 1024;
/// Chunks in flight between the query and the client.
const IN_FLIGHT: usize = 4;
const BOM: &str = "\u{feff}";

#[derive(serde::Deserialize)]
pub struct Range {
    from: String,
    to: String,
}

impl Range {
    /// `[from, to]` as local days, to unix millis `[start, end)`.
    fn millis(&self) -> Result<(i64, i64), PanelError> {
        let from = view::parse_day(&self.from).ok_or(PanelError::BadRequest)?;
        let to = view::parse_day(&self.to).ok_or(PanelError::BadRequest)? + 24 * 3600 * 1000;
        if to <= from { Err(PanelError::BadRequest) } else { Ok((from, to)) }
    }
}

/// One CSV field. Text a spreadsheet would run as a formula is prefixed with `'`.
pub fn field(out: &mut String, s: &str) {
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if formula || s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        if formula {
            out.push('\'');
        }
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

fn line(out: &mut String, fields: &[&str]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        field(out, f);
    }
    out.push_str("\r\n");
}

fn opt(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&view::offset()).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// A row type as CSV: its header and its fields.
trait CsvRow: Send + 'static {
    const HEADER: &'static [&'static str];
    fn fields(&self) -> Vec<String>;
}

impl CsvRow for OrderRow {
    const HEADER: &'static [&'static str] =
        &["id", "ref", "created_at", "user_id", "customer", "card_type", "number", "value", "price", "cost", "status"];
    fn fields(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.r#ref.clone(),
            iso(self.created_at),
            self.user_id.to_string(),
            self.user_name.clone(),
            self.card_type.clone(),
            self.number.clone(),
            self.value.to_string(),
            self.price.to_string(),
            opt(self.cost.map(crate::domain::Dinars::get)),
            self.status.clone(),
        ]
    }
}

impl CsvRow for ExportLedger {
    const HEADER: &'static [&'static str] = &[
        "id",
        "created_at",
        "user_id",
        "customer",
        "kind",
        "amount",
        "balance_after",
        "held_after",
        "order_id",
        "admin_id",
        "note",
    ];
    fn fields(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            iso(self.created_at),
            self.user_id.to_string(),
            self.user_name.clone(),
            self.kind.clone(),
            self.amount.to_string(),
            self.balance_after.to_string(),
            self.held_after.to_string(),
            opt(self.order_id),
            opt(self.admin_id),
            self.note.clone().unwrap_or_default(),
        ]
    }
}

/// Streams `rows(store)` as CSV; the query runs in its own task and stops when the client goes
/// away.
fn stream<T, R>(store: Store, rows: R) -> Body
where
    T: CsvRow,
    R: for<'a> FnOnce(&'a Store) -> BoxStream<'a, Result<T, sqlx::Error>> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(IN_FLIGHT);
    tokio::spawn(async move {
        let mut buf = String::from(BOM);
        line(&mut buf, T::HEADER);
        let mut rows = rows(&store);
        while let Some(row) = rows.next().await {
            match row {
                Ok(r) => line(&mut buf, &r.fields().iter().map(String::as_str).collect::<Vec<_>>()),
                Err(e) => {
                    tracing::error!(error = %e, "export failed");
                    let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                    return;
                }
            }
            if buf.len() >= CHUNK && tx.send(Ok(std::mem::take(&mut buf))).await.is_err() {
                return;
            }
        }
        let _ = tx.send(Ok(buf)).await;
    });
    Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) }))
}

fn csv_response(name: &str, r: &Range, body: Body) -> Response {
    let disposition = format!("attachment; filename=\"{name}-{}-{}.csv\"", safe(&r.from), safe(&r.to));
    ([(CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (CONTENT_DISPOSITION, disposition)], body).into_response()
}

/// A date as given, kept to what a file name may hold (it was parsed already).
fn safe(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_digit() || *c == '-').collect()
}

pub async fn orders(State(state): State<PanelState>, _: Admin, Query(r): Query<Range>) -> Result<Response, PanelError> {
    let (from, to) = r.millis()?;
    Ok(csv_response("orders", &r, stream(state.store.clone(), move |s: &Store| s.export_orders(from, to))))
}

pub async fn ledger(State(state): State<PanelState>, _: Admin, Query(r): Query<Range>) -> Result<Response, PanelError> {
    let (from, to) = r.millis()?;
    Ok(csv_response("ledger", &r, stream(state.store.clone(), move |s: &Store| s.export_ledger(from, to))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        let mut s = String::new();
        line(&mut s, &["a", "b,c", "say \"hi\"", "=1+1", "-5", "أمين"]);
        assert_eq!(s, "a,\"b,c\",\"say \"\"hi\"\"\",\"'=1+1\",\"'-5\",أمين\r\n");
    }
}
