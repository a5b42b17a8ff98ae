//! Tickets: where each goes, when it is due, and its whole life.
//!
//! A ticket soar opens always has an owner (the project or queue it is
//! routed to, and the account's team), a due time (the SLA of its
//! severity), and a path to closed: it is closed when its finding
//! resolves, an AUTOFIXED ticket is closed as soon as it is opened, and an
//! open one past its due time is reminded of every hour until it is closed.
//!
//! [`TicketDesk`] drives the lifecycle over two ports: a [`TicketSystem`]
//! (Jira and ServiceNow in the `soar-tickets` crate; [`NoTickets`] and
//! [`MemoryTickets`] here) and the [`RecordStore`], which keeps each
//! ticket's state under the finding's ID. Opening is claimed there first,
//! with a conditional write, so a step that runs twice never opens a second
//! ticket; when the ticket system is down, the claim stays unsent with the
//! reason, the finding stays NEW in Security Hub, and the next run opens it.
//!
//! [`NoTickets`]: crate::ports::memory::NoTickets
//! [`MemoryTickets`]: crate::ports::memory::MemoryTickets

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use soar_asff::SeverityLabel;

use crate::ports::{NewTicket, Notification, PortError, RecordStore, TicketRecord, TicketSystem};
use crate::scratchpad::Scratchpad;
use crate::Decision;

/// The account tag that names a team's Jira project.
pub const TAG_JIRA_PROJECT: &str = "soar:jira:project-key";
/// The account tag that names a team's ServiceNow queue.
pub const TAG_SERVICENOW_QUEUE: &str = "soar:service-now:project-queue";
/// The suffix of the tag that routes application findings elsewhere:
/// `soar:jira:project-key:app`.
pub const APP_SUFFIX: &str = ":app";

/// Which ticket system a deployment uses; it names the routing tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SystemKind {
    /// No ticket system: soar's records are the tickets.
    #[default]
    None,
    /// Jira Cloud.
    Jira,
    /// ServiceNow.
    #[serde(rename = "servicenow")]
    ServiceNow,
}

impl SystemKind {
    /// The account tag that routes tickets to a team's project or queue;
    /// none without a ticket system.
    pub fn routing_tag(self) -> Option<&'static str> {
        match self {
            SystemKind::None => None,
            SystemKind::Jira => Some(TAG_JIRA_PROJECT),
            SystemKind::ServiceNow => Some(TAG_SERVICENOW_QUEUE),
        }
    }
}

/// Whether a finding is about infrastructure or an application. CloudWatch
/// alarms say so in their name (`soar/domain` in the finding's
/// `ProductFields`); everything else is infrastructure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Domain {
    /// Infrastructure.
    Infra,
    /// An application.
    App,
}

impl Domain {
    /// The domain of the pad's finding.
    pub fn of(pad: &Scratchpad) -> Domain {
        let view = pad.finding.view();
        let app = view
            .product_field("soar/domain")
            .is_some_and(|domain| domain.eq_ignore_ascii_case("APP"));
        if app {
            Domain::App
        } else {
            Domain::Infra
        }
    }
}

/// Which incidents go to the SOC's queue instead of the team's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SocDomains {
    /// Every incident.
    #[default]
    All,
    /// Infrastructure incidents.
    Infra,
    /// Application incidents.
    App,
    /// None: incidents go to the team like any ticket.
    None,
}

impl SocDomains {
    /// Whether an incident of this domain goes to the SOC.
    pub fn includes(self, domain: Domain) -> bool {
        match self {
            SocDomains::All => true,
            SocDomains::Infra => domain == Domain::Infra,
            SocDomains::App => domain == Domain::App,
            SocDomains::None => false,
        }
    }
}

/// How long a ticket may stay open, by the finding's severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlaHours {
    /// CRITICAL (default 4).
    pub critical: u32,
    /// HIGH (default 8).
    pub high: u32,
    /// MEDIUM (default 336, two weeks).
    pub medium: u32,
    /// LOW, and INFORMATIONAL or no severity (default 672, four weeks).
    pub low: u32,
}

impl Default for SlaHours {
    fn default() -> Self {
        SlaHours {
            critical: 4,
            high: 8,
            medium: 336,
            low: 672,
        }
    }
}

impl SlaHours {
    /// The hours allowed for a severity.
    pub fn hours(&self, severity: Option<SeverityLabel>) -> u32 {
        match severity {
            Some(SeverityLabel::Critical) => self.critical,
            Some(SeverityLabel::High) => self.high,
            Some(SeverityLabel::Medium) => self.medium,
            _ => self.low,
        }
    }

    /// When a ticket of this severity opened at `opened_at` (Unix seconds)
    /// is due.
    pub fn due_at(&self, severity: Option<SeverityLabel>, opened_at: i64) -> i64 {
        opened_at + i64::from(self.hours(severity)) * 3_600
    }
}

/// How tickets are routed, when they are due, and who is reminded.
///
/// The ticket system's own settings (URL, issue type, priorities, final
/// state) belong to its implementation in `soar-tickets`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TicketingConfig {
    /// The ticket system, which names the routing tags.
    pub system: SystemKind,
    /// The project key or queue of a team whose account has no routing
    /// tag.
    pub default_project: String,
    /// The SOC's project key or queue, for incidents.
    pub soc_project: Option<String>,
    /// Which incidents go to [`soc_project`](Self::soc_project).
    pub soc_domains: SocDomains,
    /// Whether a remediation soar made is recorded as an AUTOFIXED ticket,
    /// opened and closed at once. Off, none is opened.
    pub autofixed_tickets: bool,
    /// The SLA per severity.
    pub sla_hours: SlaHours,
    /// The severities whose overdue reminders also go to
    /// [`escalation_recipients`](Self::escalation_recipients).
    pub escalate_severities: Vec<SeverityLabel>,
    /// Who else is told of an overdue ticket of those severities.
    pub escalation_recipients: Vec<String>,
}

impl Default for TicketingConfig {
    fn default() -> Self {
        TicketingConfig {
            system: SystemKind::None,
            default_project: "SOAR".to_owned(),
            soc_project: None,
            soc_domains: SocDomains::All,
            autofixed_tickets: true,
            sla_hours: SlaHours::default(),
            escalate_severities: vec![SeverityLabel::Critical, SeverityLabel::High],
            escalation_recipients: Vec::new(),
        }
    }
}

/// What a ticket is for; it heads the title and the mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TicketKind {
    /// A failed control, or a remediation that did not work, for a team
    /// to fix.
    TeamFix,
    /// A remediation soar made: opened and closed at once, for the record.
    Autofixed,
    /// An incident.
    Incident,
}

impl TicketKind {
    /// The words that head the title: `TEAM FIX`, `AUTOFIXED`, `INCIDENT`.
    pub fn heading(self) -> &'static str {
        match self {
            TicketKind::TeamFix => "TEAM FIX",
            TicketKind::Autofixed => "AUTOFIXED",
            TicketKind::Incident => "INCIDENT",
        }
    }

    /// The kind of ticket the pad's finding needs as it was decided.
    pub fn of(pad: &Scratchpad) -> TicketKind {
        if pad.decision == Some(Decision::Incident) {
            TicketKind::Incident
        } else if pad.actions.remediated && !pad.actions.autoremediation_not_done {
            TicketKind::Autofixed
        } else {
            TicketKind::TeamFix
        }
    }
}

/// The project key or queue a pad's ticket goes to: for an incident of a
/// domain the SOC takes, the SOC's; otherwise the account's routing tag
/// (the `:app` one first for an application finding), else the default.
pub fn route(pad: &Scratchpad, config: &TicketingConfig) -> String {
    let domain = Domain::of(pad);
    if TicketKind::of(pad) == TicketKind::Incident && config.soc_domains.includes(domain) {
        if let Some(soc) = &config.soc_project {
            return soc.clone();
        }
    }
    let tags = &pad.account.tags;
    let tagged = config.system.routing_tag().and_then(|tag| {
        let app = (domain == Domain::App)
            .then(|| tags.get(&format!("{tag}{APP_SUFFIX}")))
            .flatten();
        app.or_else(|| tags.get(tag))
    });
    tagged
        .filter(|project| !project.trim().is_empty())
        .map_or_else(|| config.default_project.clone(), |p| p.trim().to_owned())
}

/// soar's reference for the ticket of a finding, derived from its ID (the
/// last segment of the ARN-like ID), so that the same finding always gets
/// the same reference.
pub fn reference(finding_id: &str) -> String {
    let short = finding_id
        .rsplit(['/', ':'])
        .next()
        .filter(|tail| !tail.is_empty())
        .unwrap_or(finding_id);
    format!("SOAR-{short}")
}

/// The ticket a pad needs, of the kind given, and its record.
pub fn new_ticket(pad: &Scratchpad, kind: TicketKind, config: &TicketingConfig) -> NewTicket {
    // A ticket is rare next to the findings decided: the finding is built.
    let finding: &soar_asff::Finding = &pad.finding;
    let mut body = format!(
        "{}\n\nAccount: {}\nFinding: {}",
        finding.description, pad.account.id, finding.id
    );
    if let Some(control) = &pad.control_id {
        body.push_str(&format!("\nControl: {control}"));
    }
    for (heading, text) in [
        ("Why", pad.decision_reason.as_deref().unwrap_or_default()),
        ("Done", pad.messages.actions_taken.as_str()),
        ("To do", pad.messages.actions_required.as_str()),
        // soar-ai's analysis, when the AI step ran before the ticket.
        ("Analysis", pad.messages.ai.plaintext.as_str()),
    ] {
        if !text.is_empty() {
            body.push_str(&format!("\n\n{heading}: {text}"));
        }
    }
    NewTicket {
        reference: reference(&finding.id),
        project: route(pad, config),
        title: format!("{}: {}", kind.heading(), finding.title),
        body,
        severity: pad.finding.view().severity_label(),
        team: pad.account.team.clone(),
        team_email: pad.account.team_email.clone(),
    }
}

/// What [`TicketDesk::open`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Opened {
    /// The ticket system took a new ticket.
    New(TicketRecord),
    /// A ticket was already open for the finding: this run opened none.
    Existing(TicketRecord),
    /// The ticket system did not take it. The claim is recorded, unsent,
    /// with the reason; the next run opens it.
    Failed {
        /// The record, unsent, with [`TicketRecord::last_error`].
        record: TicketRecord,
        /// What the ticket system said.
        error: PortError,
    },
}

impl Opened {
    /// The ticket's record, whatever happened.
    pub fn record(&self) -> &TicketRecord {
        match self {
            Opened::New(record) | Opened::Existing(record) => record,
            Opened::Failed { record, .. } => record,
        }
    }

    /// The ticket system's ID, when the system has the ticket.
    pub fn ticket_id(&self) -> Option<&str> {
        Some(self.record())
            .filter(|record| record.sent)
            .map(|record| record.ticket_id.as_str())
    }
}

/// An open ticket past its due time.
#[derive(Debug, Clone, PartialEq)]
pub struct Overdue {
    /// The ticket.
    pub ticket: TicketRecord,
    /// How many whole hours past due it is.
    pub hours_overdue: i64,
    /// Whether its severity is escalated
    /// ([`TicketingConfig::escalate_severities`]).
    pub escalated: bool,
}

/// The ticket lifecycle over a ticket system and the record store.
#[derive(Clone, Copy)]
pub struct TicketDesk<'a> {
    /// Where tickets are opened.
    pub system: &'a dyn TicketSystem,
    /// Where their state is kept.
    pub records: &'a dyn RecordStore,
    /// Routing, SLA and reminders.
    pub config: &'a TicketingConfig,
}

impl TicketDesk<'_> {
    /// Opens the pad's ticket, once: the record store is claimed first (a
    /// conditional write keyed by the finding ID), and a ticket already
    /// open there is returned as [`Opened::Existing`], sending nothing.
    /// Then the ticket system opens it and the record is updated with its
    /// ID and due time.
    ///
    /// A ticket system that fails is not an error here: the claim is kept,
    /// unsent, with the reason ([`Opened::Failed`]), and the next run for
    /// the finding sends it.
    ///
    /// # Errors
    /// The record store's [`PortError`], when the claim cannot be written.
    pub async fn open(
        &self,
        pad: &Scratchpad,
        kind: TicketKind,
        now: i64,
        expires_at: i64,
    ) -> Result<Opened, PortError> {
        let ticket = new_ticket(pad, kind, self.config);
        let claim = TicketRecord {
            ticket_id: ticket.reference.clone(),
            finding_id: pad.finding.view().id().to_owned(),
            account_id: pad.account.id.clone(),
            control_id: pad.control_id.clone(),
            team: pad.account.team.clone(),
            title: ticket.title.clone(),
            penalty_score: pad.penalty_score,
            opened_at: now,
            closed_at: None,
            expires_at,
            project: Some(ticket.project.clone()),
            severity: ticket.severity,
            due_at: Some(self.config.sla_hours.due_at(ticket.severity, now)),
            sent: false,
            last_error: None,
        };
        let held = self.records.open_ticket_once(&claim).await?;
        if held.sent {
            return Ok(Opened::Existing(held));
        }
        // Ours, or an earlier run's that the system did not take: send it,
        // keeping the time it was first claimed.
        let mut record = TicketRecord {
            opened_at: held.opened_at,
            due_at: held.due_at.or(claim.due_at),
            ..claim
        };
        match self.system.open(&ticket).await {
            Ok(ticket_id) => {
                record.ticket_id = ticket_id;
                record.sent = true;
                record.last_error = None;
                self.records.put_ticket(&record).await?;
                Ok(Opened::New(record))
            }
            Err(error) => {
                tracing::warn!(finding = %record.finding_id, %error, "the ticket system did not open the ticket; the next run will");
                record.last_error = Some(error.to_string());
                self.records.put_ticket(&record).await?;
                Ok(Opened::Failed { record, error })
            }
        }
    }

    /// Closes a ticket with a comment, in the ticket system (when it has
    /// it) and then in the record store.
    ///
    /// # Errors
    /// The ticket system's or the record store's [`PortError`]; the record
    /// stays open, and the next run closes it.
    pub async fn close(
        &self,
        ticket: &TicketRecord,
        comment: &str,
        now: i64,
    ) -> Result<TicketRecord, PortError> {
        if ticket.sent {
            self.system.close(&ticket.ticket_id, comment).await?;
        }
        let closed = TicketRecord {
            closed_at: Some(now),
            ..ticket.clone()
        };
        self.records.put_ticket(&closed).await?;
        Ok(closed)
    }

    /// Records a remediation soar made as an AUTOFIXED ticket, opened and
    /// closed at once, when [`TicketingConfig::autofixed_tickets`] is on;
    /// off, opens nothing and returns `None`. A ticket the system did not
    /// take is not left open: its claim is closed in the record store, and
    /// returned as [`Opened::Failed`].
    ///
    /// # Errors
    /// The record store's [`PortError`], or the ticket system's when it
    /// opened the ticket and then did not close it (the record stays open,
    /// and the overdue reminder names it).
    pub async fn autofixed(
        &self,
        pad: &Scratchpad,
        now: i64,
        expires_at: i64,
    ) -> Result<Option<Opened>, PortError> {
        if !self.config.autofixed_tickets {
            return Ok(None);
        }
        let opened = self
            .open(pad, TicketKind::Autofixed, now, expires_at)
            .await?;
        let comment = format!("soar fixed it: {}", pad.messages.actions_taken);
        Ok(Some(match opened {
            Opened::New(record) => Opened::New(self.close(&record, &comment, now).await?),
            Opened::Existing(record) => Opened::Existing(self.close(&record, &comment, now).await?),
            Opened::Failed { record, error } => {
                let closed = self.close(&record, &comment, now).await?;
                Opened::Failed {
                    record: closed,
                    error,
                }
            }
        }))
    }

    /// The open tickets past their due time at `now` (Unix seconds), most
    /// overdue first. A record without a due time (written before SLAs)
    /// gets the SLA of its severity from when it was opened.
    ///
    /// # Errors
    /// The record store's [`PortError`].
    pub async fn overdue(&self, now: i64) -> Result<Vec<Overdue>, PortError> {
        let open = self.records.open_tickets().await?;
        Ok(overdue_of(open, self.config, now))
    }
}

/// The tickets of `open` past their due time at `now`, most overdue first:
/// [`TicketDesk::overdue`] over tickets already read.
pub fn overdue_of(
    open: impl IntoIterator<Item = TicketRecord>,
    config: &TicketingConfig,
    now: i64,
) -> Vec<Overdue> {
    let mut overdue: Vec<Overdue> = open
        .into_iter()
        .filter_map(|mut ticket| {
            let due = ticket
                .due_at
                .unwrap_or_else(|| config.sla_hours.due_at(ticket.severity, ticket.opened_at));
            ticket.due_at = Some(due);
            ticket.is_overdue(now).then(|| Overdue {
                hours_overdue: (now - due) / 3_600,
                escalated: ticket
                    .severity
                    .is_some_and(|s| config.escalate_severities.contains(&s)),
                ticket,
            })
        })
        .collect();
    overdue.sort_by(|a, b| {
        (a.ticket.due_at, &a.ticket.finding_id).cmp(&(b.ticket.due_at, &b.ticket.finding_id))
    });
    overdue
}

/// The OVERDUE TEAM FIX reminder of one overdue ticket: to the team's
/// address (`team_email`, from the account's `soar:team:email` tag), and to
/// the escalation recipients when its severity is escalated. `None` when
/// it has nobody to go to.
pub fn reminder(
    overdue: &Overdue,
    team_email: Option<&str>,
    config: &TicketingConfig,
) -> Option<Notification> {
    let ticket = &overdue.ticket;
    let mut to: Vec<String> = team_email.map(str::to_owned).into_iter().collect();
    if overdue.escalated {
        to.extend(config.escalation_recipients.iter().cloned());
    }
    to.dedup();
    if to.is_empty() {
        return None;
    }
    let severity = ticket.severity.map_or("UNKNOWN", SeverityLabel::as_str);
    // The title already says what kind of ticket it is.
    let title = [
        TicketKind::TeamFix,
        TicketKind::Incident,
        TicketKind::Autofixed,
    ]
    .iter()
    .find_map(|kind| ticket.title.strip_prefix(&format!("{}: ", kind.heading())))
    .unwrap_or(&ticket.title);
    let subject = format!("OVERDUE TEAM FIX: {title} ({})", ticket.ticket_id);
    let text = format!(
        "Ticket {} is {} hours past its due time.\n\nTitle: {}\nSeverity: {severity}\nAccount: {}\nFinding: {}\nProject: {}\n\nPlease fix it, or tell the security team why it cannot be fixed.",
        ticket.ticket_id,
        overdue.hours_overdue,
        ticket.title,
        ticket.account_id,
        ticket.finding_id,
        ticket.project.as_deref().unwrap_or("-"),
    );
    Some(Notification {
        to,
        subject,
        text,
        html: None,
    })
}

/// How many tickets of each severity are overdue: the summary line of the
/// hourly reminder run.
pub fn overdue_by_severity(overdue: &[Overdue]) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for item in overdue {
        let label = item
            .ticket
            .severity
            .map_or("UNKNOWN", SeverityLabel::as_str);
        *counts.entry(label).or_insert(0) += 1;
    }
    counts
}

#[cfg(test)]
mod tests;
