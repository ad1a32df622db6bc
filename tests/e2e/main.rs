//! One integration-test binary: the real bot against fake Telegram and OneClickDZ servers.
mod fakes_selftest;
mod http;
mod locales;
mod ops;
mod orders;
mod startup;
mod strict;
mod support;
mod wallet;
