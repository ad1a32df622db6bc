//! Business rules in plain Rust: no I/O, no Telegram, no SQL.

/// An enum stored as text: its variants with their text, `ALL`, `as_str` and `parse`. The texts
/// are the ones the migrations' `CHECK` constraints list.
macro_rules! text_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant,)+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use text_enum;

pub mod card;
pub mod money;
pub mod order;
pub mod phone;
pub mod pricing;
pub mod topup;

pub use card::CardType;
pub use money::Dinars;
pub use order::{FailureReason, HoldEffect, HoldState, OrderStatus};
pub use phone::{PhoneError, PhoneNumber};
pub use pricing::{PriceTier, Role};
