use std::sync::Arc;

use soar_asff::SeverityLabel;
use soar_core::ports::EventRecord;

use super::*;
use crate::model::{LanguageModel, ModelError, OfflineModel, Prompt};
use crate::{AiConfig, Prompts};

/// Monday 2026-12-07 00:00 UTC: the report covers 2026-11-30 to 2026-12-06.
const NOW: i64 = 1_796_601_600;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;
const A: &str = "111111111111";
const B: &str = "222222222222";
const C: &str = "333333333333";
const D: &str = "444444444444";

fn ticket(finding: String, account: &str, opened_at: i64) -> TicketRecord {
    TicketRecord {
        ticket_id: format!("SEC-{finding}"),
        finding_id: finding,
        account_id: account.to_owned(),
        opened_at,
        ..TicketRecord::default()
    }
}

fn event(finding: String, account: &str, kind: &str, outcome: &str, at: i64) -> EventRecord {
    EventRecord {
        finding_id: finding,
        account_id: account.to_owned(),
        kind: kind.to_owned(),
        outcome: outcome.to_owned(),
        penalty_score: None,
        at,
        expires_at: at + 365 * DAY,
        severity: None,
    }
}

/// Generated records whose figures are known:
///
/// * account A, this week: ten HIGH tickets opened an hour apart, ticket
///   `i` closed after `i + 1` hours with penalty `i` (mean and median time
///   to close 5.5 h, penalties 0 + 1 + ... + 9 = 45); S3.8 remediated three
///   times, EC2.7 once, one remediation failed and ticketed (MEDIUM);
/// * account B, last week: three CRITICAL tickets closed after 2, 4 and 30
///   hours (mean 12 h, median 4 h), and one S3.8 remediation;
/// * account C, this week: two HIGH Recon:EC2/Portscan incidents with
///   penalties 50 and 70, and one CRITICAL ticket due an hour before the
///   week's end, still open (overdue);
/// * account D: a CRITICAL ticket opened 20 days ago and still open
///   (overdue at the end of both weeks, by its SLA of 4 hours).
fn history() -> History {
    let week = Period::week_ending(NOW);
    let last = week.previous();
    let mut history = History::default();
    for i in 0..10 {
        history.tickets.push(TicketRecord {
            closed_at: Some(week.start + i * HOUR + (i + 1) * HOUR),
            severity: Some(SeverityLabel::High),
            penalty_score: Some(i as f64),
            ..ticket(format!("a-{i}"), A, week.start + i * HOUR)
        });
    }
    for (i, hours) in [2, 4, 30].into_iter().enumerate() {
        history.tickets.push(TicketRecord {
            closed_at: Some(last.start + DAY + hours * HOUR),
            severity: Some(SeverityLabel::Critical),
            ..ticket(format!("b-{i}"), B, last.start + DAY)
        });
    }
    history.tickets.push(TicketRecord {
        severity: Some(SeverityLabel::Critical),
        due_at: Some(NOW - HOUR),
        ..ticket("c-open".to_owned(), C, NOW - DAY)
    });
    history.tickets.push(TicketRecord {
        severity: Some(SeverityLabel::Critical),
        ..ticket("d-old".to_owned(), D, NOW - 20 * DAY)
    });
    for (i, control) in ["S3.8", "S3.8", "EC2.7", "S3.8"].into_iter().enumerate() {
        history.autoremediations.push(EventRecord {
            severity: Some(SeverityLabel::Medium),
            ..event(
                format!("fix-{i}"),
                A,
                control,
                "remediated",
                week.start + DAY,
            )
        });
    }
    history.autoremediations.push(EventRecord {
        severity: Some(SeverityLabel::Medium),
        ..event(
            "fix-failed".to_owned(),
            A,
            "EC2.19",
            "ticket",
            week.start + DAY,
        )
    });
    history.autoremediations.push(event(
        "fix-last".to_owned(),
        B,
        "S3.8",
        "remediated",
        last.start + DAY,
    ));
    for (i, penalty) in [50.0, 70.0].into_iter().enumerate() {
        history.incidents.push(EventRecord {
            penalty_score: Some(penalty),
            severity: Some(SeverityLabel::High),
            ..event(
                format!("inc-{i}"),
                C,
                "Recon:EC2/Portscan",
                "contained",
                NOW - 2 * DAY,
            )
        });
    }
    history
}

fn report() -> WeeklyReport {
    WeeklyReport::compute(&history(), NOW, &TicketingConfig::default())
}

#[test]
fn this_week_has_the_known_figures() {
    let this = report().this_week;
    assert_eq!(this.tickets_opened, 11);
    assert_eq!(this.tickets_closed, 10);
    assert_eq!(this.tickets_overdue, 2);
    assert_eq!(this.mean_hours_to_close, Some(5.5));
    assert_eq!(this.median_hours_to_close, Some(5.5));
    assert_eq!(
        this.autoremediations,
        BTreeMap::from([("EC2.7".to_owned(), 1), ("S3.8".to_owned(), 3)])
    );
    assert_eq!(this.autoremediations_failed, 1);
    assert_eq!(
        this.incidents,
        BTreeMap::from([("Recon:EC2/Portscan".to_owned(), 2)])
    );
    // 45 from the tickets, 50 + 70 from the incidents, over the 12
    // findings that have a penalty.
    assert_eq!(this.total_penalty, 165.0);
    assert_eq!(this.average_penalty, Some(13.75));
    assert_eq!(
        this.severities,
        BTreeMap::from([
            ("CRITICAL".to_owned(), 1),
            ("HIGH".to_owned(), 12),
            ("MEDIUM".to_owned(), 5),
        ])
    );
}

#[test]
fn last_week_has_the_known_figures() {
    let last = report().last_week;
    assert_eq!(last.tickets_opened, 3);
    assert_eq!(last.tickets_closed, 3);
    assert_eq!(last.tickets_overdue, 1, "only the 20-day-old ticket");
    assert_eq!(last.mean_hours_to_close, Some(12.0));
    assert_eq!(last.median_hours_to_close, Some(4.0));
    assert_eq!(last.autoremediation_count(), 1);
    assert_eq!(last.incident_count(), 0);
    assert_eq!(last.total_penalty, 0.0);
    assert_eq!(last.average_penalty, None);
}

#[test]
fn severities_are_broken_down_over_four_weeks_oldest_first() {
    let report = report();
    let weeks: Vec<(String, &BTreeMap<String, usize>)> = report
        .severity_weeks
        .iter()
        .map(|(week, counts)| (week.label(), counts))
        .collect();
    assert_eq!(weeks.len(), 4);
    assert_eq!(weeks[0].0, "2026-11-09 to 2026-11-15");
    assert!(weeks[0].1.is_empty());
    assert_eq!(
        weeks[1].1,
        &BTreeMap::from([("CRITICAL".to_owned(), 1)]),
        "the ticket opened 20 days ago"
    );
    assert_eq!(
        weeks[2].1,
        &BTreeMap::from([("CRITICAL".to_owned(), 3), ("UNKNOWN".to_owned(), 1)])
    );
    assert_eq!(weeks[3].0, "2026-11-30 to 2026-12-06");
    assert_eq!(weeks[3].1, &report.this_week.severities);
    assert_eq!(
        report.severity_text().lines().nth(1),
        Some("2026-11-16 to 2026-11-22: CRITICAL 1, HIGH 0, MEDIUM 0, LOW 0, INFORMATIONAL 0, UNKNOWN 0")
    );
}

#[test]
fn accounts_with_issues_this_week_get_a_section_most_findings_first() {
    let report = report();
    let accounts: Vec<(&str, usize, usize)> = report
        .accounts
        .iter()
        .map(|a| {
            (
                a.account_id.as_str(),
                a.this_week.findings_handled(),
                a.this_week.tickets_overdue,
            )
        })
        .collect();
    // B was busy last week only.
    assert_eq!(accounts, [(A, 15, 0), (C, 3, 1), (D, 0, 1)]);
    assert_eq!(report.accounts[0].this_week.mean_hours_to_close, Some(5.5));
    assert_eq!(report.accounts[1].this_week.incident_count(), 2);
}

#[test]
fn recommendations_follow_from_the_figures_most_important_first() {
    assert_eq!(
        report().recommendations,
        [
            "2 ticket(s) are past their due time, most in account 333333333333 (1): agree a date with the owning teams or escalate.",
            "2 incident(s) this week, 2 of them Recon:EC2/Portscan: check that containment held and look for the common cause.",
            "S3.8 was fixed automatically 3 times: the resources are deployed that way, so fix the templates that create them.",
            "1 autoremediation(s) failed and were ticketed: check the remediation role's permissions in the accounts concerned.",
            "The median time to close rose from 4.0 h to 5.5 h: look at what holds the oldest tickets.",
        ]
    );
    let quiet = WeeklyReport::compute(&History::default(), NOW, &TicketingConfig::default());
    assert_eq!(
        quiet.recommendations,
        ["Nothing stands out this week: keep the current pace."]
    );
    assert!(quiet.accounts.is_empty());
}

#[test]
fn the_medians_of_even_and_odd_counts() {
    assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
    assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
    assert_eq!(median(&mut []), None);
    assert_eq!(mean(&[1.0, 2.0]), Some(1.5));
}

#[test]
fn the_text_carries_every_figure() {
    let report = report();
    let text = report.to_text(&Narrative::default());
    assert!(text.starts_with("Weekly security report: 2026-11-30 to 2026-12-06\n"));
    for line in [
        "Tickets opened: 11 (last week 3, +8)",
        "Tickets closed: 10 (last week 3, +7)",
        "Tickets overdue at the end of the week: 2 (last week 1, +1)",
        "Mean time to close: 5.5 h (last week 12.0 h)",
        "Median time to close: 5.5 h (last week 4.0 h)",
        "Autoremediations: 4 (last week 1, +3): S3.8 3, EC2.7 1",
        "Autoremediations that failed and were ticketed: 1 (last week 0, +1)",
        "Incidents: 2 (last week 0, +2): Recon:EC2/Portscan 2",
        "Total penalty: 165.0 (last week 0.0)",
        "Average penalty: 13.8 (last week -)",
        "ACCOUNT 111111111111",
        "ACCOUNT 444444444444",
    ] {
        assert!(text.contains(line), "no `{line}` in:\n{text}");
    }
    assert!(!text.contains("ACCOUNT 222222222222"));
}

#[test]
fn the_html_has_inline_styles_only_and_escapes_the_narrative() {
    let narrative = Narrative {
        overview: "Better <b>than</b> last week & calmer.".into(),
        ..Narrative::default()
    };
    let html = report().to_html(&narrative);
    assert!(html.contains("Better &lt;b&gt;than&lt;/b&gt; last week &amp; calmer."));
    assert!(!html.contains("<b>"));
    assert!(!html.contains("<style") && !html.contains("class="));
    assert!(html.contains(">Tickets opened</td><td style="));
    assert!(html.contains(">11 (last week 3, +8)</td>"));
    assert!(html.contains(">Account 333333333333</h2>"));
    let mail = report().to_notification(&narrative, vec!["sec@example.com".into()]);
    assert_eq!(
        mail.subject,
        "Weekly security report: 2026-11-30 to 2026-12-06"
    );
    assert_eq!(mail.to, ["sec@example.com"]);
    assert!(mail.text.contains("Better <b>than</b> last week & calmer."));
}

/// Keeps what it is sent, and fails for the sections it is told to.
struct Recording {
    failing: Option<PromptKind>,
    sent: std::sync::Mutex<Vec<Prompt>>,
}

#[async_trait::async_trait]
impl LanguageModel for Recording {
    fn name(&self) -> &str {
        "recording"
    }

    async fn complete(&self, prompt: &Prompt) -> Result<String, ModelError> {
        self.sent.lock().unwrap().push(prompt.clone());
        if Some(prompt.kind) == self.failing {
            return Err(ModelError::Failed {
                model: "recording".into(),
                class: soar_core::error_class::ErrorClass::Throttled,
                message: "ThrottlingException: slow down".into(),
            });
        }
        OfflineModel.complete(prompt).await
    }
}

#[tokio::test]
async fn the_narrative_is_asked_anonymised_and_restored() {
    let model = Arc::new(Recording {
        failing: None,
        sent: Default::default(),
    });
    let analyst = Analyst::new(model.clone(), Prompts::builtin(), AiConfig::default());
    let report = report();
    let narrative = analyst.narrate(&report).await;
    let sent = model.sent.lock().unwrap();
    // Overview, recommendations, and one per account.
    assert_eq!(sent.len(), 2 + report.accounts.len());
    for prompt in sent.iter() {
        for account in [A, B, C, D] {
            assert!(
                !prompt.text.contains(account),
                "{account} sent in {}",
                prompt.text
            );
        }
    }
    // One placeholder per account across every section.
    assert!(sent[1].text.contains("most in account <ACCOUNT_1>"));
    assert!(
        sent[3].text.contains("account <ACCOUNT_1>"),
        "{}",
        sent[3].text
    );
    assert_eq!(
        narrative.accounts[C],
        format!("Account {C}, against last week: tickets opened 1 (+1), tickets overdue at the end of the week 1 (+1), incidents 2 (+2).")
    );
    assert!(
        narrative
            .overview
            .starts_with("This week, against last week: tickets opened 11 (+8), "),
        "{}",
        narrative.overview
    );
    assert!(narrative
        .recommendations
        .contains("most in account 333333333333"));
    assert!(narrative.notes.is_empty());
}

#[tokio::test]
async fn a_section_the_model_fails_is_left_out_with_a_note() {
    let model = Arc::new(Recording {
        failing: Some(PromptKind::Overview),
        sent: Default::default(),
    });
    let analyst = Analyst::new(model, Prompts::builtin(), AiConfig::default());
    let report = report();
    let narrative = analyst.narrate(&report).await;
    assert!(narrative.overview.is_empty());
    assert!(!narrative.recommendations.is_empty());
    assert_eq!(
        narrative.notes,
        ["No AI text for the overview: recording failed (throttled): ThrottlingException: slow down."]
    );
    let text = report.to_text(&narrative);
    assert!(text.contains("Note: No AI text for the overview"));
    assert!(
        text.contains("Tickets opened: 11"),
        "the figures are there without AI"
    );
}

#[test]
fn each_finding_counts_once_with_its_highest_penalty_and_a_known_severity() {
    let week = Period::week_ending(NOW);
    let history = History {
        // The incident's ticket, with a lower penalty and no severity.
        tickets: vec![TicketRecord {
            penalty_score: Some(10.0),
            ..ticket("inc".to_owned(), C, week.start)
        }],
        incidents: vec![
            EventRecord {
                penalty_score: Some(50.0),
                severity: Some(SeverityLabel::High),
                ..event(
                    "inc".to_owned(),
                    C,
                    "Recon:EC2/Portscan",
                    "contained",
                    week.start,
                )
            },
            // Written again by a retried step: the same incident.
            EventRecord {
                penalty_score: Some(50.0),
                severity: Some(SeverityLabel::High),
                ..event(
                    "inc".to_owned(),
                    C,
                    "Recon:EC2/Portscan",
                    "contained",
                    week.start + 5,
                )
            },
        ],
        autoremediations: vec![
            event("fix".to_owned(), A, "S3.8", "remediated", week.start + HOUR),
            event(
                "fix".to_owned(),
                A,
                "S3.8",
                "remediated",
                week.start + 2 * HOUR,
            ),
            // At the week's end: next week's.
            event("late".to_owned(), A, "S3.8", "remediated", NOW),
        ],
    };
    let stats = WeekStats::compute(&history, week, &TicketingConfig::default());
    assert_eq!(stats.total_penalty, 50.0);
    assert_eq!(stats.average_penalty, Some(50.0));
    assert_eq!(stats.incidents["Recon:EC2/Portscan"], 1);
    assert_eq!(stats.autoremediations["S3.8"], 1);
    assert_eq!(stats.findings_handled(), 2);
    assert_eq!(
        stats.severities,
        BTreeMap::from([("HIGH".to_owned(), 1), ("UNKNOWN".to_owned(), 1)]),
        "the incident's severity replaces its ticket's unknown one"
    );
    let next = WeekStats::compute(
        &history,
        Period::week_ending(NOW + WEEK),
        &TicketingConfig::default(),
    );
    assert_eq!(next.autoremediations["S3.8"], 1, "the record at NOW");
}

#[test]
fn autofixed_tickets_are_remediations_not_tickets() {
    let week = Period::week_ending(NOW);
    let history = History {
        tickets: vec![
            TicketRecord {
                title: "AUTOFIXED: S3 general purpose buckets should block public access".into(),
                closed_at: Some(week.start + DAY),
                ..ticket("fixed".to_owned(), A, week.start + DAY)
            },
            TicketRecord {
                title: "TEAM FIX: EC2 instances should use IMDSv2".into(),
                closed_at: Some(week.start + DAY + 10 * HOUR),
                ..ticket("team".to_owned(), A, week.start + DAY)
            },
        ],
        ..History::default()
    };
    let stats = WeekStats::compute(&history, week, &TicketingConfig::default());
    assert_eq!((stats.tickets_opened, stats.tickets_closed), (1, 1));
    assert_eq!(stats.mean_hours_to_close, Some(10.0));
}

#[test]
fn a_ticket_due_at_the_weeks_end_is_not_yet_overdue() {
    let week = Period::week_ending(NOW);
    let due = |due_at| TicketRecord {
        due_at: Some(due_at),
        ..ticket(format!("due-{due_at}"), A, week.start)
    };
    let history = History {
        tickets: vec![due(NOW), due(NOW - 1)],
        ..History::default()
    };
    let stats = WeekStats::compute(&history, week, &TicketingConfig::default());
    assert_eq!(stats.tickets_overdue, 1);
}
