#![allow(dead_code, unused_imports)]
//! Test doubles for the end-to-end tests: fake Telegram Bot API and fake OneClickDZ API,
//! both real HTTP servers on 127.0.0.1 driven by the real client libraries.

pub mod app;
pub mod fake_oneclick;
pub mod fake_telegram;
pub mod flow;
pub mod process;

pub use app::{ADMIN, TestApp, WAIT};
pub use fake_oneclick::{FakeOneClick, Script};
pub use fake_telegram::{BotMessage, Call, CommandSet, CopyRecord, FakeTelegram, TgUser};
