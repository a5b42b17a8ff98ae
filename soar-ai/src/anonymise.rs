//! Masks what identifies a customer before text leaves the account, and
//! puts it back in the reply.
//!
//! A [`Masker`] replaces, in every text it is given:
//!
//! | What | Looks like | Becomes |
//! | --- | --- | --- |
//! | ARNs | `arn:aws:iam::123456789012:role/admin` | `<ARN_1>` |
//! | email addresses | `alice@example.com` | `<EMAIL_1>` |
//! | IPv4 addresses, but `0.0.0.0` | `10.0.12.7` | `<IP_1>` |
//! | access key and principal IDs | `AKIAIOSFODNN7EXAMPLE` | `<ID_1>` |
//! | UUIDs | `6f1c3d0e-8b9a-4c2d-9e7f-0a1b2c3d4e5f` | `<ID_1>` |
//! | 12-digit account IDs | `123456789012`, also in `logs-123456789012` | `<ACCOUNT_1>` |
//! | hex IDs of 8 or more digits, with a digit and a letter | `0a1b2c3d4e5f6789` in `i-0a1b2c3d4e5f6789` | `<ID_2>` |
//!
//! Identifiers are found wherever they are, even inside a word
//! (`Admin_0a1b2c3d4e5f6789`, `acct123456789012`): what is masked is the
//! identifier, and the rest of the word stays. Longer numbers (a
//! 13-digit timestamp), dates, and words of the letters a to f stay.
//!
//! The same identifier gets the same placeholder everywhere in one
//! [`Masker`], so the model can still tell two resources apart and refer to
//! them; a new document takes a new `Masker`. [`Masker::restore`] puts the
//! originals back into the model's reply.
//!
//! The mapping is exact: text that already looks like a placeholder
//! (`<ACCOUNT_7>`) is masked too, so every placeholder in the masked text is
//! one the masker made, and restoring gives back exactly what was masked.
//!
//! ```
//! use soar_ai::anonymise::Masker;
//!
//! let mut masker = Masker::new();
//! let sent = masker.mask("Role arn:aws:iam::123456789012:role/admin in 123456789012, owner alice@example.com");
//! assert_eq!(sent, "Role <ARN_1> in <ACCOUNT_1>, owner <EMAIL_1>");
//! let reply = "Remove <ARN_1> from <ACCOUNT_1>.";
//! assert_eq!(masker.restore(reply), "Remove arn:aws:iam::123456789012:role/admin from 123456789012.");
//! ```

use std::collections::HashMap;
use std::sync::LazyLock;

use regex_lite::{Captures, Regex};

/// What kind of identifier a placeholder stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// An ARN.
    Arn,
    /// An email address.
    Email,
    /// An IPv4 address.
    Ip,
    /// A 12-digit AWS account ID.
    Account,
    /// A UUID or a hex ID.
    Id,
}

impl Kind {
    /// The word in the placeholder: `ARN`, `EMAIL`, `IP`, `ACCOUNT`, `ID`.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Arn => "ARN",
            Kind::Email => "EMAIL",
            Kind::Ip => "IP",
            Kind::Account => "ACCOUNT",
            Kind::Id => "ID",
        }
    }
}

/// Placeholders as the masker writes them, and text that looks like one.
const PLACEHOLDER: &str = r"<(?:ARN|EMAIL|IP|ACCOUNT|ID)_[0-9]+>";

/// The first pass: what has a shape of its own (placeholder look-alikes,
/// ARNs, email addresses), masked whole before anything inside them can be
/// taken for something else. Nothing but the placeholder pattern contains
/// `<` or `>`, so a placeholder-like piece of the input is always masked
/// whole.
static STRUCTURED: LazyLock<Regex> = LazyLock::new(|| {
    let pattern = [
        format!("(?P<placeholder>{PLACEHOLDER})"),
        // Up to the next space, quote or bracket (IAM names may hold
        // commas); a sentence's final dot or comma is not part of it.
        r#"(?P<arn>arn:aws[a-z-]*:[^\s"'<>;()\[\]{}]*[^\s"'<>;()\[\]{}.,])"#.to_owned(),
        r"(?P<email>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})".to_owned(),
    ]
    .join("|");
    // The pattern is a constant: a test compiles it.
    #[allow(clippy::expect_used)]
    Regex::new(&pattern).expect("the structured pattern compiles")
});

/// The second pass, between what the first masked. No word boundaries:
/// `_` and letters next to an ID (`Admin_0a1b2c3d4e5f6789`,
/// `acct123456789012`) do not hide it.
static SIMPLE: LazyLock<Regex> = LazyLock::new(|| {
    let pattern = [
        r"(?P<uuid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})",
        r"(?P<ip>[0-9]{1,3}(?:\.[0-9]{1,3}){3})",
        // IAM's unique IDs: access keys (AKIA, ASIA), users, roles, groups,
        // policies.
        r"(?P<key>(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA)[A-Z0-9]{16})",
        // Runs of hex digits: 12 decimal digits are an account ID, a run
        // with a digit and a letter a hex ID.
        r"(?P<hex>[0-9a-fA-F]{8,})",
    ]
    .join("|");
    #[allow(clippy::expect_used)]
    Regex::new(&pattern).expect("the simple pattern compiles")
});

static PLACEHOLDERS: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used)]
    Regex::new(PLACEHOLDER).expect("the placeholder pattern compiles")
});

fn structured_kind(captures: &Captures<'_>) -> Kind {
    if captures.name("arn").is_some() {
        Kind::Arn
    } else if captures.name("email").is_some() {
        Kind::Email
    } else {
        // A placeholder look-alike, masked like any identifier so that
        // restoring is exact; it keeps no kind of its own.
        Kind::Id
    }
}

/// What a second-pass match is, or why it is none: then where to look
/// again.
enum Simple {
    /// An identifier.
    Masked(Kind),
    /// Not one; no identifier starts inside it either (a long decimal
    /// number, an IP address that is not one, or `0.0.0.0`).
    SkipAll,
    /// Not one, but one may start inside it (a run of the letters a to f
    /// before `AKIA...`).
    SkipOne,
}

fn simple_kind(captures: &Captures<'_>) -> Simple {
    if let Some(ip) = captures.name("ip") {
        // "Open to the world" is what the analysis is about, and no one's.
        // Each part a byte; leading zeros as people write them (`10.00.1.1`).
        let octets: Option<Vec<u8>> = ip.as_str().split('.').map(|o| o.parse().ok()).collect();
        return match octets {
            Some(octets) if octets.iter().any(|o| *o != 0) => Simple::Masked(Kind::Ip),
            _ => Simple::SkipAll,
        };
    }
    let Some(hex) = captures.name("hex") else {
        // A UUID or a key.
        return Simple::Masked(Kind::Id);
    };
    let run = hex.as_str();
    let digits = run.bytes().filter(u8::is_ascii_digit).count();
    match (digits, run.len()) {
        (12, 12) => Simple::Masked(Kind::Account),
        // Dates, counts, timestamps.
        (d, n) if d == n => Simple::SkipAll,
        // `deadbeef`, `facade`: words.
        (0, _) => Simple::SkipOne,
        _ => Simple::Masked(Kind::Id),
    }
}

/// Masks the identifiers of one document, consistently, and restores them
/// in the reply. See the [module documentation](self).
#[derive(Debug, Clone, Default)]
pub struct Masker {
    /// Original to placeholder.
    placeholders: HashMap<String, String>,
    /// Placeholder to original.
    originals: HashMap<String, String>,
    /// How many placeholders of each kind were made.
    counts: HashMap<Kind, usize>,
}

impl Masker {
    /// A masker with no mapping yet.
    pub fn new() -> Self {
        Masker::default()
    }

    /// `text` with every identifier replaced by its placeholder; an
    /// identifier seen before, in this text or an earlier one, gets the
    /// placeholder it got then.
    pub fn mask(&mut self, text: &str) -> String {
        let mut masked = String::with_capacity(text.len());
        let mut copied = 0;
        for captures in STRUCTURED.captures_iter(text) {
            let Some(found) = captures.get(0) else {
                continue;
            };
            self.mask_simple(&text[copied..found.start()], &mut masked);
            masked.push_str(&self.placeholder(structured_kind(&captures), found.as_str()));
            copied = found.end();
        }
        self.mask_simple(&text[copied..], &mut masked);
        masked
    }

    /// The second pass over `text`, onto `masked`. A match that is no
    /// identifier is looked past one character at a time where an
    /// identifier could start inside it, so that it never hides one.
    fn mask_simple(&mut self, text: &str, masked: &mut String) {
        let (mut at, mut copied) = (0, 0);
        while let Some(captures) = SIMPLE.captures_at(text, at) {
            let Some(found) = captures.get(0) else {
                break;
            };
            at = match simple_kind(&captures) {
                Simple::Masked(kind) => {
                    masked.push_str(&text[copied..found.start()]);
                    masked.push_str(&self.placeholder(kind, found.as_str()));
                    copied = found.end();
                    found.end()
                }
                Simple::SkipAll => found.end(),
                // Every character of a hex run is ASCII.
                Simple::SkipOne => found.start() + 1,
            };
        }
        masked.push_str(&text[copied..]);
    }

    fn placeholder(&mut self, kind: Kind, original: &str) -> String {
        if let Some(placeholder) = self.placeholders.get(original) {
            return placeholder.clone();
        }
        let count = self.counts.entry(kind).or_insert(0);
        *count += 1;
        let placeholder = format!("<{}_{count}>", kind.word());
        self.placeholders
            .insert(original.to_owned(), placeholder.clone());
        self.originals
            .insert(placeholder.clone(), original.to_owned());
        placeholder
    }

    /// `text` (the model's reply) with each placeholder this masker made
    /// replaced by its original. A placeholder the masker did not make
    /// (the model invented it) is left as it is.
    pub fn restore(&self, text: &str) -> String {
        PLACEHOLDERS
            .replace_all(text, |captures: &Captures<'_>| {
                let found = captures.get(0).map_or("", |m| m.as_str());
                self.originals
                    .get(found)
                    .cloned()
                    .unwrap_or_else(|| found.to_owned())
            })
            .into_owned()
    }

    /// How many distinct identifiers were masked.
    pub fn len(&self) -> usize {
        self.originals.len()
    }

    /// Whether nothing was masked.
    pub fn is_empty(&self) -> bool {
        self.originals.is_empty()
    }

    /// The identifiers masked so far, each with its placeholder, in no
    /// particular order.
    pub fn mapping(&self) -> impl Iterator<Item = (&str, &str)> {
        self.placeholders
            .iter()
            .map(|(original, placeholder)| (original.as_str(), placeholder.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn each_kind_is_masked_and_the_same_identifier_keeps_its_placeholder() {
        let mut masker = Masker::new();
        let text = "Instance i-0a1b2c3d4e5f67890 of 111122223333 (arn:aws:ec2:eu-west-1:111122223333:instance/i-0a1b2c3d4e5f67890) \
                    key 6f1c3d0e-8b9a-4c2d-9e7f-0a1b2c3d4e5f, mail ops.team+sec@corp.example.co.uk; again 111122223333. \
                    From 198.51.100.7 to 10.0.12.7, open to 0.0.0.0/0, with AKIAIOSFODNN7EXAMPLE.";
        let masked = masker.mask(text);
        assert_eq!(
            masked,
            "Instance i-<ID_1> of <ACCOUNT_1> (<ARN_1>) key <ID_2>, mail <EMAIL_1>; again <ACCOUNT_1>. \
             From <IP_1> to <IP_2>, open to 0.0.0.0/0, with <ID_3>."
        );
        assert_eq!(masker.len(), 8);
        assert_eq!(masker.restore(&masked), text);
    }

    #[test]
    fn words_dates_and_other_numbers_are_left_alone() {
        let mut masker = Masker::new();
        let text = "deadbeef on 20261206, port 443, 1234567890123 and 12345678901 and S3.8, version 1.2.3, 0.0.0.0/0";
        assert_eq!(masker.mask(text), text);
        assert!(masker.is_empty());
    }

    #[test]
    fn identifiers_inside_words_are_masked() {
        let mut masker = Masker::new();
        let text = "AWSReservedSSO_Admin_0a1b2c3d4e5f6789 of acct123456789012, ip_10.1.2.3, key_AKIAIOSFODNN7EXAMPLE, deadbeefAKIAIOSFODNN7EXAMPLE, cafearn:aws:s3:::b";
        let masked = masker.mask(text);
        assert_eq!(
            masked,
            "AWSReservedSSO_Admin_<ID_1> of acct<ACCOUNT_1>, ip_<IP_1>, key_<ID_2>, deadbeef<ID_2>, cafe<ARN_1>"
        );
        assert_eq!(masker.restore(&masked), text);
    }

    #[test]
    fn an_arn_with_commas_in_its_name_is_masked_whole() {
        let mut masker = Masker::new();
        assert_eq!(
            masker.mask("Role arn:aws:iam::123456789012:role/ops,admins, then."),
            "Role <ARN_1>, then."
        );
    }

    #[test]
    fn an_arn_ends_before_a_sentence_dot_and_a_quote() {
        let mut masker = Masker::new();
        assert_eq!(
            masker.mask(r#"Bucket arn:aws:s3:::logs-bucket. See "arn:aws:s3:::other"."#),
            r#"Bucket <ARN_1>. See "<ARN_2>"."#
        );
    }

    #[test]
    fn text_that_looks_like_a_placeholder_round_trips() {
        let mut masker = Masker::new();
        let text = "<ACCOUNT_1> is not 123456789012";
        let masked = masker.mask(text);
        assert_eq!(masked, "<ID_1> is not <ACCOUNT_1>");
        assert_eq!(masker.restore(&masked), text);
    }

    #[test]
    fn a_placeholder_the_model_invented_is_left_in_the_reply() {
        let mut masker = Masker::new();
        masker.mask("123456789012");
        assert_eq!(
            masker.restore("<ACCOUNT_1> and <ACCOUNT_9>"),
            "123456789012 and <ACCOUNT_9>"
        );
    }

    /// Identifiers of each kind, as they appear in findings.
    fn identifier() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9]{12}",
            "arn:aws:(iam|s3|ec2|kms):(eu-west-1)?:[0-9]{12}?:[a-z]{1,8}/[a-zA-Z0-9_-]{1,16}",
            "[a-z][a-z0-9.]{0,10}@[a-z]{1,8}\\.(com|org|example)",
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "[0-9]{4}[a-f]{4}[0-9a-f]{0,24}",
            "(10|172|192)\\.[0-9]{1,2}\\.[1-9][0-9]?\\.[1-9][0-9]?",
            "(AKIA|ASIA|AROA)[A-Z0-9]{16}",
        ]
    }

    /// Prose between identifiers: words and punctuation, never touching an
    /// identifier without a separator.
    fn filler() -> impl Strategy<Value = String> {
        "[A-Za-z ,.()]{0,20}".prop_map(|words| format!(" {words} "))
    }

    proptest! {
        #[test]
        fn restoring_the_masked_text_gives_back_any_text(text in any::<String>()) {
            let mut masker = Masker::new();
            let masked = masker.mask(&text);
            prop_assert_eq!(masker.restore(&masked), text);
        }

        #[test]
        fn restoring_gives_back_text_made_of_identifiers_and_lookalikes(
            parts in proptest::collection::vec(
                prop_oneof![identifier(), filler(), "<(ACCOUNT|ARN|EMAIL|IP|ID)_[0-9]{1,2}>"],
                0..12,
            )
        ) {
            let text = parts.concat();
            let mut masker = Masker::new();
            let masked = masker.mask(&text);
            prop_assert_eq!(masker.restore(&masked), text);
        }

        #[test]
        fn no_identifier_is_left_when_words_touch_it(
            parts in proptest::collection::vec(("[_a-z]{0,3}", identifier(), "[_a-z]{0,3}"), 1..8)
        ) {
            let text: String = parts.iter().map(|(a, id, b)| format!(" {a}{id}{b} ")).collect();
            let mut masker = Masker::new();
            let masked = masker.mask(&text);
            for (_, id, _) in &parts {
                prop_assert!(!masked.contains(id.as_str()), "{id} is in {masked}");
            }
            prop_assert_eq!(masker.restore(&masked), text);
        }

        #[test]
        fn no_identifier_is_left_in_the_masked_text(
            parts in proptest::collection::vec((filler(), identifier()), 1..8)
        ) {
            let text: String = parts.iter().map(|(f, id)| format!("{f}{id}")).collect::<Vec<_>>().concat() + " end";
            let mut masker = Masker::new();
            let masked = masker.mask(&text);
            for (_, id) in &parts {
                prop_assert!(!masked.contains(id.as_str()), "{id} is in {masked}");
            }
            // And each is masked consistently: as many placeholders as
            // distinct identifiers.
            let distinct: std::collections::BTreeSet<&String> = parts.iter().map(|(_, id)| id).collect();
            prop_assert_eq!(masker.len(), distinct.len());
        }
    }
}
