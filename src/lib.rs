//! netcard-bot: a Telegram shop for Idoom ADSL and 4G recharge cards bought on OneClickDZ.
pub mod app;
pub mod bot;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod http;
pub mod i18n;
pub mod instance_lock;
pub mod metrics;
pub mod oneclick;
pub mod ratelimit;
pub mod shop;
pub mod store;
pub mod topup_config;
pub mod workers;
