#![doc = include_str!("../README.md")]
#![warn(missing_docs, unreachable_pub)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod credentials;
mod http;
#[cfg(feature = "jira")]
pub mod jira;
#[cfg(feature = "servicenow")]
pub mod servicenow;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use soar_core::ports::memory::NoTickets;
use soar_core::ports::TicketSystem;
use soar_core::tickets::SystemKind;

pub use credentials::{Cached, CredentialSource, Credentials};
pub use http::{shared_client, RetryPolicy};
#[cfg(feature = "jira")]
pub use jira::{JiraConfig, JiraTickets};
#[cfg(feature = "servicenow")]
pub use servicenow::{ServiceNowConfig, ServiceNowTickets};

/// A ticket system's configuration that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ticket system configuration {member}: {message}")]
pub struct ConfigError {
    /// The member that is wrong, such as `url`.
    pub member: &'static str,
    /// Why.
    pub message: String,
}

/// The settings of the ticket systems a deployment may use. Which one it
/// uses is `soar_core::Config`'s `tickets.system` (the routing tags
/// depend on it too), so that it is said in one place.
///
/// ```
/// use soar_core::tickets::SystemKind;
///
/// let settings: soar_tickets::SystemSettings = serde_json::from_str(r#"{
///     "jira": {"url": "https://example.atlassian.net", "issue_type": "Bug"}
/// }"#)?;
/// let credentials = std::sync::Arc::new(soar_tickets::Credentials::basic("soar@example.com", "token"));
/// let system = settings.build(SystemKind::Jira, credentials)?;
/// # let _ = system;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SystemSettings {
    /// Jira's settings.
    #[cfg(feature = "jira")]
    pub jira: JiraConfig,
    /// ServiceNow's settings.
    #[cfg(feature = "servicenow")]
    pub servicenow: ServiceNowConfig,
}

impl SystemSettings {
    /// The ticket system of this kind, with these credentials (not read
    /// until its first call). `none` needs neither settings nor
    /// credentials.
    ///
    /// # Errors
    /// [`ConfigError`] when the system's settings cannot work, or the
    /// system was not compiled in (its cargo feature is off).
    pub fn build(
        &self,
        kind: SystemKind,
        credentials: Arc<dyn CredentialSource>,
    ) -> Result<Arc<dyn TicketSystem>, ConfigError> {
        let _ = &credentials;
        match kind {
            SystemKind::None => Ok(Arc::new(NoTickets)),
            #[cfg(feature = "jira")]
            SystemKind::Jira => Ok(Arc::new(JiraTickets::new(self.jira.clone(), credentials)?)),
            #[cfg(feature = "servicenow")]
            SystemKind::ServiceNow => Ok(Arc::new(ServiceNowTickets::new(
                self.servicenow.clone(),
                credentials,
            )?)),
            #[allow(unreachable_patterns)]
            other => Err(ConfigError {
                member: "system",
                message: format!("{other:?} is not compiled in: turn on its cargo feature"),
            }),
        }
    }
}
