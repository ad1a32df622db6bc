//! Telegram requests whose answer we read only for a message id, or not at all. teloxide parses
//! each sent or edited message in full (every field, through serde's buffered untagged content);
//! these send teloxide's own payloads and keep its errors, but read the answer into less.
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;
use std::time::Duration;
use teloxide::payloads::{EditMessageReplyMarkup, EditMessageText, SendMessage};
use teloxide::requests::{HasPayload, JsonRequest, Payload};
use teloxide::types::{ChatId, InlineKeyboardMarkup, MessageId, ParseMode};

/// A teloxide payload sent as it is, whose answer is read as `O`.
#[derive(Serialize)]
#[serde(transparent)]
pub struct Lean<P, O> {
    payload: P,
    #[serde(skip)]
    answer: PhantomData<fn() -> O>,
}

impl<P: Payload, O> Payload for Lean<P, O> {
    type Output = O;
    const NAME: &'static str = P::NAME;

    fn timeout_hint(&self) -> Option<Duration> {
        self.payload.timeout_hint()
    }
}

/// All we read of a message we sent.
#[derive(Debug, Deserialize, PartialEq)]
pub struct Sent {
    message_id: i32,
}

impl Sent {
    pub fn id(&self) -> MessageId {
        MessageId(self.message_id)
    }
}

pub type SendHtml = JsonRequest<Lean<SendMessage, Sent>>;
/// An edit answers the message or `true`; neither is needed.
pub type EditHtml = JsonRequest<Lean<EditMessageText, IgnoredAny>>;
pub type DropKeyboard = JsonRequest<Lean<EditMessageReplyMarkup, IgnoredAny>>;

fn lean<P, O>(bot: &teloxide::Bot, payload: P) -> JsonRequest<Lean<P, O>> {
    JsonRequest::new(bot.clone(), Lean { payload, answer: PhantomData })
}

pub fn html_message(bot: &teloxide::Bot, chat: ChatId, text: String, kb: Option<InlineKeyboardMarkup>) -> SendHtml {
    let mut p = SendMessage::new(chat, text);
    p.parse_mode = Some(ParseMode::Html);
    p.reply_markup = kb.map(Into::into);
    lean(bot, p)
}

pub fn html_edit(
    bot: &teloxide::Bot,
    chat: ChatId,
    msg: MessageId,
    text: String,
    kb: Option<InlineKeyboardMarkup>,
) -> EditHtml {
    let mut p = EditMessageText::new(chat, msg, text);
    p.parse_mode = Some(ParseMode::Html);
    p.reply_markup = kb;
    lean(bot, p)
}

/// What an edit would have shown, taken back to send it as a new message instead.
pub fn take_parts(req: &mut EditHtml) -> (String, Option<InlineKeyboardMarkup>) {
    let p = &mut req.payload_mut().payload;
    (std::mem::take(&mut p.text), p.reply_markup.take())
}

pub fn drop_keyboard(bot: &teloxide::Bot, chat: ChatId, msg: MessageId) -> DropKeyboard {
    lean(bot, EditMessageReplyMarkup::new(chat, msg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use teloxide::types::InlineKeyboardButton;

    #[test]
    fn requests_go_out_as_teloxide_would_send_them() {
        let bot = teloxide::Bot::new("1:test");
        let kb = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("Confirm", "c")]]);
        let ours = html_message(&bot, ChatId(5), "<b>hi</b>".into(), Some(kb.clone()));
        let mut theirs = SendMessage::new(ChatId(5), "<b>hi</b>");
        theirs.parse_mode = Some(ParseMode::Html);
        theirs.reply_markup = Some(kb.clone().into());
        assert_eq!(serde_json::to_value(ours.payload_ref()).unwrap(), serde_json::to_value(&theirs).unwrap());
        assert_eq!(<Lean<SendMessage, Sent> as Payload>::NAME, SendMessage::NAME);
        assert_eq!(<Lean<EditMessageText, IgnoredAny> as Payload>::NAME, EditMessageText::NAME);
        assert_eq!(<Lean<EditMessageReplyMarkup, IgnoredAny> as Payload>::NAME, EditMessageReplyMarkup::NAME);

        let mut edit = html_edit(&bot, ChatId(5), MessageId(9), "<i>x</i>".into(), Some(kb.clone()));
        let json = serde_json::to_value(edit.payload_ref()).unwrap();
        assert_eq!(json["chat_id"], 5);
        assert_eq!(json["message_id"], 9);
        assert_eq!(json["parse_mode"], "HTML");
        assert_eq!(json["reply_markup"]["inline_keyboard"][0][0]["callback_data"], "c");
        assert_eq!(take_parts(&mut edit), ("<i>x</i>".to_owned(), Some(kb)));

        let drop = drop_keyboard(&bot, ChatId(5), MessageId(9));
        let json = serde_json::to_value(drop.payload_ref()).unwrap();
        assert_eq!(json, serde_json::json!({ "chat_id": 5, "message_id": 9 }));
    }

    #[test]
    fn only_the_message_id_is_read_of_an_answer() {
        let message = serde_json::json!({
            "message_id": 42, "date": 0, "text": "hi",
            "chat": { "id": 5, "type": "private", "first_name": "A" },
            "from": { "id": 1, "is_bot": true, "first_name": "B" },
            "reply_markup": { "inline_keyboard": [[{ "text": "Confirm", "callback_data": "c" }]] },
        });
        let sent: Sent = serde_json::from_value(message.clone()).unwrap();
        assert_eq!(sent.id(), MessageId(42));
        assert!(serde_json::from_value::<Sent>(serde_json::json!({ "date": 0 })).is_err(), "no id, no message");
        serde_json::from_value::<IgnoredAny>(message).unwrap();
        serde_json::from_value::<IgnoredAny>(serde_json::json!(true)).unwrap();
    }
}
