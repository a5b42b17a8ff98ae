//! `soar-report`: the scheduled jobs. Two EventBridge schedule rules of
//! the template invoke the function with the job to run:
//!
//! | Input | Schedule | Does |
//! | --- | --- | --- |
//! | `{"job": "weekly_report"}` | Mondays 07:00 UTC | the weekly report of the four weeks of records, narrated by the model, mailed to `SOAR_REPORT_RECIPIENTS` |
//! | `{"job": "weekly_report"}` | | the week is the seven days before 00:00 UTC of the day it runs |
//! | `{"job": "overdue_reminders"}` | hourly | an OVERDUE TEAM FIX mail for each ticket past its SLA, once a day per ticket (in the hour it became overdue, 24 hours later, ...), to the account's team (and the escalation recipients for the escalated severities) |
//!
//! Each returns a summary, which the function logs; a job fails only when
//! the records cannot be read, so that its alarm fires. A mail that cannot
//! be sent is counted and logged, and the others still go.

use serde::{Deserialize, Serialize};
use soar_ai::report::{WeeklyReport, WEEK};
use soar_ai::Analyst;
use soar_core::ports::{AccountDirectory, Notifier, RecordStore};
use soar_core::tickets::{overdue_by_severity, overdue_of, TicketingConfig};
use soar_core::Timestamp;

use crate::handlers::HandlerError;

/// Which job to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Job {
    /// The weekly report.
    WeeklyReport,
    /// The overdue reminders.
    OverdueReminders,
}

/// What the schedule sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRequest {
    /// The job.
    pub job: Job,
}

/// What the jobs need.
#[derive(Clone, Copy)]
pub struct JobPorts<'a> {
    /// The records.
    pub records: &'a dyn RecordStore,
    /// Account data: each overdue ticket's team address.
    pub accounts: &'a dyn AccountDirectory,
    /// The model, for the report's narrative.
    pub analyst: &'a Analyst,
    /// Where mail goes; none, nothing is sent (the summary still says
    /// what would have been).
    pub notifier: Option<&'a dyn Notifier>,
    /// The weekly report's recipients.
    pub report_recipients: &'a [String],
    /// The SLAs and escalation.
    pub ticketing: &'a TicketingConfig,
    /// The time now.
    pub now: Timestamp,
}

/// What a job did.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct JobSummary {
    /// The job.
    pub job: Option<Job>,
    /// The mail sent.
    pub sent: usize,
    /// The mail that could not be sent, with why.
    pub failed: Vec<String>,
    /// For the report: its subject; for the reminders, the overdue count by
    /// severity.
    pub details: serde_json::Value,
}

/// Runs `request`'s job.
///
/// # Errors
/// [`HandlerError::Port`] when the records cannot be read.
pub async fn run(request: JobRequest, ports: JobPorts<'_>) -> Result<JobSummary, HandlerError> {
    let summary = match request.job {
        Job::WeeklyReport => weekly_report(ports).await?,
        Job::OverdueReminders => overdue_reminders(ports).await?,
    };
    tracing::info!(job = ?request.job, sent = summary.sent, failed = summary.failed.len(), details = %summary.details, "job done");
    Ok(summary)
}

async fn send(
    notifier: Option<&dyn Notifier>,
    mail: &soar_core::ports::Notification,
    summary: &mut JobSummary,
) {
    let Some(notifier) = notifier else {
        return;
    };
    match notifier.notify(mail).await {
        Ok(()) => summary.sent += 1,
        Err(error) => {
            tracing::warn!(subject = %mail.subject, %error, "mail not sent");
            summary.failed.push(format!("{}: {error}", mail.subject));
        }
    }
}

/// The weekly report of the week ending now, narrated by the model (never
/// waiting on it past its timeout), mailed to the recipients.
async fn weekly_report(ports: JobPorts<'_>) -> Result<JobSummary, HandlerError> {
    // Whole days: the report run on Monday morning covers Monday to Sunday
    // before it, and the next one starts where it ended.
    let end = ports.now.0 - ports.now.0.rem_euclid(86_400);
    let history = ports.records.history(end - 4 * WEEK).await?;
    let report = WeeklyReport::compute(&history, end, ports.ticketing);
    let narrative = ports.analyst.narrate(&report).await;
    let mut summary = JobSummary {
        job: Some(Job::WeeklyReport),
        details: serde_json::json!({
            "subject": report.subject(),
            "recipients": ports.report_recipients,
            "accounts": report.accounts.len(),
            "notes": narrative.notes,
        }),
        ..JobSummary::default()
    };
    if !ports.report_recipients.is_empty() {
        let mail = report.to_notification(&narrative, ports.report_recipients.to_vec());
        send(ports.notifier, &mail, &mut summary).await;
    }
    Ok(summary)
}

/// How often an overdue ticket is reminded of, in hours. The job runs
/// hourly and keeps no state: a ticket is reminded of in the runs where its
/// whole hours overdue are a multiple of this.
pub const REMIND_EVERY_HOURS: i64 = 24;

/// An OVERDUE TEAM FIX mail for each open ticket past its SLA, once every
/// [`REMIND_EVERY_HOURS`].
async fn overdue_reminders(ports: JobPorts<'_>) -> Result<JobSummary, HandlerError> {
    let open = ports.records.open_tickets().await?;
    let overdue = overdue_of(open, ports.ticketing, ports.now.0);
    let mut summary = JobSummary {
        job: Some(Job::OverdueReminders),
        details: serde_json::json!({"overdue": overdue_by_severity(&overdue)}),
        ..JobSummary::default()
    };
    for item in overdue
        .iter()
        .filter(|o| o.hours_overdue % REMIND_EVERY_HOURS == 0)
    {
        // The team's address is the account's, read now: a team that
        // changed its address gets the reminder at the new one.
        let team_email = match ports.accounts.account(&item.ticket.account_id).await {
            Ok(account) => account.team_email,
            Err(error) => {
                tracing::warn!(account = %item.ticket.account_id, %error, "no account data");
                None
            }
        };
        if let Some(mail) = soar_ai::email::overdue(item, team_email.as_deref(), ports.ticketing) {
            send(ports.notifier, &mail, &mut summary).await;
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use soar_asff::SeverityLabel;
    use soar_core::ports::memory::{MemoryNotifier, MemoryRecords, StaticAccounts};
    use soar_core::ports::{EventRecord, History, TicketRecord};
    use soar_core::AccountData;

    use super::*;

    const NOW: i64 = 1_796_601_600;

    fn records() -> MemoryRecords {
        let ticket = |finding: &str, account: &str, severity, opened_at| TicketRecord {
            ticket_id: format!("SEC-{finding}"),
            finding_id: finding.into(),
            account_id: account.into(),
            title: format!("TEAM FIX: {finding}"),
            severity: Some(severity),
            opened_at,
            ..TicketRecord::default()
        };
        MemoryRecords::with_history(History {
            tickets: vec![
                // CRITICAL: 4 h SLA, opened 28 hours ago: 24 hours overdue.
                ticket(
                    "f-1",
                    "111111111111",
                    SeverityLabel::Critical,
                    NOW - 28 * 3_600,
                ),
                // CRITICAL, 20 hours overdue: reminded of in 4 hours.
                ticket(
                    "f-4",
                    "111111111111",
                    SeverityLabel::Critical,
                    NOW - 24 * 3_600,
                ),
                // MEDIUM: 14 days, opened a day ago: not yet.
                ticket("f-2", "111111111111", SeverityLabel::Medium, NOW - 86_400),
                // HIGH, in an account without a team address: overdue, nobody to tell.
                ticket("f-3", "222222222222", SeverityLabel::High, NOW - 86_400),
            ],
            incidents: Vec::new(),
            autoremediations: vec![EventRecord {
                finding_id: "fix-1".into(),
                account_id: "111111111111".into(),
                kind: "S3.8".into(),
                outcome: "remediated".into(),
                penalty_score: Some(40.0),
                at: NOW - 3_600,
                expires_at: NOW + 86_400,
                severity: Some(SeverityLabel::High),
            }],
        })
    }

    fn accounts() -> StaticAccounts {
        StaticAccounts::new([AccountData {
            id: "111111111111".into(),
            team_email: Some("payments@example.com".into()),
            ..AccountData::default()
        }])
    }

    fn analyst() -> Analyst {
        Analyst::new(
            Arc::new(soar_ai::OfflineModel),
            soar_ai::Prompts::builtin(),
            soar_ai::AiConfig::default(),
        )
    }

    #[tokio::test]
    async fn the_weekly_report_is_mailed_to_its_recipients() {
        let (records, accounts, analyst, mail) =
            (records(), accounts(), analyst(), MemoryNotifier::default());
        let recipients = vec!["ciso@example.com".to_owned()];
        let ports = JobPorts {
            records: &records,
            accounts: &accounts,
            analyst: &analyst,
            notifier: Some(&mail),
            report_recipients: &recipients,
            ticketing: &TicketingConfig::default(),
            // Monday 07:00, when the schedule runs it.
            now: Timestamp(NOW + 7 * 3_600),
        };
        let request: JobRequest = serde_json::from_str(r#"{"job": "weekly_report"}"#).unwrap();
        let summary = run(request, ports).await.unwrap();
        assert_eq!((summary.sent, summary.failed.len()), (1, 0));
        let sent = mail.sent();
        assert_eq!(sent[0].to, recipients);
        assert_eq!(
            sent[0].subject,
            "Weekly security report: 2026-11-30 to 2026-12-06"
        );
        assert!(
            sent[0].text.contains("Tickets opened: 3 (last week 0, +3)"),
            "{}",
            sent[0].text
        );
        assert!(sent[0]
            .text
            .contains("Autoremediations: 1 (last week 0, +1): S3.8 1"));
        assert!(sent[0].html.as_deref().unwrap().contains("<h2"));
        assert_eq!(summary.details["accounts"], 2);
    }

    #[tokio::test]
    async fn each_overdue_ticket_with_a_team_address_gets_its_reminder() {
        let (records, accounts, analyst, mail) =
            (records(), accounts(), analyst(), MemoryNotifier::default());
        let ports = JobPorts {
            records: &records,
            accounts: &accounts,
            analyst: &analyst,
            notifier: Some(&mail),
            report_recipients: &[],
            ticketing: &TicketingConfig::default(),
            now: Timestamp(NOW),
        };
        let summary = run(
            JobRequest {
                job: Job::OverdueReminders,
            },
            ports,
        )
        .await
        .unwrap();
        assert_eq!(
            summary.details["overdue"],
            serde_json::json!({"CRITICAL": 2, "HIGH": 1})
        );
        let sent = mail.sent();
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(sent[0].to, ["payments@example.com"]);
        assert_eq!(sent[0].subject, "OVERDUE TEAM FIX: f-1 (SEC-f-1)");
        assert!(sent[0].text.contains("24 hours past its due time"));
        assert!(sent[0].html.is_some());
        assert_eq!(summary.sent, 1);
        // Four hours later, f-4 is 24 hours overdue and f-1 28: only f-4.
        let later = JobPorts {
            now: Timestamp(NOW + 4 * 3_600),
            ..ports
        };
        run(
            JobRequest {
                job: Job::OverdueReminders,
            },
            later,
        )
        .await
        .unwrap();
        let sent = mail.sent();
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[1].subject, "OVERDUE TEAM FIX: f-4 (SEC-f-4)");
    }

    #[tokio::test]
    async fn an_unknown_job_is_refused_by_name() {
        let error = serde_json::from_str::<JobRequest>(r#"{"job": "monthly"}"#).unwrap_err();
        assert!(
            error.to_string().contains("unknown variant `monthly`"),
            "{error}"
        );
    }
}
