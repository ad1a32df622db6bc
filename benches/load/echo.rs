//! The framework's ceiling: a minimal teloxide bot (same teloxide, same release profile, same
//! long polling and dispatcher defaults as netcard-bot) that answers every update with one
//! sendMessage and stores nothing. The benchmark runs its own binary with `--echo-bot` to get it.
use std::time::Duration;
use teloxide::prelude::*;
use teloxide::update_listeners::Polling;

pub fn main() {
    // As `#[tokio::main]` in netcard-bot: the multi-threaded runtime, one worker per usable core.
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime").block_on(run());
}

async fn run() {
    let token = std::env::var("TELOXIDE_TOKEN").expect("TELOXIDE_TOKEN");
    let url = std::env::var("TELOXIDE_API_URL").expect("TELOXIDE_API_URL");
    let bot = Bot::new(token).set_api_url(url.parse().expect("TELOXIDE_API_URL"));
    // ECHO_DELAY_MS: wait before answering, like a handler waiting on a database or an API, so
    // that many chats are being served at once (to see what that costs the framework).
    let delay = Duration::from_millis(std::env::var("ECHO_DELAY_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(0));
    let handler = dptree::entry()
        .branch(Update::filter_message().endpoint(move |bot: Bot, msg: Message| async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            bot.send_message(msg.chat.id, "echo").await?;
            Ok::<(), teloxide::RequestError>(())
        }))
        .branch(Update::filter_callback_query().endpoint(move |bot: Bot, q: CallbackQuery| async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if let Some(m) = &q.message {
                bot.send_message(m.chat().id, "echo").await?;
            }
            Ok::<(), teloxide::RequestError>(())
        }));
    Dispatcher::builder(bot.clone(), handler)
        .default_handler(|_| async {})
        .build()
        .dispatch_with_listener(
            Polling::builder(bot).timeout(Duration::from_secs(10)).build(),
            LoggingErrorHandler::with_custom_text("update listener error"),
        )
        .await;
}
