//! One integration-test binary: the real bot against fake Telegram and OneClickDZ servers.
mod fakes_selftest;
mod locales;
mod ops;
mod orders;
mod startup;
mod strict;
mod support;
mod topups;
mod wallet;
