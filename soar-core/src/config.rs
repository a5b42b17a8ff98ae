//! The pipeline's configuration, checked when it is loaded.
//!
//! Configuration is JSON. Every member has a default, so `{}` is a valid
//! configuration: soar enabled, incidents handled, no grace period, no
//! suppression rules, no auto-remediation. Unknown members are errors, so a
//! misspelt setting is caught rather than ignored, and suppression rules are
//! parsed at load time so that a broken rule stops the deployment, not the
//! finding.
//!
//! ```
//! use soar_core::Config;
//!
//! let config = Config::from_json(r#"{
//!     "min_account_age_hours": 24,
//!     "suppress_when": ["environment = dev AND policy_name = EC2.8"],
//!     "auto_remediation": {"enabled": true, "controls": ["S3.2", "S3.8"]}
//! }"#)?;
//! assert!(config.auto_remediation.allows("S3.2"));
//! # Ok::<(), soar_core::ConfigError>(())
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::account::AccountData;
use crate::scoring::{EnvironmentNames, TriageConfig};
use crate::suppression::{RuleError, RuleSet};

/// A configuration that cannot be used, and why.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The JSON is malformed or a member has the wrong type.
    #[error("configuration {path}: {message}")]
    Json {
        /// The JSON path of the problem.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A suppression rule does not parse.
    #[error("configuration {member}: {source}")]
    Rule {
        /// `suppress_when` or `auto_remediation.suppress_when`.
        member: &'static str,
        /// Where and why.
        #[source]
        source: RuleError,
    },
    /// A value is out of range.
    #[error("configuration {member}: {message}")]
    Invalid {
        /// The member.
        member: &'static str,
        /// Why.
        message: String,
    },
}

/// Everything that steers the decision pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// When false, every finding is left alone (rule 1 of `decide`).
    pub enabled: bool,
    /// When true, incidents are left for later instead of handled.
    pub defer_incidents: bool,
    /// Failed controls in accounts younger than this are reconsidered later
    /// instead of ticketed, so new accounts can be set up in peace.
    pub min_account_age_hours: u32,
    /// Which environment names are dev, staging and prod.
    pub environments: EnvironmentNames,
    /// Controls that are off, by account ID; `"*"` applies to every account.
    pub disabled_controls: BTreeMap<String, Vec<String>>,
    /// Suppression rules, one per entry (see [`crate::suppression`]).
    #[serde(with = "rules_text")]
    pub suppress_when: RuleSet,
    /// Which failed controls are fixed automatically.
    pub auto_remediation: AutoRemediationConfig,
    /// Triage weights and thresholds.
    pub triage: TriageConfig,
    /// AWS Health event type codes that keep their severity instead of being
    /// reclassified as INFORMATIONAL.
    pub health_keep_severity: Vec<String>,
    /// Whether findings about resources in other accounts are re-imported
    /// into the owning account.
    pub reassign_accounts: bool,
    /// Accounts known offline, for runs without AWS Organizations.
    pub accounts: Vec<AccountData>,
    /// How every AWS SDK client retries.
    pub aws_retry: AwsRetry,
    /// How tickets are routed, when they are due, and who is reminded.
    pub tickets: crate::tickets::TicketingConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            enabled: true,
            defer_incidents: false,
            min_account_age_hours: 0,
            environments: EnvironmentNames::default(),
            disabled_controls: BTreeMap::new(),
            suppress_when: RuleSet::default(),
            auto_remediation: AutoRemediationConfig::default(),
            triage: TriageConfig::default(),
            health_keep_severity: Vec::new(),
            reassign_accounts: true,
            accounts: Vec::new(),
            aws_retry: AwsRetry::default(),
            tickets: crate::tickets::TicketingConfig::default(),
        }
    }
}

/// Which failed controls are fixed automatically.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AutoRemediationConfig {
    /// The master switch.
    pub enabled: bool,
    /// Control IDs to fix; `"*"` for every remediable control.
    pub controls: Vec<String>,
    /// The destructive controls (terminate, delete, expire data) that may
    /// run; every other destructive control is ticketed with its plan.
    pub destructive_controls: DestructiveControls,
    /// Rules under which a remediable finding is ticketed instead.
    #[serde(with = "rules_text")]
    pub suppress_when: RuleSet,
}

impl AutoRemediationConfig {
    /// Whether auto-remediation is on for `control_id`.
    pub fn allows(&self, control_id: &str) -> bool {
        self.enabled
            && self
                .controls
                .iter()
                .any(|c| c == "*" || c.eq_ignore_ascii_case(control_id))
    }
}

/// The destructive controls that may run, by control ID.
///
/// This is the one destructive gate: soar-core's pipeline reads it to decide
/// whether a destructive control is remediated or ticketed
/// (`auto_remediation.destructive_controls`), and `soar-remediate`'s
/// settings carry the same type with the same meaning, so the decision and
/// the remediation cannot disagree. IDs match case-insensitively. There is
/// no wildcard: each control that may delete or terminate is named on
/// purpose, and `"*"` is refused when the configuration is loaded.
///
/// ```
/// use soar_core::DestructiveControls;
///
/// let allowed: DestructiveControls = serde_json::from_str(r#"["S3.10", "ec2.12"]"#)?;
/// assert!(allowed.allows("EC2.12"));
/// assert!(!allowed.allows("ECR.3"));
/// assert!(serde_json::from_str::<DestructiveControls>(r#"["*"]"#).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct DestructiveControls(Vec<String>);

impl DestructiveControls {
    /// Allows these control IDs.
    ///
    /// # Errors
    /// A message when an ID is empty or a wildcard.
    pub fn new<I, S>(ids: I) -> Result<Self, String>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::try_from(ids.into_iter().map(Into::into).collect::<Vec<String>>())
    }

    /// Whether the destructive control `control_id` may run.
    pub fn allows(&self, control_id: &str) -> bool {
        self.0.iter().any(|id| id.eq_ignore_ascii_case(control_id))
    }

    /// The allowed IDs, as configured.
    pub fn ids(&self) -> &[String] {
        &self.0
    }
}

impl TryFrom<Vec<String>> for DestructiveControls {
    type Error = String;

    fn try_from(ids: Vec<String>) -> Result<Self, String> {
        if let Some(bad) = ids
            .iter()
            .find(|id| id.trim().is_empty() || id.contains('*'))
        {
            return Err(format!(
                "destructive controls are allowed one control ID at a time; {bad:?} is not a control ID"
            ));
        }
        Ok(DestructiveControls(ids))
    }
}

impl From<DestructiveControls> for Vec<String> {
    fn from(controls: DestructiveControls) -> Self {
        controls.0
    }
}

/// How the AWS SDK clients retry: the SDK's standard retry mode (exponential
/// backoff with jitter and a cap, and a retry quota), configured once here
/// and given to every client through the shared SDK configuration. soar has
/// no retry loop of its own, so a throttled call is sent at most
/// `max_attempts` times in all.
///
/// ```
/// let retry: soar_core::AwsRetry = serde_json::from_str(r#"{"max_attempts": 4}"#)?;
/// let config = retry.retry_config();
/// assert_eq!(config.max_attempts(), 4);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AwsRetry {
    /// Calls in all, the first included (at least 1).
    pub max_attempts: u32,
    /// The base of the exponential backoff, in milliseconds.
    pub initial_backoff_ms: u64,
    /// No wait between attempts is longer than this, in milliseconds.
    pub max_backoff_ms: u64,
}

impl Default for AwsRetry {
    /// 4 attempts, backoff from 200 ms capped at 5 s: a throttled call
    /// gives up within about 15 s, well inside a Lambda's timeout.
    fn default() -> Self {
        AwsRetry {
            max_attempts: 4,
            initial_backoff_ms: 200,
            max_backoff_ms: 5_000,
        }
    }
}

impl AwsRetry {
    /// The SDK retry configuration: standard mode with these settings. Pass
    /// it to `aws_config::defaults(..).retry_config(..)` once.
    pub fn retry_config(&self) -> aws_smithy_types::retry::RetryConfig {
        aws_smithy_types::retry::RetryConfig::standard()
            .with_max_attempts(self.max_attempts)
            .with_initial_backoff(Duration::from_millis(self.initial_backoff_ms))
            .with_max_backoff(Duration::from_millis(self.max_backoff_ms))
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |message: &str| {
            Err(ConfigError::Invalid {
                member: "aws_retry",
                message: message.to_owned(),
            })
        };
        if self.max_attempts == 0 {
            return invalid("max_attempts must be at least 1");
        }
        if self.initial_backoff_ms > self.max_backoff_ms {
            return invalid("initial_backoff_ms must not exceed max_backoff_ms");
        }
        Ok(())
    }
}

impl Config {
    /// Parses and checks a JSON configuration.
    ///
    /// # Errors
    /// [`ConfigError`] naming the member that is wrong, and for a rule the
    /// line and column.
    pub fn from_json(json: &str) -> Result<Self, ConfigError> {
        let json_error = |path: String, error: &dyn std::fmt::Display| ConfigError::Json {
            path,
            message: error.to_string(),
        };
        // `Value` keeps the last of two members of one name; a configuration
        // that says a thing twice is refused first, with its line and column.
        serde_json::from_str::<duplicates::Refused>(json)
            .map_err(|e| json_error(".".to_owned(), &e))?;
        let mut value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| json_error(".".to_owned(), &e))?;
        // The rule sets are taken out and parsed once the rest has
        // deserialised, so that a rule that does not parse is its own
        // `RuleError`, with the line and column, not a message inside serde.
        let rules = rules_text::take(&mut value, &["suppress_when"])?;
        let remediation_rules =
            rules_text::take(&mut value, &["auto_remediation", "suppress_when"])?;
        let mut config: Config = serde_path_to_error::deserialize(value)
            .map_err(|e| json_error(e.path().to_string(), e.inner()))?;
        let parse = |text: Option<String>, member: &'static str| {
            text.map(|text| RuleSet::parse(&text))
                .transpose()
                .map_err(|source| ConfigError::Rule { member, source })
        };
        if let Some(rules) = parse(rules, "suppress_when")? {
            config.suppress_when = rules;
        }
        if let Some(rules) = parse(remediation_rules, "auto_remediation.suppress_when")? {
            config.auto_remediation.suppress_when = rules;
        }
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let triage = &self.triage;
        let in_range = |v: f64| (0.0..=100.0).contains(&v);
        if !in_range(triage.human_review_at) || !in_range(triage.auto_remediate_at) {
            return Err(ConfigError::Invalid {
                member: "triage",
                message: "thresholds must be within 0..=100".to_owned(),
            });
        }
        if triage.human_review_at > triage.auto_remediate_at {
            return Err(ConfigError::Invalid {
                member: "triage",
                message: "human_review_at must not exceed auto_remediate_at".to_owned(),
            });
        }
        self.aws_retry.validate()?;
        let tickets = &self.tickets;
        if tickets.default_project.trim().is_empty() {
            return Err(ConfigError::Invalid {
                member: "tickets",
                message: "default_project must not be empty: it is where an untagged account's tickets go".to_owned(),
            });
        }
        let sla = tickets.sla_hours;
        if [sla.critical, sla.high, sla.medium, sla.low].contains(&0) {
            return Err(ConfigError::Invalid {
                member: "tickets",
                message: "every sla_hours must be at least 1".to_owned(),
            });
        }
        for account in &self.accounts {
            if !soar_asff::is_account_id(&account.id) {
                return Err(ConfigError::Invalid {
                    member: "accounts",
                    message: format!("{:?} is not a 12-digit account ID", account.id),
                });
            }
        }
        Ok(())
    }

    /// Whether `control_id` is turned on for `account_id`.
    pub fn is_control_enabled(&self, account_id: &str, control_id: &str) -> bool {
        let disabled_in = |key: &str| {
            self.disabled_controls
                .get(key)
                .is_some_and(|ids| ids.iter().any(|id| id.eq_ignore_ascii_case(control_id)))
        };
        !disabled_in("*") && !disabled_in(account_id)
    }
}

/// Refuses JSON in which an object names a member twice: the derived
/// deserialisers do, but a `serde_json::Value` keeps the last one silently.
mod duplicates {
    use std::collections::BTreeSet;
    use std::fmt;

    use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

    /// Any JSON value without a repeated member, discarded.
    pub(super) struct Refused;

    impl<'de> Deserialize<'de> for Refused {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_any(RefusedVisitor)
        }
    }

    struct RefusedVisitor;

    impl<'de> Visitor<'de> for RefusedVisitor {
        type Value = Refused;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON value")
        }

        fn visit_bool<E>(self, _: bool) -> Result<Refused, E> {
            Ok(Refused)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Refused, E> {
            Ok(Refused)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Refused, E> {
            Ok(Refused)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Refused, E> {
            Ok(Refused)
        }
        fn visit_str<E>(self, _: &str) -> Result<Refused, E> {
            Ok(Refused)
        }
        fn visit_unit<E>(self) -> Result<Refused, E> {
            Ok(Refused)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Refused, A::Error> {
            while seq.next_element::<Refused>()?.is_some() {}
            Ok(Refused)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Refused, A::Error> {
            let mut seen = BTreeSet::new();
            while let Some(key) = map.next_key::<String>()? {
                if !seen.insert(key.clone()) {
                    return Err(de::Error::custom(format!("duplicate member `{key}`")));
                }
                map.next_value::<Refused>()?;
            }
            Ok(Refused)
        }
    }
}

/// Rule sets are written in configuration as a list of lines (or one string
/// with newlines) and parsed when the configuration is loaded.
mod rules_text {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::ConfigError;
    use crate::suppression::RuleSet;

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        One(String),
        Lines(Vec<String>),
    }

    impl Text {
        fn joined(self) -> String {
            match self {
                Text::One(text) => text,
                Text::Lines(lines) => lines.join("\n"),
            }
        }
    }

    /// For a `Config` deserialised by serde directly; `Config::from_json`
    /// parses the rules itself, with typed errors.
    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<RuleSet, D::Error> {
        RuleSet::parse(&Text::deserialize(d)?.joined()).map_err(serde::de::Error::custom)
    }

    pub(super) fn serialize<S: Serializer>(rules: &RuleSet, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(rules.rules().iter().map(ToString::to_string))
    }

    /// Removes the rule text at `path` from `value`, if it is there.
    pub(super) fn take(
        value: &mut serde_json::Value,
        path: &[&str],
    ) -> Result<Option<String>, ConfigError> {
        let Some((member, parents)) = path.split_last() else {
            return Ok(None);
        };
        let mut object = &mut *value;
        for parent in parents {
            match object.get_mut(*parent) {
                Some(inner) => object = inner,
                None => return Ok(None),
            }
        }
        let Some(text) = object.as_object_mut().and_then(|o| o.remove(*member)) else {
            return Ok(None);
        };
        Text::deserialize(text)
            .map(|text| Some(text.joined()))
            .map_err(|_| ConfigError::Json {
                path: path.join("."),
                message: "expected a rule as a string, or a list of rules".to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_object_is_the_default() {
        assert_eq!(Config::from_json("{}").unwrap(), Config::default());
    }

    #[test]
    fn unknown_member_is_an_error_with_its_path() {
        let error = Config::from_json(r#"{"auto_remediation": {"enabeld": true}}"#).unwrap_err();
        let ConfigError::Json { path, message } = error else {
            panic!("{error}")
        };
        assert_eq!(path, "auto_remediation.enabeld");
        assert!(message.contains("unknown field `enabeld`"), "{message}");
    }

    #[test]
    fn broken_rule_fails_at_load_with_line_and_column() {
        let json = r#"{"auto_remediation": {"suppress_when": ["team = a", "teem = b"]}}"#;
        let ConfigError::Rule { member, source } = Config::from_json(json).unwrap_err() else {
            panic!("not a rule error")
        };
        assert_eq!(member, "auto_remediation.suppress_when");
        assert_eq!((source.line, source.column), (2, 1));
        assert!(source.message.contains("unknown key"), "{}", source.message);
    }

    #[test]
    fn a_member_given_twice_is_refused_with_where() {
        let json = "{\"auto_remediation\": {\"enabled\": false,\n \"enabled\": true}}";
        let error = Config::from_json(json).unwrap_err().to_string();
        assert!(
            error.contains("duplicate member `enabled`") && error.contains("line 2"),
            "{error}"
        );
    }

    #[test]
    fn rules_of_the_wrong_type_are_named_and_top_level_rules_are_typed_errors() {
        let error = Config::from_json(r#"{"suppress_when": 42}"#).unwrap_err();
        let ConfigError::Json { path, message } = error else {
            panic!("{error}")
        };
        assert_eq!(path, "suppress_when");
        assert!(message.contains("list of rules"), "{message}");
        let ConfigError::Rule { member, source } =
            Config::from_json(r#"{"suppress_when": "team = a AND"}"#).unwrap_err()
        else {
            panic!("not a rule error")
        };
        assert_eq!((member, source.line), ("suppress_when", 1));
    }

    #[test]
    fn rules_serialize_back_as_lines() {
        let config = Config::from_json(r#"{"suppress_when": "team = a\nregion != b"}"#).unwrap();
        let json = serde_json::to_value(&config).unwrap();
        assert_eq!(
            json["suppress_when"],
            serde_json::json!(["team = a", "region != b"])
        );
        let again: Config = serde_json::from_value(json).unwrap();
        assert_eq!(again, config);
    }

    #[test]
    fn thresholds_are_checked() {
        let error = Config::from_json(r#"{"triage": {"human_review_at": 95}}"#).unwrap_err();
        assert!(error.to_string().contains("human_review_at"), "{error}");
        let error = Config::from_json(r#"{"accounts": [{"id": "12"}]}"#).unwrap_err();
        assert!(error.to_string().contains("12-digit"), "{error}");
    }

    #[test]
    fn controls_can_be_disabled_everywhere_or_per_account() {
        let config = Config::from_json(
            r#"{"disabled_controls": {"*": ["EC2.8"], "111122223333": ["s3.2"]}}"#,
        )
        .unwrap();
        assert!(!config.is_control_enabled("999999999999", "EC2.8"));
        assert!(!config.is_control_enabled("111122223333", "S3.2"));
        assert!(config.is_control_enabled("999999999999", "S3.2"));
    }

    #[test]
    fn auto_remediation_needs_the_switch_and_the_control() {
        let mut auto = AutoRemediationConfig {
            enabled: false,
            controls: vec!["*".into()],
            ..AutoRemediationConfig::default()
        };
        assert!(!auto.allows("S3.2"));
        auto.enabled = true;
        assert!(auto.allows("S3.2"));
        auto.controls = vec!["S3.8".into()];
        assert!(!auto.allows("S3.2"));
    }

    #[test]
    fn destructive_controls_are_named_one_by_one() {
        let config =
            Config::from_json(r#"{"auto_remediation": {"destructive_controls": ["s3.10"]}}"#)
                .unwrap();
        let allowed = &config.auto_remediation.destructive_controls;
        assert!(allowed.allows("S3.10"));
        assert!(!allowed.allows("ECR.3"));
        let error = Config::from_json(r#"{"auto_remediation": {"destructive_controls": ["*"]}}"#)
            .unwrap_err();
        let ConfigError::Json { path, message } = error else {
            panic!("{error}")
        };
        assert_eq!(path, "auto_remediation.destructive_controls");
        assert!(message.contains("one control ID at a time"), "{message}");
        assert!(DestructiveControls::new([""]).is_err());
    }

    #[test]
    fn aws_retry_becomes_the_sdk_standard_retry_config() {
        let config = Config::from_json(
            r#"{"aws_retry": {"max_attempts": 2, "initial_backoff_ms": 50, "max_backoff_ms": 400}}"#,
        )
        .unwrap();
        let retry = config.aws_retry.retry_config();
        assert_eq!(retry.mode(), aws_smithy_types::retry::RetryMode::Standard);
        assert_eq!(retry.max_attempts(), 2);
        assert_eq!(retry.initial_backoff(), Duration::from_millis(50));
        assert_eq!(retry.max_backoff(), Duration::from_millis(400));
        for bad in [
            r#"{"aws_retry": {"max_attempts": 0}}"#,
            r#"{"aws_retry": {"initial_backoff_ms": 9000, "max_backoff_ms": 10}}"#,
        ] {
            let error = Config::from_json(bad).unwrap_err();
            assert!(error.to_string().contains("aws_retry"), "{error}");
        }
    }

    #[test]
    fn the_tickets_section_is_read_and_checked() {
        use crate::tickets::{SocDomains, SystemKind};
        let config = Config::from_json(
            r#"{"tickets": {"system": "servicenow", "default_project": "Security",
                "soc_project": "SOC", "soc_domains": "APP", "sla_hours": {"critical": 2},
                "escalate_severities": ["CRITICAL"]}}"#,
        )
        .unwrap();
        let tickets = &config.tickets;
        assert_eq!(tickets.system, SystemKind::ServiceNow);
        assert_eq!(tickets.soc_domains, SocDomains::App);
        assert_eq!(
            (tickets.sla_hours.critical, tickets.sla_hours.high),
            (2, 8),
            "unset SLAs keep their defaults"
        );
        assert!(tickets.autofixed_tickets);
        for (bad, expected) in [
            (
                r#"{"tickets": {"default_project": " "}}"#,
                "default_project",
            ),
            (r#"{"tickets": {"sla_hours": {"high": 0}}}"#, "sla_hours"),
            (r#"{"tickets": {"system": "email"}}"#, "tickets.system"),
            (r#"{"tickets": {"sla": {}}}"#, "unknown field"),
        ] {
            let error = Config::from_json(bad).unwrap_err();
            assert!(error.to_string().contains(expected), "{bad}: {error}");
        }
    }
}
