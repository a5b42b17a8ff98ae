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
    /// Whether controls marked destructive (terminate, delete) may run.
    pub allow_destructive: bool,
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

impl Config {
    /// Parses and checks a JSON configuration.
    ///
    /// # Errors
    /// [`ConfigError`] naming the member that is wrong, and for a rule the
    /// line and column.
    pub fn from_json(json: &str) -> Result<Self, ConfigError> {
        let mut deserializer = serde_json::Deserializer::from_str(json);
        let config: Config = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
            let message = e.inner().to_string();
            let path = e.path().to_string();
            match rules_text::take_rule_error(&message) {
                Some(source) => ConfigError::Rule {
                    member: if path.starts_with("auto_remediation") {
                        "auto_remediation.suppress_when"
                    } else {
                        "suppress_when"
                    },
                    source,
                },
                None => ConfigError::Json { path, message },
            }
        })?;
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

/// Rule sets are written in configuration as a list of lines (or one string
/// with newlines) and parsed when the configuration is loaded.
mod rules_text {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::suppression::{RuleError, RuleSet};

    const MARKER: &str = "suppression rule line ";

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        One(String),
        Lines(Vec<String>),
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<RuleSet, D::Error> {
        let text = match Text::deserialize(d)? {
            Text::One(text) => text,
            Text::Lines(lines) => lines.join("\n"),
        };
        RuleSet::parse(&text).map_err(serde::de::Error::custom)
    }

    pub(super) fn serialize<S: Serializer>(rules: &RuleSet, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(rules.rules().iter().map(ToString::to_string))
    }

    /// Recovers a [`RuleError`] from the message it became inside serde.
    pub(super) fn take_rule_error(message: &str) -> Option<RuleError> {
        let rest = message.strip_prefix(MARKER)?;
        let (line, rest) = rest.split_once(", column ")?;
        let (column, rest) = rest.split_once(": ")?;
        let message = rest.split(" at line ").next().unwrap_or(rest);
        Some(RuleError {
            line: line.parse().ok()?,
            column: column.parse().ok()?,
            message: message.to_owned(),
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
}
