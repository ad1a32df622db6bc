//! One integration-test binary: the real bot against fake Telegram and OneClickDZ servers.
mod fakes_selftest;
mod orders;
mod support;
