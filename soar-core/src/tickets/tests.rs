use std::collections::BTreeMap;

use async_trait::async_trait;
use soar_asff::{Finding, Severity, SeverityLabel};

use super::*;
use crate::error_class::ErrorClass;
use crate::ports::memory::{MemoryRecords, MemoryTickets, NoTickets};
use crate::ports::TicketState;
use crate::AccountData;

const NOW: i64 = 1_800_000_000;
const HOUR: i64 = 3_600;

fn finding(id: &str, label: SeverityLabel) -> Finding {
    Finding {
        id: id.into(),
        product_arn: "arn:aws:securityhub:eu-west-1::product/aws/securityhub".into(),
        title: "S3 general purpose buckets should block public access".into(),
        description: "The bucket allows public access.".into(),
        severity: Some(Severity {
            label: Some(label),
            ..Severity::default()
        }),
        ..Finding::default()
    }
}

fn pad(label: SeverityLabel, tags: &[(&str, &str)]) -> Scratchpad {
    let mut pad = Scratchpad::new(finding(
        "arn:aws:securityhub:eu-west-1:111111111111:subscription/aws-foundational/v/1.0.0/S3.8/finding/f-1",
        label,
    ));
    pad.account = AccountData {
        id: "111111111111".into(),
        team: Some("payments".into()),
        team_email: Some("payments@example.com".into()),
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..AccountData::default()
    };
    pad.decision = Some(Decision::FailedControl);
    pad.control_id = Some("S3.8".into());
    pad
}

fn incident(domain: Option<&str>) -> Scratchpad {
    let mut pad = pad(SeverityLabel::High, &[(TAG_JIRA_PROJECT, "PAY")]);
    pad.decision = Some(Decision::Incident);
    pad.control_id = None;
    if let Some(domain) = domain {
        let mut finding = pad.finding.to_finding();
        finding.product_fields = Some(BTreeMap::from([("soar/domain".into(), domain.into())]));
        pad.finding = finding.into();
    }
    pad
}

fn jira() -> TicketingConfig {
    TicketingConfig {
        system: SystemKind::Jira,
        default_project: "SEC".into(),
        soc_project: Some("SOC".into()),
        escalation_recipients: vec!["ciso@example.com".into()],
        ..TicketingConfig::default()
    }
}

#[test]
fn the_default_slas_are_those_of_the_issue() {
    let sla = SlaHours::default();
    let hours = [
        SeverityLabel::Critical,
        SeverityLabel::High,
        SeverityLabel::Medium,
        SeverityLabel::Low,
        SeverityLabel::Informational,
    ]
    .map(|s| sla.hours(Some(s)));
    assert_eq!(hours, [4, 8, 336, 672, 672]);
    assert_eq!(sla.due_at(Some(SeverityLabel::High), NOW), NOW + 8 * HOUR);
    assert_eq!(sla.due_at(None, 0), 672 * HOUR);
}

#[test]
fn a_team_ticket_goes_to_the_project_its_account_is_tagged_with() {
    let config = jira();
    let tagged = pad(SeverityLabel::High, &[(TAG_JIRA_PROJECT, " PAY ")]);
    assert_eq!(route(&tagged, &config), "PAY");
    let untagged = pad(SeverityLabel::High, &[]);
    assert_eq!(route(&untagged, &config), "SEC");
    let blank = pad(SeverityLabel::High, &[(TAG_JIRA_PROJECT, "  ")]);
    assert_eq!(route(&blank, &config), "SEC");
    // The ServiceNow tag means nothing to a Jira deployment, and the other
    // way round.
    let servicenow = pad(SeverityLabel::High, &[(TAG_SERVICENOW_QUEUE, "Payments")]);
    assert_eq!(route(&servicenow, &config), "SEC");
    let config = TicketingConfig {
        system: SystemKind::ServiceNow,
        ..jira()
    };
    assert_eq!(route(&servicenow, &config), "Payments");
}

#[test]
fn an_application_finding_goes_to_the_app_project_when_there_is_one() {
    let config = TicketingConfig {
        soc_domains: SocDomains::None,
        ..jira()
    };
    let mut app = incident(Some("APP"));
    assert_eq!(
        route(&app, &config),
        "PAY",
        "no :app tag: the team's project"
    );
    app.account
        .tags
        .insert(format!("{TAG_JIRA_PROJECT}{APP_SUFFIX}"), "PAYAPP".into());
    assert_eq!(route(&app, &config), "PAYAPP");
    let mut infra = incident(Some("INFRA"));
    infra.account = app.account.clone();
    assert_eq!(route(&infra, &config), "PAY");
}

#[test]
fn incidents_go_to_the_soc_by_domain() {
    let cases = [
        (SocDomains::All, ["SOC", "SOC", "SOC"]),
        (SocDomains::Infra, ["SOC", "PAY", "SOC"]),
        (SocDomains::App, ["PAY", "SOC", "PAY"]),
        (SocDomains::None, ["PAY", "PAY", "PAY"]),
    ];
    for (domains, expected) in cases {
        let config = TicketingConfig {
            soc_domains: domains,
            ..jira()
        };
        let routed = [Some("INFRA"), Some("APP"), None].map(|d| route(&incident(d), &config));
        assert_eq!(routed, expected, "{domains:?}");
    }
    // A failed control is never the SOC's.
    let config = jira();
    assert_eq!(route(&pad(SeverityLabel::Critical, &[]), &config), "SEC");
}

#[test]
fn the_ticket_says_what_it_is_where_and_why() {
    let mut pad = pad(SeverityLabel::High, &[(TAG_JIRA_PROJECT, "PAY")]);
    pad.decision_reason = Some("control S3.8 fails".into());
    let ticket = new_ticket(&pad, TicketKind::TeamFix, &jira());
    assert_eq!(ticket.reference, "SOAR-f-1");
    assert_eq!(ticket.project, "PAY");
    assert_eq!(
        ticket.title,
        "TEAM FIX: S3 general purpose buckets should block public access"
    );
    assert_eq!(ticket.severity, Some(SeverityLabel::High));
    for part in [
        "The bucket allows public access.",
        "Account: 111111111111",
        "Control: S3.8",
        "Why: control S3.8 fails",
    ] {
        assert!(ticket.body.contains(part), "{part:?} in {}", ticket.body);
    }
    assert_eq!(ticket.team_email.as_deref(), Some("payments@example.com"));
}

/// A ticket system that is down, then comes back.
#[derive(Default)]
struct Flaky {
    down: std::sync::atomic::AtomicBool,
    inner: MemoryTickets,
}

#[async_trait]
impl TicketSystem for Flaky {
    async fn open(&self, ticket: &NewTicket) -> Result<String, PortError> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(PortError {
                port: "TicketSystem",
                operation: "open",
                class: ErrorClass::Throttled,
                message: "HTTP 503 after 3 attempts".into(),
            });
        }
        self.inner.open(ticket).await
    }
    async fn comment(&self, id: &str, text: &str) -> Result<(), PortError> {
        self.inner.comment(id, text).await
    }
    async fn get(&self, id: &str) -> Result<TicketState, PortError> {
        self.inner.get(id).await
    }
    async fn close(&self, id: &str, comment: &str) -> Result<(), PortError> {
        self.inner.close(id, comment).await
    }
}

#[tokio::test]
async fn a_ticket_is_opened_once_with_its_owner_and_due_time() {
    let (system, records, config) = (MemoryTickets::default(), MemoryRecords::default(), jira());
    let desk = TicketDesk {
        system: &system,
        records: &records,
        config: &config,
    };
    let pad = pad(SeverityLabel::High, &[(TAG_JIRA_PROJECT, "PAY")]);
    let first = desk
        .open(&pad, TicketKind::TeamFix, NOW, NOW + 99)
        .await
        .unwrap();
    let again = desk
        .open(&pad, TicketKind::TeamFix, NOW + 60, NOW + 99)
        .await
        .unwrap();
    let Opened::New(record) = first else {
        panic!("{first:?}")
    };
    assert_eq!(again, Opened::Existing(record.clone()));
    assert_eq!(system.tickets().len(), 1, "one ticket in the system");
    assert_eq!(system.tickets()[0].ticket.project, "PAY");
    assert_eq!(
        (record.ticket_id.as_str(), record.sent, record.due_at),
        ("SOAR-1", true, Some(NOW + 8 * HOUR))
    );
    assert_eq!(record.project.as_deref(), Some("PAY"));
    assert_eq!(record.team.as_deref(), Some("payments"));
    assert_eq!(records.tickets(), [record]);
}

#[tokio::test]
async fn a_ticket_the_system_refuses_is_kept_and_opened_on_the_next_run() {
    let (system, records, config) = (Flaky::default(), MemoryRecords::default(), jira());
    system.down.store(true, std::sync::atomic::Ordering::SeqCst);
    let desk = TicketDesk {
        system: &system,
        records: &records,
        config: &config,
    };
    let pad = pad(SeverityLabel::Critical, &[]);
    let failed = desk
        .open(&pad, TicketKind::TeamFix, NOW, NOW + 99)
        .await
        .unwrap();
    let Opened::Failed { record, error } = &failed else {
        panic!("{failed:?}")
    };
    assert_eq!(error.class, ErrorClass::Throttled);
    assert_eq!(failed.ticket_id(), None);
    assert!(!record.sent);
    assert_eq!(record.ticket_id, "SOAR-f-1");
    assert!(
        record
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("HTTP 503"),
        "{record:?}"
    );
    assert_eq!(
        records.tickets(),
        std::slice::from_ref(record),
        "the claim is recorded"
    );

    system
        .down
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let later = NOW + HOUR;
    let opened = desk
        .open(&pad, TicketKind::TeamFix, later, later + 99)
        .await
        .unwrap();
    let Opened::New(record) = opened else {
        panic!("{opened:?}")
    };
    assert_eq!((record.ticket_id.as_str(), record.sent), ("SOAR-1", true));
    assert_eq!(record.last_error, None);
    // Due from when it was first claimed, not from when the system came back.
    assert_eq!(
        (record.opened_at, record.due_at),
        (NOW, Some(NOW + 4 * HOUR))
    );
    assert_eq!(system.inner.tickets().len(), 1);
}

#[tokio::test]
async fn closing_closes_in_the_system_and_in_the_records() {
    let (system, records, config) = (MemoryTickets::default(), MemoryRecords::default(), jira());
    let desk = TicketDesk {
        system: &system,
        records: &records,
        config: &config,
    };
    let pad = pad(SeverityLabel::Medium, &[]);
    let opened = desk
        .open(&pad, TicketKind::TeamFix, NOW, NOW + 99)
        .await
        .unwrap();
    let closed = desk
        .close(opened.record(), "The finding is resolved.", NOW + 60)
        .await
        .unwrap();
    assert_eq!(closed.closed_at, Some(NOW + 60));
    assert_eq!(
        system.tickets()[0].closed.as_deref(),
        Some("The finding is resolved.")
    );
    assert_eq!(records.open_tickets().await.unwrap(), []);
    assert_eq!(records.tickets(), [closed]);
}

#[tokio::test]
async fn an_autofixed_ticket_is_opened_and_closed_at_once_or_not_at_all() {
    let records = MemoryRecords::default();
    let system = MemoryTickets::default();
    let mut pad = pad(SeverityLabel::High, &[]);
    pad.actions.remediated = true;
    pad.messages.actions_taken = "Blocked public access.".into();
    assert_eq!(TicketKind::of(&pad), TicketKind::Autofixed);
    let off = TicketingConfig {
        autofixed_tickets: false,
        ..jira()
    };
    let desk = TicketDesk {
        system: &system,
        records: &records,
        config: &off,
    };
    assert_eq!(desk.autofixed(&pad, NOW, NOW + 99).await.unwrap(), None);
    assert!(system.tickets().is_empty() && records.tickets().is_empty());

    let on = jira();
    let desk = TicketDesk {
        config: &on,
        ..desk
    };
    let done = desk.autofixed(&pad, NOW, NOW + 99).await.unwrap();
    let Some(Opened::New(record)) = done else {
        panic!("{done:?}")
    };
    assert_eq!(record.closed_at, Some(NOW));
    let ticket = &system.tickets()[0];
    assert!(ticket.ticket.title.starts_with("AUTOFIXED: "), "{ticket:?}");
    assert_eq!(
        ticket.closed.as_deref(),
        Some("soar fixed it: Blocked public access.")
    );
    assert_eq!(records.open_tickets().await.unwrap(), [], "never left open");
}

#[tokio::test]
async fn an_autofixed_ticket_the_system_refuses_is_not_left_open() {
    let (system, records, config) = (Flaky::default(), MemoryRecords::default(), jira());
    system.down.store(true, std::sync::atomic::Ordering::SeqCst);
    let desk = TicketDesk {
        system: &system,
        records: &records,
        config: &config,
    };
    let mut pad = pad(SeverityLabel::High, &[]);
    pad.actions.remediated = true;
    let done = desk.autofixed(&pad, NOW, NOW + 99).await.unwrap();
    assert!(matches!(done, Some(Opened::Failed { .. })), "{done:?}");
    assert_eq!(records.open_tickets().await.unwrap(), []);
    assert_eq!(records.tickets()[0].closed_at, Some(NOW));
}

#[tokio::test]
async fn without_a_ticket_system_the_record_is_the_ticket() {
    let (records, config) = (MemoryRecords::default(), TicketingConfig::default());
    let desk = TicketDesk {
        system: &NoTickets,
        records: &records,
        config: &config,
    };
    let opened = desk
        .open(
            &pad(SeverityLabel::Low, &[]),
            TicketKind::TeamFix,
            NOW,
            NOW + 99,
        )
        .await
        .unwrap();
    assert_eq!(opened.ticket_id(), Some("SOAR-f-1"));
    assert_eq!(opened.record().project.as_deref(), Some("SOAR"));
    let closed = desk.close(opened.record(), "done", NOW + 1).await.unwrap();
    assert_eq!(closed.closed_at, Some(NOW + 1));
}

fn record(finding: &str, severity: Option<SeverityLabel>, opened_hours_ago: i64) -> TicketRecord {
    TicketRecord {
        ticket_id: format!("T-{finding}"),
        finding_id: finding.into(),
        account_id: "111111111111".into(),
        title: format!("TEAM FIX: {finding}"),
        opened_at: NOW - opened_hours_ago * HOUR,
        severity,
        ..TicketRecord::default()
    }
}

#[tokio::test]
async fn overdue_lists_the_open_tickets_past_their_sla_most_overdue_first() {
    let config = jira();
    let mut closed = record("closed", Some(SeverityLabel::Critical), 100);
    closed.closed_at = Some(NOW - HOUR);
    let mut due_later = record("due-later", Some(SeverityLabel::Critical), 100);
    due_later.due_at = Some(NOW + HOUR);
    let records = MemoryRecords::with_tickets([
        record("critical", Some(SeverityLabel::Critical), 5),
        record("medium", Some(SeverityLabel::Medium), 5),
        record("low", Some(SeverityLabel::Low), 700),
        record("none", None, 673),
        closed,
        due_later,
    ]);
    let desk = TicketDesk {
        system: &NoTickets,
        records: &records,
        config: &config,
    };
    let overdue = desk.overdue(NOW).await.unwrap();
    let listed: Vec<_> = overdue
        .iter()
        .map(|o| (o.ticket.finding_id.as_str(), o.hours_overdue, o.escalated))
        .collect();
    assert_eq!(
        listed,
        [
            ("low", 28, false),
            ("critical", 1, true),
            ("none", 1, false)
        ],
        "equally overdue: by finding ID"
    );
    assert_eq!(
        overdue_by_severity(&overdue),
        BTreeMap::from([("CRITICAL", 1), ("LOW", 1), ("UNKNOWN", 1)])
    );
    // Exactly at its due time, a ticket is not overdue yet.
    let on_time = overdue_of(
        [record("c", Some(SeverityLabel::Critical), 4)],
        &config,
        NOW,
    );
    assert_eq!(on_time, []);
}

#[test]
fn the_reminder_goes_to_the_team_and_escalates_by_severity() {
    let config = jira();
    let overdue = overdue_of(
        [record("critical", Some(SeverityLabel::Critical), 30)],
        &config,
        NOW,
    );
    let mail = reminder(&overdue[0], Some("payments@example.com"), &config).unwrap();
    assert_eq!(mail.to, ["payments@example.com", "ciso@example.com"]);
    assert_eq!(mail.subject, "OVERDUE TEAM FIX: critical (T-critical)");
    assert!(
        mail.text.contains("26 hours past its due time"),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("Severity: CRITICAL"), "{}", mail.text);

    let low = overdue_of([record("low", Some(SeverityLabel::Low), 700)], &config, NOW);
    let mail = reminder(&low[0], Some("payments@example.com"), &config).unwrap();
    assert_eq!(mail.to, ["payments@example.com"], "LOW is not escalated");
    assert_eq!(reminder(&low[0], None, &config), None, "nobody to tell");
}
