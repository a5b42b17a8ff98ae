//! Instants as Unix seconds, and the RFC 3339 text AWS writes them in.
//!
//! soar compares times only to the second (account age, ticket expiry), so
//! a [`Timestamp`] is whole seconds. The `time` crate parses the text (it is
//! built for the AWS SDK already); this module adds the one form RFC 3339
//! lacks that AWS writes: CloudWatch's `+0000` offset, without a colon. A
//! leap second (`23:59:60` at the end of a month, UTC) counts as `23:59:59`.

use std::fmt;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

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

    /// Parses RFC 3339 (`YYYY-MM-DDTHH:MM:SS`, optional fractional seconds,
    /// `Z` or `+HH:MM`; a space for the `T`, as RFC 3339 allows), and the
    /// `+HHMM` offset CloudWatch writes.
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
        let invalid = || InvalidTimestamp(text.to_owned());
        let bytes = text.as_bytes();
        // `time` takes any character between the date and the time; RFC
        // 3339 allows `T`, `t` and a space, and `time` parses only the
        // first, so the other two become it.
        let separator = *bytes.get(10).ok_or_else(invalid)?;
        if !matches!(separator, b'T' | b't' | b' ') {
            return Err(invalid());
        }
        let mut normal = String::with_capacity(text.len() + 1);
        normal.push_str(&text[..10]);
        normal.push('T');
        normal.push_str(&text[11..]);
        // CloudWatch writes `+0000`: the colon RFC 3339 wants goes in.
        let tail = &normal.as_bytes()[normal.len().saturating_sub(5)..];
        let colonless = tail.len() == 5
            && matches!(tail[0], b'+' | b'-')
            && tail[1..].iter().all(u8::is_ascii_digit)
            && normal.len() > 19;
        if colonless {
            normal.insert(normal.len() - 2, ':');
        }
        OffsetDateTime::parse(&normal, &Rfc3339)
            .map(|instant| Timestamp(instant.unix_timestamp()))
            .map_err(|_| invalid())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match OffsetDateTime::from_unix_timestamp(self.0) {
            Ok(t) => write!(
                f,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            ),
            // Outside years -9999..=9999: say what it is.
            Err(_) => write!(f, "{}s since the Unix epoch", self.0),
        }
    }
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
            ("2020-02-29 12:34:56Z", 1_582_979_696),
            ("2020-02-29t12:34:56z", 1_582_979_696),
            ("2020-02-29T10:34:56-0200", 1_582_979_696),
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
            "2020-02-30T00:00:00Z",
            "2020-02-29T12:34:56+00",
            "2020-02-29X12:34:56Z",
            "+2020-02-29T12:34:56+0000",
            "2020-02-29T12:34:56+000",
            "2020-02-29é12:34:56Z",
        ] {
            assert!(Timestamp::parse(text).is_err(), "{text}");
        }
    }

    proptest::proptest! {
        #[test]
        fn every_instant_of_years_1_to_9999_displays_and_parses_back(
            secs in -62_135_596_800i64..=253_402_300_799,
        ) {
            let t = Timestamp(secs);
            proptest::prop_assert_eq!(Timestamp::parse(&t.to_string()), Ok(t));
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
