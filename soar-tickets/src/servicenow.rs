//! ServiceNow, Table API.
//!
//! | Operation | Calls |
//! | --- | --- |
//! | `open` | `POST /api/now/table/{table}` |
//! | `comment` | `PATCH /api/now/table/{table}/{sys_id}` with `work_notes` |
//! | `get` | `GET /api/now/table/{table}/{sys_id}` |
//! | `close` | `get`; if not closed: `PATCH` with the final state and `close_notes` |
//!
//! A ticket's ID is the record's `sys_id`, which the Table API addresses
//! directly; soar's reference goes in `correlation_id`.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use soar_asff::SeverityLabel;
use soar_core::error_class::ErrorClass;
use soar_core::ports::{NewTicket, PortError, TicketState, TicketSystem};

use crate::credentials::CredentialSource;
use crate::http::{Endpoint, RetryPolicy};
use crate::ConfigError;

const PORT: &str = "ServiceNow";

/// How soar files tickets in ServiceNow. Each of these is configuration;
/// the defaults suit the `incident` table of a stock instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceNowConfig {
    /// The instance, such as `https://example.service-now.com`.
    pub url: String,
    /// The table tickets go to (default `incident`).
    pub table: String,
    /// The field that takes the routed queue (default `assignment_group`).
    pub queue_field: String,
    /// Fields set from the severity, such as `urgency` and `impact`.
    pub severity_fields: BTreeMap<SeverityLabel, BTreeMap<String, String>>,
    /// The `state` a closed ticket is set to (default `6`, Resolved).
    pub final_state: String,
    /// The states that count as closed (default `6`, `7`, `8`: Resolved,
    /// Closed, Canceled).
    pub closed_states: Vec<String>,
    /// Fields set when closing, besides `state` and `close_notes` (default
    /// `close_code`: `Resolved by caller`).
    pub close_fields: BTreeMap<String, String>,
    /// Retries and timeouts.
    pub retry: RetryPolicy,
}

impl Default for ServiceNowConfig {
    fn default() -> Self {
        let urgency_impact = |urgency: &str, impact: &str| {
            BTreeMap::from([
                ("urgency".to_owned(), urgency.to_owned()),
                ("impact".to_owned(), impact.to_owned()),
            ])
        };
        ServiceNowConfig {
            url: String::new(),
            table: "incident".to_owned(),
            queue_field: "assignment_group".to_owned(),
            severity_fields: BTreeMap::from([
                (SeverityLabel::Critical, urgency_impact("1", "1")),
                (SeverityLabel::High, urgency_impact("1", "2")),
                (SeverityLabel::Medium, urgency_impact("2", "2")),
                (SeverityLabel::Low, urgency_impact("3", "3")),
                (SeverityLabel::Informational, urgency_impact("3", "3")),
            ]),
            final_state: "6".to_owned(),
            closed_states: vec!["6".to_owned(), "7".to_owned(), "8".to_owned()],
            close_fields: BTreeMap::from([(
                "close_code".to_owned(),
                "Resolved by caller".to_owned(),
            )]),
            retry: RetryPolicy::default(),
        }
    }
}

/// ServiceNow as a [`TicketSystem`]. Ticket IDs are `sys_id`s.
#[derive(Debug, Clone)]
pub struct ServiceNowTickets {
    endpoint: Endpoint,
    config: ServiceNowConfig,
}

impl ServiceNowTickets {
    /// ServiceNow at `config.url`, with a user and password.
    ///
    /// # Errors
    /// [`ConfigError`] when the URL or the retry policy is not usable, or
    /// the table or final state is empty or not a plain name.
    pub fn new(
        config: ServiceNowConfig,
        credentials: Arc<dyn CredentialSource>,
    ) -> Result<Self, ConfigError> {
        if !is_name(&config.table) || config.final_state.trim().is_empty() {
            return Err(ConfigError {
                member: "servicenow",
                message: "table must be a table name, and final_state not empty".into(),
            });
        }
        let endpoint = Endpoint::new(PORT, &config.url, credentials, config.retry)?;
        Ok(ServiceNowTickets { endpoint, config })
    }

    fn record_path(&self, sys_id: &str, query: &str) -> Result<String, PortError> {
        if !is_name(sys_id) {
            return Err(PortError {
                port: PORT,
                operation: "path",
                class: ErrorClass::Other,
                message: format!("{sys_id:?} is not a sys_id"),
            });
        }
        Ok(format!(
            "/api/now/table/{}/{sys_id}{query}",
            self.config.table
        ))
    }
}

fn is_name(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[async_trait]
impl TicketSystem for ServiceNowTickets {
    async fn open(&self, ticket: &NewTicket) -> Result<String, PortError> {
        let mut fields = Map::new();
        fields.insert("short_description".into(), json!(ticket.title));
        fields.insert("description".into(), json!(ticket.body));
        fields.insert("correlation_id".into(), json!(ticket.reference));
        fields.insert(self.config.queue_field.clone(), json!(ticket.project));
        if let Some(by_severity) = ticket
            .severity
            .and_then(|s| self.config.severity_fields.get(&s))
        {
            for (field, value) in by_severity {
                fields.insert(field.clone(), json!(value));
            }
        }
        let path = format!(
            "/api/now/table/{}?sysparm_fields=sys_id,number",
            self.config.table
        );
        let reply = self
            .endpoint
            .call("open", Method::POST, &path, Some(&Value::Object(fields)))
            .await?;
        reply["result"]["sys_id"]
            .as_str()
            .filter(|id| is_name(id))
            .map(str::to_owned)
            .ok_or_else(|| PortError {
                port: PORT,
                operation: "open",
                class: ErrorClass::Other,
                message: "the reply has no result.sys_id".into(),
            })
    }

    async fn comment(&self, ticket_id: &str, text: &str) -> Result<(), PortError> {
        let path = self.record_path(ticket_id, "?sysparm_fields=sys_id")?;
        self.endpoint
            .call(
                "comment",
                Method::PATCH,
                &path,
                Some(&json!({"work_notes": text})),
            )
            .await?;
        Ok(())
    }

    async fn get(&self, ticket_id: &str) -> Result<TicketState, PortError> {
        let path = self.record_path(ticket_id, "?sysparm_fields=sys_id,number,state")?;
        let reply = self.endpoint.call("get", Method::GET, &path, None).await?;
        let result = &reply["result"];
        // The Table API gives `state` as a string; some instances, a number.
        let state = match &result["state"] {
            Value::String(state) => state.clone(),
            Value::Number(state) => state.to_string(),
            _ => {
                return Err(PortError {
                    port: PORT,
                    operation: "get",
                    class: ErrorClass::Other,
                    message: "the reply has no result.state".into(),
                })
            }
        };
        Ok(TicketState {
            ticket_id: ticket_id.to_owned(),
            closed: self.config.closed_states.contains(&state),
            status: state,
        })
    }

    /// Sets the final state with the comment as `close_notes`. A ticket in
    /// a closed state already is left as it is.
    async fn close(&self, ticket_id: &str, comment: &str) -> Result<(), PortError> {
        if self.get(ticket_id).await?.closed {
            return Ok(());
        }
        let mut fields = Map::new();
        fields.insert("state".into(), json!(self.config.final_state));
        fields.insert("close_notes".into(), json!(comment));
        for (field, value) in &self.config.close_fields {
            fields.insert(field.clone(), json!(value));
        }
        let path = self.record_path(ticket_id, "?sysparm_fields=sys_id,state")?;
        self.endpoint
            .call("close", Method::PATCH, &path, Some(&Value::Object(fields)))
            .await?;
        Ok(())
    }
}
