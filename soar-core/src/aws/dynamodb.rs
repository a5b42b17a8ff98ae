//! [`RecordStore`] on DynamoDB.
//!
//! Three tables, named by the deployment:
//!
//! | Table | Partition key | Sort key |
//! | --- | --- | --- |
//! | tickets | `finding_id` (S) | none |
//! | incidents | `finding_id` (S) | `at` (N) |
//! | autoremediations | `finding_id` (S) | `at` (N) |
//!
//! Every item has `expires_at` (N, Unix seconds): turn on the table's TTL on
//! that attribute and DynamoDB deletes old records itself.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

use super::port_error;
use crate::error_class::ErrorClass;
use crate::ports::{EventRecord, History, PortError, RecordKind, RecordStore, TicketRecord};

const PORT: &str = "RecordStore";

/// The names of the three tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    /// Tickets.
    pub tickets: String,
    /// Incidents.
    pub incidents: String,
    /// Autoremediations.
    pub autoremediations: String,
}

/// Records in DynamoDB. IAM actions: `dynamodb:GetItem`, `dynamodb:PutItem`,
/// `dynamodb:Scan` of the tickets table for [`RecordStore::open_tickets`],
/// and of all three tables for [`RecordStore::history`].
#[derive(Debug, Clone)]
pub struct DynamoRecords {
    client: Client,
    tables: TableNames,
}

impl DynamoRecords {
    /// Records in these tables.
    pub fn new(client: Client, tables: TableNames) -> Self {
        DynamoRecords { client, tables }
    }
}

type Item = HashMap<String, AttributeValue>;

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn put_opt(item: &mut Item, key: &str, value: Option<AttributeValue>) {
    if let Some(value) = value {
        item.insert(key.to_owned(), value);
    }
}

fn ticket_item(t: &TicketRecord) -> Item {
    let mut item = Item::from([
        ("finding_id".to_owned(), s(&t.finding_id)),
        ("ticket_id".to_owned(), s(&t.ticket_id)),
        ("account_id".to_owned(), s(&t.account_id)),
        ("title".to_owned(), s(&t.title)),
        ("opened_at".to_owned(), n(t.opened_at)),
        ("expires_at".to_owned(), n(t.expires_at)),
    ]);
    put_opt(&mut item, "control_id", t.control_id.as_deref().map(s));
    put_opt(&mut item, "team", t.team.as_deref().map(s));
    put_opt(&mut item, "penalty_score", t.penalty_score.map(n));
    put_opt(&mut item, "closed_at", t.closed_at.map(n));
    put_opt(&mut item, "project", t.project.as_deref().map(s));
    put_opt(&mut item, "severity", t.severity.map(|l| s(l.as_str())));
    put_opt(&mut item, "due_at", t.due_at.map(n));
    item.insert("sent".to_owned(), AttributeValue::Bool(t.sent));
    put_opt(&mut item, "last_error", t.last_error.as_deref().map(s));
    item
}

/// A malformed item is reported, not skipped: it means the table is shared
/// with something else or was edited by hand.
fn malformed(what: &str) -> PortError {
    PortError {
        port: PORT,
        operation: "GetItem",
        class: ErrorClass::Other,
        message: format!("ticket item has no valid `{what}`"),
    }
}

fn get_s(item: &Item, key: &str) -> Option<String> {
    item.get(key)?.as_s().ok().cloned()
}

fn get_n<T: std::str::FromStr>(item: &Item, key: &str) -> Option<T> {
    item.get(key)?.as_n().ok()?.parse().ok()
}

fn ticket_from_item(item: &Item) -> Result<TicketRecord, PortError> {
    Ok(TicketRecord {
        ticket_id: get_s(item, "ticket_id").ok_or_else(|| malformed("ticket_id"))?,
        finding_id: get_s(item, "finding_id").ok_or_else(|| malformed("finding_id"))?,
        account_id: get_s(item, "account_id").unwrap_or_default(),
        control_id: get_s(item, "control_id"),
        team: get_s(item, "team"),
        title: get_s(item, "title").unwrap_or_default(),
        penalty_score: get_n(item, "penalty_score"),
        opened_at: get_n(item, "opened_at").ok_or_else(|| malformed("opened_at"))?,
        closed_at: get_n(item, "closed_at"),
        expires_at: get_n(item, "expires_at").unwrap_or_default(),
        project: get_s(item, "project"),
        severity: get_s(item, "severity").and_then(|label| label.parse().ok()),
        due_at: get_n(item, "due_at"),
        // Written before the ticket systems: soar's record was the ticket.
        sent: item
            .get("sent")
            .and_then(|v| v.as_bool().ok().copied())
            .unwrap_or(true),
        last_error: get_s(item, "last_error"),
    })
}

fn event_from_item(item: &Item) -> Result<EventRecord, PortError> {
    let malformed = |what: &str| PortError {
        operation: "Scan",
        message: format!("event item has no valid `{what}`"),
        ..malformed(what)
    };
    Ok(EventRecord {
        finding_id: get_s(item, "finding_id").ok_or_else(|| malformed("finding_id"))?,
        account_id: get_s(item, "account_id").unwrap_or_default(),
        kind: get_s(item, "kind").unwrap_or_default(),
        outcome: get_s(item, "outcome").unwrap_or_default(),
        penalty_score: get_n(item, "penalty_score"),
        at: get_n(item, "at").ok_or_else(|| malformed("at"))?,
        expires_at: get_n(item, "expires_at").unwrap_or_default(),
        severity: get_s(item, "severity").and_then(|label| label.parse().ok()),
    })
}

/// Every item `scan` finds, page by page, each read with `read`.
async fn scan_all<T>(
    scan: ScanFluentBuilder,
    read: impl Fn(&Item) -> Result<T, PortError>,
) -> Result<Vec<T>, PortError> {
    let mut found = Vec::new();
    let mut pages = scan.into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| port_error(PORT, "Scan", &e))?;
        for item in page.items() {
            found.push(read(item)?);
        }
    }
    Ok(found)
}

impl DynamoRecords {
    /// The incidents or autoremediations at or after `since`.
    async fn events_since(&self, table: &str, since: i64) -> Result<Vec<EventRecord>, PortError> {
        let scan = self
            .client
            .scan()
            .table_name(table)
            .filter_expression("#at >= :since")
            // `at` is a reserved word in DynamoDB's expressions.
            .expression_attribute_names("#at", "at")
            .expression_attribute_values(":since", n(since));
        scan_all(scan, event_from_item).await
    }
}

#[async_trait]
impl RecordStore for DynamoRecords {
    async fn open_ticket(&self, finding_id: &str) -> Result<Option<TicketRecord>, PortError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.tickets)
            .key("finding_id", s(finding_id))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| port_error(PORT, "GetItem", &e))?;
        let Some(item) = output.item() else {
            return Ok(None);
        };
        let ticket = ticket_from_item(item)?;
        Ok(ticket.closed_at.is_none().then_some(ticket))
    }

    async fn put_ticket(&self, ticket: &TicketRecord) -> Result<(), PortError> {
        self.client
            .put_item()
            .table_name(&self.tables.tickets)
            .set_item(Some(ticket_item(ticket)))
            .send()
            .await
            .map_err(|e| port_error(PORT, "PutItem", &e))?;
        Ok(())
    }

    async fn open_ticket_once(&self, ticket: &TicketRecord) -> Result<TicketRecord, PortError> {
        let written = self
            .client
            .put_item()
            .table_name(&self.tables.tickets)
            .set_item(Some(ticket_item(ticket)))
            // Only when no ticket is open for the finding: none stored, or
            // the stored one closed.
            .condition_expression("attribute_not_exists(finding_id) OR attribute_exists(closed_at)")
            .send()
            .await;
        match written {
            Ok(_) => Ok(ticket.clone()),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                self.open_ticket(&ticket.finding_id)
                    .await?
                    .ok_or_else(|| PortError {
                        port: PORT,
                        operation: "GetItem",
                        class: ErrorClass::InvalidState,
                        message: format!(
                            "a ticket for finding {} was open when it was written, and is gone now",
                            ticket.finding_id
                        ),
                    })
            }
            Err(error) => Err(port_error(PORT, "PutItem", &error)),
        }
    }

    /// A scan of the tickets table for items without `closed_at`, page by
    /// page. The hourly reminder is its only caller, and the table holds
    /// one item per finding ever ticketed within the retention.
    async fn open_tickets(&self) -> Result<Vec<TicketRecord>, PortError> {
        let scan = self
            .client
            .scan()
            .table_name(&self.tables.tickets)
            .filter_expression("attribute_not_exists(closed_at)")
            .consistent_read(true);
        scan_all(scan, ticket_from_item).await
    }

    /// Three paginated scans, filtered on the server to the window: the
    /// weekly report is their only caller, and the tables keep only the
    /// retention period.
    async fn history(&self, since: i64) -> Result<History, PortError> {
        let scan = self
            .client
            .scan()
            .table_name(&self.tables.tickets)
            .filter_expression(
                "opened_at >= :since OR closed_at >= :since OR attribute_not_exists(closed_at)",
            )
            .expression_attribute_values(":since", n(since));
        let tickets = scan_all(scan, ticket_from_item).await?;
        Ok(History {
            tickets,
            incidents: self.events_since(&self.tables.incidents, since).await?,
            autoremediations: self
                .events_since(&self.tables.autoremediations, since)
                .await?,
        })
    }

    async fn put_event(&self, kind: RecordKind, record: &EventRecord) -> Result<(), PortError> {
        let table = match kind {
            RecordKind::Incident => &self.tables.incidents,
            RecordKind::Autoremediation => &self.tables.autoremediations,
        };
        let mut item = Item::from([
            ("finding_id".to_owned(), s(&record.finding_id)),
            ("at".to_owned(), n(record.at)),
            ("account_id".to_owned(), s(&record.account_id)),
            ("kind".to_owned(), s(&record.kind)),
            ("outcome".to_owned(), s(&record.outcome)),
            ("expires_at".to_owned(), n(record.expires_at)),
        ]);
        put_opt(&mut item, "penalty_score", record.penalty_score.map(n));
        put_opt(
            &mut item,
            "severity",
            record.severity.map(|l| s(l.as_str())),
        );
        self.client
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| port_error(PORT, "PutItem", &e))?;
        Ok(())
    }
}
