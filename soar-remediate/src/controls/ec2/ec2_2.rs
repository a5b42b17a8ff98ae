//! EC2.2: a VPC's default security group allows no traffic in or out.
//!
//! Removing the default group's rules cuts off whatever still uses it, so
//! the group is changed only when nothing does: no instance (every page of
//! `DescribeInstances`, since EC2 may answer an empty page with a next
//! token) and no network interface (which also covers Lambda functions,
//! RDS instances, load balancers and endpoints placed in the group). A
//! group in use is a ticket that names what uses it; moving those to a
//! group of their own is for their owners.

use async_trait::async_trait;
use aws_sdk_ec2::types::SecurityGroup;
use soar_asff::Finding;

use super::{ec2_id, group_users, security_group};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What EC2.2 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["EC2.2"],
    title: "VPC default security groups do not allow inbound or outbound traffic",
    service: Service::Ec2,
    resource_type: "AwsEc2SecurityGroup",
    iam_actions: &[
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeInstances",
        "ec2:DescribeNetworkInterfaces",
        "ec2:RevokeSecurityGroupIngress",
        "ec2:RevokeSecurityGroupEgress",
    ],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(EmptyDefaultGroup)
}

/// Removes every ingress and egress rule of an unused default group.
pub(crate) struct EmptyDefaultGroup;

fn has_rules(group: &SecurityGroup) -> bool {
    !group.ip_permissions().is_empty() || !group.ip_permissions_egress().is_empty()
}

#[async_trait]
impl Remediation for EmptyDefaultGroup {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let group_id = ec2_id(finding, &META)?;
        let group = security_group(ctx, &group_id).await?;
        if !has_rules(&group) {
            return Ok(Plan::compliant(control, group_id));
        }
        if group.group_name() != Some("default") {
            return Err(RemediationError::UnsupportedFinding {
                control_id: control.to_owned(),
                reason: format!(
                    "{group_id} is {:?}, not a VPC's default security group",
                    group.group_name().unwrap_or_default()
                ),
            });
        }
        let in_use = group_users(ctx, &group_id).await?;
        if !in_use.is_empty() {
            return Err(RemediationError::CannotFix {
                control_id: control.to_owned(),
                reason: format!(
                    "the default security group {group_id} is in use ({}); removing its rules would cut that off, so move it to a group of its own first",
                    in_use.join(", ")
                ),
            });
        }
        let mut changes = Vec::new();
        if !group.ip_permissions().is_empty() {
            changes.push(Plan::change(
                "ec2:RevokeSecurityGroupIngress",
                format!("remove the {} ingress rule(s) of {group_id}", group.ip_permissions().len()),
            ));
        }
        if !group.ip_permissions_egress().is_empty() {
            changes.push(Plan::change(
                "ec2:RevokeSecurityGroupEgress",
                format!(
                    "remove the {} egress rule(s) of {group_id}",
                    group.ip_permissions_egress().len()
                ),
            ));
        }
        Ok(Plan::changes(control, group_id, changes, serde_json::Value::Null))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        // The rules as they are now: whatever was added since the plan goes
        // too, since the control wants none.
        let group = security_group(ctx, &plan.resource).await?;
        let mut actions_taken = Vec::new();
        if !group.ip_permissions().is_empty() {
            ctx.ec2()
                .revoke_security_group_ingress()
                .group_id(&plan.resource)
                .set_ip_permissions(Some(group.ip_permissions().to_vec()))
                .send()
                .await
                .map_err(|e| RemediationError::aws("RevokeSecurityGroupIngress", &e))?;
            actions_taken.push(format!(
                "Removed the {} ingress rule(s) of default security group {}.",
                group.ip_permissions().len(),
                plan.resource
            ));
        }
        if !group.ip_permissions_egress().is_empty() {
            ctx.ec2()
                .revoke_security_group_egress()
                .group_id(&plan.resource)
                .set_ip_permissions(Some(group.ip_permissions_egress().to_vec()))
                .send()
                .await
                .map_err(|e| RemediationError::aws("RevokeSecurityGroupEgress", &e))?;
            actions_taken.push(format!(
                "Removed the {} egress rule(s) of default security group {}.",
                group.ip_permissions_egress().len(),
                plan.resource
            ));
        }
        Ok(Outcome::Remediated { actions_taken })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        Ok(!has_rules(&security_group(ctx, &ec2_id(finding, &META)?).await?))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::operation::describe_instances::DescribeInstancesOutput;
    use aws_sdk_ec2::operation::describe_network_interfaces::DescribeNetworkInterfacesOutput;
    use aws_sdk_ec2::operation::describe_security_groups::{
        DescribeSecurityGroupsError, DescribeSecurityGroupsOutput,
    };
    use aws_sdk_ec2::operation::revoke_security_group_egress::RevokeSecurityGroupEgressOutput;
    use aws_sdk_ec2::operation::revoke_security_group_ingress::{
        RevokeSecurityGroupIngressError, RevokeSecurityGroupIngressOutput,
    };
    use aws_sdk_ec2::types::{
        Instance, IpPermission, NetworkInterface, Reservation, UserIdGroupPair,
    };
    use aws_sdk_ec2::Client;

    use super::super::sg_testing::{finding, rule, GROUP};
    use super::*;
    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, aws_error, mock, mock_context, Rule,
        RuleMode,
    };
    use crate::{remediate, Mode, Report};

    /// The rules EC2 gives every new default group: all traffic from the
    /// group itself in, all traffic to anywhere out.
    fn ingress() -> IpPermission {
        IpPermission::builder()
            .ip_protocol("-1")
            .user_id_group_pairs(UserIdGroupPair::builder().group_id(GROUP).build())
            .build()
    }

    fn egress() -> IpPermission {
        rule("-1", None, &["0.0.0.0/0"])
    }

    fn group(name: &str, rules: bool) -> DescribeSecurityGroupsOutput {
        let mut group = SecurityGroup::builder().group_id(GROUP).group_name(name);
        if rules {
            group = group.ip_permissions(ingress()).ip_permissions_egress(egress());
        }
        DescribeSecurityGroupsOutput::builder().security_groups(group.build()).build()
    }

    /// The default group with its rules for the plan and apply, then empty.
    fn described() -> Rule {
        mock!(Client::describe_security_groups)
            .match_requests(|r| r.group_ids() == [GROUP])
            .sequence()
            .output(|| group("default", true))
            .times(2)
            .output(|| group("default", false))
            .repeatedly()
            .build()
    }

    /// No instance uses the group, after a first empty page with a token.
    fn no_instances() -> Rule {
        mock!(Client::describe_instances)
            .sequence()
            .output(|| DescribeInstancesOutput::builder().next_token("more").build())
            .output(|| DescribeInstancesOutput::builder().build())
            .build()
    }

    fn no_interfaces() -> Rule {
        mock!(Client::describe_network_interfaces)
            .match_requests(|r| {
                r.filters().iter().any(|f| f.name() == Some("group-id") && f.values() == [GROUP])
            })
            .then_output(|| DescribeNetworkInterfacesOutput::builder().build())
    }

    fn revoke_ingress() -> Rule {
        mock!(Client::revoke_security_group_ingress)
            .match_requests(|r| r.group_id() == Some(GROUP) && r.ip_permissions() == [ingress()])
            .then_output(|| RevokeSecurityGroupIngressOutput::builder().r#return(true).build())
    }

    fn revoke_egress() -> Rule {
        mock!(Client::revoke_security_group_egress)
            .match_requests(|r| r.group_id() == Some(GROUP) && r.ip_permissions() == [egress()])
            .then_output(|| RevokeSecurityGroupEgressOutput::builder().r#return(true).build())
    }

    async fn run(rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        remediate(&EmptyDefaultGroup, &ctx, &finding("EC2.2"), Mode::Apply).await
    }

    #[tokio::test]
    async fn empties_an_unused_default_group_after_every_page() {
        let (d, i, n, ri, re) = (described(), no_instances(), no_interfaces(), revoke_ingress(), revoke_egress());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &i, &n, &ri, &re]);
        let report = remediate(&EmptyDefaultGroup, &ctx, &finding("EC2.2"), Mode::Apply).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!((ri.num_calls(), re.num_calls()), (1, 1));
        assert_eq!(i.num_calls(), 2, "both pages of DescribeInstances are read");
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn a_group_in_use_is_a_ticket_naming_its_users_and_is_not_changed() {
        let d = described();
        let used_by_instance = mock!(Client::describe_instances)
            .sequence()
            .output(|| DescribeInstancesOutput::builder().next_token("more").build())
            .output(|| {
                DescribeInstancesOutput::builder()
                    .reservations(
                        Reservation::builder()
                            .instances(Instance::builder().instance_id("i-0abc").build())
                            .build(),
                    )
                    .build()
            })
            .build();
        let used_by_lambda = mock!(Client::describe_network_interfaces).then_output(|| {
            DescribeNetworkInterfacesOutput::builder()
                .network_interfaces(
                    NetworkInterface::builder()
                        .network_interface_id("eni-1")
                        .description("AWS Lambda VPC ENI-orders")
                        .build(),
                )
                .build()
        });
        let (ri, re) = (revoke_ingress(), revoke_egress());
        let report = run(&[&d, &used_by_instance, &used_by_lambda, &ri, &re]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("instance i-0abc")
                    && reason.contains("network interface eni-1 (AWS Lambda VPC ENI-orders)")),
            "{report:?}"
        );
        assert_eq!((ri.num_calls(), re.num_calls()), (0, 0));
    }

    #[tokio::test]
    async fn an_empty_default_group_gets_no_write() {
        let d = mock!(Client::describe_security_groups).then_output(|| group("default", false));
        let ri = revoke_ingress();
        assert_eq!(run(&[&d, &ri]).await.outcome, Outcome::AlreadyCompliant);
        assert_eq!(ri.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_group_that_is_not_a_default_group_is_refused() {
        let d = mock!(Client::describe_security_groups).then_output(|| group("web", true));
        let report = run(&[&d]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains("not a VPC's default security group")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_deleted_group_is_suppressed() {
        let missing = mock!(Client::describe_security_groups).then_error(|| {
            DescribeSecurityGroupsError::generic(aws_error("InvalidGroup.NotFound", "gone"))
        });
        let report = run(&[&missing]).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("InvalidGroup.NotFound")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_denied_revocation_is_a_ticket() {
        let (d, i, n) = (described(), no_instances(), no_interfaces());
        let denied = mock!(Client::revoke_security_group_ingress).then_error(|| {
            RevokeSecurityGroupIngressError::generic(aws_error("UnauthorizedOperation", "no"))
        });
        let report = run(&[&d, &i, &n, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("RevokeSecurityGroupIngress failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_revocation_is_retried() {
        let (d, i, n, re) = (described(), no_instances(), no_interfaces(), revoke_egress());
        let throttled = mock!(Client::revoke_security_group_ingress)
            .match_requests(|r| r.ip_permissions() == [ingress()])
            .sequence()
            .error(|| RevokeSecurityGroupIngressError::generic(aws_error("RequestLimitExceeded", "slow")))
            .output(|| RevokeSecurityGroupIngressOutput::builder().r#return(true).build())
            .build();
        let report = run(&[&d, &i, &n, &throttled, &re]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(throttled.num_calls(), 2);
    }
}
