//! The order wizard: type → number → value → confirm. Confirm writes the order and its hold in
//! one transaction and hands it to the tracker; nothing here waits for OneClickDZ to deliver.
use super::notify;
use super::state::State;
use super::turn::Turn;
use super::{BotError, HandlerResult, keyboards, render, ui};
use crate::catalog::{BalanceAlert, Offer};
use crate::domain::order::new_order_ref;
use crate::domain::{CardType, Dinars, PhoneNumber};
use crate::oneclick::OneClickError;
use crate::store::{NewOrder, PlaceOutcome, now_ms};
use crate::tr;
use crate::workers::notifier::Alert;
use teloxide::prelude::*;
use teloxide::types::{ChatAction, MessageId};

const RECENT_NUMBERS: i64 = 3;
/// A wait longer than this shows "typing…" in the chat.
const TYPING_AFTER: std::time::Duration = std::time::Duration::from_millis(300);

/// What the customer is buying, as far as the wizard got.
struct Draft {
    card_type: CardType,
    number: PhoneNumber,
}

impl Turn<'_> {
    /// Shows `text` in the wizard's message (or a new one) and returns the message's id.
    async fn show(
        &self,
        here: Option<MessageId>,
        text: String,
        kb: Option<teloxide::types::InlineKeyboardMarkup>,
    ) -> Result<MessageId, BotError> {
        Ok(ui::edit_or_send(self.bot, self.chat, here, text, kb).await?)
    }

    /// Ends the wizard with a message and the main menu.
    async fn finish(&self, here: Option<MessageId>, text: String) -> HandlerResult {
        self.dlg.update(State::Idle).await?;
        self.show(here, text, Some(keyboards::main_menu(self.user.language))).await?;
        Ok(())
    }

    /// Customers meet "back soon" while the shop is closed; admins keep working.
    async fn closed(&self, here: Option<MessageId>) -> Result<bool, BotError> {
        if !self.ctx.in_maintenance() || self.ctx.cfg.is_admin(self.user.id) {
            return Ok(false);
        }
        self.dlg.update(State::Idle).await?;
        self.show(here, tr!(self.user.language, "maintenance"), None).await?;
        Ok(true)
    }

    /// Offers for this customer's tier; tells admins once when the shop's balance hides a value.
    async fn offers(&self, t: CardType, fresh: bool) -> Option<Vec<Offer>> {
        match self.ctx.catalog.offers(t, self.user.role.tier(), fresh).await {
            Ok((offers, alert)) => {
                match alert {
                    BalanceAlert::None => {}
                    BalanceAlert::BecameLow { balance, needed } => {
                        notify::admins_low_balance(self.bot, self.ctx, t, balance, needed).await
                    }
                    BalanceAlert::Recovered { balance } => {
                        notify::admins_balance_recovered(self.bot, self.ctx, balance).await
                    }
                }
                for b in self.ctx.catalog.take_below_cost() {
                    let below =
                        Alert::BelowCost { card_type: b.card_type, value: b.value, price: b.price, cost: b.cost };
                    notify::alert(self.bot, self.ctx, below).await;
                }
                Some(offers)
            }
            Err(e) => {
                tracing::warn!(error = %e, "products unavailable");
                None
            }
        }
    }

    /// The offer for `value`, or the value list again with a notice when it is gone. `None` means
    /// the turn has been answered already.
    async fn offer_or_values(
        &self,
        here: Option<MessageId>,
        draft: Draft,
        value: Dinars,
        fresh: bool,
    ) -> Result<Option<(Draft, Offer)>, BotError> {
        let Some(offers) = self.offers(draft.card_type, fresh).await else {
            self.finish(here, tr!(self.user.language, "service-unavailable")).await?;
            return Ok(None);
        };
        match offers.iter().find(|o| o.value == value) {
            Some(offer) => Ok(Some((draft, *offer))),
            None => {
                let notice = tr!(self.user.language, "order-value-gone", value = crate::i18n::card_value(value));
                self.show_values(here, draft, &offers, Some(notice)).await?;
                Ok(None)
            }
        }
    }

    async fn show_number_step(&self, msg: MessageId, t: CardType) -> HandlerResult {
        let lang = self.user.language;
        let recent = self.ctx.store.recent_numbers(self.user.id, t, RECENT_NUMBERS).await?;
        let mut text = render::number_prompt(lang, t);
        if !recent.is_empty() {
            text.push_str("\n\n");
            text.push_str(&tr!(lang, "order-recent-numbers"));
        }
        let msg = self.show(Some(msg), text, Some(keyboards::number_step(lang, &recent))).await?;
        self.dlg.update(State::EnteringNumber { msg, card_type: t }).await?;
        Ok(())
    }

    /// A well-formed number: OneClickDZ confirms it belongs to the service, then the values follow.
    async fn accept_number(&self, here: Option<MessageId>, t: CardType, number: PhoneNumber) -> HandlerResult {
        let lang = self.user.language;
        if self.closed(here).await? {
            return Ok(());
        }
        let checked = {
            let check = self.ctx.catalog.client().check_number(t, number.as_str());
            tokio::pin!(check);
            // "typing…" only when the customer would notice the wait; a quick answer needs none.
            tokio::select! {
                r = &mut check => r,
                _ = tokio::time::sleep(TYPING_AFTER) => {
                    let _ = self.bot.send_chat_action(self.chat, ChatAction::Typing).await;
                    check.await
                }
            }
        };
        match checked {
            Ok(_) => {}
            Err(OneClickError::InvalidPhone { .. }) => {
                let text = tr!(lang, "phone-rejected", kind = render::card_type(lang, t), number = number.as_str());
                let msg = self.show(here, text, Some(keyboards::number_step(lang, &[]))).await?;
                self.dlg.update(State::EnteringNumber { msg, card_type: t }).await?;
                return Ok(());
            }
            // The check only saves a failed send; if it cannot run, the send still validates.
            Err(e) => tracing::warn!(error = %e, "check-number unavailable; continuing"),
        }
        let Some(offers) = self.offers(t, false).await else {
            return self.finish(here, tr!(lang, "service-unavailable")).await;
        };
        let draft = Draft { card_type: t, number };
        self.show_values(here, draft, &offers, None).await
    }

    async fn show_values(
        &self,
        here: Option<MessageId>,
        draft: Draft,
        offers: &[Offer],
        notice: Option<String>,
    ) -> HandlerResult {
        let lang = self.user.language;
        let kind = render::card_type(lang, draft.card_type);
        if offers.is_empty() {
            return self.finish(here, tr!(lang, "order-no-values", kind = kind)).await;
        }
        let mut text = notice.map(|n| n + "\n\n").unwrap_or_default();
        text.push_str(&tr!(lang, "order-choose-value", kind = kind, number = draft.number.as_str().to_owned()));
        let msg = self.show(here, text, Some(keyboards::values(lang, offers))).await?;
        let state = State::ChoosingValue { msg, card_type: draft.card_type, number: draft.number };
        self.dlg.update(state).await?;
        Ok(())
    }

    async fn show_summary(
        &self,
        here: Option<MessageId>,
        draft: Draft,
        offer: Offer,
        notice: Option<String>,
    ) -> HandlerResult {
        let balance = self.ctx.store.balances(self.user.id).await?.balance;
        let mut text = notice.map(|n| n + "\n\n").unwrap_or_default();
        let lang = self.user.language;
        text.push_str(&render::summary(
            lang,
            draft.card_type,
            draft.number.as_str(),
            offer.value,
            offer.price,
            balance,
        ));
        let msg = self.show(here, text, Some(keyboards::confirm(lang))).await?;
        let order_ref = new_order_ref(self.user.id, now_ms(), rand::random());
        let state = State::Confirming {
            msg,
            card_type: draft.card_type,
            number: draft.number,
            value: offer.value,
            price: offer.price,
            order_ref,
        };
        self.dlg.update(state).await?;
        Ok(())
    }
}

pub async fn begin(t: &Turn<'_>, here: Option<MessageId>) -> HandlerResult {
    if t.closed(here).await? {
        return Ok(());
    }
    let lang = t.user.language;
    let msg = t.show(here, tr!(lang, "order-choose-type"), Some(keyboards::card_types(lang))).await?;
    t.dlg.update(State::ChoosingType { msg }).await?;
    Ok(())
}

pub async fn type_chosen(t: &Turn<'_>, msg: MessageId, card_type: CardType) -> HandlerResult {
    if t.closed(Some(msg)).await? {
        return Ok(());
    }
    t.show_number_step(msg, card_type).await
}

/// The customer typed (or sent something instead of) a number.
pub async fn number_typed(t: &Turn<'_>, wizard: MessageId, card_type: CardType, text: Option<&str>) -> HandlerResult {
    let lang = t.user.language;
    let Some(text) = text else {
        let example = render::example_number(card_type);
        ui::send(t.bot, t.chat, tr!(lang, "phone-send-text", example = example), None).await?;
        return Ok(());
    };
    match PhoneNumber::parse(card_type, text) {
        Err(e) => {
            ui::send(t.bot, t.chat, render::phone_error(lang, card_type, e), None).await?;
            Ok(())
        }
        Ok(number) => {
            // The answer goes in a new message below the customer's; the old step loses its buttons.
            ui::drop_keyboard(t.bot, t.chat, wizard).await;
            t.accept_number(None, card_type, number).await
        }
    }
}

/// A recently used number was tapped.
pub async fn number_chosen(t: &Turn<'_>, msg: MessageId, card_type: CardType, n: &str) -> HandlerResult {
    match PhoneNumber::parse(card_type, n) {
        Ok(number) => t.accept_number(Some(msg), card_type, number).await,
        Err(e) => {
            ui::send(t.bot, t.chat, render::phone_error(t.user.language, card_type, e), None).await?;
            Ok(())
        }
    }
}

pub async fn value_chosen(
    t: &Turn<'_>,
    msg: MessageId,
    card_type: CardType,
    number: PhoneNumber,
    value: Dinars,
) -> HandlerResult {
    if t.closed(Some(msg)).await? {
        return Ok(());
    }
    if let Some((draft, offer)) = t.offer_or_values(Some(msg), Draft { card_type, number }, value, false).await? {
        t.show_summary(Some(msg), draft, offer, None).await?;
    }
    Ok(())
}

/// Straight to the summary of a known card in a new message (Buy again): the same steps as a
/// value tapped in the wizard, so Confirm, Back and Cancel work as in any order; the value list
/// with a notice when that value is not on offer now.
pub async fn summary_for(t: &Turn<'_>, card_type: CardType, number: PhoneNumber, value: Dinars) -> HandlerResult {
    if t.closed(None).await? {
        return Ok(());
    }
    if let Some((draft, offer)) = t.offer_or_values(None, Draft { card_type, number }, value, false).await? {
        t.show_summary(None, draft, offer, None).await?;
    }
    Ok(())
}

pub async fn confirm(t: &Turn<'_>, msg: MessageId, state: State) -> HandlerResult {
    let State::Confirming { card_type, number, value, price, order_ref, .. } = state else { return Ok(()) };
    let lang = t.user.language;
    // Leave the step first: a second press (or a second device) now finds no confirm to act on.
    // Every way on from here edits this message, which takes its buttons away.
    t.dlg.update(State::Idle).await?;
    if t.closed(Some(msg)).await? {
        return Ok(());
    }
    // Stock and prices are checked afresh: the summary may have been on screen for a while.
    let Some((draft, offer)) = t.offer_or_values(Some(msg), Draft { card_type, number }, value, true).await? else {
        return Ok(());
    };
    if offer.price != price {
        return t.show_summary(Some(msg), draft, offer, Some(tr!(lang, "order-price-changed"))).await;
    }
    let new = NewOrder {
        r#ref: order_ref,
        user_id: t.user.id,
        chat_id: t.chat.0,
        message_id: Some(msg.0),
        card_type,
        number: draft.number.as_str().to_owned(),
        value,
        price,
        cost: Some(offer.cost),
        fast_window_ms: t.ctx.cfg.order_fast_poll_window.as_millis() as i64,
    };
    match t.ctx.store.place_order_with_hold(&new).await? {
        PlaceOutcome::Placed { order, .. } => {
            tracing::info!(order_ref = %order.r#ref, id = order.id, "order placed");
            let text = render::order_message(lang, &order, None, None);
            crate::metrics::order_placed();
            t.ctx.placed.placed(order);
            // Placed and held: a failed edit must not reach the router, whose "nothing was charged,
            // try again" would be untrue here. The tracker updates this message as the order moves.
            if let Err(e) = t.show(Some(msg), text, None).await {
                tracing::warn!(error = %e, "could not show the order just placed");
            }
        }
        PlaceOutcome::Duplicate(order) => tracing::info!(order_ref = %order.r#ref, "duplicate confirm ignored"),
        PlaceOutcome::InsufficientFunds { available } => {
            let text = render::insufficient(lang, available, price, &t.ctx.cfg.support_contact);
            t.show(Some(msg), text, Some(keyboards::with_topup(lang, t.ctx.cfg.topup.enabled()))).await?;
        }
    }
    Ok(())
}

pub async fn back(t: &Turn<'_>, msg: MessageId, state: State) -> HandlerResult {
    match state {
        State::EnteringNumber { .. } => begin(t, Some(msg)).await,
        State::ChoosingValue { card_type, .. } => t.show_number_step(msg, card_type).await,
        State::Confirming { card_type, number, .. } => match t.offers(card_type, false).await {
            Some(offers) => t.show_values(Some(msg), Draft { card_type, number }, &offers, None).await,
            None => cancel(t, Some(msg)).await,
        },
        _ => cancel(t, Some(msg)).await,
    }
}

/// `/cancel` or the Cancel button, at any step: back to the menu, nothing kept.
pub async fn cancel(t: &Turn<'_>, here: Option<MessageId>) -> HandlerResult {
    t.finish(here, tr!(t.user.language, "order-cancelled")).await
}
