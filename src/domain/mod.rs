//! Business rules in plain Rust: no I/O, no Telegram, no SQL.
pub mod card;
pub mod money;
pub mod order;
pub mod phone;
pub mod pricing;
pub mod topup;

pub use card::CardType;
pub use money::Dinars;
pub use order::{HoldEffect, OrderStatus};
pub use phone::{PhoneError, PhoneNumber};
pub use pricing::{PriceTier, Role};
