//! Updates by webhook, as a teloxide update listener, so they go through the same dispatcher and
//! per-chat lanes as polled ones. Not teloxide's `webhooks-axum` listener: it calls `setWebhook`
//! without the update kinds, deletes the webhook when it stops (Telegram would then drop what
//! arrives during a restart) and logs the raw body of an update it cannot parse (which may quote
//! a card code).
use super::readiness::Readiness;
use crate::config::Secret;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use std::convert::Infallible;
use std::future::Future as _;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use teloxide::stop::{StopFlag, StopToken, mk_stop_token};
use teloxide::types::{AllowedUpdate, Update};
use teloxide::update_listeners::{AsUpdateStream, UpdateListener};
use tokio::sync::mpsc;

pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// The HTTP side: checks the secret and hands the update to the listener.
#[derive(Clone)]
pub struct Inbox {
    tx: mpsc::UnboundedSender<Update>,
    secret: Secret,
    readiness: Arc<Readiness>,
}

/// The dispatcher side: yields what the inbox accepted; once stopped, refuses new updates
/// (Telegram keeps them for the next start) and yields those already accepted, then ends.
pub struct WebhookListener {
    rx: Option<mpsc::UnboundedReceiver<Update>>,
    token: StopToken,
    flag: Option<StopFlag>,
}

pub fn channel(secret: Secret, readiness: Arc<Readiness>) -> (WebhookListener, Inbox) {
    let (tx, rx) = mpsc::unbounded_channel();
    let (token, flag) = mk_stop_token();
    (WebhookListener { rx: Some(rx), token, flag: Some(flag) }, Inbox { tx, secret, readiness })
}

/// `POST <webhook path>`: 401 without the right secret (nothing handled); 200 as soon as the
/// update is queued; 503 once the bot is stopping, so Telegram delivers it again after the restart.
pub async fn receive(State(inbox): State<Inbox>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let given = headers.get(SECRET_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
    if !same_secret(given, inbox.secret.expose().as_bytes()) {
        return StatusCode::UNAUTHORIZED;
    }
    inbox.readiness.telegram_reached();
    match serde_json::from_slice::<Update>(&body) {
        Ok(update) => match inbox.tx.send(update) {
            Ok(()) => StatusCode::OK,
            Err(_) => StatusCode::SERVICE_UNAVAILABLE,
        },
        // Not even an update id: delivering it again would not help. The body is not logged.
        Err(e) => {
            tracing::error!(error = %e, bytes = body.len(), "webhook body is not an update; skipped");
            StatusCode::OK
        }
    }
}

/// Compares in time independent of where the first difference is.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len() && given.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

impl UpdateListener for WebhookListener {
    type Err = Infallible;

    fn stop_token(&mut self) -> StopToken {
        self.token.clone()
    }

    /// The kinds were given to `setWebhook` at start (see [`set_webhook`]).
    fn hint_allowed_updates(&mut self, _hint: &mut dyn Iterator<Item = AllowedUpdate>) {}
}

impl<'a> AsUpdateStream<'a> for WebhookListener {
    type StreamErr = Infallible;
    type Stream = WebhookStream;

    fn as_stream(&'a mut self) -> WebhookStream {
        let rx = self.rx.take().expect("the webhook listener is streamed once");
        let flag = self.flag.take().expect("the webhook listener is streamed once");
        WebhookStream { rx, flag: Some(flag) }
    }
}

pub struct WebhookStream {
    rx: mpsc::UnboundedReceiver<Update>,
    flag: Option<StopFlag>,
}

impl futures_core::Stream for WebhookStream {
    type Item = Result<Update, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(flag) = &mut self.flag
            && Pin::new(flag).poll(cx).is_ready()
        {
            // New deliveries now get 503; what is queued still comes out, then `None`.
            self.rx.close();
            self.flag = None;
        }
        self.rx.poll_recv(cx).map(|u| u.map(Ok))
    }
}

/// Points Telegram at `url` with our secret and update kinds, keeping pending updates.
pub async fn set_webhook(
    bot: &teloxide::Bot,
    url: &url::Url,
    secret: &Secret,
    kinds: &[AllowedUpdate],
) -> Result<(), teloxide::RequestError> {
    use teloxide::prelude::Requester;
    use teloxide::requests::{HasPayload, Request};
    let mut req = bot.set_webhook(url.clone());
    let payload = req.payload_mut();
    payload.secret_token = Some(secret.expose().to_owned());
    payload.allowed_updates = Some(kinds.to_vec());
    payload.drop_pending_updates = Some(false);
    req.send().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc"));
        assert!(!same_secret(b"ab", b"abc"));
        assert!(!same_secret(b"", b"abc"));
    }
}
