//! Running a remediation: plan, the destructive gate, apply, verify, and
//! every error turned into an [`Outcome`].

use serde::ser::{Serialize, SerializeMap, Serializer};
use soar_asff::Finding;
use soar_core::Location;

use crate::context::{Context, ContextFactory};
use crate::error::RemediationError;
use crate::registry::Registry;
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
/// `{"control_id", "resource", "account_id"?, "region"?, "outcome",
/// "reason"?, "until"?, "actions_taken", "changes"}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The control ID from the finding.
    pub control_id: String,
    /// The resource acted on, when the finding names one.
    pub resource: Option<String>,
    /// Where the remediation ran, when it got that far.
    pub location: Option<Location>,
    /// How it ended.
    pub outcome: Outcome,
    /// What was done.
    pub actions_taken: Vec<String>,
    /// The plan's changes (made, or to make in a dry run).
    pub changes: Vec<Change>,
}

impl Report {
    fn new(control_id: &str, resource: Option<String>, outcome: Outcome) -> Self {
        Report {
            control_id: control_id.to_owned(),
            resource,
            location: None,
            outcome,
            actions_taken: Vec::new(),
            changes: Vec::new(),
        }
    }
}

/// Remediates `finding` with the registry's control for it, in the
/// finding's own account and Region.
///
/// Never fails, and never acts anywhere else: a finding without a control
/// ID or without a remediation, a finding that does not say where its
/// resource is, and an account that `contexts` cannot reach (no role, or
/// the role refused) each give [`Outcome::Ticket`] with the reason, naming
/// the account. Otherwise it is [`remediate`] in that place.
pub async fn remediate_finding(
    registry: &Registry,
    contexts: &ContextFactory,
    finding: &Finding,
    mode: Mode,
) -> Report {
    let resource = finding.primary_resource().map(|r| r.id.clone());
    let Some(control_id) = finding.control_id() else {
        return Report::new(
            "",
            resource,
            Outcome::Ticket {
                reason: "the finding names no control ID".to_owned(),
            },
        );
    };
    let Some(control) = registry.get(control_id) else {
        return Report::new(
            control_id,
            resource,
            Outcome::Ticket {
                reason: format!("no automatic remediation for control {control_id}"),
            },
        );
    };
    match contexts.context_for(finding, control.meta()).await {
        Ok(ctx) => remediate(control, &ctx, finding, mode).await,
        Err(error) => {
            let mut report = Report::new(
                control_id,
                resource,
                Outcome::Ticket {
                    reason: error.to_string(),
                },
            );
            if let RemediationError::NoSession { location, .. } = error {
                report.location = Some(location);
            }
            report
        }
    }
}

/// Runs `remediation` on `finding` in `ctx`.
///
/// Never fails: every error gives [`Outcome::Ticket`] with the error, and a
/// destructive remediation that `ctx.settings.destructive_controls` does not
/// allow gives [`Outcome::Ticket`] with the plan, so a person can carry it
/// out. A resource that is gone gives [`Outcome::Suppress`] only when `ctx`
/// is the finding's own account and Region ([`Location::of_finding`]): "not
/// found" anywhere else says nothing about the resource, so it is a ticket.
pub async fn remediate(
    remediation: &dyn Remediation,
    ctx: &Context,
    finding: &Finding,
    mode: Mode,
) -> Report {
    let meta = remediation.meta();
    let control_id = finding
        .control_id()
        .unwrap_or_else(|| meta.ids.first().copied().unwrap_or("?"));
    let mut report = Report::new(control_id, None, Outcome::Planned);
    report.location = Some(ctx.location().clone());
    let gone = |error: &RemediationError, when: &str| -> Outcome {
        match Location::of_finding(finding, Some(meta.resource_type)) {
            Ok(own) if own == *ctx.location() => Outcome::Suppress {
                reason: format!("the resource {when} ({error})"),
            },
            Ok(own) => Outcome::Ticket {
                reason: format!(
                    "the resource was not found in {}, but the finding is about {own}, so its absence proves nothing ({error})",
                    ctx.location()
                ),
            },
            Err(location) => Outcome::Ticket {
                reason: format!(
                    "the resource was not found in {}, and the finding does not say where it is ({location})",
                    ctx.location()
                ),
            },
        }
    };
    let plan = match remediation.plan(ctx, finding).await {
        Ok(plan) => plan,
        Err(error) if error.is_not_found() => {
            report.outcome = gone(&error, "no longer exists");
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
        PlanState::NotYet { until, .. } => {
            report.outcome = Outcome::ReconsiderLater {
                until: until.clone(),
            };
            return report;
        }
        PlanState::NeedsChanges => {}
    }
    if mode == Mode::DryRun {
        return report;
    }
    if meta.destructive && !ctx.settings.destructive_controls.allows(control_id) {
        let steps: Vec<String> = plan
            .changes
            .iter()
            .map(|c| format!("{} ({})", c.description, c.action))
            .collect();
        report.outcome = Outcome::Ticket {
            reason: format!(
                "{control_id} is destructive and destructive_controls does not allow it; to fix {} by hand: {}",
                plan.resource,
                steps.join("; ")
            ),
        };
        return report;
    }
    let applied = match remediation.apply(ctx, &plan).await {
        Ok(outcome) => outcome,
        Err(error) if error.is_not_found() => {
            report.outcome = gone(&error, "disappeared during the remediation");
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
    report.outcome = match verify(remediation, ctx, finding).await {
        Ok(true) => Outcome::Remediated { actions_taken },
        Ok(false) => Outcome::Ticket {
            reason: format!(
                "the changes were made ({}) but the control still fails after {} read(s)",
                actions_taken.join("; "),
                ctx.settings.verify_attempts.max(1)
            ),
        },
        Err(error) => Outcome::Ticket {
            reason: format!("the changes were made but could not be verified: {error}"),
        },
    };
    report
}

/// Reads until `verify` passes, up to `verify_attempts` times, waiting
/// between reads with the configuration's sleep (tests inject an instant
/// one): a write is not always visible at once to the next read.
async fn verify(
    remediation: &dyn Remediation,
    ctx: &Context,
    finding: &Finding,
) -> Result<bool, RemediationError> {
    let attempts = ctx.settings.verify_attempts.max(1);
    for read in 1..=attempts {
        if read > 1 && !ctx.pause(ctx.settings.verify_delay(read)).await {
            break;
        }
        if remediation.verify(ctx, finding).await? {
            return Ok(true);
        }
        tracing::debug!(read, attempts, "the fix is not visible yet");
    }
    Ok(false)
}

impl Serialize for Report {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("control_id", &self.control_id)?;
        map.serialize_entry("resource", &self.resource)?;
        if let Some(location) = &self.location {
            map.serialize_entry("account_id", &location.account_id)?;
            map.serialize_entry("region", &location.region)?;
        }
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
    use std::sync::Arc;
    use std::time::Duration;

    use async_trait::async_trait;
    use aws_smithy_async::rt::sleep::SharedAsyncSleep;
    use aws_smithy_async::test_util::InstantSleep;
    use aws_types::SdkConfig;
    use soar_asff::Resource;
    use soar_core::aws::AmbientSessions;
    use soar_core::error_class::ErrorClass;
    use soar_core::DestructiveControls;

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

    /// Plans a deletion; counts plans, applies and verify reads; fails or
    /// passes as told.
    #[derive(Default)]
    struct Deleter {
        planned: AtomicUsize,
        applied: AtomicUsize,
        reads: AtomicUsize,
        /// The verify read that first passes; 0: none does.
        passes_on_read: usize,
        plan_fails: Option<ErrorClass>,
        apply_fails: Option<ErrorClass>,
    }

    fn failure(operation: &'static str, class: ErrorClass) -> RemediationError {
        RemediationError::Aws {
            operation,
            class,
            message: format!("{operation} said {class}"),
        }
    }

    #[async_trait]
    impl Remediation for Deleter {
        fn meta(&self) -> &'static ControlMeta {
            &META
        }
        async fn plan(&self, _ctx: &Context, _finding: &Finding) -> Result<Plan, RemediationError> {
            self.planned.fetch_add(1, Ordering::SeqCst);
            if let Some(class) = self.plan_fails {
                return Err(failure("DescribeThing", class));
            }
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
            if let Some(class) = self.apply_fails {
                return Err(failure("DeleteThing", class));
            }
            Ok(Outcome::Remediated {
                actions_taken: vec![format!("Deleted {}.", plan.resource)],
            })
        }
        async fn verify(
            &self,
            _ctx: &Context,
            _finding: &Finding,
        ) -> Result<bool, RemediationError> {
            let read = self.reads.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(self.passes_on_read != 0 && read >= self.passes_on_read)
        }
    }

    fn passing() -> Deleter {
        Deleter {
            passes_on_read: 1,
            ..Deleter::default()
        }
    }

    fn allowing(ids: &[&str]) -> Settings {
        Settings {
            destructive_controls: DestructiveControls::new(ids.iter().copied()).unwrap(),
            ..Settings::default()
        }
    }

    fn here() -> Location {
        Location::new("111111111111", "eu-west-1", "aws")
    }

    fn sdk(sleep: &InstantSleep) -> SdkConfig {
        SdkConfig::builder()
            .sleep_impl(SharedAsyncSleep::new(sleep.clone()))
            .build()
    }

    fn ctx_in(location: Location, settings: Settings, sleep: &InstantSleep) -> Context {
        Context::new(sdk(sleep), location).with_settings(settings)
    }

    fn ctx(settings: Settings) -> Context {
        ctx_in(here(), settings, &InstantSleep::unlogged())
    }

    /// A TEST.1 finding about `thing-1` in account 111111111111, eu-west-1.
    fn finding() -> Finding {
        Finding {
            id: "f-1".into(),
            generator_id: "security-control/TEST.1".into(),
            aws_account_id: "111111111111".into(),
            region: Some("eu-west-1".into()),
            resources: vec![Resource {
                resource_type: "Other".into(),
                id: "thing-1".into(),
                region: Some("eu-west-1".into()),
                ..Resource::default()
            }],
            ..Finding::default()
        }
    }

    #[tokio::test]
    async fn destructive_control_is_ticketed_with_its_plan_unless_allowed_for_its_id() {
        let control = passing();
        for settings in [Settings::default(), allowing(&["TEST.2"])] {
            let report = remediate(&control, &ctx(settings), &finding(), Mode::Apply).await;
            let Outcome::Ticket { reason } = &report.outcome else {
                panic!("{report:?}")
            };
            assert!(
                reason.contains("TEST.1 is destructive")
                    && reason.contains("delete the unused thing-1 (test:Delete)"),
                "{reason}"
            );
        }
        assert_eq!(control.applied.load(Ordering::SeqCst), 0);

        let report = remediate(
            &control,
            &ctx(allowing(&["test.1"])),
            &finding(),
            Mode::Apply,
        )
        .await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(control.applied.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn verify_reads_again_with_capped_delays_before_it_gives_up() {
        let control = Deleter::default();
        let sleep = InstantSleep::unlogged();
        let settings = Settings {
            verify_attempts: 4,
            verify_delay_ms: 100,
            verify_max_delay_ms: 250,
            ..allowing(&["TEST.1"])
        };
        let report = remediate(
            &control,
            &ctx_in(here(), settings, &sleep),
            &finding(),
            Mode::Apply,
        )
        .await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("Deleted thing-1") && reason.contains("after 4 read(s)")),
            "{report:?}"
        );
        assert_eq!(report.actions_taken, ["Deleted thing-1."]);
        assert_eq!(control.reads.load(Ordering::SeqCst), 4);
        assert_eq!(
            sleep.logs(),
            [100, 200, 250].map(Duration::from_millis).to_vec()
        );
    }

    #[tokio::test]
    async fn a_fix_that_shows_on_the_second_read_is_remediated() {
        let control = Deleter {
            passes_on_read: 2,
            ..Deleter::default()
        };
        let sleep = InstantSleep::unlogged();
        let report = remediate(
            &control,
            &ctx_in(here(), allowing(&["TEST.1"]), &sleep),
            &finding(),
            Mode::Apply,
        )
        .await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(control.reads.load(Ordering::SeqCst), 2);
        assert_eq!(sleep.logs(), [Duration::from_millis(500)]);
    }

    #[tokio::test]
    async fn dry_run_plans_and_applies_nothing() {
        let control = passing();
        let report = remediate(
            &control,
            &ctx(allowing(&["TEST.1"])),
            &finding(),
            Mode::DryRun,
        )
        .await;
        assert_eq!(report.outcome, Outcome::Planned);
        assert_eq!(report.changes.len(), 1);
        assert_eq!(control.applied.load(Ordering::SeqCst), 0);
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["outcome"], "planned");
        assert_eq!(json["changes"][0]["action"], "test:Delete");
        assert_eq!(
            (json["account_id"].as_str(), json["region"].as_str()),
            (Some("111111111111"), Some("eu-west-1"))
        );
    }

    #[tokio::test]
    async fn not_found_in_the_findings_own_place_is_suppressed() {
        let control = Deleter {
            plan_fails: Some(ErrorClass::NotFound),
            ..Deleter::default()
        };
        let report = remediate(&control, &ctx(Settings::default()), &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason }
                if reason.contains("no longer exists") && reason.contains("DescribeThing failed (not found)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn not_found_in_another_region_or_account_is_a_ticket_naming_both() {
        for elsewhere in [
            Location::new("111111111111", "us-east-1", "aws"),
            Location::new("999999999999", "eu-west-1", "aws"),
        ] {
            let control = Deleter {
                plan_fails: Some(ErrorClass::NotFound),
                ..Deleter::default()
            };
            let ctx = ctx_in(
                elsewhere.clone(),
                Settings::default(),
                &InstantSleep::unlogged(),
            );
            let report = remediate(&control, &ctx, &finding(), Mode::Apply).await;
            let Outcome::Ticket { reason } = &report.outcome else {
                panic!("a lookup in {elsewhere} must not suppress: {report:?}")
            };
            assert!(
                reason.contains(&format!("not found in {elsewhere}"))
                    && reason.contains("account 111111111111 in eu-west-1"),
                "{reason}"
            );
        }
    }

    #[tokio::test]
    async fn a_finding_that_does_not_say_where_its_resource_is_is_never_suppressed() {
        let control = Deleter {
            plan_fails: Some(ErrorClass::NotFound),
            ..Deleter::default()
        };
        let mut finding = finding();
        finding.region = None;
        finding.resources[0].region = None;
        let report = remediate(&control, &ctx(Settings::default()), &finding, Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains("does not say where")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_resource_deleted_between_plan_and_apply_is_suppressed() {
        let control = Deleter {
            apply_fails: Some(ErrorClass::NotFound),
            ..Deleter::default()
        };
        let report = remediate(
            &control,
            &ctx(allowing(&["TEST.1"])),
            &finding(),
            Mode::Apply,
        )
        .await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason }
                if reason.contains("disappeared during the remediation") && reason.contains("DeleteThing")),
            "{report:?}"
        );
        assert_eq!(control.applied.load(Ordering::SeqCst), 1);
        assert_eq!(control.reads.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_denied_apply_is_a_ticket_with_the_operation_and_class() {
        let control = Deleter {
            apply_fails: Some(ErrorClass::AccessDenied),
            ..Deleter::default()
        };
        let report = remediate(
            &control,
            &ctx(allowing(&["TEST.1"])),
            &finding(),
            Mode::Apply,
        )
        .await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("DeleteThing failed (access denied)")),
            "{report:?}"
        );
    }

    fn registry_with(control: Deleter) -> (Registry, Arc<Deleter>) {
        struct Shared(Arc<Deleter>);
        #[async_trait]
        impl Remediation for Shared {
            fn meta(&self) -> &'static ControlMeta {
                self.0.meta()
            }
            async fn plan(&self, ctx: &Context, f: &Finding) -> Result<Plan, RemediationError> {
                self.0.plan(ctx, f).await
            }
            async fn apply(&self, ctx: &Context, p: &Plan) -> Result<Outcome, RemediationError> {
                self.0.apply(ctx, p).await
            }
            async fn verify(&self, ctx: &Context, f: &Finding) -> Result<bool, RemediationError> {
                self.0.verify(ctx, f).await
            }
        }
        let control = Arc::new(control);
        let mut registry = Registry::empty();
        registry
            .register(Box::new(Shared(control.clone())))
            .unwrap();
        (registry, control)
    }

    fn contexts_for(account: &str) -> ContextFactory {
        let sessions = AmbientSessions::new(sdk(&InstantSleep::unlogged()), account);
        ContextFactory::new(Arc::new(sessions)).with_settings(allowing(&["TEST.1"]))
    }

    #[tokio::test]
    async fn remediate_finding_acts_in_the_findings_account_and_region() {
        let (registry, control) = registry_with(passing());
        let report = remediate_finding(
            &registry,
            &contexts_for("111111111111"),
            &finding(),
            Mode::Apply,
        )
        .await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(report.location, Some(here()));
        assert_eq!(control.applied.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn an_account_without_a_session_is_a_ticket_and_nothing_runs() {
        let (registry, control) = registry_with(passing());
        let report = remediate_finding(
            &registry,
            &contexts_for("222222222222"),
            &finding(),
            Mode::Apply,
        )
        .await;
        let Outcome::Ticket { reason } = &report.outcome else {
            panic!("{report:?}")
        };
        assert!(
            reason.contains("account 111111111111")
                && reason.contains("hold credentials for account 222222222222 only"),
            "{reason}"
        );
        assert_eq!(report.location, Some(here()));
        assert_eq!(control.planned.load(Ordering::SeqCst), 0);
        assert_eq!(control.applied.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn findings_without_a_remediation_or_a_control_are_tickets() {
        let (registry, _) = registry_with(passing());
        let contexts = contexts_for("111111111111");
        let mut other = finding();
        other.generator_id = "security-control/EC2.999".into();
        let report = remediate_finding(&registry, &contexts, &other, Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains("no automatic remediation for control EC2.999")),
            "{report:?}"
        );
        other.generator_id = "arn:aws:guardduty:eu-west-1:111111111111:detector/d".into();
        let report = remediate_finding(&registry, &contexts, &other, Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains("names no control ID")),
            "{report:?}"
        );
    }

    #[test]
    fn outcomes_serialize_with_the_names_the_cli_prints() {
        let outcomes = [
            Outcome::Remediated {
                actions_taken: vec![],
            },
            Outcome::AlreadyCompliant,
            Outcome::Suppress { reason: "r".into() },
            Outcome::ReconsiderLater { until: "t".into() },
            Outcome::Ticket { reason: "r".into() },
            Outcome::Planned,
        ];
        let names: Vec<&str> = outcomes.iter().map(Outcome::name).collect();
        assert_eq!(
            names,
            [
                "remediated",
                "already_compliant",
                "suppressed",
                "reconsider_later",
                "ticket",
                "planned"
            ]
        );
        for outcome in outcomes {
            let json = serde_json::to_value(&outcome).unwrap();
            assert_eq!(json["outcome"], outcome.name(), "{json}");
            assert_eq!(serde_json::from_value::<Outcome>(json).unwrap(), outcome);
        }
    }
}
