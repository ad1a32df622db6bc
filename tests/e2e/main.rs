//! One integration-test binary: the real bot against fake Telegram and OneClickDZ servers.
mod admin_tools;
mod books;
mod crash;
mod fakes_selftest;
mod http;
mod locales;
mod ops;
mod orders;
mod panel_audit;
mod panel_writes;
mod pricing;
mod startup;
mod strict;
mod support;
mod topups;
mod tracking;
mod wallet;
