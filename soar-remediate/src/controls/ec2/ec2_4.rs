//! EC2.4: terminate an instance that has been stopped for 30 days
//! (destructive).
//!
//! The stop time is the one EC2 gives in the instance's
//! `StateTransitionReason` (`User initiated (2026-10-01 10:00:00 GMT)`);
//! when EC2 gives none, the finding's `FirstObservedAt` stands in. Before
//! 30 days the outcome is `ReconsiderLater` at the due time. A running
//! instance passes. Termination deletes the root volume and any volume set
//! to delete on termination, so the control runs only when
//! `destructive_controls` allows EC2.4; an instance with termination
//! protection is refused by EC2 (`OperationNotPermitted`), which becomes a
//! ticket with that reason.

use async_trait::async_trait;
use aws_sdk_ec2::types::{Instance, InstanceStateName};
use soar_asff::Finding;
use soar_core::Timestamp;

use super::{due_after, ec2_id, gone_instance, instance as describe};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What EC2.4 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["EC2.4"],
    title: "Stopped EC2 instances are removed after a specified time period",
    service: Service::Ec2,
    resource_type: "AwsEc2Instance",
    iam_actions: &["ec2:DescribeInstances", "ec2:TerminateInstances"],
    destructive: true,
    exemption_tag: None,
};

/// How long an instance must have been stopped before it is terminated.
const STOPPED_FOR_SECONDS: i64 = 30 * 86_400;

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(TerminateLongStoppedInstance)
}

/// Terminates the instance.
pub(crate) struct TerminateLongStoppedInstance;

fn state(instance: &Instance) -> Option<&InstanceStateName> {
    instance.state().and_then(|s| s.name())
}

/// The stop time in `User initiated (2026-10-01 10:00:00 GMT)` (moto
/// writes `UTC`).
fn stopped_at(instance: &Instance) -> Option<Timestamp> {
    let reason = instance.state_transition_reason()?;
    let inside = reason.rsplit_once('(')?.1.strip_suffix(')')?;
    let utc = inside
        .strip_suffix(" GMT")
        .or_else(|| inside.strip_suffix(" UTC"))?;
    let (date, time) = utc.split_once(' ')?;
    Timestamp::parse(&format!("{date}T{time}Z")).ok()
}

#[async_trait]
impl Remediation for TerminateLongStoppedInstance {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let instance_id = ec2_id(finding, &META)?;
        let instance = describe(ctx, &instance_id).await?;
        match state(&instance) {
            Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown) => {
                return Err(gone_instance(&instance_id))
            }
            Some(InstanceStateName::Stopped) => {}
            _ => return Ok(Plan::compliant(control, instance_id)),
        }
        let due = match stopped_at(&instance) {
            Some(stopped) => Timestamp(stopped.0.saturating_add(STOPPED_FOR_SECONDS)),
            None => due_after(finding, control, STOPPED_FOR_SECONDS)?,
        };
        if ctx.now() < due {
            return Ok(Plan::not_yet(
                control,
                instance_id,
                due,
                "a stopped instance is terminated only after 30 days stopped",
            ));
        }
        let change = Plan::change(
            "ec2:TerminateInstances",
            format!("terminate instance {instance_id}, stopped since before {}", Timestamp(due.0 - STOPPED_FOR_SECONDS)),
        );
        Ok(Plan::changes(control, instance_id, vec![change], serde_json::Value::Null))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        ctx.ec2()
            .terminate_instances()
            .instance_ids(&plan.resource)
            .send()
            .await
            .map_err(|e| RemediationError::aws("TerminateInstances", &e))?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!("Terminated instance {}, stopped for over 30 days.", plan.resource)],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        match describe(ctx, &ec2_id(finding, &META)?).await {
            Err(error) if error.is_not_found() => Ok(true),
            Ok(instance) => Ok(matches!(
                state(&instance),
                Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown)
            )),
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::operation::describe_instances::{DescribeInstancesError, DescribeInstancesOutput};
    use aws_sdk_ec2::operation::terminate_instances::{TerminateInstancesError, TerminateInstancesOutput};
    use aws_sdk_ec2::types::{InstanceState, Reservation};
    use aws_sdk_ec2::Client;
    use soar_core::DestructiveControls;

    use super::*;
    use crate::testkit::{
        assert_fixed_once,         aws_error, finding_for, mock,
        mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode, Report, Settings};

    const INSTANCE: &str = "i-0123456789abcdef0";
    const STOPPED: &str = "2026-10-01T10:00:00Z";

    fn finding() -> Finding {
        finding_for(
            "EC2.4",
            "AwsEc2Instance",
            &format!("arn:aws:ec2:us-east-1:111111111111:instance/{INSTANCE}"),
        )
    }

    fn days_after_stop(days: i64) -> Timestamp {
        Timestamp(Timestamp::parse(STOPPED).unwrap().0 + days * 86_400)
    }

    fn instance(state: InstanceStateName) -> DescribeInstancesOutput {
        DescribeInstancesOutput::builder()
            .reservations(
                Reservation::builder()
                    .instances(
                        Instance::builder()
                            .instance_id(INSTANCE)
                            .state(InstanceState::builder().name(state).build())
                            .state_transition_reason("User initiated (2026-10-01 10:00:00 GMT)")
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    fn described(before: InstanceStateName, after: InstanceStateName) -> Rule {
        mock!(Client::describe_instances)
            .match_requests(|r| r.instance_ids() == [INSTANCE])
            .sequence()
            .output(move || instance(before.clone()))
            .output(move || instance(after.clone()))
            .repeatedly()
            .build()
    }

    fn terminate() -> Rule {
        mock!(Client::terminate_instances)
            .match_requests(|r| r.instance_ids() == [INSTANCE])
            .then_output(|| TerminateInstancesOutput::builder().build())
    }

    fn allowed() -> Settings {
        Settings {
            destructive_controls: DestructiveControls::new(["EC2.4"]).unwrap(),
            ..Settings::default()
        }
    }

    async fn run_at(now: Timestamp, settings: Settings, rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        remediate(&TerminateLongStoppedInstance, &ctx.with_settings(settings).with_now(now), &finding(), Mode::Apply).await
    }

    #[test]
    fn the_stop_time_comes_from_the_state_transition_reason() {
        let stopped = Instance::builder()
            .state_transition_reason("User initiated (2026-10-01 10:00:00 GMT)")
            .build();
        assert_eq!(stopped_at(&stopped), Some(Timestamp::parse(STOPPED).unwrap()));
        let utc = Instance::builder()
            .state_transition_reason("User initiated (2026-10-01 10:00:00 UTC)")
            .build();
        assert_eq!(stopped_at(&utc), Some(Timestamp::parse(STOPPED).unwrap()));
        let unknown = Instance::builder().state_transition_reason("Client.UserInitiatedShutdown").build();
        assert_eq!(stopped_at(&unknown), None);
    }

    #[tokio::test]
    async fn terminates_an_instance_stopped_for_30_days_when_allowed() {
        let (d, t) = (described(InstanceStateName::Stopped, InstanceStateName::ShuttingDown), terminate());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &t]);
        let ctx = ctx.with_settings(allowed()).with_now(days_after_stop(31));
        let report = remediate(&TerminateLongStoppedInstance, &ctx, &finding(), Mode::Apply).await;
        assert_fixed_once(&META, &report, &t, &recorder);
    }

    #[tokio::test]
    async fn before_30_days_it_is_reconsidered_and_unless_allowed_it_is_a_ticket() {
        let (d, t) = (described(InstanceStateName::Stopped, InstanceStateName::Stopped), terminate());
        let report = run_at(days_after_stop(10), allowed(), &[&d, &t]).await;
        assert_eq!(report.outcome, Outcome::ReconsiderLater { until: "2026-10-31T10:00:00Z".to_owned() });
        let report = run_at(days_after_stop(31), Settings::default(), &[&d, &t]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains("destructive") && reason.contains(INSTANCE)),
            "{report:?}"
        );
        assert_eq!(t.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_running_instance_gets_no_write() {
        let (d, t) = (described(InstanceStateName::Running, InstanceStateName::Running), terminate());
        assert_eq!(run_at(days_after_stop(31), allowed(), &[&d, &t]).await.outcome, Outcome::AlreadyCompliant);
        assert_eq!(t.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_terminated_or_missing_instance_is_suppressed() {
        let terminated = mock!(Client::describe_instances).then_output(|| instance(InstanceStateName::Terminated));
        let missing = mock!(Client::describe_instances).then_error(|| {
            DescribeInstancesError::generic(aws_error("InvalidInstanceID.NotFound", "gone"))
        });
        for rule in [&terminated, &missing] {
            let report = run_at(days_after_stop(31), allowed(), &[rule]).await;
            assert!(
                matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("InvalidInstanceID.NotFound")),
                "{report:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_denied_or_protected_termination_is_a_ticket_with_the_reason() {
        for (code, says) in [("UnauthorizedOperation", "access denied"), ("OperationNotPermitted", "OperationNotPermitted")] {
            let d = described(InstanceStateName::Stopped, InstanceStateName::Stopped);
            let refused = mock!(Client::terminate_instances)
                .then_error(move || TerminateInstancesError::generic(aws_error(code, "no")));
            let report = run_at(days_after_stop(31), allowed(), &[&d, &refused]).await;
            assert!(
                matches!(&report.outcome, Outcome::Ticket { reason }
                    if reason.contains("TerminateInstances failed") && reason.contains(says)),
                "{code}: {report:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_throttled_termination_is_retried() {
        let d = described(InstanceStateName::Stopped, InstanceStateName::ShuttingDown);
        let throttled = mock!(Client::terminate_instances)
            .sequence()
            .error(|| TerminateInstancesError::generic(aws_error("RequestLimitExceeded", "slow")))
            .output(|| TerminateInstancesOutput::builder().build())
            .build();
        let report = run_at(days_after_stop(31), allowed(), &[&d, &throttled]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(throttled.num_calls(), 2);
    }
}
