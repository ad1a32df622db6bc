//! Sending and editing HTML messages, with Telegram's harmless errors handled in one place.
use super::{Tg, requests};
use serde::de::IgnoredAny;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, MessageId};
use teloxide::{ApiError, RequestError};

pub async fn send(
    bot: &Tg,
    chat: ChatId,
    text: String,
    kb: Option<InlineKeyboardMarkup>,
) -> Result<MessageId, RequestError> {
    bot.send_html(chat, text, kb).await
}

/// How an edit went. An identical edit is success: the chat already shows that text.
#[derive(Debug)]
pub enum Edited {
    Done,
    /// The message is gone or too old to edit; the caller may send a new one.
    Gone,
}

fn edited(res: Result<IgnoredAny, RequestError>) -> Result<Edited, RequestError> {
    match res {
        Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(Edited::Done),
        Err(RequestError::Api(
            ApiError::MessageToEditNotFound | ApiError::MessageCantBeEdited | ApiError::MessageIdInvalid,
        )) => Ok(Edited::Gone),
        Err(e) => Err(e),
    }
}

pub async fn edit(
    bot: &Tg,
    chat: ChatId,
    msg: MessageId,
    text: String,
    kb: Option<InlineKeyboardMarkup>,
) -> Result<Edited, RequestError> {
    edited(requests::html_edit(bot, chat, msg, text, kb).send().await)
}

/// Edits in place, or sends a fresh message when the old one cannot be edited. Returns the id
/// of the message that now shows the text.
pub async fn edit_or_send(
    bot: &Tg,
    chat: ChatId,
    msg: Option<MessageId>,
    text: String,
    kb: Option<InlineKeyboardMarkup>,
) -> Result<MessageId, RequestError> {
    let Some(id) = msg else { return send(bot, chat, text, kb).await };
    let mut req = requests::html_edit(bot, chat, id, text, kb);
    match edited(req.send_ref().await)? {
        Edited::Done => Ok(id),
        Edited::Gone => {
            let (text, kb) = requests::take_parts(&mut req);
            send(bot, chat, text, kb).await
        }
    }
}

/// Removes the buttons of a message (a finished step); failure only means they stay visible.
pub async fn drop_keyboard(bot: &Tg, chat: ChatId, msg: MessageId) {
    if let Err(e) = requests::drop_keyboard(bot, chat, msg).send().await
        && !matches!(e, RequestError::Api(ApiError::MessageNotModified))
    {
        tracing::debug!(error = %e, "could not remove a keyboard");
    }
}

/// The user can no longer be reached: they blocked the bot or deleted their account.
pub fn is_unreachable(e: &RequestError) -> bool {
    matches!(
        e,
        RequestError::Api(
            ApiError::BotBlocked | ApiError::UserDeactivated | ApiError::ChatNotFound | ApiError::BotKicked
        )
    )
}

/// A handler failed: the user is told in their language that nothing was charged and to try
/// again, instead of silence. A pressed button's query is answered too (it usually is already,
/// before the work began; then Telegram refuses the second answer, which changes nothing).
pub async fn tell_failure(bot: &Tg, upd: &teloxide::types::Update, lang: crate::i18n::Lang) {
    use teloxide::types::UpdateKind;
    let text = crate::tr!(lang, "error-generic");
    if let UpdateKind::CallbackQuery(q) = &upd.kind {
        let _ = bot.answer_callback_query(q.id.clone()).text(text.clone()).await;
    }
    if let Some(chat) = upd.chat()
        && let Err(e) = send(bot, chat.id, text, Some(super::keyboards::main_menu(lang))).await
    {
        tracing::debug!(error = %e, "could not tell the user about a failure");
    }
}
