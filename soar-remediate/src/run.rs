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
