//! The weekly security report: this week against last week, from the
//! record store's [`History`], with a section per account that had issues,
//! recommendations, and the model's narrative.
//!
//! [`WeeklyReport::compute`] is pure arithmetic on the records;
//! [`Analyst::narrate`] asks the model for the overview, each account's
//! paragraph and the recommendations (anonymised, never blocking); and
//! [`WeeklyReport::to_text`], [`WeeklyReport::to_html`] and
//! [`WeeklyReport::to_notification`] render it.
//!
//! # What is counted
//!
//! | Figure | Counted from |
//! | --- | --- |
//! | tickets opened, closed | tickets whose `opened_at`, `closed_at` is in the week, but AUTOFIXED ones (opened and closed at once, for the record: they count as autoremediations) |
//! | tickets overdue | tickets open at the week's end and past their due time then (the SLA of their severity when they have no due time) |
//! | mean and median time to close | the tickets closed in the week, from opened to closed |
//! | autoremediations by control | the findings with an autoremediation record `remediated` in the week, each once per control (a retried step writes its record again); those that ended as `ticket` are counted as failed |
//! | incidents by type | the findings with an incident record in the week, each once per type |
//! | total and average penalty | each finding handled in the week (ticket opened, remediation, incident) once, with its highest penalty |
//! | severity breakdown | the same findings, by severity, for each of the last four weeks |

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use soar_core::ports::{History, Notification, TicketRecord};
use soar_core::tickets::{TicketKind, TicketingConfig};

use crate::analysis::{Analyst, Outcome};
use crate::anonymise::Masker;
use crate::prompts::PromptKind;
use crate::text::{escape_html, html_paragraphs, P_STYLE};

/// Seconds in a week.
pub const WEEK: i64 = 7 * 86_400;

/// The severities of the breakdown, most severe first; `UNKNOWN` for
/// records without one.
pub const SEVERITIES: [&str; 6] = [
    "CRITICAL",
    "HIGH",
    "MEDIUM",
    "LOW",
    "INFORMATIONAL",
    "UNKNOWN",
];

/// A half-open time window, `[start, end)` in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// The first second in it.
    pub start: i64,
    /// The first second after it.
    pub end: i64,
}

impl Period {
    /// The week that ends at `end`.
    pub fn week_ending(end: i64) -> Self {
        Period {
            start: end - WEEK,
            end,
        }
    }

    /// Whether `at` is in it.
    pub fn contains(self, at: i64) -> bool {
        (self.start..self.end).contains(&at)
    }

    /// The week before.
    pub fn previous(self) -> Self {
        Period::week_ending(self.start)
    }

    /// `2026-11-30 to 2026-12-06`: the first and the last day in it (UTC).
    pub fn label(self) -> String {
        format!("{} to {}", day(self.start), day(self.end - 1))
    }
}

fn day(at: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(at)
        .map(|t| t.date().to_string())
        .unwrap_or_else(|_| at.to_string())
}

/// The figures of one week.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WeekStats {
    /// Tickets opened.
    pub tickets_opened: usize,
    /// Tickets closed.
    pub tickets_closed: usize,
    /// Tickets open and past due at the week's end.
    pub tickets_overdue: usize,
    /// The mean time from opened to closed of the tickets closed, in hours.
    pub mean_hours_to_close: Option<f64>,
    /// The median of the same.
    pub median_hours_to_close: Option<f64>,
    /// Remediations made, by control.
    pub autoremediations: BTreeMap<String, usize>,
    /// Remediations that did not work and were ticketed instead.
    pub autoremediations_failed: usize,
    /// Incidents, by type.
    pub incidents: BTreeMap<String, usize>,
    /// The sum of the findings' penalties.
    pub total_penalty: f64,
    /// Their mean, over the findings that have one.
    pub average_penalty: Option<f64>,
    /// The findings handled, by severity ([`SEVERITIES`]).
    pub severities: BTreeMap<String, usize>,
}

impl WeekStats {
    /// The figures of `period` from `history`.
    pub fn compute(history: &History, period: Period, config: &TicketingConfig) -> Self {
        let mut stats = WeekStats::default();
        let mut hours = Vec::new();
        // Each finding once: its highest penalty and its severity.
        let mut findings: BTreeMap<&str, (Option<f64>, &'static str)> = BTreeMap::new();
        // An AUTOFIXED ticket is opened and closed in the same second, for
        // the record: it is counted as the remediation it is, not as a
        // ticket someone worked on.
        let autofixed = format!("{}: ", TicketKind::Autofixed.heading());
        for ticket in history
            .tickets
            .iter()
            .filter(|t| !t.title.starts_with(&autofixed))
        {
            if period.contains(ticket.opened_at) {
                stats.tickets_opened += 1;
                handled(
                    &mut findings,
                    &ticket.finding_id,
                    ticket.penalty_score,
                    label(ticket.severity),
                );
            }
            if let Some(closed) = ticket.closed_at.filter(|at| period.contains(*at)) {
                stats.tickets_closed += 1;
                hours.push((closed - ticket.opened_at).max(0) as f64 / 3_600.0);
            }
            if overdue_at(ticket, period.end, config) {
                stats.tickets_overdue += 1;
            }
        }
        // Records are keyed by finding and time, and a retried step writes
        // its record again: each finding counts once per control or type.
        let mut remediated: BTreeSet<(&str, &str)> = BTreeSet::new();
        let mut failed: BTreeSet<&str> = BTreeSet::new();
        let mut incidents: BTreeSet<(&str, &str)> = BTreeSet::new();
        for record in history
            .autoremediations
            .iter()
            .filter(|r| period.contains(r.at))
        {
            if record.outcome == "remediated" {
                remediated.insert((&record.kind, &record.finding_id));
            } else {
                failed.insert(&record.finding_id);
            }
            handled(
                &mut findings,
                &record.finding_id,
                record.penalty_score,
                label(record.severity),
            );
        }
        for record in history.incidents.iter().filter(|r| period.contains(r.at)) {
            incidents.insert((&record.kind, &record.finding_id));
            handled(
                &mut findings,
                &record.finding_id,
                record.penalty_score,
                label(record.severity),
            );
        }
        for (control, _) in remediated {
            *stats
                .autoremediations
                .entry(control.to_owned())
                .or_insert(0) += 1;
        }
        stats.autoremediations_failed = failed.len();
        for (kind, _) in incidents {
            *stats.incidents.entry(kind.to_owned()).or_insert(0) += 1;
        }
        let penalties: Vec<f64> = findings.values().filter_map(|(p, _)| *p).collect();
        // From 0.0: an empty `sum()` of floats is -0.0.
        stats.total_penalty = penalties.iter().fold(0.0, |total, p| total + p);
        stats.average_penalty = mean(&penalties);
        for (_, severity) in findings.values() {
            *stats.severities.entry((*severity).to_owned()).or_insert(0) += 1;
        }
        stats.mean_hours_to_close = mean(&hours);
        stats.median_hours_to_close = median(&mut hours);
        stats
    }

    /// Whether nothing happened: no ticket, remediation or incident.
    pub fn is_quiet(&self) -> bool {
        self.tickets_opened == 0
            && self.tickets_closed == 0
            && self.tickets_overdue == 0
            && self.autoremediations.is_empty()
            && self.autoremediations_failed == 0
            && self.incidents.is_empty()
    }

    /// Remediations made, all controls together.
    pub fn autoremediation_count(&self) -> usize {
        self.autoremediations.values().sum()
    }

    /// Incidents, all types together.
    pub fn incident_count(&self) -> usize {
        self.incidents.values().sum()
    }

    /// Findings handled, all severities together.
    pub fn findings_handled(&self) -> usize {
        self.severities.values().sum()
    }
}

/// Counts `finding` as handled, once: with its highest penalty, and the
/// first severity known of it.
fn handled<'h>(
    findings: &mut BTreeMap<&'h str, (Option<f64>, &'static str)>,
    finding: &'h str,
    penalty: Option<f64>,
    severity: &'static str,
) {
    let entry = findings.entry(finding).or_insert((None, severity));
    entry.0 = match (entry.0, penalty) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    if entry.1 == "UNKNOWN" {
        entry.1 = severity;
    }
}

fn label(severity: Option<soar_asff::SeverityLabel>) -> &'static str {
    severity.map_or("UNKNOWN", |s| s.as_str())
}

/// Whether `ticket` was open and past due at `at`.
fn overdue_at(ticket: &TicketRecord, at: i64, config: &TicketingConfig) -> bool {
    let due = ticket
        .due_at
        .unwrap_or_else(|| config.sla_hours.due_at(ticket.severity, ticket.opened_at));
    ticket.opened_at < at && ticket.closed_at.is_none_or(|closed| closed >= at) && due < at
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty())
        .then(|| values.iter().fold(0.0, |total, v| total + v) / values.len() as f64)
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    })
}

/// One account's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountSection {
    /// The account.
    pub account_id: String,
    /// This week.
    pub this_week: WeekStats,
    /// Last week.
    pub last_week: WeekStats,
}

/// The week's report, before the model's narrative.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeeklyReport {
    /// The week reported on.
    pub period: Period,
    /// Its figures.
    pub this_week: WeekStats,
    /// The week before's.
    pub last_week: WeekStats,
    /// The findings handled by severity, for each of the last four weeks,
    /// oldest first.
    pub severity_weeks: Vec<(Period, BTreeMap<String, usize>)>,
    /// Each account that had issues this week, most findings first.
    pub accounts: Vec<AccountSection>,
    /// What to do, from the figures, most important first.
    pub recommendations: Vec<String>,
}

impl WeeklyReport {
    /// The report of the week that ends at `now` (Unix seconds), from
    /// `history` (at least four weeks of it: [`RecordStore::history`] from
    /// `now - 4 * WEEK`).
    ///
    /// [`RecordStore::history`]: soar_core::ports::RecordStore::history
    pub fn compute(history: &History, now: i64, config: &TicketingConfig) -> Self {
        let period = Period::week_ending(now);
        let this_week = WeekStats::compute(history, period, config);
        let last_week = WeekStats::compute(history, period.previous(), config);
        let mut severity_weeks: Vec<(Period, BTreeMap<String, usize>)> = (0..4)
            .map(|back| {
                let week = Period::week_ending(now - back * WEEK);
                let severities = if back == 0 {
                    this_week.severities.clone()
                } else {
                    WeekStats::compute(history, week, config).severities
                };
                (week, severities)
            })
            .collect();
        severity_weeks.reverse();
        let account_ids: BTreeSet<&str> = history
            .tickets
            .iter()
            .map(|t| t.account_id.as_str())
            .chain(
                history
                    .autoremediations
                    .iter()
                    .map(|r| r.account_id.as_str()),
            )
            .chain(history.incidents.iter().map(|r| r.account_id.as_str()))
            .collect();
        let mut accounts: Vec<AccountSection> = account_ids
            .into_iter()
            .filter_map(|account| {
                let history = of_account(history, account);
                let this_week = WeekStats::compute(&history, period, config);
                (!this_week.is_quiet()).then(|| AccountSection {
                    account_id: account.to_owned(),
                    last_week: WeekStats::compute(&history, period.previous(), config),
                    this_week,
                })
            })
            .collect();
        accounts.sort_by(|a, b| {
            (b.this_week.findings_handled(), b.this_week.tickets_overdue)
                .cmp(&(a.this_week.findings_handled(), a.this_week.tickets_overdue))
                .then_with(|| a.account_id.cmp(&b.account_id))
        });
        let mut report = WeeklyReport {
            period,
            this_week,
            last_week,
            severity_weeks,
            accounts,
            recommendations: Vec::new(),
        };
        report.recommendations = recommendations(&report);
        report
    }

    /// The figures of this week against last week, one per line, as the
    /// prompts and the plain text have them.
    pub fn stats_text(this_week: &WeekStats, last_week: &WeekStats) -> String {
        let hours = |h: Option<f64>| h.map_or("-".to_owned(), |h| format!("{h:.1} h"));
        let by_kind = |kinds: &BTreeMap<String, usize>| {
            let mut sorted: Vec<(&String, &usize)> = kinds.iter().collect();
            sorted.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
            sorted
                .iter()
                .map(|(kind, count)| format!("{kind} {count}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut lines = vec![
            count_line(
                "Tickets opened",
                this_week.tickets_opened,
                last_week.tickets_opened,
            ),
            count_line(
                "Tickets closed",
                this_week.tickets_closed,
                last_week.tickets_closed,
            ),
            count_line(
                "Tickets overdue at the end of the week",
                this_week.tickets_overdue,
                last_week.tickets_overdue,
            ),
            format!(
                "Mean time to close: {} (last week {})",
                hours(this_week.mean_hours_to_close),
                hours(last_week.mean_hours_to_close)
            ),
            format!(
                "Median time to close: {} (last week {})",
                hours(this_week.median_hours_to_close),
                hours(last_week.median_hours_to_close)
            ),
        ];
        let mut autoremediations = count_line(
            "Autoremediations",
            this_week.autoremediation_count(),
            last_week.autoremediation_count(),
        );
        if !this_week.autoremediations.is_empty() {
            autoremediations.push_str(&format!(": {}", by_kind(&this_week.autoremediations)));
        }
        lines.push(autoremediations);
        lines.push(count_line(
            "Autoremediations that failed and were ticketed",
            this_week.autoremediations_failed,
            last_week.autoremediations_failed,
        ));
        let mut incidents = count_line(
            "Incidents",
            this_week.incident_count(),
            last_week.incident_count(),
        );
        if !this_week.incidents.is_empty() {
            incidents.push_str(&format!(": {}", by_kind(&this_week.incidents)));
        }
        lines.push(incidents);
        lines.push(format!(
            "Total penalty: {:.1} (last week {:.1})",
            this_week.total_penalty, last_week.total_penalty
        ));
        lines.push(format!(
            "Average penalty: {} (last week {})",
            this_week
                .average_penalty
                .map_or("-".to_owned(), |p| format!("{p:.1}")),
            last_week
                .average_penalty
                .map_or("-".to_owned(), |p| format!("{p:.1}"))
        ));
        lines.join("\n")
    }

    /// The four-week severity breakdown, one line per week, oldest first.
    pub fn severity_text(&self) -> String {
        self.severity_weeks
            .iter()
            .map(|(week, counts)| {
                let counts: Vec<String> = SEVERITIES
                    .iter()
                    .map(|s| format!("{s} {}", counts.get(*s).copied().unwrap_or(0)))
                    .collect();
                format!("{}: {}", week.label(), counts.join(", "))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn count_line(label: &str, this_week: usize, last_week: usize) -> String {
    let change = this_week as i64 - last_week as i64;
    format!("{label}: {this_week} (last week {last_week}, {change:+})")
}

/// The records of one account.
fn of_account(history: &History, account: &str) -> History {
    History {
        tickets: history
            .tickets
            .iter()
            .filter(|t| t.account_id == account)
            .cloned()
            .collect(),
        incidents: history
            .incidents
            .iter()
            .filter(|r| r.account_id == account)
            .cloned()
            .collect(),
        autoremediations: history
            .autoremediations
            .iter()
            .filter(|r| r.account_id == account)
            .cloned()
            .collect(),
    }
}

/// What the figures call for, most important first: overdue tickets, the
/// incidents, the controls fixed again and again (to be fixed in code),
/// remediations that fail, and a slower time to close.
fn recommendations(report: &WeeklyReport) -> Vec<String> {
    let (this, last) = (&report.this_week, &report.last_week);
    let mut said = Vec::new();
    if this.tickets_overdue > 0 {
        let worst = report
            .accounts
            .iter()
            .filter(|a| a.this_week.tickets_overdue > 0)
            // The first of the most: accounts are in report order.
            .min_by_key(|a| std::cmp::Reverse(a.this_week.tickets_overdue))
            .map(|a| {
                format!(
                    ", most in account {} ({})",
                    a.account_id, a.this_week.tickets_overdue
                )
            })
            .unwrap_or_default();
        said.push(format!(
            "{} ticket(s) are past their due time{worst}: agree a date with the owning teams or escalate.",
            this.tickets_overdue
        ));
    }
    if let Some((kind, count)) = this
        .incidents
        .iter()
        .min_by_key(|(kind, count)| (std::cmp::Reverse(**count), *kind))
    {
        said.push(format!(
            "{} incident(s) this week, {count} of them {kind}: check that containment held and look for the common cause.",
            this.incident_count()
        ));
    }
    let mut repeated: Vec<(&String, &usize)> = this
        .autoremediations
        .iter()
        .filter(|(_, c)| **c >= 2)
        .collect();
    repeated.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    for (control, count) in repeated.into_iter().take(3) {
        said.push(format!(
            "{control} was fixed automatically {count} times: the resources are deployed that way, so fix the templates that create them."
        ));
    }
    if this.autoremediations_failed > 0 {
        said.push(format!(
            "{} autoremediation(s) failed and were ticketed: check the remediation role's permissions in the accounts concerned.",
            this.autoremediations_failed
        ));
    }
    if let (Some(now), Some(before)) = (this.median_hours_to_close, last.median_hours_to_close) {
        if now > before * 1.25 {
            said.push(format!(
                "The median time to close rose from {before:.1} h to {now:.1} h: look at what holds the oldest tickets."
            ));
        }
    }
    if said.is_empty() {
        said.push("Nothing stands out this week: keep the current pace.".to_owned());
    }
    said
}

/// The model's texts for a report.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Narrative {
    /// The overview.
    pub overview: String,
    /// A paragraph per account, by account ID.
    pub accounts: BTreeMap<String, String>,
    /// The recommendations, in the model's words.
    pub recommendations: String,
    /// Why some text is missing: the model timed out or failed.
    pub notes: Vec<String>,
}

/// How many accounts get a paragraph from the model: each is one more
/// call, and the report has to go out within its function's time.
pub const NARRATED_ACCOUNTS: usize = 10;

impl Analyst {
    /// The model's overview, account paragraphs (for the first
    /// [`NARRATED_ACCOUNTS`]) and recommendations for `report`. One
    /// masker for the whole report, so an account has one placeholder in
    /// every section. Never fails: a section the model does not write is
    /// empty, with a note.
    pub async fn narrate(&self, report: &WeeklyReport) -> Narrative {
        let mut masker = Masker::new();
        let mut narrative = Narrative::default();
        let period = report.period.label();
        let overall = format!(
            "{}\nFindings by severity, week by week:\n{}",
            WeeklyReport::stats_text(&report.this_week, &report.last_week),
            report.severity_text()
        );
        let sections = [
            (PromptKind::Overview, None, overall.clone()),
            (
                PromptKind::Recommendations,
                None,
                format!(
                    "{overall}\nWhat the figures call for:\n- {}",
                    report.recommendations.join("\n- ")
                ),
            ),
        ]
        .into_iter()
        .chain(
            report
                .accounts
                .iter()
                .take(NARRATED_ACCOUNTS)
                .map(|account| {
                    (
                        PromptKind::Account,
                        Some(account.account_id.clone()),
                        WeeklyReport::stats_text(&account.this_week, &account.last_week),
                    )
                }),
        );
        for (kind, account, stats) in sections {
            let mut values = BTreeMap::from([
                ("period", period.clone()),
                ("stats", stats),
                ("iac", self.config().iac_words()),
            ]);
            if let Some(account) = &account {
                values.insert("account", account.clone());
            }
            let prompt = self.prompt(kind, &values, &mut masker);
            let analysis = self.ask(prompt, &masker).await;
            let text = match analysis.outcome {
                Outcome::Analysed { text, .. } => text,
                Outcome::WithoutAi { reason, .. } => {
                    let section = account
                        .as_deref()
                        .map_or(kind.name().to_owned(), |a| format!("account {a}"));
                    narrative
                        .notes
                        .push(format!("No AI text for the {section}: {reason}."));
                    continue;
                }
            };
            match (kind, account) {
                (PromptKind::Overview, _) => narrative.overview = text,
                (PromptKind::Recommendations, _) => narrative.recommendations = text,
                (_, Some(account)) => {
                    narrative.accounts.insert(account, text);
                }
                _ => {}
            }
        }
        narrative
    }
}

impl WeeklyReport {
    /// The subject of its mail.
    pub fn subject(&self) -> String {
        format!("Weekly security report: {}", self.period.label())
    }

    /// The report in plain text.
    pub fn to_text(&self, narrative: &Narrative) -> String {
        let mut text = format!("{}\n\n", self.subject());
        if !narrative.overview.is_empty() {
            text.push_str(&format!("{}\n\n", narrative.overview.trim()));
        }
        text.push_str("THIS WEEK AGAINST LAST WEEK\n");
        text.push_str(&WeeklyReport::stats_text(&self.this_week, &self.last_week));
        text.push_str("\n\nFINDINGS BY SEVERITY, LAST FOUR WEEKS\n");
        text.push_str(&self.severity_text());
        text.push_str("\n\nRECOMMENDATIONS\n");
        for recommendation in &self.recommendations {
            text.push_str(&format!("- {recommendation}\n"));
        }
        if !narrative.recommendations.is_empty() {
            text.push_str(&format!("\n{}\n", narrative.recommendations.trim()));
        }
        for account in &self.accounts {
            text.push_str(&format!("\nACCOUNT {}\n", account.account_id));
            if let Some(paragraph) = narrative.accounts.get(&account.account_id) {
                text.push_str(&format!("{}\n", paragraph.trim()));
            }
            text.push_str(&WeeklyReport::stats_text(
                &account.this_week,
                &account.last_week,
            ));
            text.push('\n');
        }
        if self.accounts.is_empty() {
            text.push_str("\nNo account had issues this week.\n");
        }
        for note in &narrative.notes {
            text.push_str(&format!("\nNote: {note}"));
        }
        text.push('\n');
        text
    }

    /// The report in HTML, every style inline so that it survives email
    /// clients.
    pub fn to_html(&self, narrative: &Narrative) -> String {
        let cell =
            "padding:4px 8px;border-bottom:1px solid #e8eaed;font-size:13px;text-align:right";
        let head = "padding:4px 8px;border-bottom:2px solid #dadce0;font-size:13px;text-align:right;color:#5f6368";
        let first = "text-align:left";
        let h2 = "margin:24px 0 8px 0;font-size:17px;color:#202124";
        let table = |rows: String, headings: &[&str]| {
            let headings: String = headings
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let align = if i == 0 {
                        format!(";{first}")
                    } else {
                        String::new()
                    };
                    format!("<th style=\"{head}{align}\">{}</th>", escape_html(h))
                })
                .collect();
            format!(
                "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" style=\"border-collapse:collapse;width:100%\"><tr>{headings}</tr>{rows}</table>"
            )
        };
        let stats_table = |this: &WeekStats, last: &WeekStats| {
            let rows: String = WeeklyReport::stats_text(this, last)
                .lines()
                .map(|line| {
                    let (label, value) = line.split_once(": ").unwrap_or((line, ""));
                    format!(
                        "<tr><td style=\"{cell};{first}\">{}</td><td style=\"{cell}\">{}</td></tr>",
                        escape_html(label),
                        escape_html(value)
                    )
                })
                .collect();
            table(rows, &["", "This week (last week, change)"])
        };
        let mut body = format!(
            "<h1 style=\"margin:0 0 12px 0;font-size:20px;color:#202124\">{}</h1>\n",
            escape_html(&self.subject())
        );
        if !narrative.overview.is_empty() {
            body.push_str(&html_paragraphs(&narrative.overview));
        }
        body.push_str(&format!(
            "<h2 style=\"{h2}\">This week against last week</h2>\n"
        ));
        body.push_str(&stats_table(&self.this_week, &self.last_week));
        body.push_str(&format!(
            "<h2 style=\"{h2}\">Findings by severity, last four weeks</h2>\n"
        ));
        let rows: String = self
            .severity_weeks
            .iter()
            .map(|(week, counts)| {
                let cells: String = SEVERITIES
                    .iter()
                    .map(|s| {
                        format!(
                            "<td style=\"{cell}\">{}</td>",
                            counts.get(*s).copied().unwrap_or(0)
                        )
                    })
                    .collect();
                format!(
                    "<tr><td style=\"{cell};{first}\">{}</td>{cells}</tr>",
                    escape_html(&week.label())
                )
            })
            .collect();
        let mut headings = vec!["Week"];
        headings.extend(SEVERITIES);
        body.push_str(&table(rows, &headings));
        body.push_str(&format!("<h2 style=\"{h2}\">Recommendations</h2>\n<ul style=\"margin:0 0 12px 0;padding-left:20px\">"));
        for recommendation in &self.recommendations {
            body.push_str(&format!(
                "<li style=\"margin:0 0 6px 0\">{}</li>",
                escape_html(recommendation)
            ));
        }
        body.push_str("</ul>\n");
        if !narrative.recommendations.is_empty() {
            body.push_str(&html_paragraphs(&narrative.recommendations));
        }
        for account in &self.accounts {
            body.push_str(&format!(
                "<h2 style=\"{h2}\">Account {}</h2>\n",
                escape_html(&account.account_id)
            ));
            if let Some(paragraph) = narrative.accounts.get(&account.account_id) {
                body.push_str(&html_paragraphs(paragraph));
            }
            body.push_str(&stats_table(&account.this_week, &account.last_week));
        }
        if self.accounts.is_empty() {
            body.push_str(&format!(
                "<p style=\"{P_STYLE}\">No account had issues this week.</p>"
            ));
        }
        for note in &narrative.notes {
            body.push_str(&format!(
                "<p style=\"{P_STYLE};font-size:12px;color:#5f6368\">Note: {}</p>",
                escape_html(note)
            ));
        }
        format!(
            "<!DOCTYPE html>\n<html><body style=\"margin:0;padding:0;background:#f1f3f4\">\n\
<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" style=\"background:#f1f3f4\"><tr><td align=\"center\" style=\"padding:16px\">\n\
<table role=\"presentation\" width=\"720\" cellpadding=\"0\" cellspacing=\"0\" style=\"max-width:720px;background:#ffffff;border:1px solid #dadce0;font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.5;color:#202124\">\n\
<tr><td style=\"padding:20px\">\n{body}\n</td></tr>\n</table>\n</td></tr></table>\n</body></html>\n"
        )
    }

    /// The report as a mail to `to`.
    pub fn to_notification(&self, narrative: &Narrative, to: Vec<String>) -> Notification {
        Notification {
            to,
            subject: self.subject(),
            text: self.to_text(narrative),
            html: Some(self.to_html(narrative)),
        }
    }
}

#[cfg(test)]
mod tests;
