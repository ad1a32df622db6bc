//! `/panel`: the way into the admin panel from the chat. A one-time login link for a browser, and
//! when `PUBLIC_URL` is https (Telegram opens Web Apps only there) a button opening the panel as a
//! Web App; the same Web App as the admins' chat menu button.
use super::turn::Turn;
use super::{Ctx, HandlerResult, Tg, ui};
use crate::i18n::{Lang, html_escape};
use crate::panel::{LOGIN_LINK_TTL_MS, PanelConfig};
use crate::tr;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, MenuButton, WebAppInfo};

/// The panel's entry page when Telegram can open it as a Web App (https only).
fn web_app(panel: &PanelConfig) -> Option<WebAppInfo> {
    let url = panel.web_app_url().filter(|u| u.starts_with("https://"))?;
    Some(WebAppInfo { url: url.parse().ok()? })
}

/// The reply's buttons: the Web App, and the login link as a URL button (https only as well:
/// Telegram refuses buttons to local addresses, and the link is in the text anyway).
fn keyboard(lang: Lang, panel: &PanelConfig, link: &str) -> Option<InlineKeyboardMarkup> {
    let app = web_app(panel)?;
    let mut rows = vec![vec![InlineKeyboardButton::web_app(tr!(lang, "panel-open-button"), app)]];
    if let Ok(url) = link.parse() {
        rows.push(vec![InlineKeyboardButton::url(tr!(lang, "panel-browser-button"), url)]);
    }
    Some(InlineKeyboardMarkup::new(rows))
}

/// Admins only (the router answers anyone else as for an unknown command).
pub async fn command(t: &Turn<'_>) -> HandlerResult {
    let lang = t.user.language;
    let panel = crate::http::panel_config(&t.ctx.cfg);
    // The panel is served only by the HTTP server, and its links need the public address.
    let link = match t.ctx.cfg.http_listen {
        Some(_) if panel.public_url.is_some() => {
            let token = t.ctx.store.create_login_token(t.user.id, LOGIN_LINK_TTL_MS).await?;
            panel.login_link(&token)
        }
        _ => None,
    };
    let Some(link) = link else {
        ui::send(t.bot, t.chat, tr!(lang, "panel-unavailable"), None).await?;
        return Ok(());
    };
    let kb = keyboard(lang, &panel, &link);
    ui::send(t.bot, t.chat, tr!(lang, "panel-link", link = html_escape(&link)), kb).await?;
    Ok(())
}

/// Gives each admin's chat a menu button opening the panel, when it can be opened as a Web App.
/// Failures are logged: `/panel` works without it.
pub async fn set_menu_buttons(bot: &Tg, ctx: &Ctx) {
    let panel = crate::http::panel_config(&ctx.cfg);
    let Some(app) = web_app(&panel).filter(|_| ctx.cfg.http_listen.is_some()) else { return };
    for admin in &ctx.cfg.admin_ids {
        let lang = ctx.store.user(*admin).await.ok().flatten().map_or(ctx.cfg.default_language, |u| u.language);
        let button = MenuButton::WebApp { text: tr!(lang, "panel-menu-button"), web_app: app.clone() };
        if let Err(e) = bot.set_chat_menu_button().chat_id(ChatId(*admin)).menu_button(button).await {
            tracing::warn!(error = %e, "setChatMenuButton failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panel(public_url: Option<&str>) -> PanelConfig {
        PanelConfig {
            bot_token: "1:a".into(),
            admin_ids: vec![1],
            session_secs: 3600,
            public_url: public_url.map(str::to_owned),
        }
    }

    #[test]
    fn only_an_https_panel_gets_web_app_buttons() {
        let https = panel(Some("https://shop.example.com"));
        let kb = keyboard(Lang::En, &https, "https://shop.example.com/admin/login/abc").expect("buttons");
        let json = serde_json::to_value(&kb).unwrap();
        assert_eq!(json["inline_keyboard"][0][0]["web_app"]["url"], "https://shop.example.com/admin");
        assert_eq!(json["inline_keyboard"][1][0]["url"], "https://shop.example.com/admin/login/abc");

        let http = panel(Some("http://127.0.0.1:8080"));
        assert!(keyboard(Lang::En, &http, "http://127.0.0.1:8080/admin/login/abc").is_none());
        assert!(web_app(&panel(None)).is_none());
    }
}
