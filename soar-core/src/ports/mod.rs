//! Ports: the pipeline's view of the outside world, as small traits.
//!
//! Each port has an in-memory implementation here (used by tests, by
//! `soar process --dry-run`, and by your own tests), and AWS implementations
//! in the crates that own the AWS dependencies. The pipeline only sees the
//! traits, so it runs the same against AWS, an emulator or memory.
//!
//! | Port | Job | In memory |
//! | --- | --- | --- |
//! | [`AccountDirectory`] | account data and tags | [`memory::StaticAccounts`] |
//! | [`FindingUpdater`] | `BatchUpdateFindings`, `BatchImportFindings` | [`memory::RecordingUpdater`] |
//! | [`RecordStore`] | tickets, incidents, autoremediations, with TTL; their history for reports | [`memory::MemoryRecords`] |
//! | [`TicketSystem`] | open, comment, read and close tickets | [`memory::MemoryTickets`], [`memory::NoTickets`] |
//! | [`Notifier`] | send mail or chat | [`memory::MemoryNotifier`] |
//!
//! Every method returns [`PortError`], which says which port and operation
//! failed and classifies the cause ([`ErrorClass`]) so callers know whether
//! to retry.

pub mod memory;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use soar_asff::{Finding, FindingView, LazyFinding, SeverityLabel, WorkflowStatus};

use crate::account::AccountData;
use crate::error_class::ErrorClass;

/// A failed call through a port.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{port}.{operation} failed ({class}): {message}")]
pub struct PortError {
    /// The port, such as `FindingUpdater`.
    pub port: &'static str,
    /// The operation, such as `BatchUpdateFindings`.
    pub operation: &'static str,
    /// What kind of failure it was.
    pub class: ErrorClass,
    /// The service's message.
    pub message: String,
}

/// Where account data comes from.
#[async_trait]
pub trait AccountDirectory: Send + Sync {
    /// The data of one account.
    async fn account(&self, account_id: &str) -> Result<AccountData, PortError>;
}

/// Identifies one finding in Security Hub.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FindingRef {
    /// The finding's `Id`.
    pub id: String,
    /// The finding's `ProductArn`.
    pub product_arn: String,
}

impl From<&Finding> for FindingRef {
    fn from(finding: &Finding) -> Self {
        finding.view().into()
    }
}

impl From<&LazyFinding> for FindingRef {
    fn from(finding: &LazyFinding) -> Self {
        finding.view().into()
    }
}

impl From<FindingView<'_>> for FindingRef {
    fn from(finding: FindingView<'_>) -> Self {
        FindingRef {
            id: finding.id().to_owned(),
            product_arn: finding.product_arn().to_owned(),
        }
    }
}

/// One `BatchUpdateFindings` change, applied to many findings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FindingUpdate {
    /// The findings to change.
    pub findings: Vec<FindingRef>,
    /// A new workflow status.
    pub workflow_status: Option<WorkflowStatus>,
    /// A new severity label.
    pub severity: Option<SeverityLabel>,
    /// A note; `BatchUpdateFindings` requires `updated_by` with it.
    pub note: Option<String>,
    /// User-defined fields to set.
    pub user_defined_fields: std::collections::BTreeMap<String, String>,
}

/// Which findings of a batch call failed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BatchReport {
    /// Findings that were changed.
    pub processed: Vec<FindingRef>,
    /// Findings that were not, with the service's reason.
    pub failed: Vec<FailedFinding>,
}

impl BatchReport {
    /// Whether every finding was processed.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }
}

/// A finding a batch call could not change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedFinding {
    /// The finding.
    pub finding: FindingRef,
    /// The service's error code.
    pub code: String,
    /// The service's message.
    pub message: String,
}

/// Changes findings in Security Hub.
#[async_trait]
pub trait FindingUpdater: Send + Sync {
    /// Applies one change to many findings (`BatchUpdateFindings`).
    async fn update(&self, update: &FindingUpdate) -> Result<BatchReport, PortError>;
    /// Creates or replaces findings (`BatchImportFindings`).
    async fn import(&self, findings: &[Finding]) -> Result<BatchReport, PortError>;
}

/// A ticket soar opened, as the record store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketRecord {
    /// The ticket's ID in the ticket system.
    pub ticket_id: String,
    /// The finding the ticket is for.
    pub finding_id: String,
    /// The account of the finding's resource.
    pub account_id: String,
    /// The control, for failed controls.
    pub control_id: Option<String>,
    /// The team it was assigned to.
    pub team: Option<String>,
    /// The ticket's title.
    pub title: String,
    /// The penalty of the finding when the ticket was opened.
    pub penalty_score: Option<f64>,
    /// When it was opened (Unix seconds).
    pub opened_at: i64,
    /// When it was closed (Unix seconds), if it is.
    pub closed_at: Option<i64>,
    /// When the record expires (Unix seconds; DynamoDB TTL).
    pub expires_at: i64,
    /// The project key or queue it was routed to.
    #[serde(default)]
    pub project: Option<String>,
    /// The finding's severity when the ticket was opened: it sets the SLA.
    #[serde(default)]
    pub severity: Option<SeverityLabel>,
    /// When it is due (Unix seconds): opened, plus the SLA of its severity.
    #[serde(default)]
    pub due_at: Option<i64>,
    /// Whether the ticket system has the ticket. `false` while the ticket
    /// is claimed in the store but the system has not taken it (it was down,
    /// or refused): [`ticket_id`](Self::ticket_id) is then soar's own
    /// reference, and the next run opens it. Records written before this
    /// field existed had no ticket system behind them, and read as `true`.
    #[serde(default = "yes")]
    pub sent: bool,
    /// Why the ticket system did not take it, when [`sent`](Self::sent) is
    /// `false` after a try.
    #[serde(default)]
    pub last_error: Option<String>,
}

fn yes() -> bool {
    true
}

impl Default for TicketRecord {
    /// An empty record of a ticket the system has ([`sent`](Self::sent)),
    /// to fill with struct update syntax.
    fn default() -> Self {
        TicketRecord {
            ticket_id: String::new(),
            finding_id: String::new(),
            account_id: String::new(),
            control_id: None,
            team: None,
            title: String::new(),
            penalty_score: None,
            opened_at: 0,
            closed_at: None,
            expires_at: 0,
            project: None,
            severity: None,
            due_at: None,
            sent: true,
            last_error: None,
        }
    }
}

impl TicketRecord {
    /// Whether it is past its due time at `now` (Unix seconds), still open.
    pub fn is_overdue(&self, now: i64) -> bool {
        self.closed_at.is_none() && self.due_at.is_some_and(|due| now > due)
    }
}

/// An incident or an autoremediation, as the record store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// The finding's ID.
    pub finding_id: String,
    /// The account.
    pub account_id: String,
    /// What it was: the control ID, or the incident's type.
    pub kind: String,
    /// How it ended, such as `remediated` or `ticket`.
    pub outcome: String,
    /// The penalty, if scored.
    pub penalty_score: Option<f64>,
    /// When it happened (Unix seconds).
    pub at: i64,
    /// When the record expires (Unix seconds; DynamoDB TTL).
    pub expires_at: i64,
    /// The finding's severity, for the weekly report's breakdown. Records
    /// written before this field existed have none.
    #[serde(default)]
    pub severity: Option<SeverityLabel>,
}

/// The records of a time window, as [`RecordStore::history`] reads them:
/// what the weekly report is computed from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct History {
    /// Tickets opened or closed in the window, and every ticket still open.
    pub tickets: Vec<TicketRecord>,
    /// Incidents of the window.
    pub incidents: Vec<EventRecord>,
    /// Autoremediations of the window.
    pub autoremediations: Vec<EventRecord>,
}

/// Which table a record goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// The incidents table.
    Incident,
    /// The autoremediations table.
    Autoremediation,
}

/// Where soar keeps its records.
#[async_trait]
pub trait RecordStore: Send + Sync {
    /// The open ticket for a finding, if there is one.
    async fn open_ticket(&self, finding_id: &str) -> Result<Option<TicketRecord>, PortError>;
    /// Stores a ticket (opening or closing it).
    async fn put_ticket(&self, ticket: &TicketRecord) -> Result<(), PortError>;
    /// Opens `ticket` unless a ticket is already open for its finding, in
    /// one conditional write keyed by the finding ID, and returns the ticket
    /// that is open now: `ticket`, or the one found. A step that runs twice
    /// (Express workflows run at least once) never opens a second ticket.
    async fn open_ticket_once(&self, ticket: &TicketRecord) -> Result<TicketRecord, PortError>;
    /// Stores an incident or autoremediation.
    async fn put_event(&self, kind: RecordKind, record: &EventRecord) -> Result<(), PortError>;
    /// Every ticket that is not closed, for the overdue reminders.
    async fn open_tickets(&self) -> Result<Vec<TicketRecord>, PortError>;
    /// The records since `since` (Unix seconds): tickets opened or closed
    /// since then or still open, and incidents and autoremediations since
    /// then. The weekly report reads four weeks.
    async fn history(&self, since: i64) -> Result<History, PortError>;
}

/// A ticket to open.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct NewTicket {
    /// soar's reference for it, derived from the finding ID: the same
    /// finding always gets the same reference. A ticket system that keeps
    /// a correlation ID or label stores it there; one that sends nothing
    /// uses it as the ticket's ID.
    pub reference: String,
    /// The project key or queue it goes to.
    pub project: String,
    /// The title.
    pub title: String,
    /// The body.
    pub body: String,
    /// The finding's severity, which the system maps to its priority.
    pub severity: Option<SeverityLabel>,
    /// The team, for routing.
    pub team: Option<String>,
    /// Where to send it.
    pub team_email: Option<String>,
}

/// A ticket as the ticket system has it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketState {
    /// The ticket's ID.
    pub ticket_id: String,
    /// Its status, in the system's own words (`In Progress`, `6`).
    pub status: String,
    /// Whether the system counts it as done.
    pub closed: bool,
}

/// An external ticket system (Jira, ServiceNow, none).
///
/// Implementations retry what waiting can fix (throttling, a server error)
/// a capped number of times, and fail at once, with
/// [`ErrorClass::AccessDenied`] or [`ErrorClass::NotFound`], on what it
/// cannot.
#[async_trait]
pub trait TicketSystem: Send + Sync {
    /// Opens a ticket and returns its ID.
    async fn open(&self, ticket: &NewTicket) -> Result<String, PortError>;
    /// Adds a comment to a ticket.
    async fn comment(&self, ticket_id: &str, text: &str) -> Result<(), PortError>;
    /// Reads a ticket's status.
    async fn get(&self, ticket_id: &str) -> Result<TicketState, PortError>;
    /// Closes a ticket, with a closing comment.
    async fn close(&self, ticket_id: &str, comment: &str) -> Result<(), PortError>;
}

/// A message to a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Who: an address or channel.
    pub to: Vec<String>,
    /// The subject.
    pub subject: String,
    /// Plain text.
    pub text: String,
    /// HTML, if any.
    pub html: Option<String>,
}

/// Sends messages (SES, SNS, chat).
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Sends one message.
    async fn notify(&self, notification: &Notification) -> Result<(), PortError>;
}
