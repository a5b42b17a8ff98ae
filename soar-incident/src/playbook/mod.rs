//! Containment playbooks, run as plan, then apply, then record.
//!
//! [`plan`] only reads: it says which steps the resource needs, and leaves
//! out what is already done, so a second run after a partial one carries on
//! where the first stopped. [`apply`] runs the steps in order and stops at
//! the first that fails; the [`PlaybookReport`] says what was done, what
//! failed and what was not run, and [`PlaybookReport::record`] writes that
//! into the Scratchpad, escalating to a ticket when containment is not
//! complete. [`contain`] does all of it in the finding's own account and
//! Region; [`respond`] adds the classification and the ATT&CK mapping.
//!
//! # Why through soar-remediate
//!
//! The playbooks act through `soar-remediate`'s [`Context`] and
//! [`ContextFactory`], not clients of their own: a playbook must act in the
//! finding's own account and Region, through the same cross-account
//! session, retry policy, emulator endpoints and operation recorder as a
//! remediation, and a second implementation of that would be a second place
//! for the account-safety rules to go wrong. The S3 playbook is
//! `soar-remediate`'s S3.8 control itself (Block Public Access, with its
//! `ExpectedBucketOwner` guard and its exemption tag): one implementation,
//! one set of tests. The EC2 and IAM steps are the playbooks' own, since no
//! control quarantines an instance or revokes sessions.

use serde::Serialize;
use soar_asff::{is_account_id, Finding};
use soar_core::{Location, Scratchpad};
use soar_remediate::{Context, ContextFactory, Mode, RemediationError};

use crate::attack::{attack_mapping, AttackMapping};
use crate::classify::{
    classify, product_of, Classification, ContainmentSettings, IncidentConfig, IncidentKind,
    Response,
};

#[cfg(feature = "ec2")]
mod ec2;
#[cfg(feature = "iam")]
mod iam;
#[cfg(feature = "s3")]
mod s3;

#[cfg(feature = "ec2")]
pub use ec2::{Ec2Step, INCIDENT_TAG};
#[cfg(feature = "iam")]
pub use iam::{
    revoke_sessions_policy, IamStep, Principal, PrincipalKind, PROPAGATION_MARGIN_SECONDS,
};
#[cfg(feature = "s3")]
pub use s3::S3Step;

/// One change a playbook makes, as the plan shows it and the trail
/// records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Step {
    /// A step of the EC2 compromise playbook.
    #[cfg(feature = "ec2")]
    Ec2(Ec2Step),
    /// A step of the credential exposure playbook.
    #[cfg(feature = "iam")]
    Iam(IamStep),
    /// A step of the S3 exposure playbook.
    #[cfg(feature = "s3")]
    S3(S3Step),
}

impl Step {
    /// The IAM action the step's write needs.
    pub fn action(&self) -> &'static str {
        match self {
            #[cfg(feature = "ec2")]
            Step::Ec2(step) => step.action(),
            #[cfg(feature = "iam")]
            Step::Iam(step) => step.action(),
            #[cfg(feature = "s3")]
            Step::S3(step) => step.action(),
        }
    }

    /// What the step does, in a sentence.
    pub fn description(&self) -> String {
        match self {
            #[cfg(feature = "ec2")]
            Step::Ec2(step) => step.description(),
            #[cfg(feature = "iam")]
            Step::Iam(step) => step.description(),
            #[cfg(feature = "s3")]
            Step::S3(step) => step.description(),
        }
    }

    /// Carries the step out; what was done, in a sentence.
    // Only the EC2 steps learn something a later step needs.
    #[cfg_attr(not(feature = "ec2"), allow(unused_variables))]
    async fn run(&self, ctx: &Context, run: &mut Run) -> Result<String, PlaybookError> {
        match self {
            #[cfg(feature = "ec2")]
            Step::Ec2(step) => step.run(ctx, run).await,
            #[cfg(feature = "iam")]
            Step::Iam(step) => step.run(ctx).await,
            #[cfg(feature = "s3")]
            Step::S3(step) => step.run(ctx).await,
        }
    }
}

/// What one run of a playbook learns as it goes: the quarantine groups it
/// created, which the steps after it use.
#[derive(Debug, Default)]
pub(crate) struct Run {
    /// The quarantine security group of each VPC, once it is known.
    #[cfg_attr(not(feature = "ec2"), allow(dead_code))]
    pub(crate) quarantine_groups: std::collections::BTreeMap<String, String>,
}

/// What a playbook would do to contain a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlaybookPlan {
    /// What the incident is about.
    pub kind: IncidentKind,
    /// How hard the classification said to respond.
    pub response: Response,
    /// The resource contained: an instance ID, a principal's ARN, a bucket.
    pub resource: String,
    /// The changes, in the order they are made. Empty when everything is
    /// already done.
    pub steps: Vec<Step>,
    /// What the playbook leaves to a person on purpose, and why (an
    /// instance not terminated because termination is not allowed).
    pub notes: Vec<String>,
}

/// Why a playbook cannot contain a resource.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlaybookError {
    /// An AWS call failed, or the resource is not there.
    #[error(transparent)]
    Aws(#[from] RemediationError),
    /// The resource cannot be contained automatically.
    #[error("cannot contain {resource}: {reason}")]
    CannotContain {
        /// The resource, as the finding names it.
        resource: String,
        /// Why, and what a person should do instead.
        reason: String,
    },
}

/// How a step of a run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum StepStatus {
    /// Done.
    Done {
        /// What was done.
        detail: String,
    },
    /// Tried, and failed: the playbook stopped here.
    Failed {
        /// The error.
        error: String,
    },
    /// Not run: a dry run, or a step after one that failed.
    NotRun,
}

/// One step of the trail: the change, its IAM action and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepRecord {
    /// The change.
    pub change: Step,
    /// The IAM action it needs.
    pub action: &'static str,
    /// What it does, in a sentence.
    pub description: String,
    /// How it ended.
    #[serde(flatten)]
    pub status: StepStatus,
}

/// How a playbook ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PlaybookOutcome {
    /// A dry run: the steps are the plan.
    Planned,
    /// Every step was done (or there was nothing left to do).
    Contained,
    /// Containment is not complete; a person must finish it (a ticket).
    Escalated {
        /// Why: the step that failed, or why the playbook could not run.
        reason: String,
    },
    /// The classification asks for no containment (notify, ticket or
    /// suppress).
    NotRequired {
        /// Why.
        reason: String,
    },
}

/// The trail of one playbook run, as `soar incident` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlaybookReport {
    /// What the incident is about.
    pub kind: Option<IncidentKind>,
    /// How hard the classification said to respond.
    pub response: Option<Response>,
    /// Where the playbook acted, when it got that far.
    pub location: Option<Location>,
    /// The resource, when the plan got that far.
    pub resource: Option<String>,
    /// Every step, in order, with how it ended.
    pub steps: Vec<StepRecord>,
    /// What was left to a person on purpose.
    pub notes: Vec<String>,
    /// How it ended.
    #[serde(flatten)]
    pub outcome: PlaybookOutcome,
}

impl PlaybookReport {
    fn ended(outcome: PlaybookOutcome) -> Self {
        PlaybookReport {
            kind: None,
            response: None,
            location: None,
            resource: None,
            steps: Vec::new(),
            notes: Vec::new(),
            outcome,
        }
    }

    fn escalated(reason: String) -> Self {
        PlaybookReport::ended(PlaybookOutcome::Escalated { reason })
    }

    /// Whether the resource is contained.
    pub fn is_contained(&self) -> bool {
        self.outcome == PlaybookOutcome::Contained
    }

    /// Records the trail in the Scratchpad: every step done goes into
    /// `messages.actions_taken`; a completed containment sets
    /// `actions.contained`; one that is not complete sets
    /// `actions.autoremediation_not_done` (which opens a ticket) and says in
    /// `messages.actions_required` why, and which steps are left; a plan
    /// (containment off) goes into `messages.actions_required` as the steps
    /// to take by hand.
    pub fn record(&self, pad: &mut Scratchpad) {
        let done: Vec<&str> = self
            .steps
            .iter()
            .filter_map(|record| match &record.status {
                StepStatus::Done { detail } => Some(detail.as_str()),
                _ => None,
            })
            .collect();
        if !done.is_empty() {
            pad.messages.add_action_taken(&done.join(" "));
        }
        let mut required = Vec::new();
        pad.actions.contained = self.is_contained();
        if self.outcome == PlaybookOutcome::Planned && !self.steps.is_empty() {
            let steps: Vec<&str> = self.steps.iter().map(|r| r.description.as_str()).collect();
            required.push(format!(
                "Automatic containment is off (containment.enabled). To contain {} by hand: {}",
                self.resource.as_deref().unwrap_or("the resource"),
                steps.join(" ")
            ));
        }
        if let PlaybookOutcome::Escalated { reason } = &self.outcome {
            pad.actions.autoremediation_not_done = true;
            required.push(format!("Containment is not complete: {reason}."));
            let left: Vec<String> = self
                .steps
                .iter()
                .filter(|record| !matches!(record.status, StepStatus::Done { .. }))
                .map(|record| record.description.clone())
                .collect();
            if !left.is_empty() {
                required.push(format!("Still to do: {}", left.join(" ")));
            }
        }
        required.extend(self.notes.iter().cloned());
        if !required.is_empty() {
            pad.messages.actions_required = required.join(" ");
        }
    }
}

/// The resource types a playbook of `kind` acts on, most specific first:
/// where [`contain`] looks for the account and Region.
pub fn resource_types(kind: IncidentKind) -> &'static [&'static str] {
    match kind {
        IncidentKind::Ec2 => &["AwsEc2Instance"],
        IncidentKind::IamUser => &["AwsIamAccessKey", "AwsIamUser", "AwsIamRole"],
        IncidentKind::S3 => &["AwsS3Bucket"],
        IncidentKind::Eks => &["AwsEksCluster"],
        IncidentKind::Generic => &[],
    }
}

/// Plans the playbook of `kind` for `finding` in `ctx`. Reads only.
///
/// # Errors
/// [`PlaybookError::CannotContain`] when there is no playbook for `kind`
/// (EKS, generic findings, or one not compiled in), when the finding does
/// not name the resource, and when the resource must not be touched (the
/// root user, soar's own principal, a terminated instance); and
/// [`PlaybookError::Aws`] when a read fails.
// With a playbook feature off, its arm does not use the settings.
#[cfg_attr(
    not(all(feature = "ec2", feature = "iam", feature = "s3")),
    allow(unused_variables)
)]
pub async fn plan(
    ctx: &Context,
    finding: &Finding,
    kind: IncidentKind,
    response: Response,
    settings: &ContainmentSettings,
) -> Result<PlaybookPlan, PlaybookError> {
    match kind {
        #[cfg(feature = "ec2")]
        IncidentKind::Ec2 => ec2::plan(ctx, finding, response, settings).await,
        #[cfg(feature = "iam")]
        IncidentKind::IamUser => iam::plan(ctx, finding, response, settings).await,
        #[cfg(feature = "s3")]
        IncidentKind::S3 => s3::plan(ctx, finding, response).await,
        #[cfg(not(feature = "ec2"))]
        IncidentKind::Ec2 => Err(cannot_contain(
            finding,
            "soar-incident was built without its `ec2` feature, which has this playbook",
        )),
        #[cfg(not(feature = "iam"))]
        IncidentKind::IamUser => Err(cannot_contain(
            finding,
            "soar-incident was built without its `iam` feature, which has this playbook",
        )),
        #[cfg(not(feature = "s3"))]
        IncidentKind::S3 => Err(cannot_contain(
            finding,
            "soar-incident was built without its `s3` feature, which has this playbook",
        )),
        IncidentKind::Eks => Err(cannot_contain(
            finding,
            "soar has no containment playbook for EKS incidents",
        )),
        IncidentKind::Generic => Err(cannot_contain(
            finding,
            "soar has no containment playbook for findings that are not about an instance, credentials or a bucket",
        )),
    }
}

/// [`PlaybookError::CannotContain`] about the finding's main resource.
fn cannot_contain(finding: &Finding, reason: &str) -> PlaybookError {
    PlaybookError::CannotContain {
        resource: finding
            .primary_resource()
            .map_or_else(|| finding.id.clone(), |r| r.id.clone()),
        reason: reason.to_owned(),
    }
}

/// Runs the plan's steps in order in `ctx`, and stops at the first that
/// fails: the report has every step, done, failed or not run.
pub async fn apply(ctx: &Context, plan: PlaybookPlan) -> PlaybookReport {
    let mut run = Run::default();
    let mut steps = Vec::with_capacity(plan.steps.len());
    let mut failure = None;
    for step in plan.steps {
        let status = if failure.is_some() {
            StepStatus::NotRun
        } else {
            match step.run(ctx, &mut run).await {
                Ok(detail) => StepStatus::Done { detail },
                Err(error) => {
                    tracing::warn!(resource = %plan.resource, step = %step.description(), %error, "containment step failed");
                    failure = Some(format!("{} failed: {error}", step.description()));
                    StepStatus::Failed {
                        error: error.to_string(),
                    }
                }
            }
        };
        steps.push(StepRecord {
            action: step.action(),
            description: step.description(),
            change: step,
            status,
        });
    }
    PlaybookReport {
        kind: Some(plan.kind),
        response: Some(plan.response),
        location: Some(ctx.location().clone()),
        resource: Some(plan.resource),
        steps,
        notes: plan.notes,
        outcome: match failure {
            Some(reason) => PlaybookOutcome::Escalated { reason },
            None => PlaybookOutcome::Contained,
        },
    }
}

/// Contains the resource of a classified incident in the finding's own
/// account and Region: plan, then (unless `mode` is a dry run) apply.
///
/// Never fails and never acts anywhere else: a classification that asks for
/// no containment is [`PlaybookOutcome::NotRequired`]; a finding that does
/// not say where its resource is, an account `contexts` cannot reach, and a
/// plan that cannot be made are [`PlaybookOutcome::Escalated`] with the
/// reason.
pub async fn contain(
    contexts: &ContextFactory,
    finding: &Finding,
    classification: &Classification,
    settings: &ContainmentSettings,
    mode: Mode,
) -> PlaybookReport {
    let (kind, response) = match classification {
        Classification::Suppress { reason } => {
            return PlaybookReport::ended(PlaybookOutcome::NotRequired {
                reason: format!("the finding is noise: {reason}"),
            })
        }
        Classification::Incident {
            kind,
            response: response @ (Response::Notify | Response::Ticket),
            reason,
        } => {
            let mut report = PlaybookReport::ended(PlaybookOutcome::NotRequired {
                reason: format!("the response is {} ({reason})", response.name()),
            });
            (report.kind, report.response) = (Some(*kind), Some(*response));
            return report;
        }
        Classification::Incident { kind, response, .. } => (*kind, *response),
    };
    let with_kind = |mut report: PlaybookReport| {
        (report.kind, report.response) = (Some(kind), Some(response));
        report
    };
    let (name, by_arn) = product_of(finding);
    let trusted = settings
        .products
        .iter()
        .any(|p| p.eq_ignore_ascii_case(&name) || p.eq_ignore_ascii_case(&by_arn));
    if !trusted {
        return with_kind(PlaybookReport::escalated(format!(
            "the finding comes from product {by_arn:?}, and containment acts only on findings of {:?} (containment.products): any product that can import findings can claim GuardDuty's types",
            settings.products
        )));
    }
    let resource_type = resource_types(kind)
        .iter()
        .copied()
        .find(|t| finding.resources.iter().any(|r| r.resource_type == *t));
    let location = match Location::of_finding(finding, resource_type) {
        Ok(location) => location,
        Err(error) => return with_kind(PlaybookReport::escalated(error.to_string())),
    };
    // GuardDuty reports a finding in the account of its resource; a
    // resource elsewhere is not this finding's to contain.
    if is_account_id(&finding.aws_account_id) && finding.aws_account_id != location.account_id {
        let mut report = with_kind(PlaybookReport::escalated(format!(
            "the resource is in account {}, but the finding was reported for account {}",
            location.account_id, finding.aws_account_id
        )));
        report.location = Some(location);
        return report;
    }
    let ctx = match contexts.context_at(location.clone()).await {
        Ok(ctx) => ctx,
        Err(error) => {
            let mut report = with_kind(PlaybookReport::escalated(error.to_string()));
            report.location = Some(location);
            return report;
        }
    };
    let plan = match plan(&ctx, finding, kind, response, settings).await {
        Ok(plan) => plan,
        Err(error) => {
            let mut report = with_kind(PlaybookReport::escalated(error.to_string()));
            report.location = Some(location);
            return report;
        }
    };
    match mode {
        Mode::Apply => apply(&ctx, plan).await,
        Mode::DryRun => PlaybookReport {
            kind: Some(plan.kind),
            response: Some(plan.response),
            location: Some(location),
            resource: Some(plan.resource),
            steps: plan
                .steps
                .into_iter()
                .map(|step| StepRecord {
                    action: step.action(),
                    description: step.description(),
                    change: step,
                    status: StepStatus::NotRun,
                })
                .collect(),
            notes: plan.notes,
            outcome: PlaybookOutcome::Planned,
        },
    }
}

/// Everything soar knows and does about one incident finding, as `soar
/// incident` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentReport {
    /// The finding.
    pub finding_id: String,
    /// What it is about and how hard to respond.
    pub classification: Classification,
    /// Its ATT&CK tactic and technique, for GuardDuty types.
    pub attack: Option<AttackMapping>,
    /// The containment: its plan in a dry run, its trail otherwise.
    pub playbook: PlaybookReport,
}

/// Classifies `finding`, maps it to ATT&CK and [`contain`]s it.
///
/// ```no_run
/// use std::sync::Arc;
/// use soar_core::aws::AssumeRoleSessions;
/// use soar_incident::{respond, IncidentConfig};
/// use soar_remediate::{ContextFactory, Mode};
///
/// # async fn example(sdk: aws_types::SdkConfig, sts: aws_sdk_sts::Client, finding: soar_asff::Finding) {
/// let sessions = AssumeRoleSessions::new(sdk, sts, Some("SoarRemediation".into()));
/// let contexts = ContextFactory::new(Arc::new(sessions));
/// let report = respond(&finding, &IncidentConfig::default(), &contexts, Mode::DryRun).await;
/// println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
/// # }
/// ```
pub async fn respond(
    finding: &Finding,
    config: &IncidentConfig,
    contexts: &ContextFactory,
    mode: Mode,
) -> IncidentReport {
    let classification = classify(finding, config);
    let playbook = contain(
        contexts,
        finding,
        &classification,
        &config.containment,
        mode,
    )
    .await;
    IncidentReport {
        finding_id: finding.id.clone(),
        attack: attack_mapping(finding),
        classification,
        playbook,
    }
}

/// The IAM actions of every compiled-in playbook, sorted: what the role
/// soar assumes in member accounts needs for containment.
pub fn iam_actions() -> Vec<&'static str> {
    let mut actions: Vec<&'static str> = Vec::new();
    #[cfg(feature = "ec2")]
    actions.extend(ec2::IAM_ACTIONS);
    #[cfg(feature = "iam")]
    actions.extend(iam::IAM_ACTIONS);
    #[cfg(feature = "s3")]
    actions.extend(s3::iam_actions());
    actions.sort_unstable();
    actions.dedup();
    actions
}

/// The tag value that names a finding: its ID, cut to the 256 characters
/// a tag value may have.
#[cfg_attr(not(feature = "ec2"), allow(dead_code))]
pub(crate) fn finding_tag(finding: &Finding) -> String {
    finding.id.chars().take(256).collect()
}

#[cfg(test)]
pub(crate) mod testing {
    //! Findings and contexts for the playbooks' mock tests.

    use soar_asff::{Finding, Resource, Severity, SeverityLabel};
    use soar_remediate::testkit::{TEST_ACCOUNT, TEST_REGION};

    /// A GuardDuty finding of `finding_type` (`Backdoor:EC2-C&CActivity.B`)
    /// about `resources`, at `label`.
    pub(crate) fn guardduty(
        finding_type: &str,
        label: SeverityLabel,
        resources: Vec<Resource>,
    ) -> Finding {
        Finding {
            schema_version: "2018-10-08".to_owned(),
            id: format!("arn:aws:guardduty:{TEST_REGION}:{TEST_ACCOUNT}:detector/d/finding/f1"),
            product_arn: format!("arn:aws:securityhub:{TEST_REGION}::product/aws/guardduty"),
            generator_id: format!("arn:aws:guardduty:{TEST_REGION}:{TEST_ACCOUNT}:detector/d"),
            aws_account_id: TEST_ACCOUNT.to_owned(),
            types: Some(vec![format!("TTPs/{finding_type}")]),
            created_at: "2026-12-01T00:00:00Z".to_owned(),
            updated_at: "2026-12-01T00:00:00Z".to_owned(),
            severity: Some(Severity::from_label(label)),
            title: finding_type.to_owned(),
            description: "d".to_owned(),
            region: Some(TEST_REGION.to_owned()),
            resources,
            ..Finding::default()
        }
    }

    /// A resource of `resource_type` with `id`, in the test Region.
    pub(crate) fn resource(resource_type: &str, id: &str) -> Resource {
        Resource {
            resource_type: resource_type.to_owned(),
            id: id.to_owned(),
            partition: Some("aws".to_owned()),
            region: Some(TEST_REGION.to_owned()),
            ..Resource::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use soar_asff::SeverityLabel;
    use soar_remediate::testkit::{mock_context, RuleMode};

    use super::testing::{guardduty, resource};
    use super::*;

    #[tokio::test]
    async fn eks_and_generic_incidents_have_no_playbook_and_say_so() {
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[]);
        let finding = guardduty(
            "Execution/Execution:Kubernetes-ExecInKubeSystemPod",
            SeverityLabel::High,
            vec![resource(
                "AwsEksCluster",
                "arn:aws:eks:us-east-1:111111111111:cluster/c",
            )],
        );
        for (kind, says) in [
            (IncidentKind::Eks, "no containment playbook for EKS"),
            (
                IncidentKind::Generic,
                "not about an instance, credentials or a bucket",
            ),
        ] {
            let settings = ContainmentSettings::default();
            let error = plan(&ctx, &finding, kind, Response::Contain, &settings)
                .await
                .unwrap_err();
            assert!(error.to_string().contains(says), "{error}");
            assert!(error.to_string().contains("cluster/c"), "{error}");
        }
        assert!(recorder.actions().is_empty());
    }

    #[test]
    fn a_report_that_ends_early_leaves_the_scratchpad_defaults_but_escalates() {
        let report = PlaybookReport::escalated("no session in 222222222222".to_owned());
        let mut pad = Scratchpad::new(Finding::default());
        report.record(&mut pad);
        assert_eq!(pad.messages.actions_taken, "None.");
        assert!(pad.actions.autoremediation_not_done);
        assert_eq!(
            pad.messages.actions_required,
            "Containment is not complete: no session in 222222222222."
        );
    }

    #[test]
    fn the_policy_actions_cover_every_step() {
        let actions = iam_actions();
        for action in [
            "ec2:CreateSnapshot",
            "iam:PutRolePolicy",
            "s3:PutBucketPublicAccessBlock",
        ] {
            assert!(
                actions.contains(&action),
                "{action} missing from {actions:?}"
            );
        }
        assert!(
            actions.windows(2).all(|w| w[0] < w[1]),
            "sorted and distinct"
        );
    }
}
