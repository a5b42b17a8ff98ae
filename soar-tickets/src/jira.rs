//! Jira Cloud, REST API v3.
//!
//! | Operation | Calls |
//! | --- | --- |
//! | `open` | `POST /rest/api/3/issue` |
//! | `comment` | `POST /rest/api/3/issue/{key}/comment` |
//! | `get` | `GET /rest/api/3/issue/{key}?fields=status` |
//! | `close` | `get`; if not done: `comment`, `GET .../transitions`, `POST .../transitions` |
//!
//! Text goes in as Atlassian Document Format, a paragraph per blank-line
//! separated block. Each ticket carries the labels of the configuration
//! and soar's reference, so a search finds soar's tickets and a finding's.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use soar_asff::SeverityLabel;
use soar_core::error_class::ErrorClass;
use soar_core::ports::{NewTicket, PortError, TicketState, TicketSystem};

use crate::credentials::CredentialSource;
use crate::http::{Endpoint, RetryPolicy};
use crate::ConfigError;

const PORT: &str = "Jira";

/// How soar files tickets in Jira. Nothing about a customer's instance is
/// built in: each of these is configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JiraConfig {
    /// The site, such as `https://example.atlassian.net`.
    pub url: String,
    /// The issue type of a new ticket (default `Task`).
    pub issue_type: String,
    /// The priority name for each severity; a severity not listed sets no
    /// priority (the project's default).
    pub priorities: BTreeMap<SeverityLabel, String>,
    /// The status a closed ticket is moved to (default `Done`), matched
    /// case-insensitively to a transition's target status or name.
    pub final_status: String,
    /// Labels on every ticket (default `soar`); soar's reference is added.
    pub labels: Vec<String>,
    /// Retries and timeouts.
    pub retry: RetryPolicy,
}

impl Default for JiraConfig {
    fn default() -> Self {
        JiraConfig {
            url: String::new(),
            issue_type: "Task".to_owned(),
            priorities: BTreeMap::from([
                (SeverityLabel::Critical, "Highest".to_owned()),
                (SeverityLabel::High, "High".to_owned()),
                (SeverityLabel::Medium, "Medium".to_owned()),
                (SeverityLabel::Low, "Low".to_owned()),
                (SeverityLabel::Informational, "Lowest".to_owned()),
            ]),
            final_status: "Done".to_owned(),
            labels: vec!["soar".to_owned()],
            retry: RetryPolicy::default(),
        }
    }
}

/// Jira Cloud as a [`TicketSystem`]. Ticket IDs are issue keys (`SEC-42`).
#[derive(Debug, Clone)]
pub struct JiraTickets {
    endpoint: Endpoint,
    config: JiraConfig,
}

impl JiraTickets {
    /// Jira at `config.url`, with these credentials (for Jira Cloud, the
    /// account's e-mail and an API token).
    ///
    /// # Errors
    /// [`ConfigError`] when the URL or the retry policy is not usable, or
    /// the final status is empty.
    pub fn new(
        config: JiraConfig,
        credentials: Arc<dyn CredentialSource>,
    ) -> Result<Self, ConfigError> {
        if config.final_status.trim().is_empty() || config.issue_type.trim().is_empty() {
            return Err(ConfigError {
                member: "jira",
                message: "issue_type and final_status must not be empty".into(),
            });
        }
        let endpoint = Endpoint::new(PORT, &config.url, credentials, config.retry)?;
        Ok(JiraTickets { endpoint, config })
    }

    fn issue_path(key: &str, rest: &str) -> Result<String, PortError> {
        // An issue key is letters, digits, `_` and one `-`: anything else
        // would change the path.
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(PortError {
                port: PORT,
                operation: "path",
                class: ErrorClass::Other,
                message: format!("{key:?} is not a Jira issue key"),
            });
        }
        Ok(format!("/rest/api/3/issue/{key}{rest}"))
    }
}

/// Text as an Atlassian Document Format document: a paragraph per block,
/// a hard break per line.
pub fn adf(text: &str) -> Value {
    let paragraphs: Vec<Value> = text
        .split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let mut content = Vec::new();
            for (i, line) in block.lines().enumerate() {
                if i > 0 {
                    content.push(json!({"type": "hardBreak"}));
                }
                if !line.is_empty() {
                    content.push(json!({"type": "text", "text": line}));
                }
            }
            json!({"type": "paragraph", "content": content})
        })
        .collect();
    json!({"type": "doc", "version": 1, "content": paragraphs})
}

/// A Jira label: no spaces.
fn label(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join("-")
}

/// Jira refuses a summary over 255 characters.
fn summary(title: &str) -> String {
    match title.char_indices().nth(255) {
        Some((end, _)) => title[..end].to_owned(),
        None => title.to_owned(),
    }
}

fn unexpected(operation: &'static str, what: &str) -> PortError {
    PortError {
        port: PORT,
        operation,
        class: ErrorClass::Other,
        message: format!("the reply has no {what}"),
    }
}

#[async_trait]
impl TicketSystem for JiraTickets {
    async fn open(&self, ticket: &NewTicket) -> Result<String, PortError> {
        let mut labels: Vec<String> = self.config.labels.iter().map(|l| label(l)).collect();
        labels.push(label(&ticket.reference));
        let mut fields = json!({
            "project": {"key": ticket.project},
            "issuetype": {"name": self.config.issue_type},
            "summary": summary(&ticket.title),
            "description": adf(&ticket.body),
            "labels": labels,
        });
        if let Some(priority) = ticket.severity.and_then(|s| self.config.priorities.get(&s)) {
            fields["priority"] = json!({"name": priority});
        }
        let reply = self
            .endpoint
            .call(
                "open",
                Method::POST,
                "/rest/api/3/issue",
                Some(&json!({"fields": fields})),
            )
            .await?;
        reply
            .get("key")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| unexpected("open", "issue key"))
    }

    async fn comment(&self, ticket_id: &str, text: &str) -> Result<(), PortError> {
        let path = Self::issue_path(ticket_id, "/comment")?;
        self.endpoint
            .call(
                "comment",
                Method::POST,
                &path,
                Some(&json!({"body": adf(text)})),
            )
            .await?;
        Ok(())
    }

    async fn get(&self, ticket_id: &str) -> Result<TicketState, PortError> {
        let path = Self::issue_path(ticket_id, "?fields=status")?;
        let reply = self.endpoint.call("get", Method::GET, &path, None).await?;
        let status = &reply["fields"]["status"];
        let name = status["name"]
            .as_str()
            .ok_or_else(|| unexpected("get", "fields.status.name"))?;
        let done = status["statusCategory"]["key"].as_str() == Some("done")
            || name.eq_ignore_ascii_case(&self.config.final_status);
        Ok(TicketState {
            ticket_id: reply["key"].as_str().unwrap_or(ticket_id).to_owned(),
            status: name.to_owned(),
            closed: done,
        })
    }

    /// Comments, then moves the ticket to the final status. A ticket that
    /// is done already is left as it is, so closing twice is harmless.
    async fn close(&self, ticket_id: &str, comment: &str) -> Result<(), PortError> {
        if self.get(ticket_id).await?.closed {
            return Ok(());
        }
        self.comment(ticket_id, comment).await?;
        let path = Self::issue_path(ticket_id, "/transitions")?;
        let reply = self
            .endpoint
            .call("close", Method::GET, &path, None)
            .await?;
        let wanted = &self.config.final_status;
        let transitions = reply["transitions"].as_array().cloned().unwrap_or_default();
        let transition = transitions.iter().find(|t| {
            [&t["to"]["name"], &t["name"]].iter().any(|name| {
                name.as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(wanted))
            })
        });
        let Some(id) = transition.and_then(|t| t["id"].as_str()) else {
            let offered: Vec<&str> = transitions
                .iter()
                .filter_map(|t| t["to"]["name"].as_str().or(t["name"].as_str()))
                .collect();
            return Err(PortError {
                port: PORT,
                operation: "close",
                class: ErrorClass::InvalidState,
                message: format!(
                    "{ticket_id} has no transition to {wanted:?}; its workflow offers {offered:?}"
                ),
            });
        };
        self.endpoint
            .call(
                "close",
                Method::POST,
                &path,
                Some(&json!({"transition": {"id": id}})),
            )
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_becomes_paragraphs_with_line_breaks() {
        let doc = adf("First line\nsecond line\n\nNext paragraph");
        assert_eq!(
            doc,
            json!({"type": "doc", "version": 1, "content": [
                {"type": "paragraph", "content": [
                    {"type": "text", "text": "First line"},
                    {"type": "hardBreak"},
                    {"type": "text", "text": "second line"}]},
                {"type": "paragraph", "content": [{"type": "text", "text": "Next paragraph"}]}
            ]})
        );
    }

    #[test]
    fn a_key_that_would_change_the_path_is_refused() {
        assert_eq!(
            JiraTickets::issue_path("SEC-1", "/comment").unwrap(),
            "/rest/api/3/issue/SEC-1/comment"
        );
        for bad in ["", "SEC-1/../../admin", "SEC 1", "SEC-1?x=1"] {
            assert!(JiraTickets::issue_path(bad, "").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn labels_and_summaries_fit_jira() {
        assert_eq!(label("soar reference 1"), "soar-reference-1");
        assert_eq!(summary(&"é".repeat(300)).chars().count(), 255);
    }
}
