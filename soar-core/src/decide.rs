//! `decide()`: what a finding needs, in six ordered rules, and for a failed
//! control, whether it is fixed, ticketed, suppressed or left for later.
//!
//! The rules of [`decide`], first match wins:
//!
//! 1. soar is disabled: **do nothing**.
//! 2. The finding is resolved — `RecordState` ARCHIVED, `Workflow.Status`
//!    SUPPRESSED or RESOLVED, or NOTIFIED with `Compliance.Status` PASSED
//!    (since 2025 Security Hub leaves a fixed finding NOTIFIED and flips its
//!    compliance to PASSED) — **close the ticket** if one is open, otherwise
//!    **do nothing**.
//! 3. `Workflow.Status` NOTIFIED: someone has it; **do nothing**.
//! 4. `Compliance.Status` WARNING or NOT_AVAILABLE: the check could not
//!    decide; **suppress**.
//! 5. The finding has a control ID: **do nothing** if PASSED, otherwise it is
//!    a **failed control**.
//! 6. Otherwise it is an **incident**, unless incidents are deferred.
//!
//! A failed control then goes through [`triage_failed_control`]: account age
//! grace, control enabled for the account, local suppression rules, penalty,
//! remediable and enabled for auto-remediation, and the auto-remediation
//! suppression rules.
//!
//! Deciding is kept apart from doing: these functions read, they never call
//! AWS, so every branch is a plain unit test.

use std::fmt;

use serde::{Deserialize, Serialize};
use soar_asff::{ComplianceStatus, FindingView, RecordState, WorkflowStatus};

use crate::account::AccountData;
use crate::config::Config;
use crate::scoring::penalty;
use crate::suppression::Facts;
use crate::time::Timestamp;

/// What a finding needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Nothing.
    DoNothing,
    /// The finding is resolved and its ticket can be closed.
    CloseTicket,
    /// Set the finding's workflow to SUPPRESSED.
    SuppressFinding,
    /// A control check failed: see [`ControlAction`].
    FailedControl,
    /// A threat or operational event to handle as an incident.
    Incident,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Decision::DoNothing => "do_nothing",
            Decision::CloseTicket => "close_ticket",
            Decision::SuppressFinding => "suppress_finding",
            Decision::FailedControl => "failed_control",
            Decision::Incident => "incident",
        })
    }
}

/// How a failed control is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlAction {
    /// Fix it automatically.
    Remediate,
    /// Open a ticket for the owning team.
    Ticket,
    /// Suppress the finding.
    Suppress,
    /// Look again later.
    ReconsiderLater,
}

impl fmt::Display for ControlAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ControlAction::Remediate => "remediate",
            ControlAction::Ticket => "ticket",
            ControlAction::Suppress => "suppress",
            ControlAction::ReconsiderLater => "reconsider_later",
        })
    }
}

/// A decision and the reason for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict<T> {
    /// The decision.
    pub decision: T,
    /// Why, in words.
    pub reason: String,
}

fn verdict<T>(decision: T, reason: impl Into<String>) -> Verdict<T> {
    Verdict {
        decision,
        reason: reason.into(),
    }
}

/// Whether a ticket is open for a finding: the record store says so, or the
/// finding carries `UserDefinedFields.TicketOpen = "Yes"`, which soar writes
/// when it opens one.
pub fn ticket_id_if_open<'a>(
    finding: impl Into<FindingView<'a>>,
    record_store_ticket: Option<&str>,
) -> Option<String> {
    let finding = finding.into();
    if let Some(id) = record_store_ticket {
        return Some(id.to_owned());
    }
    let open = finding
        .user_defined_field("TicketOpen")
        .is_some_and(|v| v.eq_ignore_ascii_case("yes"));
    open.then(|| {
        finding
            .user_defined_field("TicketId")
            .unwrap_or("unknown")
            .to_owned()
    })
}

/// The six ordered rules.
///
/// `open_ticket` is the ID of the finding's open ticket, if any (see
/// [`ticket_id_if_open`]).
pub fn decide<'a>(
    finding: impl Into<FindingView<'a>>,
    config: &Config,
    open_ticket: Option<&str>,
) -> Verdict<Decision> {
    let finding = finding.into();
    if !config.enabled {
        return verdict(Decision::DoNothing, "soar is disabled in the configuration");
    }
    let workflow = finding.workflow_status();
    let compliance = finding.compliance_status();
    let resolved_because = if finding.record_state() == Some(RecordState::Archived) {
        Some("the finding is archived")
    } else if workflow == Some(WorkflowStatus::Suppressed) {
        Some("the finding is suppressed")
    } else if workflow == Some(WorkflowStatus::Resolved) {
        Some("the finding is resolved")
    } else if workflow == Some(WorkflowStatus::Notified)
        && compliance == Some(ComplianceStatus::Passed)
    {
        Some("the control passes again (NOTIFIED with compliance PASSED)")
    } else {
        None
    };
    if let Some(why) = resolved_because {
        return match open_ticket {
            Some(ticket) => verdict(
                Decision::CloseTicket,
                format!("{why}, so ticket {ticket} can be closed"),
            ),
            None => verdict(Decision::DoNothing, format!("{why} and no ticket is open")),
        };
    }
    if workflow == Some(WorkflowStatus::Notified) {
        return verdict(
            Decision::DoNothing,
            "the owning team has been notified already",
        );
    }
    if let Some(status @ (ComplianceStatus::Warning | ComplianceStatus::NotAvailable)) = compliance
    {
        return verdict(
            Decision::SuppressFinding,
            format!("the control check could not decide (compliance {status})"),
        );
    }
    if let Some(control) = finding.control_id() {
        return if compliance == Some(ComplianceStatus::Passed) {
            verdict(Decision::DoNothing, format!("control {control} passes"))
        } else {
            verdict(Decision::FailedControl, format!("control {control} fails"))
        };
    }
    if config.defer_incidents {
        return verdict(
            Decision::DoNothing,
            "incidents are deferred in the configuration",
        );
    }
    verdict(
        Decision::Incident,
        "the finding is not a control check, so it is an incident",
    )
}

/// What [`triage_failed_control`] needs besides the finding.
#[derive(Debug, Clone, Copy)]
pub struct ControlContext<'a> {
    /// The pipeline's configuration.
    pub config: &'a Config,
    /// The account that owns the resource.
    pub account: &'a AccountData,
    /// Whether a remediation for the control is compiled in.
    pub remediable: bool,
    /// Whether that remediation is destructive (deletes, terminates,
    /// expires data): it then also needs
    /// `auto_remediation.destructive_controls` to name the control.
    pub destructive: bool,
    /// The time now.
    pub now: Timestamp,
}

/// The outcome of the failed-control chain, with its penalty.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlVerdict {
    /// The action and why.
    pub verdict: Verdict<ControlAction>,
    /// The penalty, when the chain got that far.
    pub penalty: Option<f64>,
}

/// The failed-control chain. The first step that decides wins.
///
/// The reason completes the sentence "control X fails: ...".
pub fn triage_failed_control<'a>(
    finding: impl Into<FindingView<'a>>,
    ctx: ControlContext<'_>,
) -> ControlVerdict {
    let finding = finding.into();
    let decided = |action, reason: String| ControlVerdict {
        verdict: verdict(action, reason),
        penalty: None,
    };
    let control = finding.control_id().unwrap_or("(no control ID)");
    let grace = i64::from(ctx.config.min_account_age_hours);
    if let Some(age) = ctx.account.age_hours(ctx.now).filter(|age| *age < grace) {
        return decided(
            ControlAction::ReconsiderLater,
            format!(
                "account {} is {age} h old, within the {grace} h grace period for new accounts",
                ctx.account.id
            ),
        );
    }
    if !ctx.config.is_control_enabled(&ctx.account.id, control) {
        return decided(
            ControlAction::Suppress,
            format!("the control is disabled for account {}", ctx.account.id),
        );
    }
    let facts = facts(finding, ctx.account);
    if let Some(rule) = ctx.config.suppress_when.first_match(&facts) {
        return decided(
            ControlAction::Suppress,
            format!("suppressed by local rule on line {}: {rule}", rule.line),
        );
    }
    let environment = ctx
        .config
        .environments
        .classify(ctx.account.environment.as_deref());
    let penalty = Some(penalty(
        finding.normalized_severity().unwrap_or(0),
        environment,
    ));
    let with_penalty = |action, reason: String| ControlVerdict {
        verdict: verdict(action, reason),
        penalty,
    };
    if !ctx.remediable {
        return with_penalty(
            ControlAction::Ticket,
            "no automatic remediation exists for it".to_owned(),
        );
    }
    if !ctx.config.auto_remediation.allows(control) {
        return with_penalty(
            ControlAction::Ticket,
            "auto-remediation is not enabled for it".to_owned(),
        );
    }
    if ctx.destructive
        && !ctx
            .config
            .auto_remediation
            .destructive_controls
            .allows(control)
    {
        return with_penalty(
            ControlAction::Ticket,
            "its remediation is destructive and auto_remediation.destructive_controls does not allow it".to_owned(),
        );
    }
    if let Some(rule) = ctx
        .config
        .auto_remediation
        .suppress_when
        .first_match(&facts)
    {
        return with_penalty(
            ControlAction::Ticket,
            format!(
                "auto-remediation is suppressed by rule on line {}: {rule}",
                rule.line
            ),
        );
    }
    with_penalty(
        ControlAction::Remediate,
        "it is remediated automatically".to_owned(),
    )
}

/// The facts suppression rules test, from a finding and its account.
pub fn facts<'a>(finding: impl Into<FindingView<'a>>, account: &'a AccountData) -> Facts<'a> {
    let finding = finding.into();
    let resource = finding.primary_resource();
    Facts {
        account_id: Some(finding.resource_account_id()),
        region: finding.resource_region(),
        client: account.client.as_deref(),
        environment: account.environment.as_deref(),
        organizational_unit: account.organizational_unit.as_deref(),
        project_name: account.project.as_deref(),
        team: account.team.as_deref(),
        policy_name: finding.control_id(),
        resource_type: resource.map(|r| r.resource_type()),
        resource_tags: resource.and_then(|r| r.tags()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use soar_asff::{Compliance, Finding, Resource, Severity, SeverityLabel, Workflow};

    use super::*;

    fn control_finding(status: ComplianceStatus) -> Finding {
        Finding {
            id: "f-1".into(),
            aws_account_id: "111122223333".into(),
            generator_id: "security-control/S3.2".into(),
            severity: Some(Severity::from_label(SeverityLabel::High)),
            compliance: Some(Compliance {
                status: Some(status),
                security_control_id: Some("S3.2".into()),
                ..Compliance::default()
            }),
            workflow: Some(Workflow {
                status: Some(WorkflowStatus::New),
                extra: Default::default(),
            }),
            record_state: Some(RecordState::Active),
            resources: vec![Resource {
                resource_type: "AwsS3Bucket".into(),
                id: "arn:aws:s3:::logs".into(),
                region: Some("eu-west-1".into()),
                tags: Some(BTreeMap::from([("owner".into(), "alice".into())])),
                ..Resource::default()
            }],
            ..Finding::default()
        }
    }

    fn threat_finding() -> Finding {
        Finding {
            generator_id: "arn:aws:guardduty:eu-west-1:111122223333:detector/d".into(),
            compliance: None,
            ..control_finding(ComplianceStatus::Failed)
        }
    }

    fn with_workflow(mut finding: Finding, status: WorkflowStatus) -> Finding {
        finding.workflow = Some(Workflow {
            status: Some(status),
            extra: Default::default(),
        });
        finding
    }

    fn decide_default(finding: &Finding, ticket: Option<&str>) -> Verdict<Decision> {
        decide(finding, &Config::default(), ticket)
    }

    #[test]
    fn rule_1_disabled_does_nothing() {
        let config = Config {
            enabled: false,
            ..Config::default()
        };
        let v = decide(&control_finding(ComplianceStatus::Failed), &config, None);
        assert_eq!(v.decision, Decision::DoNothing);
        assert!(v.reason.contains("disabled"));
    }

    #[test]
    fn rule_2_resolved_closes_open_ticket_or_does_nothing() {
        let mut archived = control_finding(ComplianceStatus::Failed);
        archived.record_state = Some(RecordState::Archived);
        let resolved = [
            archived,
            with_workflow(
                control_finding(ComplianceStatus::Failed),
                WorkflowStatus::Suppressed,
            ),
            with_workflow(
                control_finding(ComplianceStatus::Failed),
                WorkflowStatus::Resolved,
            ),
            with_workflow(
                control_finding(ComplianceStatus::Passed),
                WorkflowStatus::Notified,
            ),
        ];
        for finding in &resolved {
            let v = decide_default(finding, Some("T-1"));
            assert_eq!(v.decision, Decision::CloseTicket, "{}", v.reason);
            assert!(v.reason.contains("T-1"));
            assert_eq!(decide_default(finding, None).decision, Decision::DoNothing);
        }
    }

    #[test]
    fn rule_2_ticket_can_come_from_user_defined_fields() {
        let mut finding = with_workflow(
            control_finding(ComplianceStatus::Passed),
            WorkflowStatus::Notified,
        );
        finding.user_defined_fields = Some(BTreeMap::from([
            ("TicketOpen".into(), "Yes".into()),
            ("TicketId".into(), "JIRA-7".into()),
        ]));
        let ticket = ticket_id_if_open(&finding, None);
        assert_eq!(ticket.as_deref(), Some("JIRA-7"));
        let v = decide_default(&finding, ticket.as_deref());
        assert_eq!(v.decision, Decision::CloseTicket);
        assert_eq!(
            ticket_id_if_open(&control_finding(ComplianceStatus::Failed), None),
            None
        );
        assert_eq!(
            ticket_id_if_open(&finding, Some("DB-1")).as_deref(),
            Some("DB-1")
        );
    }

    #[test]
    fn rule_3_notified_and_still_failing_does_nothing() {
        let finding = with_workflow(
            control_finding(ComplianceStatus::Failed),
            WorkflowStatus::Notified,
        );
        let v = decide_default(&finding, Some("T-1"));
        assert_eq!(v.decision, Decision::DoNothing);
        assert!(v.reason.contains("notified"));
    }

    #[test]
    fn rule_4_warning_and_not_available_suppress() {
        for status in [ComplianceStatus::Warning, ComplianceStatus::NotAvailable] {
            let v = decide_default(&control_finding(status), None);
            assert_eq!(v.decision, Decision::SuppressFinding);
            assert!(v.reason.contains(status.as_str()));
        }
    }

    #[test]
    fn rule_5_control_passes_or_fails() {
        assert_eq!(
            decide_default(&control_finding(ComplianceStatus::Passed), None).decision,
            Decision::DoNothing
        );
        let v = decide_default(&control_finding(ComplianceStatus::Failed), None);
        assert_eq!(v.decision, Decision::FailedControl);
        assert_eq!(v.reason, "control S3.2 fails");
    }

    #[test]
    fn rule_6_other_findings_are_incidents_unless_deferred() {
        assert_eq!(
            decide_default(&threat_finding(), None).decision,
            Decision::Incident
        );
        let config = Config {
            defer_incidents: true,
            ..Config::default()
        };
        assert_eq!(
            decide(&threat_finding(), &config, None).decision,
            Decision::DoNothing
        );
    }

    fn account() -> AccountData {
        AccountData {
            id: "111122223333".into(),
            environment: Some("prod".into()),
            team: Some("payments".into()),
            joined_at: Some("2026-01-01T00:00:00Z".into()),
            ..AccountData::default()
        }
    }

    fn now() -> Timestamp {
        Timestamp::parse("2026-01-03T00:00:00Z").unwrap()
    }

    fn remediating_config() -> Config {
        Config::from_json(r#"{"auto_remediation": {"enabled": true, "controls": ["S3.2"]}}"#)
            .unwrap()
    }

    fn chain(config: &Config, remediable: bool) -> ControlVerdict {
        chain_of(config, remediable, false)
    }

    fn chain_of(config: &Config, remediable: bool, destructive: bool) -> ControlVerdict {
        let account = account();
        let ctx = ControlContext {
            config,
            account: &account,
            remediable,
            destructive,
            now: now(),
        };
        triage_failed_control(&control_finding(ComplianceStatus::Failed), ctx)
    }

    #[test]
    fn chain_destructive_control_is_ticketed_unless_named_in_destructive_controls() {
        let mut config = remediating_config();
        let v = chain_of(&config, true, true);
        assert_eq!(v.verdict.decision, ControlAction::Ticket);
        assert!(
            v.verdict.reason.contains("destructive_controls"),
            "{}",
            v.verdict.reason
        );
        config.auto_remediation.destructive_controls =
            crate::DestructiveControls::new(["s3.2"]).unwrap();
        assert_eq!(
            chain_of(&config, true, true).verdict.decision,
            ControlAction::Remediate
        );
    }

    #[test]
    fn chain_young_account_is_reconsidered_later() {
        let config = Config {
            min_account_age_hours: 72,
            ..remediating_config()
        };
        let v = chain(&config, true);
        assert_eq!(v.verdict.decision, ControlAction::ReconsiderLater);
        assert!(
            v.verdict.reason.contains("48 h old"),
            "{}",
            v.verdict.reason
        );
        assert_eq!(v.penalty, None);
    }

    #[test]
    fn chain_disabled_control_is_suppressed() {
        let mut config = Config {
            min_account_age_hours: 24,
            ..remediating_config()
        };
        config
            .disabled_controls
            .insert("111122223333".into(), vec!["S3.2".into()]);
        assert_eq!(
            chain(&config, true).verdict.decision,
            ControlAction::Suppress
        );
    }

    #[test]
    fn chain_local_rule_suppresses_and_names_its_line() {
        let config = Config::from_json(r#"{"suppress_when": ["team = other", "resource_tag:owner = alice AND environment = PROD"]}"#).unwrap();
        let v = chain(&config, true);
        assert_eq!(v.verdict.decision, ControlAction::Suppress);
        assert!(v.verdict.reason.contains("line 2"), "{}", v.verdict.reason);
    }

    #[test]
    fn chain_unremediable_control_is_ticketed_with_penalty() {
        let v = chain(&remediating_config(), false);
        assert_eq!(v.verdict.decision, ControlAction::Ticket);
        assert!(v.verdict.reason.contains("no automatic remediation"));
        // HIGH = 70 normalized, prod: ((70 + 60) / 100)^2 * 10.
        assert!((v.penalty.unwrap() - 16.9).abs() < 1e-9);
    }

    #[test]
    fn chain_remediation_not_enabled_is_ticketed() {
        let v = chain(&Config::default(), true);
        assert_eq!(v.verdict.decision, ControlAction::Ticket);
        assert!(v.verdict.reason.contains("not enabled"));
    }

    #[test]
    fn chain_auto_remediation_rule_tickets_instead() {
        let config = Config::from_json(
            r#"{"auto_remediation": {"enabled": true, "controls": ["*"], "suppress_when": ["team = payments"]}}"#,
        )
        .unwrap();
        let v = chain(&config, true);
        assert_eq!(v.verdict.decision, ControlAction::Ticket);
        assert!(v.verdict.reason.contains("suppressed by rule on line 1"));
    }

    #[test]
    fn chain_ends_in_remediation() {
        let v = chain(&remediating_config(), true);
        assert_eq!(v.verdict.decision, ControlAction::Remediate);
        assert!(v.penalty.is_some());
    }

    #[test]
    fn facts_come_from_finding_and_account() {
        let (finding, account) = (control_finding(ComplianceStatus::Failed), account());
        let facts = facts(&finding, &account);
        assert_eq!(facts.policy_name, Some("S3.2"));
        assert_eq!(facts.region, Some("eu-west-1"));
        assert_eq!(facts.team, Some("payments"));
        assert_eq!(
            facts
                .resource_tags
                .and_then(|tags| tags.get("owner"))
                .map(String::as_str),
            Some("alice")
        );
        assert_eq!(facts.account_id, Some("111122223333"));
    }
}
