//! netcard-bot: a Telegram shop for Idoom ADSL and 4G recharge cards bought on OneClickDZ.
pub mod app;
pub mod bot;
pub mod catalog;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod i18n;
pub mod oneclick;
pub mod panel;
pub mod ratelimit;
pub mod store;
pub mod workers;
