//! The handlers' configuration: environment variables, parsed once at init.
//!
//! Every variable has a default, so a handler starts with only Lambda's own
//! variables set; the SAM template sets each one explicitly anyway. A value
//! that does not parse stops the container at init with a message that
//! names the variable: a broken deployment fails on its first invocation,
//! loudly, instead of deciding findings with a setting silently ignored.
//!
//! | Variable | Default | What it is |
//! | --- | --- | --- |
//! | `SOAR_CONFIG` | `{}` | The pipeline configuration, as JSON ([`soar_core::Config`]). |
//! | `SOAR_REMEDIATION_SETTINGS` | `{}` | The remediation settings, as JSON ([`soar_remediate::Settings`]). |
//! | `SOAR_INCIDENT_SETTINGS` | `{}` | The incident classification and containment settings, as JSON ([`soar_incident::IncidentConfig`]). |
//! | `SOAR_AUTO_REMEDIATION` | from `SOAR_CONFIG` (off) | `true` or `false`: the auto-remediation switch. |
//! | `SOAR_ENABLED_CONTROLS` | from `SOAR_CONFIG` (none) | Comma-separated control IDs to fix automatically, or `*`. |
//! | `SOAR_DESTRUCTIVE_CONTROLS` | from the JSON (none) | Comma-separated destructive control IDs that may run; set in both the pipeline configuration and the remediation settings, so the two agree. |
//! | `SOAR_ROLE_NAME` | none | The role assumed in member accounts; without it soar acts only in its own account and tickets the rest. |
//! | `SOAR_EXTERNAL_ID` | none | The external ID passed to `AssumeRole`. |
//! | `SOAR_ORGANIZATIONS` | `true` | Whether account data comes from AWS Organizations (`false`: from `SOAR_CONFIG`'s `accounts`). |
//! | `SOAR_TICKETS_TABLE` | `soar-tickets` | The DynamoDB table of tickets. |
//! | `SOAR_INCIDENTS_TABLE` | `soar-incidents` | The DynamoDB table of incidents. |
//! | `SOAR_AUTOREMEDIATIONS_TABLE` | `soar-autoremediations` | The DynamoDB table of autoremediations. |
//! | `SOAR_RECORD_RETENTION_DAYS` | `365` | How long records are kept (their DynamoDB TTL). |
//! | `SOAR_TICKET_SYSTEM` | `{}` | The ticket systems' settings, as JSON ([`soar_tickets::SystemSettings`]); which one is used is `SOAR_CONFIG`'s `tickets.system`. |
//! | `SOAR_TICKET_PARAMETER` | none | The SSM parameter (a `SecureString`) holding the ticket system's credentials, `{"user": ..., "token": ...}`. |
//! | `SOAR_TICKET_SECRET` | none | Or the Secrets Manager secret holding them. One of the two is needed for Jira or ServiceNow. |
//! | `SOAR_AI_CONFIG` | `{}` | The AI analysis settings, as JSON ([`soar_ai::AiConfig`]): the Bedrock model and Region, max tokens, temperature, timeout, IaC flavours; `"model_id": "offline"` for the offline model, `"enabled": false` for none. |
//! | `SOAR_MAIL_FROM` | none | The SES sender (a verified address or domain) of the team mail and the weekly report; without it and `SOAR_NOTIFY_TOPIC`, soar sends no mail. |
//! | `SOAR_NOTIFY_TOPIC` | none | Or an SNS topic ARN the plain-text messages are published to (when `SOAR_MAIL_FROM` is unset). |
//! | `SOAR_REPORT_RECIPIENTS` | none | Comma-separated addresses of the weekly report (SES). |
//! | `SOAR_SWEEP_PAGE_SIZE` | `50` | Findings per `GetFindings` page in the backlog sweep (1 to 100). A page travels in the state machine's state, which holds at most 256 KiB, and a finding is 3 KB on average (5 KB at most in the test data). |

use soar_ai::AiConfig;
use soar_core::aws::TableNames;
use soar_core::{Config, DestructiveControls};
use soar_incident::IncidentConfig;
use soar_remediate::Settings;
use soar_tickets::SystemSettings;

/// The longest the model may take in the reference deployment, in
/// seconds: under `soar-analyse`'s own timeout (30 s), which is under its
/// state's `TimeoutSeconds` (35 s), so that a slow model ends with the
/// analyst's note, not with the function cut off.
pub const MAX_AI_TIMEOUT_SECONDS: u64 = 25;

/// A variable that does not parse, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable {variable}: {message}")]
pub struct SettingsError {
    /// The variable.
    pub variable: &'static str,
    /// What is wrong with its value.
    pub message: String,
}

/// Everything the handlers read from the environment.
#[derive(Debug, Clone, PartialEq)]
pub struct LambdaSettings {
    /// The pipeline configuration.
    pub config: Config,
    /// The remediation settings.
    pub remediation: Settings,
    /// The incident classification and containment settings.
    pub incident: IncidentConfig,
    /// The role assumed in member accounts.
    pub role_name: Option<String>,
    /// The external ID for `AssumeRole`.
    pub external_id: Option<String>,
    /// Whether account data comes from AWS Organizations.
    pub organizations: bool,
    /// The DynamoDB tables.
    pub tables: TableNames,
    /// How long records are kept, in days.
    pub record_retention_days: u32,
    /// Findings per `GetFindings` page in the backlog sweep.
    pub sweep_page_size: i32,
    /// The ticket systems' settings.
    pub ticket_system: SystemSettings,
    /// Where the ticket system's credentials are kept.
    pub ticket_credentials: Option<TicketCredentials>,
    /// The AI analysis settings.
    pub ai: AiConfig,
    /// Where mail goes out.
    pub mail: Option<MailSettings>,
    /// The weekly report's recipients.
    pub report_recipients: Vec<String>,
}

/// How soar sends its mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailSettings {
    /// Through SES, from this sender.
    Ses {
        /// The verified sender.
        from: String,
    },
    /// To this SNS topic's subscribers, as plain text.
    Sns {
        /// The topic's ARN.
        topic_arn: String,
    },
}

/// Where the ticket system's credentials are kept: a JSON document
/// `{"user": ..., "token": ...}`, read once per container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketCredentials {
    /// An SSM Parameter Store `SecureString`, by name.
    SsmParameter(String),
    /// A Secrets Manager secret, by name or ARN.
    Secret(String),
}

impl LambdaSettings {
    /// The settings from the process environment.
    ///
    /// # Errors
    /// [`SettingsError`] naming the first variable that does not parse.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The settings from `lookup` (a variable's value, if set): the
    /// environment in Lambda, a map in tests.
    ///
    /// # Errors
    /// [`SettingsError`] naming the first variable that does not parse.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let text = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let mut config = match text("SOAR_CONFIG") {
            Some(json) => Config::from_json(&json).map_err(|e| SettingsError {
                variable: "SOAR_CONFIG",
                message: e.to_string(),
            })?,
            None => Config::default(),
        };
        let mut remediation: Settings = json_setting(
            "SOAR_REMEDIATION_SETTINGS",
            text("SOAR_REMEDIATION_SETTINGS"),
        )?;
        let incident: IncidentConfig =
            json_setting("SOAR_INCIDENT_SETTINGS", text("SOAR_INCIDENT_SETTINGS"))?;
        if let Some(value) = text("SOAR_AUTO_REMEDIATION") {
            config.auto_remediation.enabled = boolean("SOAR_AUTO_REMEDIATION", &value)?;
        }
        if let Some(value) = text("SOAR_ENABLED_CONTROLS") {
            config.auto_remediation.controls = list(&value);
        }
        if let Some(value) = text("SOAR_DESTRUCTIVE_CONTROLS") {
            let allowed =
                DestructiveControls::new(list(&value)).map_err(|message| SettingsError {
                    variable: "SOAR_DESTRUCTIVE_CONTROLS",
                    message,
                })?;
            config.auto_remediation.destructive_controls = allowed.clone();
            remediation.destructive_controls = allowed;
        }
        let organizations = match text("SOAR_ORGANIZATIONS") {
            Some(value) => boolean("SOAR_ORGANIZATIONS", &value)?,
            None => true,
        };
        let table =
            |name: &'static str, default: &str| text(name).unwrap_or_else(|| default.to_owned());
        let record_retention_days = number(
            "SOAR_RECORD_RETENTION_DAYS",
            text("SOAR_RECORD_RETENTION_DAYS"),
            365,
            1..=36_500,
        )?;
        let sweep_page_size = number(
            "SOAR_SWEEP_PAGE_SIZE",
            text("SOAR_SWEEP_PAGE_SIZE"),
            50,
            1..=100,
        )?;
        let ticket_system: SystemSettings =
            json_setting("SOAR_TICKET_SYSTEM", text("SOAR_TICKET_SYSTEM"))?;
        let ticket_credentials = match (text("SOAR_TICKET_PARAMETER"), text("SOAR_TICKET_SECRET")) {
            (Some(_), Some(_)) => {
                return Err(SettingsError {
                    variable: "SOAR_TICKET_SECRET",
                    message: "set SOAR_TICKET_PARAMETER or SOAR_TICKET_SECRET, not both".into(),
                })
            }
            (Some(name), None) => Some(TicketCredentials::SsmParameter(name)),
            (None, Some(id)) => Some(TicketCredentials::Secret(id)),
            (None, None) => None,
        };
        let system = config.tickets.system;
        if system != soar_core::tickets::SystemKind::None {
            if ticket_credentials.is_none() {
                return Err(SettingsError {
                    variable: "SOAR_TICKET_PARAMETER",
                    message: format!(
                        "the ticket system is {system:?}: its credentials need SOAR_TICKET_PARAMETER or SOAR_TICKET_SECRET"
                    ),
                });
            }
            // Building makes no call: it checks the URL and the rest now,
            // at init, not at the first ticket.
            let unused = std::sync::Arc::new(soar_tickets::Credentials::bearer(""));
            ticket_system
                .build(system, unused)
                .map_err(|e| SettingsError {
                    variable: "SOAR_TICKET_SYSTEM",
                    message: e.to_string(),
                })?;
        }
        let ai: AiConfig = json_setting("SOAR_AI_CONFIG", text("SOAR_AI_CONFIG"))?;
        if ai.timeout_seconds > MAX_AI_TIMEOUT_SECONDS {
            return Err(SettingsError {
                variable: "SOAR_AI_CONFIG",
                message: format!(
                    "timeout_seconds is {}: at most {MAX_AI_TIMEOUT_SECONDS}, so that the analysis ends, with its note, before soar-analyse's own timeout",
                    ai.timeout_seconds
                ),
            });
        }
        let mail = match (text("SOAR_MAIL_FROM"), text("SOAR_NOTIFY_TOPIC")) {
            (Some(from), _) => Some(MailSettings::Ses { from }),
            (None, Some(topic_arn)) => Some(MailSettings::Sns { topic_arn }),
            (None, None) => None,
        };
        Ok(LambdaSettings {
            ai,
            mail,
            report_recipients: text("SOAR_REPORT_RECIPIENTS")
                .map(|value| list(&value))
                .unwrap_or_default(),
            ticket_system,
            ticket_credentials,
            config,
            remediation,
            incident,
            role_name: text("SOAR_ROLE_NAME"),
            external_id: text("SOAR_EXTERNAL_ID"),
            organizations,
            tables: TableNames {
                tickets: table("SOAR_TICKETS_TABLE", "soar-tickets"),
                incidents: table("SOAR_INCIDENTS_TABLE", "soar-incidents"),
                autoremediations: table("SOAR_AUTOREMEDIATIONS_TABLE", "soar-autoremediations"),
            },
            record_retention_days: u32::try_from(record_retention_days).unwrap_or(365),
            sweep_page_size: i32::try_from(sweep_page_size).unwrap_or(50),
        })
    }
}

/// The JSON settings in `value`, or the defaults when it is unset; an
/// error names the variable and the member that does not parse.
fn json_setting<T: serde::de::DeserializeOwned + Default>(
    variable: &'static str,
    value: Option<String>,
) -> Result<T, SettingsError> {
    let Some(json) = value else {
        return Ok(T::default());
    };
    let mut deserializer = serde_json::Deserializer::from_str(&json);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| SettingsError {
        variable,
        message: format!("{}: {}", e.path(), e.inner()),
    })
}

fn boolean(variable: &'static str, value: &str) -> Result<bool, SettingsError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        other => Err(SettingsError {
            variable,
            message: format!("{other:?} is not true or false"),
        }),
    }
}

fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect()
}

fn number(
    variable: &'static str,
    value: Option<String>,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, SettingsError> {
    let Some(value) = value else {
        return Ok(default);
    };
    match value.trim().parse::<i64>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(SettingsError {
            variable,
            message: format!(
                "{value:?} is not a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<LambdaSettings, SettingsError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        LambdaSettings::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn nothing_set_gives_the_documented_defaults() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.config, Config::default());
        assert_eq!(s.remediation, Settings::default());
        assert_eq!((s.role_name, s.external_id), (None, None));
        assert!(s.organizations);
        assert_eq!(s.tables.tickets, "soar-tickets");
        assert_eq!(s.tables.incidents, "soar-incidents");
        assert_eq!(s.tables.autoremediations, "soar-autoremediations");
        assert_eq!((s.record_retention_days, s.sweep_page_size), (365, 50));
        assert_eq!(s.ai, soar_ai::AiConfig::default());
        assert_eq!((s.mail, s.report_recipients.len()), (None, 0));
    }

    #[test]
    fn mail_goes_through_ses_before_sns_and_the_ai_settings_are_read() {
        let s = settings(&[
            ("SOAR_MAIL_FROM", "soar@security.example.com"),
            (
                "SOAR_NOTIFY_TOPIC",
                "arn:aws:sns:eu-west-1:111111111111:soar",
            ),
            (
                "SOAR_REPORT_RECIPIENTS",
                "ciso@example.com, sec@example.com",
            ),
            (
                "SOAR_AI_CONFIG",
                r#"{"model_id": "offline", "timeout_seconds": 5}"#,
            ),
        ])
        .unwrap();
        assert_eq!(
            s.mail,
            Some(MailSettings::Ses {
                from: "soar@security.example.com".into()
            })
        );
        assert_eq!(s.report_recipients, ["ciso@example.com", "sec@example.com"]);
        assert_eq!(
            (s.ai.model_id.as_str(), s.ai.timeout_seconds),
            ("offline", 5)
        );
        let topic = settings(&[(
            "SOAR_NOTIFY_TOPIC",
            "arn:aws:sns:eu-west-1:111111111111:soar",
        )])
        .unwrap();
        assert_eq!(
            topic.mail,
            Some(MailSettings::Sns {
                topic_arn: "arn:aws:sns:eu-west-1:111111111111:soar".into()
            })
        );
    }

    #[test]
    fn template_parameters_override_the_json_configuration() {
        let s = settings(&[
            (
                "SOAR_CONFIG",
                r#"{"auto_remediation": {"controls": ["S3.2"]}}"#,
            ),
            ("SOAR_AUTO_REMEDIATION", "true"),
            ("SOAR_ENABLED_CONTROLS", "S3.8, DynamoDB.6"),
            ("SOAR_DESTRUCTIVE_CONTROLS", "S3.10"),
            ("SOAR_ROLE_NAME", "SoarRemediation"),
            ("SOAR_ORGANIZATIONS", "false"),
            ("SOAR_TICKETS_TABLE", "prod-tickets"),
        ])
        .unwrap();
        assert!(s.config.auto_remediation.allows("DynamoDB.6"));
        assert!(!s.config.auto_remediation.allows("S3.2"));
        assert!(s
            .config
            .auto_remediation
            .destructive_controls
            .allows("S3.10"));
        assert!(
            s.remediation.destructive_controls.allows("S3.10"),
            "one gate, set in both"
        );
        assert_eq!(s.role_name.as_deref(), Some("SoarRemediation"));
        assert!(!s.organizations);
        assert_eq!(s.tables.tickets, "prod-tickets");
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let cases = [
            ("SOAR_CONFIG", r#"{"enabeld": true}"#, "unknown field"),
            (
                "SOAR_REMEDIATION_SETTINGS",
                r#"{"ecr_keep_images": "x"}"#,
                "ecr_keep_images",
            ),
            ("SOAR_AUTO_REMEDIATION", "maybe", "not true or false"),
            ("SOAR_DESTRUCTIVE_CONTROLS", "*", "one control ID at a time"),
            ("SOAR_SWEEP_PAGE_SIZE", "500", "from 1 to 100"),
            ("SOAR_RECORD_RETENTION_DAYS", "soon", "whole number"),
            (
                "SOAR_AI_CONFIG",
                r#"{"model": "x"}"#,
                "unknown field `model`",
            ),
        ];
        for (variable, value, expected) in cases {
            let error = settings(&[(variable, value)]).unwrap_err();
            assert_eq!(error.variable, variable);
            assert!(error.message.contains(expected), "{variable}: {error}");
            assert!(error
                .to_string()
                .starts_with(&format!("environment variable {variable}")));
        }
    }

    #[test]
    fn a_ticket_system_is_checked_at_init_with_its_credentials() {
        let jira = r#"{"tickets": {"system": "jira", "default_project": "SEC"}}"#;
        let url = r#"{"jira": {"url": "https://example.atlassian.net"}}"#;
        let s = settings(&[
            ("SOAR_CONFIG", jira),
            ("SOAR_TICKET_SYSTEM", url),
            ("SOAR_TICKET_SECRET", "soar/jira"),
        ])
        .unwrap();
        assert_eq!(
            s.ticket_credentials,
            Some(TicketCredentials::Secret("soar/jira".into()))
        );
        assert_eq!(s.ticket_system.jira.url, "https://example.atlassian.net");

        type Vars<'a> = &'a [(&'a str, &'a str)];
        let cases: [(Vars, &str, &str); 3] = [
            (
                &[("SOAR_CONFIG", jira), ("SOAR_TICKET_SYSTEM", url)],
                "SOAR_TICKET_PARAMETER",
                "credentials need",
            ),
            (
                &[
                    ("SOAR_CONFIG", jira),
                    ("SOAR_TICKET_PARAMETER", "/soar/jira"),
                ],
                "SOAR_TICKET_SYSTEM",
                "url",
            ),
            (
                &[
                    ("SOAR_TICKET_PARAMETER", "/soar/jira"),
                    ("SOAR_TICKET_SECRET", "soar/jira"),
                ],
                "SOAR_TICKET_SECRET",
                "not both",
            ),
        ];
        for (vars, variable, expected) in cases {
            let error = settings(vars).unwrap_err();
            assert_eq!(error.variable, variable, "{error}");
            assert!(error.message.contains(expected), "{error}");
        }
        // Without a ticket system, nothing else is needed.
        assert_eq!(settings(&[]).unwrap().ticket_credentials, None);
    }
}
