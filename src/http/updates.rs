//! Where updates come from: long polling, or the webhook. One listener type for both, so the
//! dispatcher (and its per-chat lanes) is the same whichever is configured.
use super::webhook::{WebhookListener, WebhookStream};
use std::pin::Pin;
use std::task::{Context, Poll};
use teloxide::RequestError;
use teloxide::stop::StopToken;
use teloxide::types::{AllowedUpdate, Update};
use teloxide::update_listeners::{AsUpdateStream, Polling, UpdateListener};

pub enum UpdateSource {
    Polling(Polling<teloxide::Bot>),
    Webhook(WebhookListener),
}

impl UpdateListener for UpdateSource {
    type Err = RequestError;

    fn stop_token(&mut self) -> StopToken {
        match self {
            UpdateSource::Polling(p) => p.stop_token(),
            UpdateSource::Webhook(w) => w.stop_token(),
        }
    }

    fn hint_allowed_updates(&mut self, hint: &mut dyn Iterator<Item = AllowedUpdate>) {
        match self {
            UpdateSource::Polling(p) => p.hint_allowed_updates(hint),
            UpdateSource::Webhook(w) => w.hint_allowed_updates(hint),
        }
    }
}

type PollingStream<'a> = <Polling<teloxide::Bot> as AsUpdateStream<'a>>::Stream;

pub enum SourceStream<'a> {
    Polling(Pin<Box<PollingStream<'a>>>),
    Webhook(WebhookStream),
}

impl<'a> AsUpdateStream<'a> for UpdateSource {
    type StreamErr = RequestError;
    type Stream = SourceStream<'a>;

    fn as_stream(&'a mut self) -> SourceStream<'a> {
        match self {
            UpdateSource::Polling(p) => SourceStream::Polling(Box::pin(p.as_stream())),
            UpdateSource::Webhook(w) => SourceStream::Webhook(w.as_stream()),
        }
    }
}

impl futures_core::Stream for SourceStream<'_> {
    type Item = Result<Update, RequestError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.get_mut() {
            SourceStream::Polling(p) => p.as_mut().poll_next(cx),
            SourceStream::Webhook(w) => Pin::new(w).poll_next(cx).map(|u| u.map(|r| r.map_err(|e| match e {}))),
        }
    }
}
