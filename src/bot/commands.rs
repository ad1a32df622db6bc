//! Slash commands, parsed by hand so that every text shown for them comes from the locales.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Start,
    Order,
    Balance,
    Orders,
    Language,
    Help,
    Cancel,
    Topup,
    /// `/reminders on|off`: renewal reminders.
    Reminders,
    // Admin only: for anyone else these behave like an unknown command.
    Credit,
    Debit,
    SetRole,
    User,
    SetPrice,
    Broadcast,
    BroadcastCancel,
    Stats,
    Ban,
    Unban,
    Maintenance,
    Lookup,
    Panel,
    Topups,
}

impl Command {
    pub const CUSTOMER: [Command; 9] = [
        Command::Order,
        Command::Balance,
        Command::Topup,
        Command::Orders,
        Command::Reminders,
        Command::Language,
        Command::Help,
        Command::Cancel,
        Command::Start,
    ];
    pub const ADMIN: [Command; 14] = [
        Command::Credit,
        Command::Debit,
        Command::SetRole,
        Command::User,
        Command::SetPrice,
        Command::Broadcast,
        Command::BroadcastCancel,
        Command::Stats,
        Command::Ban,
        Command::Unban,
        Command::Maintenance,
        Command::Lookup,
        Command::Panel,
        Command::Topups,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Command::Start => "start",
            Command::Order => "order",
            Command::Balance => "balance",
            Command::Orders => "orders",
            Command::Language => "language",
            Command::Help => "help",
            Command::Cancel => "cancel",
            Command::Credit => "credit",
            Command::Debit => "debit",
            Command::SetRole => "setrole",
            Command::User => "user",
            Command::SetPrice => "setprice",
            Command::Broadcast => "broadcast",
            Command::BroadcastCancel => "broadcast_cancel",
            Command::Stats => "stats",
            Command::Ban => "ban",
            Command::Unban => "unban",
            Command::Maintenance => "maintenance",
            Command::Lookup => "lookup",
            Command::Panel => "panel",
            Command::Topup => "topup",
            Command::Topups => "topups",
            Command::Reminders => "reminders",
        }
    }

    pub fn is_admin(self) -> bool {
        Command::ADMIN.contains(&self)
    }
}

/// A command as typed: `/credit@MyBot 123 500 cash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<'a> {
    Known(Command, Vec<&'a str>),
    Unknown,
}

/// `None` for text that is not a command at all.
pub fn parse(text: &str) -> Option<Parsed<'_>> {
    let text = text.trim_start();
    let rest = text.strip_prefix('/')?;
    let mut parts = rest.split_whitespace();
    let head = parts.next()?;
    let name = head.split('@').next().unwrap_or(head).to_ascii_lowercase();
    let args: Vec<&str> = parts.collect();
    Some(
        Command::CUSTOMER
            .into_iter()
            .chain(Command::ADMIN)
            .find(|c| c.name() == name)
            .map_or(Parsed::Unknown, |c| Parsed::Known(c, args)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_with_bot_names_and_args() {
        assert_eq!(parse("/start"), Some(Parsed::Known(Command::Start, vec![])));
        assert_eq!(
            parse("/Credit@NetCardBot 12  500 cash"),
            Some(Parsed::Known(Command::Credit, vec!["12", "500", "cash"]))
        );
        assert_eq!(parse("/broadcast_cancel"), Some(Parsed::Known(Command::BroadcastCancel, vec![])));
        assert_eq!(parse("/nope"), Some(Parsed::Unknown));
        assert_eq!(parse("/"), None);
        assert_eq!(parse("hello /start"), None);
        assert_eq!(parse("036362608"), None);
    }

    #[test]
    fn command_names_are_unique() {
        let mut names: Vec<_> = Command::CUSTOMER.iter().chain(Command::ADMIN.iter()).map(|c| c.name()).collect();
        names.sort();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n);
    }
}
