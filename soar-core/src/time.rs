//! Instants as Unix seconds, and the RFC 3339 text AWS writes them in.
//!
//! soar compares times only to the second (account age, ticket expiry), so a
//! small parser here saves a date-time dependency.

use std::fmt;

/// Seconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

/// Text that is not an RFC 3339 timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an RFC 3339 timestamp (such as 2026-01-31T12:00:00Z): {0:?}")]
pub struct InvalidTimestamp(pub String);

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Timestamp(i64::try_from(since_epoch).unwrap_or(i64::MAX))
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS`, optional fractional seconds, and `Z`,
    /// `+HH:MM` or `+HHMM` (as CloudWatch writes it).
    ///
    /// ```
    /// use soar_core::Timestamp;
    /// assert_eq!(Timestamp::parse("1970-01-02T00:00:00Z").unwrap(), Timestamp(86_400));
    /// assert_eq!(Timestamp::parse("2019-10-02T17:04:40.989+0000").unwrap().to_string(), "2019-10-02T17:04:40Z");
    /// ```
    ///
    /// # Errors
    /// [`InvalidTimestamp`] for anything else.
    pub fn parse(text: &str) -> Result<Self, InvalidTimestamp> {
        parse_rfc3339(text).ok_or_else(|| InvalidTimestamp(text.to_owned()))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3_600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

fn parse_rfc3339(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &b[19..];
    if rest.first() == Some(&b'.') {
        let fraction = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if fraction == 0 {
            return None;
        }
        rest = &rest[1 + fraction..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] | [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
            let field = |a: u8, b: u8| -> Option<i64> {
                (a.is_ascii_digit() && b.is_ascii_digit())
                    .then(|| i64::from((a - b'0') * 10 + (b - b'0')))
            };
            let minutes = field(*h1, *h2)? * 60 + field(*m1, *m2)?;
            if *sign == b'+' {
                minutes
            } else {
                -minutes
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some(Timestamp(
        days * 86_400 + hour * 3_600 + minute * 60 + second - offset * 60,
    ))
}

// Howard Hinnant's days_from_civil and civil_from_days, proleptic Gregorian.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_formats_aws_writes() {
        let cases = [
            ("2020-02-29T12:34:56Z", 1_582_979_696),
            ("2020-02-29T12:34:56.123Z", 1_582_979_696),
            ("2020-02-29T12:34:56.000000005Z", 1_582_979_696),
            ("2020-02-29T13:34:56+01:00", 1_582_979_696),
            ("2020-02-29T12:34:56.394+0000", 1_582_979_696),
            ("1969-12-31T23:59:59Z", -1),
        ];
        for (text, secs) in cases {
            assert_eq!(Timestamp::parse(text), Ok(Timestamp(secs)), "{text}");
        }
    }

    #[test]
    fn rejects_what_is_not_rfc3339() {
        for text in [
            "",
            "2020-02-29",
            "2020-13-01T00:00:00Z",
            "2020-02-29T12:34:56",
            "Thu, 1 Nov 2018 22:00:00 GMT",
            "2020-02-29T12:34:56.Z",
        ] {
            assert!(Timestamp::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn display_round_trips_whole_seconds() {
        for secs in [0, 1, 951_782_400, 1_582_979_696, 4_102_444_800] {
            let t = Timestamp(secs);
            assert_eq!(Timestamp::parse(&t.to_string()), Ok(t));
        }
    }
}
