//! The decision pipeline: from a finding to a decided [`Scratchpad`].
//!
//! [`Pipeline::process`] runs, in order:
//!
//! 1. the AWS Health reclassifier and the account reassignment
//!    ([`crate::preprocess`]), which may correct the finding in Security Hub
//!    and end the run (Security Hub sends the corrected finding again);
//! 2. the account lookup ([`AccountDirectory`]) and the open-ticket lookup
//!    ([`RecordStore`]);
//! 3. [`decide`], then for a failed control [`triage_failed_control`], and for
//!    an incident the triage priority.
//!
//! It never gives up on a finding because a lookup failed: without account
//! data the finding is decided with the account ID alone, and a failed
//! preprocessor leaves the finding to the normal flow. Each such degradation
//! is logged and noted in the Scratchpad, so nothing is lost silently.

use std::collections::BTreeSet;

use soar_asff::{LazyFinding, WorkflowStatus};

use crate::config::Config;
use crate::decide::{decide, ticket_id_if_open, triage_failed_control, ControlContext, Decision};
use crate::error::Error;
use crate::ports::{AccountDirectory, FindingRef, FindingUpdate, FindingUpdater, RecordStore};
use crate::preprocess::{reassigned, reassignment_owner, reclassify_health};
use crate::scoring::{penalty, NormalizedEvent, ThreatScorer};
use crate::scratchpad::Scratchpad;
use crate::time::Timestamp;

/// Which controls have an automatic remediation compiled in.
///
/// `soar-remediate`'s registry implements this; a set of IDs does too.
pub trait RemediableControls: Send + Sync {
    /// Whether `control_id` can be remediated automatically.
    fn is_remediable(&self, control_id: &str) -> bool;

    /// Whether the remediation of `control_id` deletes, terminates or
    /// expires something, so that it runs only when
    /// `auto_remediation.destructive_controls` names it. `false` unless
    /// told otherwise.
    fn is_destructive(&self, control_id: &str) -> bool {
        let _ = control_id;
        false
    }
}

impl RemediableControls for BTreeSet<String> {
    fn is_remediable(&self, control_id: &str) -> bool {
        self.contains(control_id)
    }
}

/// The ports the pipeline talks to.
#[derive(Clone, Copy)]
pub struct Ports<'a> {
    /// Account data.
    pub accounts: &'a dyn AccountDirectory,
    /// Security Hub updates.
    pub updater: &'a dyn FindingUpdater,
    /// Ticket and event records.
    pub records: &'a dyn RecordStore,
    /// The threat model for incident triage.
    pub scorer: &'a dyn ThreatScorer,
    /// Which controls can be fixed automatically.
    pub remediable: &'a dyn RemediableControls,
}

/// The decision pipeline, configured.
pub struct Pipeline<'a> {
    config: &'a Config,
    ports: Ports<'a>,
    clock: fn() -> Timestamp,
}

impl<'a> Pipeline<'a> {
    /// A pipeline that reads the system clock.
    pub fn new(config: &'a Config, ports: Ports<'a>) -> Self {
        Pipeline {
            config,
            ports,
            clock: Timestamp::now,
        }
    }

    /// The same pipeline with another clock, for tests and replays.
    pub fn with_clock(mut self, clock: fn() -> Timestamp) -> Self {
        self.clock = clock;
        self
    }

    /// Decides what one finding needs.
    ///
    /// The finding may be a [`soar_asff::Finding`] or a [`LazyFinding`]
    /// (the findings of [`soar_asff::LazyEvent::parse`]): a lazy one is
    /// decided without being built, unless a preprocessor must copy it.
    ///
    /// # Errors
    /// None today: failed lookups degrade instead. The `Result` leaves room
    /// for ports whose failure must stop the run.
    pub async fn process(&self, finding: impl Into<LazyFinding>) -> Result<Scratchpad, Error> {
        let mut pad = Scratchpad::new(finding);
        if self.config.enabled && self.preprocess(&mut pad).await {
            return Ok(pad);
        }
        self.look_up(&mut pad).await;
        let open_ticket = ticket_id_if_open(
            &pad.finding,
            pad.db.ticket.as_ref().map(|t| t.ticket_id.as_str()),
        );
        let verdict = decide(&pad.finding, self.config, open_ticket.as_deref());
        pad.decision = Some(verdict.decision);
        pad.decision_reason = Some(verdict.reason);
        match verdict.decision {
            Decision::SuppressFinding => pad.actions.suppress_finding = true,
            Decision::FailedControl => self.handle_failed_control(&mut pad),
            Decision::Incident => self.handle_incident(&mut pad).await,
            Decision::DoNothing | Decision::CloseTicket => {}
        }
        Ok(pad)
    }

    /// Runs the preprocessors; `true` when the run ends here.
    async fn preprocess(&self, pad: &mut Scratchpad) -> bool {
        if let Some(label) = reclassify_health(&pad.finding, self.config) {
            let update = FindingUpdate {
                findings: vec![FindingRef::from(pad.finding.view())],
                severity: Some(label),
                note: Some("soar: AWS Health notifications are informational".to_owned()),
                ..FindingUpdate::default()
            };
            match self.ports.updater.update(&update).await {
                Ok(report) if report.is_complete() => {
                    pad.actions.terminate_for_reprocessing = true;
                    pad.decision = Some(Decision::DoNothing);
                    pad.decision_reason = Some(format!(
                        "AWS Health notification reclassified as {label}; Security Hub will send it again"
                    ));
                    return true;
                }
                Ok(report) => self.degrade(
                    pad,
                    "reclassify the AWS Health finding",
                    &format!("{:?}", report.failed),
                ),
                Err(error) => {
                    self.degrade(pad, "reclassify the AWS Health finding", &error.to_string())
                }
            }
        }
        if !self.config.reassign_accounts {
            return false;
        }
        let Some(owner) = reassignment_owner(&pad.finding).map(str::to_owned) else {
            return false;
        };
        // The copy to import is built from the JSON, and the finding itself
        // is not: the run ends here.
        let reassignment = reassigned(pad.finding.to_finding(), owner);
        let imported = self
            .ports
            .updater
            .import(std::slice::from_ref(&reassignment.finding))
            .await;
        match imported {
            Ok(report) if report.is_complete() => {
                pad.actions.suppress_finding = true;
                pad.actions.terminate_for_reprocessing = true;
                pad.decision = Some(Decision::SuppressFinding);
                pad.decision_reason = Some(format!(
                    "the resource belongs to account {}; the finding was re-imported there as {} and this one is suppressed",
                    reassignment.owner_account, reassignment.finding.id
                ));
                pad.messages.actions_taken = format!("Re-imported as {}.", reassignment.finding.id);
                true
            }
            Ok(report) => {
                self.degrade(
                    pad,
                    "re-import the finding into the owning account",
                    &format!("{:?}", report.failed),
                );
                false
            }
            Err(error) => {
                self.degrade(
                    pad,
                    "re-import the finding into the owning account",
                    &error.to_string(),
                );
                false
            }
        }
    }

    async fn look_up(&self, pad: &mut Scratchpad) {
        match self.ports.accounts.account(&pad.account.id).await {
            Ok(account) => pad.account = account,
            Err(error) => self.degrade(pad, "look up the account", &error.to_string()),
        }
        match self
            .ports
            .records
            .open_ticket(pad.finding.view().id())
            .await
        {
            Ok(ticket) => pad.db.ticket = ticket,
            Err(error) => self.degrade(pad, "look up the open ticket", &error.to_string()),
        }
    }

    fn handle_failed_control(&self, pad: &mut Scratchpad) {
        let control = pad.finding.view().control_id();
        let remediable = control.is_some_and(|id| self.ports.remediable.is_remediable(id));
        let destructive = control.is_some_and(|id| self.ports.remediable.is_destructive(id));
        let ctx = ControlContext {
            config: self.config,
            account: &pad.account,
            remediable,
            destructive,
            now: (self.clock)(),
        };
        let outcome = triage_failed_control(&pad.finding, ctx);
        pad.control_action = Some(outcome.verdict.decision);
        pad.penalty_score = outcome.penalty;
        pad.decision_reason = Some(format!(
            "{}: {}",
            pad.decision_reason.take().unwrap_or_default(),
            outcome.verdict.reason
        ));
        use crate::decide::ControlAction;
        match outcome.verdict.decision {
            ControlAction::Suppress => pad.actions.suppress_finding = true,
            ControlAction::ReconsiderLater => pad.actions.reconsider_later = true,
            ControlAction::Remediate | ControlAction::Ticket => {}
        }
    }

    async fn handle_incident(&self, pad: &mut Scratchpad) {
        let environment = self
            .config
            .environments
            .classify(pad.account.environment.as_deref());
        pad.penalty_score = Some(penalty(
            pad.finding.view().normalized_severity().unwrap_or(0),
            environment,
        ));
        let normalized = NormalizedEvent::from_finding(&pad.finding);
        let score = self.ports.scorer.score(&normalized).await;
        pad.triage = Some(self.config.triage.triage(&normalized, score));
    }

    /// Notes a step that failed and was skipped, so the run goes on.
    fn degrade(&self, pad: &mut Scratchpad, step: &str, error: &str) {
        tracing::warn!(finding = %pad.finding.view().id(), step, error, "step failed; continuing without it");
        pad.messages
            .add_action_taken(&format!("Could not {step}: {error}."));
    }
}

/// The `BatchUpdateFindings` change that records a decision in Security
/// Hub, if it needs one: SUPPRESSED for suppressions, RESOLVED after a
/// remediation, NOTIFIED with the ticket's ID when a ticket is opened.
pub fn workflow_update(pad: &Scratchpad, ticket_id: Option<&str>) -> Option<FindingUpdate> {
    let findings = vec![FindingRef::from(pad.finding.view())];
    let reason = pad.decision_reason.clone();
    if pad.actions.suppress_finding {
        return Some(FindingUpdate {
            findings,
            workflow_status: Some(WorkflowStatus::Suppressed),
            note: reason,
            ..FindingUpdate::default()
        });
    }
    if pad.actions.remediated && !pad.actions.autoremediation_not_done {
        return Some(FindingUpdate {
            findings,
            workflow_status: Some(WorkflowStatus::Resolved),
            note: Some(format!(
                "soar remediated it: {}",
                pad.messages.actions_taken
            )),
            ..FindingUpdate::default()
        });
    }
    let ticket_id = ticket_id?;
    Some(FindingUpdate {
        findings,
        workflow_status: Some(WorkflowStatus::Notified),
        note: reason,
        user_defined_fields: [
            ("TicketOpen".to_owned(), "Yes".to_owned()),
            ("TicketId".to_owned(), ticket_id.to_owned()),
        ]
        .into_iter()
        .collect(),
        ..FindingUpdate::default()
    })
}

#[cfg(test)]
mod tests {
    use soar_asff::Finding;

    use super::*;

    fn pad() -> Scratchpad {
        let mut pad = Scratchpad::new(Finding {
            id: "f-1".into(),
            product_arn: "arn:aws:securityhub:eu-west-1::product/aws/securityhub".into(),
            ..Finding::default()
        });
        pad.decision_reason =
            Some("control S3.2 fails: no automatic remediation exists for it".into());
        pad
    }

    #[test]
    fn suppression_is_written_as_suppressed_with_the_reason() {
        let mut pad = pad();
        pad.actions.suppress_finding = true;
        let update = workflow_update(&pad, None).unwrap();
        assert_eq!(update.workflow_status, Some(WorkflowStatus::Suppressed));
        assert_eq!(update.note, pad.decision_reason);
        assert_eq!(update.findings, [FindingRef::from(&pad.finding)]);
    }

    #[test]
    fn a_remediation_is_written_as_resolved_with_what_was_done() {
        let mut pad = pad();
        pad.actions.remediated = true;
        pad.messages.actions_taken = "Turned on deletion protection of table t.".into();
        let update = workflow_update(&pad, None).unwrap();
        assert_eq!(update.workflow_status, Some(WorkflowStatus::Resolved));
        assert!(update.note.unwrap().contains("deletion protection"));
        pad.actions.autoremediation_not_done = true;
        assert_eq!(
            workflow_update(&pad, None),
            None,
            "a failed fix is not resolved"
        );
    }

    #[test]
    fn an_opened_ticket_is_written_as_notified_with_its_id() {
        let update = workflow_update(&pad(), Some("SOAR-7")).unwrap();
        assert_eq!(update.workflow_status, Some(WorkflowStatus::Notified));
        assert_eq!(
            update
                .user_defined_fields
                .get("TicketOpen")
                .map(String::as_str),
            Some("Yes")
        );
        assert_eq!(
            update
                .user_defined_fields
                .get("TicketId")
                .map(String::as_str),
            Some("SOAR-7")
        );
        // What soar writes is what decide() reads back as an open ticket.
        let mut finding = pad().finding;
        finding.user_defined_fields = Some(update.user_defined_fields.clone());
        assert_eq!(
            crate::decide::ticket_id_if_open(&finding, None).as_deref(),
            Some("SOAR-7")
        );
    }

    #[test]
    fn nothing_to_write_without_suppression_or_ticket() {
        assert_eq!(workflow_update(&pad(), None), None);
    }

    /// A finding of `account` with `generator`, `compliance` and a
    /// resource `resource`, as the JSON Security Hub sends.
    fn lazy(generator: &str, compliance: &str, resource: &str) -> LazyFinding {
        let json = format!(
            r#"{{"SchemaVersion": "2018-10-08", "Id": "f-{generator}",
            "ProductArn": "arn:aws:securityhub:eu-west-1::product/aws/securityhub",
            "GeneratorId": "{generator}", "AwsAccountId": "111122223333",
            "CreatedAt": "2026-01-01T00:00:00Z", "UpdatedAt": "2026-01-01T00:00:00Z",
            "Severity": {{"Label": "HIGH"}}, "Title": "t", "Description": "d",
            {compliance}
            "Resources": [{{"Type": "AwsS3Bucket", "Id": "{resource}", "Tags": {{"team": "data"}}}}]}}"#
        );
        let finding = LazyFinding::from_json(&json).unwrap();
        assert!(!finding.is_built());
        finding
    }

    #[tokio::test]
    async fn a_lazy_finding_is_decided_without_being_built() {
        use crate::ports::memory::{MemoryRecords, RecordingUpdater, StaticAccounts};
        let config = Config::from_json(
            r#"{"suppress_when": ["resource_tag:team = ops"],
                "auto_remediation": {"enabled": true, "controls": ["*"]}}"#,
        )
        .unwrap();
        let accounts = StaticAccounts::new([crate::AccountData {
            id: "111122223333".into(),
            environment: Some("prod".into()),
            ..crate::AccountData::default()
        }]);
        let (updater, records) = (RecordingUpdater::default(), MemoryRecords::default());
        let remediable: BTreeSet<String> = ["S3.8".to_owned()].into();
        let pipeline = Pipeline::new(
            &config,
            Ports {
                accounts: &accounts,
                updater: &updater,
                records: &records,
                scorer: &crate::scoring::NoModel,
                remediable: &remediable,
            },
        );
        let bucket = "arn:aws:s3:::b";
        let cases = [
            (
                lazy(
                    "security-control/S3.8",
                    r#""Compliance": {"Status": "FAILED"},"#,
                    bucket,
                ),
                Decision::FailedControl,
            ),
            (
                lazy(
                    "security-control/S3.8",
                    r#""Compliance": {"Status": "WARNING"},"#,
                    bucket,
                ),
                Decision::SuppressFinding,
            ),
            (
                lazy(
                    "security-control/S3.8",
                    r#""Compliance": {"Status": "PASSED"},"#,
                    bucket,
                ),
                Decision::DoNothing,
            ),
            (lazy("guardduty-detector", "", bucket), Decision::Incident),
        ];
        for (finding, decision) in cases {
            let pad = pipeline.process(finding).await.unwrap();
            assert_eq!(pad.decision, Some(decision), "{:?}", pad.decision_reason);
            assert!(!pad.finding.is_built(), "{decision:?} built the finding");
            assert_eq!(pad.tags.get("team").map(String::as_str), Some("data"));
        }
        let failed = pipeline
            .process(lazy(
                "security-control/S3.8",
                r#""Compliance": {"Status": "FAILED"},"#,
                bucket,
            ))
            .await
            .unwrap();
        assert_eq!(failed.control_action, Some(crate::ControlAction::Remediate));
        assert!(failed.penalty_score.is_some());
        // A finding about another account's resource is copied for the
        // import; the finding itself is still not built.
        let elsewhere = lazy(
            "security-control/IAM.8",
            r#""Compliance": {"Status": "FAILED"},"#,
            "arn:aws:iam::444455556666:user/u",
        );
        let pad = pipeline.process(elsewhere).await.unwrap();
        assert_eq!(pad.decision, Some(Decision::SuppressFinding));
        assert!(!pad.finding.is_built());
        let imported = updater.findings();
        assert_eq!(imported.len(), 1);
        assert_eq!(imported[0].aws_account_id, "444455556666");
        assert_eq!(
            imported[0].product_field("soar/OriginalFindingId"),
            Some("f-security-control/IAM.8")
        );
    }
}
