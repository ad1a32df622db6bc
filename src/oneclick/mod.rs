//! Typed async client for the OneClickDZ API v3 (account and internet top-ups).
//!
//! See `docs/oneclickdz.md` for what the API is known (and not known)
//! to do; the parser is lenient where the docs disagree.

pub mod client;
pub mod error;
pub mod ocpay;
pub mod types;

pub use client::{ClientConfig, OneClickClient};
pub use error::OneClickError;
pub use types::{
    AccountBalance, KeyEnvironment, KeyInfo, NumberInfo, Product, SendRequest, SendResponse, Topup, TopupPage,
    TopupStatus,
};
