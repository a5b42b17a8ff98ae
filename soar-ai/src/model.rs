//! The language model, behind one trait, and the offline model.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use soar_core::error_class::ErrorClass;

use crate::prompts::PromptKind;

/// What is sent to a model: the rendered, anonymised texts, and the
/// anonymised slot values they were rendered from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    /// The kind of message asked for.
    pub kind: PromptKind,
    /// The system prompt.
    pub system: String,
    /// The user message: the template of [`kind`](Self::kind), filled.
    pub text: String,
    /// The slot values [`text`](Self::text) was filled with, for a model
    /// that works on the data rather than the words ([`OfflineModel`]).
    pub slots: BTreeMap<String, String>,
}

/// Why a model gave no reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// No reply within the time allowed.
    #[error("the model did not answer within {} s", .0.as_secs_f32())]
    Timeout(Duration),
    /// The model's service refused or failed the request.
    #[error("{model} failed ({class}): {message}")]
    Failed {
        /// The model, such as its Bedrock model ID.
        model: String,
        /// What kind of failure it was; [`ErrorClass::Throttled`] after the
        /// retries of the SDK's policy.
        class: ErrorClass,
        /// The service's message.
        message: String,
    },
    /// The reply had no text in it.
    #[error("{model} replied without text")]
    Empty {
        /// The model.
        model: String,
    },
}

impl ModelError {
    /// Whether the model's service throttled the request.
    pub fn is_throttled(&self) -> bool {
        matches!(
            self,
            ModelError::Failed {
                class: ErrorClass::Throttled,
                ..
            }
        )
    }
}

/// A language model: one prompt in, one text out.
///
/// Implementations do not retry on their own beyond their client's policy;
/// [`crate::Analyst`] bounds the whole call with its timeout and turns any
/// failure into a message without AI.
#[async_trait]
pub trait LanguageModel: Send + Sync {
    /// The model's name, for logs and notes: a Bedrock model ID, `offline`.
    fn name(&self) -> &str;
    /// The model's reply to `prompt`.
    async fn complete(&self, prompt: &Prompt) -> Result<String, ModelError>;
}

/// A model that calls nothing: it writes a structured summary from the
/// prompt's slot values, the same way every time. Tests, the offline CLI
/// and deployments without Bedrock get real content from it.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::collections::BTreeMap;
/// use soar_ai::model::{LanguageModel, OfflineModel, Prompt};
/// use soar_ai::prompts::PromptKind;
///
/// let prompt = Prompt {
///     kind: PromptKind::TicketOpened,
///     system: String::new(),
///     text: String::new(),
///     slots: BTreeMap::from([
///         ("finding".to_owned(), "Title: S3 general purpose buckets should block public access\nSeverity: HIGH".to_owned()),
///         ("actions_required".to_owned(), "Turn on Block Public Access.".to_owned()),
///     ]),
/// };
/// let reply = OfflineModel.complete(&prompt).await?;
/// assert!(reply.starts_with("S3 general purpose buckets should block public access (HIGH)"));
/// assert!(reply.contains("To do: Turn on Block Public Access."));
/// # Ok::<(), soar_ai::model::ModelError>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct OfflineModel;

/// The value of `field` in a `Field: value` line of a slot.
fn field<'a>(text: &'a str, field: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        line.strip_prefix(field)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(str::trim)
            .filter(|value| !value.is_empty())
    })
}

/// `tickets opened 5 (+2)` from `Tickets opened: 5 (last week 3, +2)`,
/// when the figure changed.
fn change_of(line: &str) -> Option<String> {
    let (label, rest) = line.split_once(": ")?;
    let (now, rest) = rest.split_once(" (last week ")?;
    let (_, change) = rest.split_once(", ")?;
    let change = change.split(')').next()?;
    (change != "+0").then(|| format!("{} {now} ({change})", label.to_lowercase()))
}

impl OfflineModel {
    fn summary(prompt: &Prompt) -> String {
        let slot = |name: &str| {
            prompt
                .slots
                .get(name)
                .map(|value| value.trim())
                .filter(|value| !value.is_empty() && *value != "-")
        };
        let mut lines = Vec::new();
        match prompt.kind {
            PromptKind::Overview | PromptKind::Account => {
                // What moved since last week, from the figures' lines
                // (`Tickets opened: 5 (last week 3, +2)`).
                let changes: Vec<String> = slot("stats")
                    .unwrap_or_default()
                    .lines()
                    .filter_map(change_of)
                    .collect();
                let subject = match slot("account") {
                    Some(account) => format!("Account {account}"),
                    None => "This week".to_owned(),
                };
                if changes.is_empty() {
                    lines.push(format!("{subject}: no change against last week."));
                } else {
                    lines.push(format!(
                        "{subject}, against last week: {}.",
                        changes.join(", ")
                    ));
                }
            }
            PromptKind::Recommendations => {
                // The figures' own recommendations are in the report; the
                // first is the one to start with.
                let first = slot("stats")
                    .unwrap_or_default()
                    .lines()
                    .find_map(|line| line.strip_prefix("- "));
                if let Some(first) = first {
                    lines.push(format!("Start with this: {first}"));
                }
                if let Some(iac) = slot("iac") {
                    lines.push(format!(
                        "Make each fix in the {iac} code that deploys the resources, so that the next deployment keeps it."
                    ));
                }
            }
            _ => {
                let finding = slot("finding").unwrap_or_default();
                let title = field(finding, "Title").unwrap_or("The finding");
                match field(finding, "Severity") {
                    Some(severity) => lines.push(format!("{title} ({severity}).")),
                    None => lines.push(format!("{title}.")),
                }
                if let Some(description) = field(finding, "Description") {
                    lines.push(description.to_owned());
                }
                for (label, name) in [
                    ("Resource", "resource"),
                    ("Why", "decision"),
                    ("Done", "actions_taken"),
                    ("To do", "actions_required"),
                ] {
                    let value = if name == "resource" {
                        field(finding, "Resource")
                    } else {
                        slot(name)
                    };
                    if let Some(value) = value {
                        lines.push(format!("{label}: {value}"));
                    }
                }
                if let Some(remediation) = field(finding, "Remediation") {
                    lines.push(format!("Guidance: {remediation}"));
                }
                if matches!(
                    prompt.kind,
                    PromptKind::TicketOpened | PromptKind::Autoremediation
                ) {
                    if let Some(iac) = slot("iac") {
                        lines.push(format!(
                            "Prevent it: make the same change in the {iac} code that deploys the resource."
                        ));
                    }
                }
            }
        }
        lines.join("\n")
    }
}

#[async_trait]
impl LanguageModel for OfflineModel {
    fn name(&self) -> &str {
        "offline"
    }

    async fn complete(&self, prompt: &Prompt) -> Result<String, ModelError> {
        Ok(OfflineModel::summary(prompt))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt(kind: PromptKind, slots: &[(&str, &str)]) -> Prompt {
        Prompt {
            kind,
            system: String::new(),
            text: String::new(),
            slots: slots
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[tokio::test]
    async fn the_offline_summary_is_built_from_the_slots() {
        let prompt = prompt(
            PromptKind::Autoremediation,
            &[
                (
                    "finding",
                    "Title: EBS default encryption should be enabled\nSeverity: MEDIUM\nResource: AwsAccount <ACCOUNT_1>\nRemediation: Turn it on.",
                ),
                ("decision", "-"),
                ("actions_taken", "Turned on EBS encryption by default."),
                ("iac", "Terraform"),
            ],
        );
        assert_eq!(
            OfflineModel.complete(&prompt).await.unwrap(),
            "EBS default encryption should be enabled (MEDIUM).\n\
             Resource: AwsAccount <ACCOUNT_1>\n\
             Done: Turned on EBS encryption by default.\n\
             Guidance: Turn it on.\n\
             Prevent it: make the same change in the Terraform code that deploys the resource."
        );
    }

    #[tokio::test]
    async fn a_report_section_says_what_changed() {
        let account = prompt(
            PromptKind::Account,
            &[
                ("account", "<ACCOUNT_2>"),
                ("period", "2026-11-30 to 2026-12-06"),
                (
                    "stats",
                    "Tickets opened: 4 (last week 1, +3)\nTickets closed: 1 (last week 1, +0)",
                ),
            ],
        );
        assert_eq!(
            OfflineModel.complete(&account).await.unwrap(),
            "Account <ACCOUNT_2>, against last week: tickets opened 4 (+3)."
        );
        let quiet = prompt(
            PromptKind::Overview,
            &[(
                "stats",
                "Tickets opened: 4 (last week 4, +0)\nMean time to close: 2.0 h (last week 1.0 h)",
            )],
        );
        assert_eq!(
            OfflineModel.complete(&quiet).await.unwrap(),
            "This week: no change against last week."
        );
        let recommendations = prompt(
            PromptKind::Recommendations,
            &[
                ("stats", "Tickets opened: 4 (last week 4, +0)\nWhat the figures call for:\n- Fix S3.8 in code.\n- Other."),
                ("iac", "Terraform"),
            ],
        );
        assert_eq!(
            OfflineModel.complete(&recommendations).await.unwrap(),
            "Start with this: Fix S3.8 in code.\nMake each fix in the Terraform code that deploys the resources, so that the next deployment keeps it."
        );
    }

    #[test]
    fn throttling_is_told_from_other_failures() {
        let failed = |class| ModelError::Failed {
            model: "m".into(),
            class,
            message: "x".into(),
        };
        assert!(failed(ErrorClass::Throttled).is_throttled());
        assert!(!failed(ErrorClass::AccessDenied).is_throttled());
        assert!(!ModelError::Timeout(Duration::from_secs(1)).is_throttled());
    }
}
