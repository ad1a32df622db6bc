//! Command menus: one per language, and a longer one in each admin's chat.
use super::commands::Command;
use super::{Ctx, Tg};
use crate::i18n::Lang;
use crate::tr;
use teloxide::prelude::*;
use teloxide::types::{BotCommand, BotCommandScope, Recipient};

fn commands(lang: Lang, admin: bool, topups: bool) -> Vec<BotCommand> {
    let customer = Command::CUSTOMER.into_iter().filter(|c| *c != Command::Start);
    let list: Vec<Command> = if admin { customer.chain(Command::ADMIN).collect() } else { customer.collect() };
    // A shop without top-ups sees no change.
    let list = list.into_iter().filter(|c| topups || !matches!(c, Command::Topup | Command::Topups));
    list.map(|c| BotCommand::new(c.name(), tr!(lang, &format!("cmd-{}", c.name())))).collect()
}

/// Registers the customer menu for every language (and as the default), and the admin menu in
/// each admin's private chat. Failures are logged: the bot works without menus.
pub async fn register_commands(bot: &Tg, ctx: &Ctx) {
    let mut calls = Vec::new();
    calls.push(bot.set_my_commands(commands(ctx.cfg.default_language, false, ctx.cfg.topup.enabled())));
    for lang in Lang::ALL {
        calls.push(bot.set_my_commands(commands(lang, false, ctx.cfg.topup.enabled())).language_code(lang.code()));
    }
    for call in calls {
        if let Err(e) = call.await {
            tracing::warn!(error = %e, "setMyCommands failed");
        }
    }
    for admin in &ctx.cfg.admin_ids {
        let lang = ctx.store.user(*admin).await.ok().flatten().map_or(ctx.cfg.default_language, |u| u.language);
        set_chat_commands(bot, ctx, *admin, lang).await;
    }
}

/// A user's own chat gets the menu in the language they chose with /language (Telegram otherwise
/// picks by the app's language), the admin menu for admins. A scope takes one list, so a change of
/// language registers it again.
pub async fn set_chat_commands(bot: &Tg, ctx: &Ctx, user_id: i64, lang: Lang) {
    let scope = BotCommandScope::Chat { chat_id: Recipient::Id(ChatId(user_id)) };
    if let Err(e) =
        bot.set_my_commands(commands(lang, ctx.cfg.is_admin(user_id), ctx.cfg.topup.enabled())).scope(scope).await
    {
        tracing::warn!(error = %e, "setMyCommands for a chat failed");
    }
}
