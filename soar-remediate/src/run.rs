//! Running a remediation: plan, the destructive gate, apply, verify, and
//! every error turned into an [`Outcome`].

use serde::ser::{Serialize, SerializeMap, Serializer};
use soar_asff::Finding;

use crate::context::Context;
use crate::remediation::{Change, Outcome, PlanState, Remediation};

/// Whether to change anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Plan, apply and verify.
    Apply,
    /// Plan only; change nothing.
    DryRun,
}

/// What happened, as `soar remediate` prints it:
/// `{"control_id", "resource", "outcome", "reason"?, "until"?, "actions_taken", "changes"}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The control ID from the finding.
    pub control_id: String,
    /// The resource acted on, when the finding names one.
    pub resource: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// What was done.
    pub actions_taken: Vec<String>,
    /// The plan's changes (made, or to make in a dry run).
    pub changes: Vec<Change>,
}

/// Runs `remediation` on `finding`.
///
/// Never fails: a resource that is gone gives [`Outcome::Suppress`], every
/// other error gives [`Outcome::Ticket`] with the error, and a destructive
/// remediation that the settings do not allow gives [`Outcome::Ticket`] with
/// the plan, so a person can carry it out.
pub async fn remediate(
    remediation: &dyn Remediation,
    ctx: &Context,
    finding: &Finding,
    mode: Mode,
) -> Report {
    let meta = remediation.meta();
    let control_id = finding
        .control_id()
        .unwrap_or_else(|| meta.ids.first().copied().unwrap_or("?"))
        .to_owned();
    let mut report = Report {
        control_id: control_id.clone(),
        resource: None,
        outcome: Outcome::Planned,
        actions_taken: Vec::new(),
        changes: Vec::new(),
    };
    let plan = match remediation.plan(ctx, finding).await {
        Ok(plan) => plan,
        Err(error) if error.is_not_found() => {
            report.outcome = Outcome::Suppress {
                reason: format!("the resource no longer exists ({error})"),
            };
            return report;
        }
        Err(error) => {
            report.outcome = Outcome::Ticket {
                reason: format!("could not plan the remediation: {error}"),
            };
            return report;
        }
    };
    report.resource = Some(plan.resource.clone());
    report.changes = plan.changes.clone();
    match &plan.state {
        PlanState::AlreadyCompliant => {
            report.outcome = Outcome::AlreadyCompliant;
            return report;
        }
        PlanState::Exempt { reason } => {
            report.outcome = Outcome::Suppress {
                reason: reason.clone(),
            };
            return report;
        }
        PlanState::NeedsChanges => {}
    }
    if mode == Mode::DryRun {
        return report;
    }
    if meta.destructive && !ctx.settings.allow_destructive {
        let steps: Vec<String> = plan
            .changes
            .iter()
            .map(|c| format!("{} ({})", c.description, c.action))
            .collect();
        report.outcome = Outcome::Ticket {
            reason: format!(
                "{control_id} is destructive and destructive remediations are not allowed; to fix {} by hand: {}",
                plan.resource,
                steps.join("; ")
            ),
        };
        return report;
    }
    let applied = match remediation.apply(ctx, &plan).await {
        Ok(outcome) => outcome,
        Err(error) if error.is_not_found() => {
            report.outcome = Outcome::Suppress {
                reason: format!("the resource disappeared during the remediation ({error})"),
            };
            return report;
        }
        Err(error) => {
            report.outcome = Outcome::Ticket {
                reason: format!("the remediation failed: {error}"),
            };
            return report;
        }
    };
    let Outcome::Remediated { actions_taken } = applied else {
        report.outcome = applied;
        return report;
    };
    report.actions_taken = actions_taken.clone();
    report.outcome = match remediation.verify(ctx, finding).await {
        Ok(true) => Outcome::Remediated { actions_taken },
        Ok(false) => Outcome::Ticket {
            reason: format!(
                "the changes were made ({}) but the control still fails",
                actions_taken.join("; ")
            ),
        },
        Err(error) => Outcome::Ticket {
            reason: format!("the changes were made but could not be verified: {error}"),
        },
    };
    report
}

impl Serialize for Report {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("control_id", &self.control_id)?;
        map.serialize_entry("resource", &self.resource)?;
        map.serialize_entry("outcome", self.outcome.name())?;
        match &self.outcome {
            Outcome::Suppress { reason } | Outcome::Ticket { reason } => {
                map.serialize_entry("reason", reason)?
            }
            Outcome::ReconsiderLater { until } => map.serialize_entry("until", until)?,
            _ => {}
        }
        map.serialize_entry("actions_taken", &self.actions_taken)?;
        map.serialize_entry("changes", &self.changes)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;
    use aws_types::SdkConfig;

    use super::*;
    use crate::{ControlMeta, Plan, RemediationError, Service, Settings};

    static META: ControlMeta = ControlMeta {
        ids: &["TEST.1"],
        title: "a destructive test control",
        service: Service::Other("test"),
        resource_type: "Other",
        iam_actions: &["test:Delete"],
        destructive: true,
        exemption_tag: None,
    };

    /// Plans a deletion; counts applies; verifies as told.
    struct Deleter {
        applied: AtomicUsize,
        verifies: bool,
    }

    #[async_trait]
    impl Remediation for Deleter {
        fn meta(&self) -> &'static ControlMeta {
            &META
        }
        async fn plan(&self, _ctx: &Context, _finding: &Finding) -> Result<Plan, RemediationError> {
            let change = Plan::change("test:Delete", "delete the unused thing-1");
            Ok(Plan::changes(
                "TEST.1",
                "thing-1",
                vec![change],
                serde_json::Value::Null,
            ))
        }
        async fn apply(&self, _ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
            self.applied.fetch_add(1, Ordering::SeqCst);
            Ok(Outcome::Remediated {
                actions_taken: vec![format!("Deleted {}.", plan.resource)],
            })
        }
        async fn verify(
            &self,
            _ctx: &Context,
            _finding: &Finding,
        ) -> Result<bool, RemediationError> {
            Ok(self.verifies)
        }
    }

    fn ctx(allow_destructive: bool) -> Context {
        let settings = Settings {
            allow_destructive,
            ..Settings::default()
        };
        Context::new(SdkConfig::builder().build(), "111111111111").with_settings(settings)
    }

    fn finding() -> Finding {
        Finding {
            generator_id: "security-control/TEST.1".into(),
            ..Finding::default()
        }
    }

    #[tokio::test]
    async fn destructive_control_is_ticketed_with_its_plan_unless_allowed() {
        let control = Deleter {
            applied: AtomicUsize::new(0),
            verifies: true,
        };
        let report = remediate(&control, &ctx(false), &finding(), Mode::Apply).await;
        let Outcome::Ticket { reason } = &report.outcome else {
            panic!("{report:?}")
        };
        assert!(
            reason.contains("delete the unused thing-1 (test:Delete)"),
            "{reason}"
        );
        assert_eq!(control.applied.load(Ordering::SeqCst), 0);

        let report = remediate(&control, &ctx(true), &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(control.applied.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn failed_verification_is_a_ticket_naming_what_was_done() {
        let control = Deleter {
            applied: AtomicUsize::new(0),
            verifies: false,
        };
        let report = remediate(&control, &ctx(true), &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains("Deleted thing-1")),
            "{report:?}"
        );
        assert_eq!(report.actions_taken, ["Deleted thing-1."]);
    }

    #[tokio::test]
    async fn dry_run_plans_and_applies_nothing() {
        let control = Deleter {
            applied: AtomicUsize::new(0),
            verifies: true,
        };
        let report = remediate(&control, &ctx(true), &finding(), Mode::DryRun).await;
        assert_eq!(report.outcome, Outcome::Planned);
        assert_eq!(report.changes.len(), 1);
        assert_eq!(control.applied.load(Ordering::SeqCst), 0);
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["outcome"], "planned");
        assert_eq!(json["changes"][0]["action"], "test:Delete");
    }
}
