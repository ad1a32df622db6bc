//! Dates as a customer in Algeria reads them: local time, `dd/mm/yyyy HH:MM`.
use chrono::{DateTime, FixedOffset};

/// Africa/Algiers is UTC+1 all year: Algeria has kept no daylight saving time since 1981, so a
/// fixed offset gives the same result as a time-zone database, without shipping one.
fn algiers() -> FixedOffset {
    FixedOffset::east_opt(3600).expect("one hour is a valid offset")
}

const FORMAT: &str = "%d/%m/%Y %H:%M";

/// A timestamp in unix milliseconds (as the store keeps them) in Algiers time; empty if out of range.
pub fn local_ms(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&algiers()).format(FORMAT).to_string())
        .unwrap_or_default()
}

/// The day of a timestamp in Algiers, `dd/mm`, where room is short (a button of the order list).
pub fn local_day_ms(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&algiers()).format("%d/%m").to_string())
        .unwrap_or_default()
}

/// An RFC 3339 date as upstream sends it (`2025-10-29T01:05:30.000Z`) in Algiers time. A text that
/// is not such a date is returned unchanged: showing upstream's words beats showing nothing.
pub fn local_rfc3339(s: &str) -> String {
    match DateTime::parse_from_rfc3339(s.trim()) {
        Ok(t) => t.with_timezone(&algiers()).format(FORMAT).to_string(),
        Err(_) => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_ms_in_algiers_time() {
        // 2025-10-29T01:05:30Z is 02:05 in Algiers.
        assert_eq!(local_ms(1_761_699_930_000), "29/10/2025 02:05");
        // Midnight UTC on New Year's Eve is already the next day in Algiers.
        assert_eq!(local_ms(1_767_225_600_000 - 1), "01/01/2026 00:59");
        // Summer: still UTC+1 (no DST), unlike Paris.
        assert_eq!(local_ms(1_751_371_200_000), "01/07/2025 13:00");
        assert_eq!(local_ms(i64::MAX), "");
        assert_eq!(local_day_ms(1_767_225_600_000 - 1), "01/01");
    }

    #[test]
    fn upstream_dates_in_algiers_time() {
        assert_eq!(local_rfc3339("2025-10-29T01:05:30.000Z"), "29/10/2025 02:05");
        assert_eq!(local_rfc3339("2025-12-31T23:30:00Z"), "01/01/2026 00:30");
        assert_eq!(local_rfc3339("2025-07-01T14:00:00+02:00"), "01/07/2025 13:00");
        assert_eq!(local_rfc3339("yesterday"), "yesterday");
    }
}
