//! Who pays what: roles, price tiers, and whether the shop may sell a card at a price.
use super::Dinars;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    Customer,
    Reseller,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Reseller => "reseller",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "customer" => Some(Role::Customer),
            "reseller" => Some(Role::Reseller),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// The price list this role buys from. Admins buy at customer prices (they are usually testing).
    pub fn tier(self) -> PriceTier {
        match self {
            Role::Reseller => PriceTier::Reseller,
            Role::Customer | Role::Admin => PriceTier::Customer,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PriceTier {
    Customer,
    Reseller,
}

impl PriceTier {
    pub fn as_str(self) -> &'static str {
        match self {
            PriceTier::Customer => "customer",
            PriceTier::Reseller => "reseller",
        }
    }
}

/// The price a tier pays for a card of face value `value`: its own price if set, a reseller
/// without one falls back to the customer price, and everyone falls back to the face value.
pub fn price_for(
    tier: PriceTier,
    value: Dinars,
    customer_price: Option<Dinars>,
    reseller_price: Option<Dinars>,
) -> Dinars {
    match tier {
        PriceTier::Reseller => reseller_price.or(customer_price).unwrap_or(value),
        PriceTier::Customer => customer_price.unwrap_or(value),
    }
}

/// An admin's price is refused when it would sell below what OneClickDZ charges the shop.
pub fn check_price_against_cost(price: Dinars, cost: Dinars) -> Result<(), Dinars> {
    if price < cost { Err(cost) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_price_is_face_value() {
        assert_eq!(price_for(PriceTier::Customer, Dinars(1000), None, None), Dinars(1000));
        assert_eq!(price_for(PriceTier::Reseller, Dinars(1000), None, None), Dinars(1000));
    }

    #[test]
    fn tiers_use_their_own_price_then_fall_back() {
        let c = Some(Dinars(1050));
        let r = Some(Dinars(990));
        assert_eq!(price_for(PriceTier::Customer, Dinars(1000), c, r), Dinars(1050));
        assert_eq!(price_for(PriceTier::Reseller, Dinars(1000), c, r), Dinars(990));
        assert_eq!(price_for(PriceTier::Reseller, Dinars(1000), c, None), Dinars(1050));
        assert_eq!(price_for(PriceTier::Customer, Dinars(1000), None, r), Dinars(1000));
    }

    #[test]
    fn price_below_cost_is_refused() {
        assert_eq!(check_price_against_cost(Dinars(979), Dinars(980)), Err(Dinars(980)));
        assert_eq!(check_price_against_cost(Dinars(980), Dinars(980)), Ok(()));
    }

    #[test]
    fn roles_parse_and_map_to_tiers() {
        assert_eq!(Role::parse("Reseller"), Some(Role::Reseller));
        assert_eq!(Role::parse("boss"), None);
        assert_eq!(Role::Admin.tier(), PriceTier::Customer);
        assert_eq!(Role::Reseller.tier(), PriceTier::Reseller);
    }
}
