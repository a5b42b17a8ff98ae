//! EC2.22: delete a security group nothing uses, once it has been unused
//! for 24 hours (destructive).
//!
//! The finding says since when the group has failed the control: its
//! `FirstObservedAt` (else `CreatedAt`) is when Security Hub first saw it
//! unused. Before 24 hours have passed since then, the outcome is
//! `ReconsiderLater` at the time the group becomes due. When it is due,
//! the group is checked again (every page of instances and network
//! interfaces): a group in use passes the control and is left alone. A
//! VPC's default group cannot be deleted and is exempt. A group that other
//! groups' rules still reference is refused by EC2 (`DependencyViolation`),
//! which becomes a ticket with that reason.

use async_trait::async_trait;
use soar_asff::Finding;

use super::{due_after, ec2_id, group_users, security_group};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What EC2.22 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["EC2.22"],
    title: "Unused EC2 security groups are removed",
    service: Service::Ec2,
    resource_type: "AwsEc2SecurityGroup",
    iam_actions: &[
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeInstances",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DeleteSecurityGroup",
    ],
    destructive: true,
    exemption_tag: None,
};

/// How long a group must have been unused before it is deleted.
const UNUSED_FOR_SECONDS: i64 = 24 * 3_600;

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(DeleteUnusedGroup)
}

/// Deletes the security group.
pub(crate) struct DeleteUnusedGroup;

#[async_trait]
impl Remediation for DeleteUnusedGroup {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let group_id = ec2_id(finding, &META)?;
        let group = security_group(ctx, &group_id).await?;
        if group.group_name() == Some("default") {
            return Ok(Plan::exempt(
                control,
                group_id,
                "a VPC's default security group cannot be deleted (EC2.2 empties it instead)",
            ));
        }
        let due = due_after(finding, control, UNUSED_FOR_SECONDS)?;
        if ctx.now() < due {
            return Ok(Plan::not_yet(
                control,
                group_id,
                due,
                "a security group is deleted only after 24 hours unused",
            ));
        }
        if !group_users(ctx, &group_id).await?.is_empty() {
            return Ok(Plan::compliant(control, group_id));
        }
        let name = group.group_name().unwrap_or_default();
        let change = Plan::change(
            "ec2:DeleteSecurityGroup",
            format!("delete the unused security group {group_id} ({name})"),
        );
        Ok(Plan::changes(control, group_id, vec![change], serde_json::Value::Null))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        ctx.ec2()
            .delete_security_group()
            .group_id(&plan.resource)
            .send()
            .await
            .map_err(|e| RemediationError::aws("DeleteSecurityGroup", &e))?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!("Deleted the unused security group {}.", plan.resource)],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        match security_group(ctx, &ec2_id(finding, &META)?).await {
            Err(error) if error.is_not_found() => Ok(true),
            Ok(_) => Ok(false),
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::operation::delete_security_group::{
        DeleteSecurityGroupError, DeleteSecurityGroupOutput,
    };
    use aws_sdk_ec2::operation::describe_instances::DescribeInstancesOutput;
    use aws_sdk_ec2::operation::describe_network_interfaces::DescribeNetworkInterfacesOutput;
    use aws_sdk_ec2::operation::describe_security_groups::{
        DescribeSecurityGroupsError, DescribeSecurityGroupsOutput,
    };
    use aws_sdk_ec2::types::{NetworkInterface, SecurityGroup};
    use aws_sdk_ec2::Client;
    use soar_core::DestructiveControls;

    use soar_core::Timestamp;

    use super::super::sg_testing::{finding, GROUP};
    use super::*;
    use crate::testkit::{
        assert_fixed_once,         aws_error, mock, mock_context, Rule,
        RuleMode,
    };
    use crate::{remediate, Mode, Report, Settings};

    const FIRST_SEEN: &str = "2026-11-01T00:00:00Z";

    /// `hours` after the finding was first seen.
    fn later(hours: i64) -> Timestamp {
        Timestamp(Timestamp::parse(FIRST_SEEN).unwrap().0 + hours * 3_600)
    }

    fn seen_finding() -> Finding {
        let mut finding = finding("EC2.22");
        finding.first_observed_at = Some(FIRST_SEEN.to_owned());
        finding
    }

    fn group(name: &str) -> DescribeSecurityGroupsOutput {
        DescribeSecurityGroupsOutput::builder()
            .security_groups(SecurityGroup::builder().group_id(GROUP).group_name(name).build())
            .build()
    }

    /// The group for the plan; gone for every read after the delete.
    fn described() -> Rule {
        mock!(Client::describe_security_groups)
            .match_requests(|r| r.group_ids() == [GROUP])
            .sequence()
            .output(|| group("batch-old"))
            .error(|| DescribeSecurityGroupsError::generic(aws_error("InvalidGroup.NotFound", "deleted")))
            .repeatedly()
            .build()
    }

    fn unused() -> [Rule; 2] {
        [
            mock!(Client::describe_instances).then_output(|| DescribeInstancesOutput::builder().build()),
            mock!(Client::describe_network_interfaces)
                .then_output(|| DescribeNetworkInterfacesOutput::builder().build()),
        ]
    }

    fn delete() -> Rule {
        mock!(Client::delete_security_group)
            .match_requests(|r| r.group_id() == Some(GROUP))
            .then_output(|| DeleteSecurityGroupOutput::builder().build())
    }

    fn allowed() -> Settings {
        Settings {
            destructive_controls: DestructiveControls::new(["EC2.22"]).unwrap(),
            ..Settings::default()
        }
    }

    async fn run_at(now: Timestamp, settings: Settings, rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        let ctx = ctx.with_settings(settings).with_now(now);
        remediate(&DeleteUnusedGroup, &ctx, &seen_finding(), Mode::Apply).await
    }

    #[tokio::test]
    async fn deletes_a_group_unused_for_a_day_when_allowed() {
        let (d, [i, n], del) = (described(), unused(), delete());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &i, &n, &del]);
        let ctx = ctx.with_settings(allowed()).with_now(later(48));
        let report = remediate(&DeleteUnusedGroup, &ctx, &seen_finding(), Mode::Apply).await;
        assert_fixed_once(&META, &report, &del, &recorder);
    }

    #[tokio::test]
    async fn before_24_hours_it_is_reconsidered_when_due_and_nothing_is_read_further() {
        let (d, [i, n], del) = (described(), unused(), delete());
        let report = run_at(later(23), allowed(), &[&d, &i, &n, &del]).await;
        assert_eq!(
            report.outcome,
            Outcome::ReconsiderLater { until: "2026-11-02T00:00:00Z".to_owned() }
        );
        assert_eq!((i.num_calls(), del.num_calls()), (0, 0));
    }

    #[tokio::test]
    async fn unless_allowed_the_deletion_is_a_ticket_with_the_plan() {
        let (d, [i, n], del) = (described(), unused(), delete());
        let report = run_at(later(48), Settings::default(), &[&d, &i, &n, &del]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("destructive") && reason.contains(&format!("delete the unused security group {GROUP}"))),
            "{report:?}"
        );
        assert_eq!(del.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_group_in_use_again_passes_and_a_default_group_is_exempt() {
        let d = described();
        let used = mock!(Client::describe_network_interfaces).then_output(|| {
            DescribeNetworkInterfacesOutput::builder()
                .network_interfaces(NetworkInterface::builder().network_interface_id("eni-1").build())
                .build()
        });
        let no_instances =
            mock!(Client::describe_instances).then_output(|| DescribeInstancesOutput::builder().build());
        let del = delete();
        let report = run_at(later(48), allowed(), &[&d, &no_instances, &used, &del]).await;
        assert_eq!(report.outcome, Outcome::AlreadyCompliant);
        let default = mock!(Client::describe_security_groups).then_output(|| group("default"));
        let report = run_at(later(48), allowed(), &[&default, &del]).await;
        assert!(matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("cannot be deleted")), "{report:?}");
        assert_eq!(del.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_deleted_group_is_suppressed() {
        let missing = mock!(Client::describe_security_groups).then_error(|| {
            DescribeSecurityGroupsError::generic(aws_error("InvalidGroup.NotFound", "gone"))
        });
        let report = run_at(later(48), allowed(), &[&missing]).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("InvalidGroup.NotFound")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_denied_or_referenced_deletion_is_a_ticket_with_the_reason() {
        for (code, class) in [
            ("UnauthorizedOperation", "access denied"),
            ("DependencyViolation", "DependencyViolation"),
        ] {
            let (d, [i, n]) = (described(), unused());
            let refused = mock!(Client::delete_security_group)
                .then_error(move || DeleteSecurityGroupError::generic(aws_error(code, "no")));
            let report = run_at(later(48), allowed(), &[&d, &i, &n, &refused]).await;
            assert!(
                matches!(&report.outcome, Outcome::Ticket { reason }
                    if reason.contains("DeleteSecurityGroup failed") && reason.contains(class)),
                "{code}: {report:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_throttled_deletion_is_retried() {
        let (d, [i, n]) = (described(), unused());
        let throttled = mock!(Client::delete_security_group)
            .sequence()
            .error(|| DeleteSecurityGroupError::generic(aws_error("RequestLimitExceeded", "slow")))
            .output(|| DeleteSecurityGroupOutput::builder().build())
            .build();
        let report = run_at(later(48), allowed(), &[&d, &i, &n, &throttled]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(throttled.num_calls(), 2);
    }
}
