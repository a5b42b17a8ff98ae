//! In-memory ports: for tests, offline runs, and your own tests.
//!
//! Each keeps what it was asked to do, so a test can check the state after
//! the pipeline ran, not only that a call was made.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use soar_asff::Finding;

use super::{
    AccountDirectory, BatchReport, EventRecord, FindingRef, FindingUpdate, FindingUpdater, History,
    NewTicket, Notification, Notifier, PortError, RecordKind, RecordStore, TicketRecord,
    TicketState, TicketSystem,
};
use crate::account::AccountData;
use crate::error_class::ErrorClass;

// A poisoned lock only means another test thread panicked; the data is
// still what was written, so keep going with it.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Accounts from a list, such as the `accounts` of the configuration.
#[derive(Debug, Default)]
pub struct StaticAccounts {
    accounts: BTreeMap<String, AccountData>,
}

impl StaticAccounts {
    /// A directory of these accounts.
    pub fn new(accounts: impl IntoIterator<Item = AccountData>) -> Self {
        StaticAccounts {
            accounts: accounts.into_iter().map(|a| (a.id.clone(), a)).collect(),
        }
    }
}

#[async_trait]
impl AccountDirectory for StaticAccounts {
    async fn account(&self, account_id: &str) -> Result<AccountData, PortError> {
        self.accounts
            .get(account_id)
            .cloned()
            .ok_or_else(|| PortError {
                port: "AccountDirectory",
                operation: "account",
                class: ErrorClass::NotFound,
                message: format!("account {account_id} is not in the configuration"),
            })
    }
}

/// Applies updates to findings it holds, and records every call.
#[derive(Debug, Default)]
pub struct RecordingUpdater {
    findings: Mutex<BTreeMap<FindingRef, Finding>>,
    updates: Mutex<Vec<FindingUpdate>>,
}

impl RecordingUpdater {
    /// The updates received, in order.
    pub fn updates(&self) -> Vec<FindingUpdate> {
        lock(&self.updates).clone()
    }

    /// The findings as they are now: imported ones, with updates applied.
    pub fn findings(&self) -> Vec<Finding> {
        lock(&self.findings).values().cloned().collect()
    }

    /// One finding as it is now.
    pub fn finding(&self, id: &str) -> Option<Finding> {
        lock(&self.findings).values().find(|f| f.id == id).cloned()
    }
}

#[async_trait]
impl FindingUpdater for RecordingUpdater {
    async fn update(&self, update: &FindingUpdate) -> Result<BatchReport, PortError> {
        lock(&self.updates).push(update.clone());
        let mut findings = lock(&self.findings);
        for key in &update.findings {
            if let Some(finding) = findings.get_mut(key) {
                apply(finding, update);
            }
        }
        Ok(BatchReport {
            processed: update.findings.clone(),
            failed: Vec::new(),
        })
    }

    async fn import(&self, imported: &[Finding]) -> Result<BatchReport, PortError> {
        let mut findings = lock(&self.findings);
        let mut report = BatchReport::default();
        for finding in imported {
            let key = FindingRef::from(finding);
            findings.insert(key.clone(), finding.clone());
            report.processed.push(key);
        }
        Ok(report)
    }
}

/// Takes every update and import and keeps none of them, as a dry run
/// does: each call reports every finding processed. Where
/// [`RecordingUpdater`] keeps what it is sent for a test to read, this
/// keeps nothing, so that deciding a stream of findings (`soar process
/// --dry-run`) takes the same memory however long the stream is.
#[derive(Debug, Default, Clone, Copy)]
pub struct DryRunUpdater;

#[async_trait]
impl FindingUpdater for DryRunUpdater {
    async fn update(&self, update: &FindingUpdate) -> Result<BatchReport, PortError> {
        Ok(BatchReport {
            processed: update.findings.clone(),
            failed: Vec::new(),
        })
    }

    async fn import(&self, imported: &[Finding]) -> Result<BatchReport, PortError> {
        Ok(BatchReport {
            processed: imported.iter().map(FindingRef::from).collect(),
            failed: Vec::new(),
        })
    }
}

fn apply(finding: &mut Finding, update: &FindingUpdate) {
    if let Some(status) = update.workflow_status {
        finding.workflow.get_or_insert_with(Default::default).status = Some(status);
    }
    if let Some(label) = update.severity {
        let severity = finding.severity.get_or_insert_with(Default::default);
        severity.label = Some(label);
        severity.normalized = Some(label.normalized());
    }
    if !update.user_defined_fields.is_empty() {
        finding
            .user_defined_fields
            .get_or_insert_with(Default::default)
            .extend(update.user_defined_fields.clone());
    }
}

/// Tickets and event records in memory.
#[derive(Debug, Default)]
pub struct MemoryRecords {
    tickets: Mutex<BTreeMap<String, TicketRecord>>,
    events: Mutex<Vec<(RecordKind, EventRecord)>>,
}

impl MemoryRecords {
    /// Every ticket record, open or closed.
    pub fn tickets(&self) -> Vec<TicketRecord> {
        lock(&self.tickets).values().cloned().collect()
    }

    /// Every incident and autoremediation record, in order.
    pub fn events(&self) -> Vec<(RecordKind, EventRecord)> {
        lock(&self.events).clone()
    }
}

#[async_trait]
impl RecordStore for MemoryRecords {
    async fn open_ticket(&self, finding_id: &str) -> Result<Option<TicketRecord>, PortError> {
        Ok(lock(&self.tickets)
            .get(finding_id)
            .filter(|t| t.closed_at.is_none())
            .cloned())
    }

    async fn put_ticket(&self, ticket: &TicketRecord) -> Result<(), PortError> {
        lock(&self.tickets).insert(ticket.finding_id.clone(), ticket.clone());
        Ok(())
    }

    async fn open_ticket_once(&self, ticket: &TicketRecord) -> Result<TicketRecord, PortError> {
        let mut tickets = lock(&self.tickets);
        if let Some(open) = tickets
            .get(&ticket.finding_id)
            .filter(|t| t.closed_at.is_none())
        {
            return Ok(open.clone());
        }
        tickets.insert(ticket.finding_id.clone(), ticket.clone());
        Ok(ticket.clone())
    }

    async fn put_event(&self, kind: RecordKind, record: &EventRecord) -> Result<(), PortError> {
        lock(&self.events).push((kind, record.clone()));
        Ok(())
    }

    async fn open_tickets(&self) -> Result<Vec<TicketRecord>, PortError> {
        Ok(lock(&self.tickets)
            .values()
            .filter(|t| t.closed_at.is_none())
            .cloned()
            .collect())
    }

    async fn history(&self, since: i64) -> Result<History, PortError> {
        let tickets = lock(&self.tickets)
            .values()
            .filter(|t| t.opened_at >= since || t.closed_at.is_none_or(|at| at >= since))
            .cloned()
            .collect();
        let mut history = History {
            tickets,
            ..History::default()
        };
        for (kind, record) in lock(&self.events).iter().filter(|(_, r)| r.at >= since) {
            match kind {
                RecordKind::Incident => history.incidents.push(record.clone()),
                RecordKind::Autoremediation => history.autoremediations.push(record.clone()),
            }
        }
        Ok(history)
    }
}

impl MemoryRecords {
    /// Records holding these tickets, as `soar tickets overdue --records`
    /// reads them from a file.
    pub fn with_tickets(tickets: impl IntoIterator<Item = TicketRecord>) -> Self {
        let records = MemoryRecords::default();
        lock(&records.tickets).extend(tickets.into_iter().map(|t| (t.finding_id.clone(), t)));
        records
    }

    /// Records holding a history, as `soar report --records` reads it from
    /// a file.
    pub fn with_history(history: History) -> Self {
        let records = MemoryRecords::with_tickets(history.tickets);
        let incidents = history
            .incidents
            .into_iter()
            .map(|r| (RecordKind::Incident, r));
        let autoremediations = history
            .autoremediations
            .into_iter()
            .map(|r| (RecordKind::Autoremediation, r));
        lock(&records.events).extend(incidents.chain(autoremediations));
        records
    }
}

/// One ticket of [`MemoryTickets`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryTicket {
    /// Its ID, `SOAR-1`, `SOAR-2`, ...
    pub id: String,
    /// What it was opened with.
    pub ticket: NewTicket,
    /// Its comments, in order.
    pub comments: Vec<String>,
    /// The closing comment, once closed.
    pub closed: Option<String>,
}

/// A ticket system that numbers tickets `SOAR-1`, `SOAR-2`, ... and keeps
/// them, for tests to read.
#[derive(Debug, Default)]
pub struct MemoryTickets {
    tickets: Mutex<Vec<MemoryTicket>>,
}

impl MemoryTickets {
    /// Every ticket, in the order they were opened.
    pub fn tickets(&self) -> Vec<MemoryTicket> {
        lock(&self.tickets).clone()
    }

    fn with_ticket<T>(
        &self,
        operation: &'static str,
        ticket_id: &str,
        change: impl FnOnce(&mut MemoryTicket) -> T,
    ) -> Result<T, PortError> {
        let mut tickets = lock(&self.tickets);
        let ticket = tickets
            .iter_mut()
            .find(|t| t.id == ticket_id)
            .ok_or_else(|| PortError {
                port: "TicketSystem",
                operation,
                class: ErrorClass::NotFound,
                message: format!("no ticket {ticket_id}"),
            })?;
        Ok(change(ticket))
    }
}

#[async_trait]
impl TicketSystem for MemoryTickets {
    async fn open(&self, ticket: &NewTicket) -> Result<String, PortError> {
        let mut tickets = lock(&self.tickets);
        let id = format!("SOAR-{}", tickets.len() + 1);
        tickets.push(MemoryTicket {
            id: id.clone(),
            ticket: ticket.clone(),
            comments: Vec::new(),
            closed: None,
        });
        Ok(id)
    }

    async fn comment(&self, ticket_id: &str, text: &str) -> Result<(), PortError> {
        self.with_ticket("comment", ticket_id, |t| t.comments.push(text.to_owned()))
    }

    async fn get(&self, ticket_id: &str) -> Result<TicketState, PortError> {
        self.with_ticket("get", ticket_id, |t| TicketState {
            ticket_id: t.id.clone(),
            status: if t.closed.is_some() { "Done" } else { "Open" }.to_owned(),
            closed: t.closed.is_some(),
        })
    }

    async fn close(&self, ticket_id: &str, comment: &str) -> Result<(), PortError> {
        self.with_ticket("close", ticket_id, |t| t.closed = Some(comment.to_owned()))
    }
}

/// The ticket system of a deployment without one (`none`): it sends
/// nothing, and the ticket is soar's record alone. A ticket's ID is soar's
/// reference for it ([`NewTicket::reference`]); the record store keeps it,
/// the finding carries it (`TicketId`), and the team learns of it by mail.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoTickets;

#[async_trait]
impl TicketSystem for NoTickets {
    async fn open(&self, ticket: &NewTicket) -> Result<String, PortError> {
        Ok(ticket.reference.clone())
    }

    async fn comment(&self, _ticket_id: &str, _text: &str) -> Result<(), PortError> {
        Ok(())
    }

    /// Without a system, a ticket is as open as soar's record says: this
    /// reports it open.
    async fn get(&self, ticket_id: &str) -> Result<TicketState, PortError> {
        Ok(TicketState {
            ticket_id: ticket_id.to_owned(),
            status: "Open".to_owned(),
            closed: false,
        })
    }

    async fn close(&self, _ticket_id: &str, _comment: &str) -> Result<(), PortError> {
        Ok(())
    }
}

/// Keeps the messages it is asked to send.
#[derive(Debug, Default)]
pub struct MemoryNotifier {
    sent: Mutex<Vec<Notification>>,
}

impl MemoryNotifier {
    /// The messages sent, in order.
    pub fn sent(&self) -> Vec<Notification> {
        lock(&self.sent).clone()
    }
}

#[async_trait]
impl Notifier for MemoryNotifier {
    async fn notify(&self, notification: &Notification) -> Result<(), PortError> {
        lock(&self.sent).push(notification.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn history_holds_what_touched_the_window_and_every_open_ticket() {
        let at = |finding: &str, opened_at: i64, closed_at: Option<i64>| TicketRecord {
            finding_id: finding.into(),
            ticket_id: finding.into(),
            opened_at,
            closed_at,
            ..TicketRecord::default()
        };
        let event = |finding: &str, at: i64| EventRecord {
            finding_id: finding.into(),
            account_id: "111111111111".into(),
            kind: "S3.8".into(),
            outcome: "remediated".into(),
            penalty_score: None,
            at,
            expires_at: at + 1_000,
            severity: None,
        };
        let records = MemoryRecords::with_history(History {
            tickets: vec![
                at("opened-in", 150, None),
                at("closed-in", 50, Some(120)),
                at("closed-before", 10, Some(90)),
                at("open-before", 10, None),
            ],
            incidents: vec![event("incident-before", 99), event("incident-in", 100)],
            autoremediations: vec![event("fix-in", 200)],
        });
        let history = records.history(100).await.unwrap();
        let mut tickets: Vec<&str> = history
            .tickets
            .iter()
            .map(|t| t.finding_id.as_str())
            .collect();
        tickets.sort_unstable();
        assert_eq!(tickets, ["closed-in", "open-before", "opened-in"]);
        assert_eq!(history.incidents, [event("incident-in", 100)]);
        assert_eq!(history.autoremediations, [event("fix-in", 200)]);
    }

    fn ticket(id: &str, closed_at: Option<i64>) -> TicketRecord {
        TicketRecord {
            ticket_id: id.into(),
            finding_id: "f-1".into(),
            account_id: "111111111111".into(),
            control_id: None,
            team: None,
            title: "t".into(),
            penalty_score: None,
            opened_at: 1,
            closed_at,
            expires_at: 2,
            ..TicketRecord::default()
        }
    }

    #[tokio::test]
    async fn a_dry_run_reports_every_finding_processed() {
        let finding = Finding {
            id: "f-1".into(),
            product_arn: "arn:aws:securityhub:eu-west-1::product/aws/securityhub".into(),
            ..Finding::default()
        };
        let reference = FindingRef::from(&finding);
        let imported = DryRunUpdater.import(&[finding]).await.unwrap();
        assert_eq!(imported.processed, std::slice::from_ref(&reference));
        assert!(imported.is_complete());
        let update = FindingUpdate {
            findings: vec![reference.clone()],
            ..FindingUpdate::default()
        };
        let updated = DryRunUpdater.update(&update).await.unwrap();
        assert_eq!(
            (updated.processed, updated.failed.len()),
            (vec![reference], 0)
        );
    }

    #[tokio::test]
    async fn a_ticket_opens_once_until_it_is_closed() {
        let records = MemoryRecords::default();
        assert_eq!(
            records
                .open_ticket_once(&ticket("A", None))
                .await
                .unwrap()
                .ticket_id,
            "A"
        );
        assert_eq!(
            records
                .open_ticket_once(&ticket("B", None))
                .await
                .unwrap()
                .ticket_id,
            "A",
            "the open ticket is kept"
        );
        records.put_ticket(&ticket("A", Some(3))).await.unwrap();
        assert_eq!(
            records
                .open_ticket_once(&ticket("C", None))
                .await
                .unwrap()
                .ticket_id,
            "C",
            "a closed ticket does not block a new one"
        );
        assert_eq!(records.tickets().len(), 1);
    }
}
