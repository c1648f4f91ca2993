//! Durations in policies (`90d`) and ages in reports.

/// A duration that cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0:?} is not a duration like 36h, 90d, 12w or 1y")]
pub struct DurationError(pub String);

/// Parses `N` followed by `h`, `d`, `w` or `y` (365 days) into seconds.
pub fn parse_duration(text: &str) -> Result<i64, DurationError> {
    let err = || DurationError(text.to_string());
    let t = text.trim();
    let unit = t.chars().last().ok_or_else(err)?;
    let n: i64 = t[..t.len() - unit.len_utf8()].parse().map_err(|_| err())?;
    let secs = match unit {
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        'y' => 365 * 86_400,
        _ => return Err(err()),
    };
    if n <= 0 {
        return Err(err());
    }
    n.checked_mul(secs).ok_or_else(err)
}

/// An age for people: `45d`, `3d 4h`, `5h`, `12m`.
pub fn format_age(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m) = (secs / 86_400, (secs % 86_400) / 3600, (secs % 3600) / 60);
    match (d, h) {
        (0, 0) => format!("{m}m"),
        (0, h) => format!("{h}h"),
        (d, 0) => format!("{d}d"),
        (d, h) if d < 10 => format!("{d}d {h}h"),
        (d, _) => format!("{d}d"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90d"), Ok(90 * 86_400));
        assert_eq!(parse_duration("36h"), Ok(36 * 3600));
        assert_eq!(parse_duration("2w"), Ok(14 * 86_400));
        assert_eq!(parse_duration("1y"), Ok(365 * 86_400));
        for bad in ["", "d", "90", "-3d", "0d", "3x", "9999999999999999y"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(format_age(45 * 86_400 + 100), "45d");
        assert_eq!(format_age(3 * 86_400 + 4 * 3600), "3d 4h");
        assert_eq!(format_age(5 * 3600 + 59), "5h");
        assert_eq!(format_age(120), "2m");
    }
}
