//! Suppression rules: when a finding needs no ticket and no remediation.
//!
//! A rule set is text, one rule per line. A finding is suppressed when any
//! line matches (lines are OR branches), and a line matches when all of its
//! clauses do (clauses are joined with `AND`):
//!
//! ```text
//! # Sandbox accounts are someone else's problem.
//! environment = dev, sandbox AND policy_name = EC2.8, EC2.15
//! account_id = 111122223333
//! team != platform AND resource_tag:soar:exempt = true
//! ```
//!
//! A clause is `key = v1, v2` (the fact equals one of the values) or
//! `key != v1, v2` (it equals none of them; a fact the finding does not have
//! equals none). Values are compared without regard to ASCII case and may be
//! double-quoted to hold commas, `AND` or surrounding spaces. Blank lines and
//! lines starting with `#` are ignored.
//!
//! The keys are `account_id`, `region`, `client`, `environment`,
//! `organizational_unit`, `project_name`, `team`, `policy_name` (the control
//! ID, such as `S3.2`), `resource_type` and `resource_tag:<name>`.
//!
//! A rule that does not parse is an error when the rule set is loaded, naming
//! the line and column: a typo must never make a rule silently match nothing.
//!
//! ```
//! use soar_core::suppression::{Facts, RuleSet};
//!
//! let rules = RuleSet::parse("environment = dev AND policy_name = S3.2")?;
//! let mut facts = Facts::default();
//! facts.environment = Some("DEV");
//! facts.policy_name = Some("S3.2");
//! assert_eq!(rules.first_match(&facts).map(|rule| rule.line), Some(1));
//!
//! let error = RuleSet::parse("environment = dev\nteem = x").unwrap_err();
//! assert_eq!((error.line, error.column), (2, 1));
//! # Ok::<(), soar_core::suppression::RuleError>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;

/// The keys a clause can test.
pub const KEYS: &[&str] = &[
    "account_id",
    "region",
    "client",
    "environment",
    "organizational_unit",
    "project_name",
    "team",
    "policy_name",
    "resource_type",
    "resource_tag:<name>",
];

/// A rule that does not parse, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("suppression rule line {line}, column {column}: {message}")]
pub struct RuleError {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1, in characters.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// What a clause tests.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Key {
    /// The account that owns the resource.
    AccountId,
    /// The resource's Region.
    Region,
    /// The account's client (`soar:client` tag).
    Client,
    /// The account's environment (`soar:environment` tag).
    Environment,
    /// The account's organizational unit.
    OrganizationalUnit,
    /// The account's project (`soar:project` tag).
    ProjectName,
    /// The account's team (`soar:team` tag).
    Team,
    /// The control ID, such as `S3.2`.
    PolicyName,
    /// The resource type, such as `AwsS3Bucket`.
    ResourceType,
    /// A tag on the resource.
    ResourceTag(String),
}

impl Key {
    fn parse(text: &str) -> Option<Key> {
        Some(match text {
            "account_id" => Key::AccountId,
            "region" => Key::Region,
            "client" => Key::Client,
            "environment" => Key::Environment,
            "organizational_unit" => Key::OrganizationalUnit,
            "project_name" => Key::ProjectName,
            "team" => Key::Team,
            "policy_name" => Key::PolicyName,
            "resource_type" => Key::ResourceType,
            _ => {
                let name = text.strip_prefix("resource_tag:")?;
                if name.is_empty() {
                    return None;
                }
                Key::ResourceTag(name.to_owned())
            }
        })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Key::AccountId => "account_id",
            Key::Region => "region",
            Key::Client => "client",
            Key::Environment => "environment",
            Key::OrganizationalUnit => "organizational_unit",
            Key::ProjectName => "project_name",
            Key::Team => "team",
            Key::PolicyName => "policy_name",
            Key::ResourceType => "resource_type",
            Key::ResourceTag(name) => return write!(f, "resource_tag:{name}"),
        };
        f.write_str(name)
    }
}

/// `=` or `!=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// The fact equals one of the values.
    In,
    /// The fact equals none of the values.
    NotIn,
}

/// One `key op values` test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    /// What is tested.
    pub key: Key,
    /// How.
    pub operator: Operator,
    /// Against what.
    pub values: Vec<String>,
}

/// One line: clauses that must all match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The line the rule is on, from 1.
    pub line: usize,
    /// The clauses.
    pub clauses: Vec<Clause>,
}

/// The facts about a finding that rules test, borrowed from the finding
/// and its account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts<'a> {
    /// See [`Key::AccountId`].
    pub account_id: Option<&'a str>,
    /// See [`Key::Region`].
    pub region: Option<&'a str>,
    /// See [`Key::Client`].
    pub client: Option<&'a str>,
    /// See [`Key::Environment`].
    pub environment: Option<&'a str>,
    /// See [`Key::OrganizationalUnit`].
    pub organizational_unit: Option<&'a str>,
    /// See [`Key::ProjectName`].
    pub project_name: Option<&'a str>,
    /// See [`Key::Team`].
    pub team: Option<&'a str>,
    /// See [`Key::PolicyName`].
    pub policy_name: Option<&'a str>,
    /// See [`Key::ResourceType`].
    pub resource_type: Option<&'a str>,
    /// See [`Key::ResourceTag`].
    pub resource_tags: Option<&'a BTreeMap<String, String>>,
}

impl Facts<'_> {
    fn get(&self, key: &Key) -> Option<&str> {
        match key {
            Key::AccountId => self.account_id,
            Key::Region => self.region,
            Key::Client => self.client,
            Key::Environment => self.environment,
            Key::OrganizationalUnit => self.organizational_unit,
            Key::ProjectName => self.project_name,
            Key::Team => self.team,
            Key::PolicyName => self.policy_name,
            Key::ResourceType => self.resource_type,
            Key::ResourceTag(name) => self.resource_tags?.get(name).map(String::as_str),
        }
    }
}

impl Clause {
    /// Whether the facts satisfy this clause.
    pub fn matches(&self, facts: &Facts) -> bool {
        let equal_to_one = facts.get(&self.key).is_some_and(|fact| {
            self.values
                .iter()
                .any(|value| value.eq_ignore_ascii_case(fact))
        });
        match self.operator {
            Operator::In => equal_to_one,
            Operator::NotIn => !equal_to_one,
        }
    }
}

impl Rule {
    /// Whether the facts satisfy every clause.
    pub fn matches(&self, facts: &Facts) -> bool {
        self.clauses.iter().all(|clause| clause.matches(facts))
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, clause) in self.clauses.iter().enumerate() {
            if i > 0 {
                f.write_str(" AND ")?;
            }
            let op = match clause.operator {
                Operator::In => "=",
                Operator::NotIn => "!=",
            };
            write!(f, "{} {op} {}", clause.key, clause.values.join(", "))?;
        }
        Ok(())
    }
}

/// A parsed set of rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// Parses rule text.
    ///
    /// # Errors
    /// [`RuleError`] for the first line that does not parse.
    pub fn parse(text: &str) -> Result<Self, RuleError> {
        let mut rules = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            rules.push(parse_line(line, index + 1)?);
        }
        Ok(RuleSet { rules })
    }

    /// The rules, in the order they appear.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The first rule the facts satisfy.
    pub fn first_match(&self, facts: &Facts) -> Option<&Rule> {
        self.rules.iter().find(|rule| rule.matches(facts))
    }
}

/// A piece of a line, with the column it starts at.
#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Comma,
    Equals,
    NotEquals,
}

fn tokenize(line: &str, line_number: usize) -> Result<Vec<(usize, Token)>, RuleError> {
    let error = |column: usize, message: String| RuleError {
        line: line_number,
        column,
        message,
    };
    let chars: Vec<char> = line.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let column = i + 1;
        match chars[i] {
            c if c.is_whitespace() => i += 1,
            ',' => {
                tokens.push((column, Token::Comma));
                i += 1;
            }
            '=' => {
                tokens.push((column, Token::Equals));
                i += 1;
            }
            '!' if chars.get(i + 1) == Some(&'=') => {
                tokens.push((column, Token::NotEquals));
                i += 2;
            }
            '!' => return Err(error(column, "expected `!=`".to_owned())),
            '"' => {
                let start = i + 1;
                let end = chars[start..]
                    .iter()
                    .position(|c| *c == '"')
                    .map(|offset| start + offset)
                    .ok_or_else(|| error(column, "unterminated quoted value".to_owned()))?;
                tokens.push((column, Token::Quoted(chars[start..end].iter().collect())));
                i = end + 1;
            }
            _ => {
                let start = i;
                while i < chars.len() && !ends_word(&chars, i) {
                    i += 1;
                }
                tokens.push((column, Token::Word(chars[start..i].iter().collect())));
            }
        }
    }
    Ok(tokens)
}

/// Whether the character at `i` ends an unquoted word.
fn ends_word(chars: &[char], i: usize) -> bool {
    let c = chars[i];
    c.is_whitespace()
        || matches!(c, ',' | '=' | '"')
        || (c == '!' && chars.get(i + 1) == Some(&'='))
}

fn parse_line(line: &str, line_number: usize) -> Result<Rule, RuleError> {
    let error = |column: usize, message: String| RuleError {
        line: line_number,
        column,
        message,
    };
    let end_column = line.chars().count() + 1;
    let tokens = tokenize(line, line_number)?;
    let mut tokens = tokens.into_iter().peekable();
    let mut clauses = Vec::new();
    loop {
        // key
        let (key_column, key) = match tokens.next() {
            Some((column, Token::Word(word))) => (column, word),
            Some((column, _)) => return Err(error(column, "expected a key".to_owned())),
            None => return Err(error(end_column, "expected a key after `AND`".to_owned())),
        };
        let key = Key::parse(&key).ok_or_else(|| {
            error(
                key_column,
                format!("unknown key `{key}`; the keys are {}", KEYS.join(", ")),
            )
        })?;
        // operator
        let operator = match tokens.next() {
            Some((_, Token::Equals)) => Operator::In,
            Some((_, Token::NotEquals)) => Operator::NotIn,
            Some((column, _)) => {
                return Err(error(column, "expected `=` or `!=`".to_owned()));
            }
            None => return Err(error(end_column, "expected `=` or `!=`".to_owned())),
        };
        // values: value (, value)*; an unquoted value may be several words.
        let mut values = Vec::new();
        loop {
            let mut words: Vec<String> = Vec::new();
            let mut quoted = None;
            while let Some((column, token)) = tokens.peek() {
                match token {
                    Token::Word(word) if word.eq_ignore_ascii_case("AND") => break,
                    Token::Word(word) => {
                        if quoted.is_some() {
                            return Err(error(
                                *column,
                                "expected `,` or `AND` after a quoted value".to_owned(),
                            ));
                        }
                        words.push(word.clone());
                        tokens.next();
                    }
                    Token::Quoted(text) => {
                        if quoted.is_some() || !words.is_empty() {
                            return Err(error(
                                *column,
                                "a quoted value must stand alone".to_owned(),
                            ));
                        }
                        quoted = Some(text.clone());
                        tokens.next();
                    }
                    _ => break,
                }
            }
            let value = quoted.unwrap_or_else(|| words.join(" "));
            let column = tokens.peek().map_or(end_column, |(column, _)| *column);
            if value.is_empty() {
                return Err(error(column, "expected a value".to_owned()));
            }
            values.push(value);
            match tokens.peek() {
                Some((_, Token::Comma)) => {
                    tokens.next();
                }
                _ => break,
            }
        }
        clauses.push(Clause {
            key,
            operator,
            values,
        });
        match tokens.next() {
            None => break,
            Some((_, Token::Word(word))) if word.eq_ignore_ascii_case("AND") => continue,
            Some((column, _)) => {
                return Err(error(
                    column,
                    "expected `AND` or the end of the line".to_owned(),
                ));
            }
        }
    }
    Ok(Rule {
        line: line_number,
        clauses,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags() -> BTreeMap<String, String> {
        BTreeMap::from([("owner".into(), "alice".into())])
    }

    fn facts(tags: &BTreeMap<String, String>) -> Facts<'_> {
        Facts {
            account_id: Some("111122223333"),
            region: Some("eu-west-1"),
            client: Some("acme"),
            environment: Some("prod"),
            organizational_unit: Some("Workloads"),
            project_name: Some("shop"),
            team: Some("Platform Team"),
            policy_name: Some("S3.2"),
            resource_type: Some("AwsS3Bucket"),
            resource_tags: Some(tags),
        }
    }

    fn matches(rule: &str) -> bool {
        RuleSet::parse(rule)
            .unwrap()
            .first_match(&facts(&tags()))
            .is_some()
    }

    #[test]
    fn every_key_matches_with_equals_and_not_equals() {
        let cases = [
            ("account_id", "111122223333"),
            ("region", "eu-west-1"),
            ("client", "acme"),
            ("environment", "prod"),
            ("organizational_unit", "Workloads"),
            ("project_name", "shop"),
            ("team", "Platform Team"),
            ("policy_name", "S3.2"),
            ("resource_type", "AwsS3Bucket"),
            ("resource_tag:owner", "alice"),
        ];
        for (key, value) in cases {
            assert!(matches(&format!("{key} = other, {value}")), "{key} =");
            assert!(!matches(&format!("{key} = other")), "{key} = other");
            assert!(!matches(&format!("{key} != {value}")), "{key} !=");
            assert!(matches(&format!("{key} != other, more")), "{key} != other");
        }
    }

    #[test]
    fn values_compare_without_case() {
        assert!(matches("environment = PROD AND team = platform team"));
    }

    #[test]
    fn missing_fact_equals_nothing() {
        assert!(!matches("resource_tag:absent = x"));
        assert!(matches("resource_tag:absent != x"));
    }

    #[test]
    fn clauses_are_anded_and_lines_are_ored() {
        assert!(!matches("environment = prod AND team = other"));
        let rules = RuleSet::parse("environment = dev\n\n# comment\nteam = platform team").unwrap();
        assert_eq!(rules.first_match(&facts(&tags())).map(|r| r.line), Some(4));
    }

    #[test]
    fn quoted_values_keep_commas_and_and() {
        let rules = RuleSet::parse(r#"team = "R AND D, east", "Platform Team""#).unwrap();
        assert_eq!(
            rules.rules()[0].clauses[0].values,
            ["R AND D, east", "Platform Team"]
        );
        assert!(rules.first_match(&facts(&tags())).is_some());
    }

    #[test]
    fn display_writes_the_rule_back() {
        let rules = RuleSet::parse("environment=dev,  qa and team != x").unwrap();
        assert_eq!(
            rules.rules()[0].to_string(),
            "environment = dev, qa AND team != x"
        );
    }

    #[test]
    fn errors_name_line_and_column() {
        let cases = [
            ("teem = x", 1, 1, "unknown key"),
            ("environment x", 1, 13, "expected `=` or `!=`"),
            ("environment =", 1, 14, "expected a value"),
            ("environment = a,", 1, 17, "expected a value"),
            ("environment = a AND", 1, 20, "expected a key"),
            ("environment = a, , b", 1, 18, "expected a value"),
            ("team = \"open", 1, 8, "unterminated"),
            ("team ! x", 1, 6, "expected `!=`"),
            ("resource_tag: = x", 1, 1, "unknown key"),
            ("= x", 1, 1, "expected a key"),
            ("team = \"a\" b", 1, 12, "quoted value"),
            ("\n\n  region = a = b", 3, 14, "expected `AND`"),
        ];
        for (text, line, column, message) in cases {
            let error = RuleSet::parse(text).unwrap_err();
            assert_eq!(
                (error.line, error.column),
                (line, column),
                "{text:?}: {error}"
            );
            assert!(error.message.contains(message), "{text:?}: {error}");
        }
    }

    #[test]
    fn empty_text_has_no_rules() {
        assert!(RuleSet::parse("\n# only a comment\n   \n")
            .unwrap()
            .is_empty());
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        fn arb_rule_text() -> impl Strategy<Value = String> {
            let key = proptest::sample::select(vec![
                "account_id",
                "region",
                "client",
                "environment",
                "organizational_unit",
                "project_name",
                "team",
                "policy_name",
                "resource_type",
                "resource_tag:owner",
            ]);
            let value = "[a-zA-Z0-9.:_-]{1,8}( [a-zA-Z0-9]{1,5})?";
            let clause = (
                key,
                prop_oneof![Just("="), Just("!=")],
                proptest::collection::vec(value, 1..3),
            )
                .prop_map(|(k, op, values)| format!("{k} {op} {}", values.join(", ")));
            proptest::collection::vec(clause, 1..4).prop_map(|clauses| clauses.join(" AND "))
        }

        proptest! {
            #[test]
            fn parser_never_panics_and_errors_point_into_the_text(text in "\\PC{0,80}(\n\\PC{0,40}){0,3}") {
                if let Err(error) = RuleSet::parse(&text) {
                    let lines: Vec<&str> = text.lines().collect();
                    prop_assert!(error.line >= 1 && error.line <= lines.len().max(1));
                    let width = lines.get(error.line - 1).map_or(0, |l| l.chars().count());
                    prop_assert!(error.column >= 1 && error.column <= width + 1, "{error}");
                }
            }

            #[test]
            fn well_formed_rules_parse_and_print_back(text in arb_rule_text()) {
                let rules = RuleSet::parse(&text).unwrap();
                prop_assert_eq!(rules.rules().len(), 1);
                let printed = rules.rules()[0].to_string();
                let again = RuleSet::parse(&printed).unwrap();
                prop_assert_eq!(&again.rules()[0].clauses, &rules.rules()[0].clauses);
            }
        }
    }
}
