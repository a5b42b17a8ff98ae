//! Amazon Resource Names, as far as a SOAR needs them: who owns a resource,
//! and where it is.

use std::fmt;

use crate::Error;

/// An ARN split into its parts, borrowing from the original text.
///
/// Parsing is deliberately lenient: it checks the `arn:` prefix and that the
/// six parts are there, not that each is well formed, because published
/// findings carry ARNs with an empty service (`arn:aws::guardduty:...`) and
/// soar must still read their account and Region.
///
/// ```
/// use soar_asff::Arn;
///
/// let arn = Arn::parse("arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0a1b").unwrap();
/// assert_eq!(arn.account, "123456789012");
/// assert_eq!(arn.region, "eu-west-1");
/// assert_eq!(arn.resource, "security-group/sg-0a1b");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Arn<'a> {
    /// `aws`, `aws-cn`, `aws-us-gov`, ...
    pub partition: &'a str,
    /// The service namespace, such as `s3`.
    pub service: &'a str,
    /// The Region; empty for global resources.
    pub region: &'a str,
    /// The account ID; empty for resources such as S3 buckets.
    pub account: &'a str,
    /// Everything after the account, including any further colons.
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Splits `text` into an ARN's parts.
    ///
    /// # Errors
    /// [`Error::InvalidArn`] when `text` does not start with `arn:` or has
    /// fewer than six colon-separated parts.
    pub fn parse(text: &'a str) -> Result<Self, Error> {
        let invalid = || Error::InvalidArn {
            value: text.to_owned(),
        };
        let mut parts = text.splitn(6, ':');
        if parts.next() != Some("arn") {
            return Err(invalid());
        }
        let mut next = || parts.next().ok_or_else(invalid);
        Ok(Arn {
            partition: next()?,
            service: next()?,
            region: next()?,
            account: next()?,
            resource: next()?,
        })
    }

    /// The account, if it is a 12-digit AWS account ID.
    pub fn account_id(&self) -> Option<&'a str> {
        is_account_id(self.account).then_some(self.account)
    }
}

impl fmt::Display for Arn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account, self.resource
        )
    }
}

/// The 12-digit account ID in an ARN, if the ARN names one.
///
/// ```
/// assert_eq!(soar_asff::owner_account("arn:aws:iam::111122223333:user/alice"), Some("111122223333"));
/// assert_eq!(soar_asff::owner_account("arn:aws:s3:::my-bucket"), None);
/// assert_eq!(soar_asff::owner_account("sg-0a1b"), None);
/// ```
pub fn owner_account(arn: &str) -> Option<&str> {
    Arn::parse(arn).ok()?.account_id()
}

/// Whether `text` is a 12-digit AWS account ID.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_part_keeps_its_colons() {
        let arn =
            Arn::parse("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x:*").unwrap();
        assert_eq!(arn.resource, "log-group:/aws/lambda/x:*");
        assert_eq!(
            arn.to_string(),
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x:*"
        );
    }

    #[test]
    fn malformed_published_guardduty_arn_still_yields_account() {
        // As published in the GuardDuty user guide: an extra colon shifts every part.
        let arn = Arn::parse("arn:aws::guardduty:us-east-1:193043430472:detector/d").unwrap();
        assert_eq!(arn.service, "");
        assert_eq!(arn.account_id(), None);
    }

    #[test]
    fn rejects_text_that_is_not_an_arn() {
        for text in [
            "",
            "arn",
            "arn:aws:s3",
            "urn:aws:s3:::b:c",
            "AWS::::Account:123456789012",
        ] {
            assert!(
                matches!(Arn::parse(text), Err(Error::InvalidArn { .. })),
                "{text}"
            );
        }
    }

    #[test]
    fn account_ids_are_exactly_twelve_digits() {
        assert!(is_account_id("012345678901"));
        assert!(!is_account_id("0123456789101"));
        assert!(!is_account_id("01234567890a"));
    }
}
