//! The bot's side of the end-to-end test support: the app harness and the customer's steps. The
//! fake servers and the child process come from the `testkit` crate, shared with the benchmark.

pub mod app;
pub mod flow;

pub use app::{ADMIN, TestApp, WAIT, spawn_bot};
pub use testkit::{BotMessage, FakeOneClick, FakeTelegram, Script, TgUser};
