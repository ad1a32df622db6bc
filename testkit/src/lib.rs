//! Test support for netcard-bot, shared by the end-to-end tests and the load benchmark: fake
//! Telegram Bot API and OneClickDZ API servers (real HTTP servers on 127.0.0.1 that the real
//! client libraries talk to), the bot binary as a child process, and the checks of the locale
//! files and of the sources. It does not depend on the bot, so the bot can dev-depend on it.

pub mod fake_ocpay;
pub mod fake_oneclick;
pub mod fake_telegram;
pub mod ftl;
pub mod process;
pub mod prometheus;
pub mod source_scan;

pub use fake_ocpay::{CreateFault, FakeOcpay, PayScript};
pub use fake_oneclick::{FakeOneClick, ListFault, Script};
pub use fake_telegram::{BotMessage, Call, CommandSet, CopyRecord, FakeTelegram, FloodLimits, TgUser, Webhook};
pub use process::BotProcess;

/// Serves `app` on `listener` until the returned sender is used or dropped (the fakes' drop).
fn serve(listener: tokio::net::TcpListener, app: axum::Router) -> tokio::sync::oneshot::Sender<()> {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
    });
    tx
}
