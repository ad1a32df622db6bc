//! What every page shares: texts in the admin's language, formatting, errors, headers, assets.
use crate::domain::Dinars;
use crate::i18n::{self, Arg, Lang};
use crate::store::StoreError;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// An amount the templates format: typed (`Dinars`) or a plain sum of the dashboard.
pub trait Amount {
    fn dinars(&self) -> Dinars;
}

impl Amount for Dinars {
    fn dinars(&self) -> Dinars {
        *self
    }
}

impl<A: Amount> Amount for &A {
    fn dinars(&self) -> Dinars {
        (*self).dinars()
    }
}

impl Amount for i64 {
    fn dinars(&self) -> Dinars {
        Dinars(*self)
    }
}

/// Texts and formats of one language, for the templates.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Lang);

impl Tr {
    pub fn t(&self, key: &str) -> String {
        i18n::t(self.0, key, &[])
    }

    /// A text with one number, `$n` (Fluent picks the plural form).
    pub fn n(&self, key: &str, n: &i64) -> String {
        i18n::t(self.0, key, &[("n", Arg::Num(*n))])
    }

    pub fn money(&self, amount: &impl Amount) -> String {
        i18n::money(self.0, amount.dinars())
    }

    pub fn num(&self, n: &impl Amount) -> String {
        n.dinars().grouped()
    }

    /// An amount that may be unknown.
    pub fn money_opt<A: Amount>(&self, amount: &Option<A>) -> String {
        amount.as_ref().map_or_else(|| "—".to_owned(), |a| self.money(a))
    }

    /// A chat text without its Telegram HTML tags (the amount refusals carry `<code>`).
    pub fn plain(&self, key: &str, args: &[(&'static str, Arg)]) -> String {
        let html = i18n::t(self.0, key, args);
        let mut out = String::with_capacity(html.len());
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    }

    pub fn code(&self) -> &'static str {
        self.0.code()
    }

    pub fn dir(&self) -> &'static str {
        if self.0 == Lang::Ar { "rtl" } else { "ltr" }
    }

    /// Local (Algerian) date and time.
    pub fn time(&self, ms: &i64) -> String {
        local(*ms).map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
    }

    pub fn day(&self, ms: &i64) -> String {
        local(*ms).map(|t| t.format("%d/%m").to_string()).unwrap_or_default()
    }

    pub fn status(&self, s: &str) -> String {
        self.t(&format!("panel-status-{}", s.to_ascii_lowercase()))
    }
}

/// Algeria keeps UTC+1 all year.
pub fn offset() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(3600).expect("valid offset")
}

fn local(ms: i64) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.with_timezone(&offset()))
}

/// Local midnight of the day holding `ms`.
pub fn day_start(ms: i64) -> i64 {
    let day = 24 * 3600 * 1000;
    let off = i64::from(offset().local_minus_utc()) * 1000;
    (ms + off).div_euclid(day) * day - off
}

/// `YYYY-MM-DD` (local) to the unix millis of that midnight.
pub fn parse_day(s: &str) -> Option<i64> {
    let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    let t = d.and_hms_opt(0, 0, 0)?.and_local_timezone(offset()).single()?;
    Some(t.timestamp_millis())
}

#[derive(Debug, thiserror::Error)]
pub enum PanelError {
    #[error("not logged in")]
    Unauthorized,
    #[error("not an admin")]
    Forbidden,
    #[error("login link invalid or used")]
    LinkInvalid,
    #[error("too many failed logins")]
    Throttled,
    #[error("not found")]
    NotFound,
    #[error("bad request")]
    BadRequest,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("template: {0}")]
    Template(#[from] askama::Error),
}

#[derive(askama::Template)]
#[template(path = "panel/error.html")]
struct ErrorPage {
    t: Tr,
    title: String,
    text: String,
}

impl IntoResponse for PanelError {
    fn into_response(self) -> Response {
        let (status, key) = match &self {
            PanelError::Unauthorized => (StatusCode::UNAUTHORIZED, "panel-error-login"),
            PanelError::Forbidden => (StatusCode::FORBIDDEN, "panel-error-forbidden"),
            PanelError::LinkInvalid => (StatusCode::UNAUTHORIZED, "panel-error-link"),
            PanelError::Throttled => (StatusCode::TOO_MANY_REQUESTS, "panel-error-throttled"),
            PanelError::NotFound => (StatusCode::NOT_FOUND, "panel-error-not-found"),
            PanelError::BadRequest => (StatusCode::BAD_REQUEST, "panel-error-bad-request"),
            PanelError::Store(_) | PanelError::Template(_) => {
                tracing::error!(error = %self, "panel page failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "panel-error-internal")
            }
        };
        // Who is asking is not known here: English, the fallback of every text.
        let t = Tr(Lang::En);
        let page = ErrorPage { t, title: t.t("panel-title"), text: t.t(key) };
        let body = askama::Template::render(&page).unwrap_or_default();
        (status, Html(body)).into_response()
    }
}

/// Renders a template into a page.
pub fn render(page: &impl askama::Template) -> Result<Html<String>, PanelError> {
    Ok(Html(page.render()?))
}

/// Headers on every panel response: no caching of shop data, no referrer (login links carry a
/// token), scripts only from here and Telegram, framing only by Telegram's web client.
pub async fn security_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: &'static str, v: &'static str| {
        h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
    };
    if !h.contains_key(CACHE_CONTROL) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    set(h, "referrer-policy", "no-referrer");
    set(h, "x-content-type-options", "nosniff");
    set(
        h,
        "content-security-policy",
        "default-src 'self'; script-src 'self' https://telegram.org; style-src 'self'; img-src 'self' data:; \
         frame-ancestors 'self' https://web.telegram.org; form-action 'self'; base-uri 'none'",
    );
    resp
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(CONTENT_TYPE, content_type), (CACHE_CONTROL, "max-age=3600")], body).into_response()
}

pub async fn css() -> Response {
    asset("text/css; charset=utf-8", include_str!("../../assets/panel/panel.css"))
}

pub async fn js() -> Response {
    asset("text/javascript; charset=utf-8", include_str!("../../assets/panel/panel.js"))
}

/// One bar of the daily sales chart, in SVG units.
#[derive(Debug, Clone)]
pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub h: i64,
    pub label: String,
}

pub const CHART_W: i64 = 300;
pub const CHART_H: i64 = 80;

/// Bars for `(day_start, amount)`, time running with the reading direction.
pub fn bars(t: &Tr, days: &[crate::store::panel::DaySales]) -> Vec<Bar> {
    let max = days.iter().map(|d| d.amount).max().unwrap_or(0).max(1);
    let n = i64::try_from(days.len()).unwrap_or(1).max(1);
    let step = CHART_W / n;
    days.iter()
        .enumerate()
        .map(|(i, d)| {
            let i = i64::try_from(i).unwrap_or(0);
            let slot = if t.dir() == "rtl" { n - 1 - i } else { i };
            let h = (d.amount * (CHART_H - 2) / max).max(i64::from(d.amount > 0));
            Bar {
                x: slot * step + 1,
                y: CHART_H - h,
                h,
                label: format!(
                    "{} · {} · {}",
                    t.day(&d.day_start),
                    t.n("panel-orders-n", &d.count),
                    t.money(&d.amount)
                ),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_start_at_algerian_midnight() {
        let noon = parse_day("2026-03-10").unwrap() + 12 * 3600 * 1000;
        assert_eq!(day_start(noon), parse_day("2026-03-10").unwrap());
        // 23:30 UTC is already the next day in Algeria.
        let late = chrono::DateTime::parse_from_rfc3339("2026-03-10T23:30:00Z").unwrap().timestamp_millis();
        assert_eq!(day_start(late), parse_day("2026-03-11").unwrap());
        assert_eq!(Tr(Lang::En).time(&late), "2026-03-11 00:30");
        assert_eq!(parse_day("2026-13-01"), None);
    }
}
