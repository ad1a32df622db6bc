//! The Telegram side: the only layer that knows teloxide. Handlers turn an update into calls on
//! the store and catalog and a reply; they never wait for an order to finish.
pub mod account;
pub mod admin;
pub mod callback;
pub mod commands;
pub mod dispatch;
pub mod keyboards;
pub mod lookup;
pub mod notify;
pub mod order_flow;
pub mod panel_link;
pub mod render;
pub mod reorder;
pub mod requests;
pub mod schema;
pub mod setup;
pub mod state;
pub mod stats;
pub mod tg;
pub mod topup;
pub mod turn;
pub mod ui;

pub use crate::shop::Ctx;
pub use tg::Tg;

pub type BotError = Box<dyn std::error::Error + Send + Sync>;
pub type HandlerResult = Result<(), BotError>;
