//! The one context every handler takes: who is talking, where, their dialogue, and the handles to
//! answer with. Built once per update by the router.
use super::state::Dlg;
use super::{Ctx, Tg};
use crate::store::Member;
use teloxide::types::ChatId;

pub struct Turn<'a> {
    pub bot: &'a Tg,
    pub ctx: &'a Ctx,
    pub user: &'a Member,
    pub dlg: &'a Dlg,
    pub chat: ChatId,
}
