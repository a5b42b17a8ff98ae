//! EC2.6: turn on VPC flow logging into CloudWatch Logs.
//!
//! Each account and Region has one flow-log group
//! ([`Settings::ec2_flow_log_group`](crate::Settings::ec2_flow_log_group)),
//! created when missing, with its retention set
//! (`ec2_flow_log_retention_days`) so that logs do not grow without end.
//! Each account has one delivery role, `soar-vpc-flow-logs`: found by
//! name, created once, and reused by every VPC after. Its name is fixed,
//! and the IAM policy grants role actions on that name only: a remediation
//! that could create and pass any role could grant itself anything.

use async_trait::async_trait;
use aws_sdk_ec2::types::{FlowLog, FlowLogsResourceType, LogDestinationType, TrafficType};
use serde_json::json;
use soar_asff::Finding;

use super::ec2_id;
use crate::controls::control_id;
use crate::controls::service_role::{self, Role};
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What EC2.6 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["EC2.6"],
    title: "VPC flow logging is enabled in all VPCs",
    service: Service::Ec2,
    resource_type: "AwsEc2Vpc",
    iam_actions: &[
        "ec2:DescribeFlowLogs",
        "ec2:DescribeVpcs",
        "ec2:CreateFlowLogs",
        "iam:GetRole",
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "iam:PassRole",
        "logs:DescribeLogGroups",
        "logs:CreateLogGroup",
        "logs:PutRetentionPolicy",
    ],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(EnableFlowLogs)
}

/// Sends the VPC's flow logs to the account's flow-log group.
pub(crate) struct EnableFlowLogs;

/// The delivery role's name, the same in every account.
const ROLE: &str = "soar-vpc-flow-logs";

/// The VPC's flow logs that record rejected traffic, as Security Hub asks.
async fn recording(ctx: &Context, vpc_id: &str) -> Result<Vec<FlowLog>, RemediationError> {
    let output = ctx
        .ec2()
        .describe_flow_logs()
        .filter(
            aws_sdk_ec2::types::Filter::builder()
                .name("resource-id")
                .values(vpc_id)
                .build(),
        )
        .send()
        .await
        .map_err(|e| RemediationError::aws("DescribeFlowLogs", &e))?;
    Ok(output
        .flow_logs()
        .iter()
        .filter(|f| f.resource_id() == Some(vpc_id))
        .filter(|f| matches!(f.traffic_type(), Some(TrafficType::All | TrafficType::Reject)))
        .cloned()
        .collect())
}

/// The VPC itself, so that a deleted VPC is a not-found (suppressed) and
/// never a log group or role made for nothing.
async fn vpc_exists(ctx: &Context, vpc_id: &str) -> Result<(), RemediationError> {
    ctx.ec2()
        .describe_vpcs()
        .vpc_ids(vpc_id)
        .send()
        .await
        .map_err(|e| RemediationError::aws("DescribeVpcs", &e))?;
    Ok(())
}

/// Whether the log group exists (the outer `Option`), and its retention in
/// days (the inner one; `None` keeps events forever).
async fn log_group(ctx: &Context, name: &str) -> Result<Option<Option<i32>>, RemediationError> {
    let output = ctx
        .logs()
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .map_err(|e| RemediationError::aws("DescribeLogGroups", &e))?;
    Ok(output
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))
        .map(|g| g.retention_in_days()))
}

fn delivery_policy(partition: &str, account: &str, group: &str) -> serde_json::Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogGroups",
                "logs:DescribeLogStreams"
            ],
            "Resource": format!("arn:{partition}:logs:*:{account}:log-group:{group}:*")
        }]
    })
}

/// Creates the delivery role and its policy, and returns its ARN. A role
/// another run created meanwhile is used as is.
async fn create_role(
    ctx: &Context,
    group: &str,
    actions_taken: &mut Vec<String>,
) -> Result<String, RemediationError> {
    let description = "Delivers VPC flow logs to CloudWatch Logs (soar EC2.6)";
    let arn = match service_role::create_role(ctx, ROLE, "vpc-flow-logs.amazonaws.com", description).await? {
        Role::Existing(arn) => return Ok(arn),
        Role::Created(arn) => arn,
    };
    ctx.iam()
        .put_role_policy()
        .role_name(ROLE)
        .policy_name("deliver-flow-logs")
        .policy_document(delivery_policy(ctx.partition(), ctx.account_id(), group).to_string())
        .send()
        .await
        .map_err(|e| RemediationError::aws("PutRolePolicy", &e).about_another_resource())?;
    actions_taken.push(format!("Created the flow-logs delivery role {ROLE}."));
    Ok(arn)
}

#[async_trait]
impl Remediation for EnableFlowLogs {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let vpc_id = ec2_id(finding, &META)?;
        if !recording(ctx, &vpc_id).await?.is_empty() {
            return Ok(Plan::compliant(control, vpc_id));
        }
        vpc_exists(ctx, &vpc_id).await?;
        let settings = &ctx.settings;
        let traffic = settings.ec2_flow_log_traffic_type.as_str();
        // ACCEPT alone would never satisfy the control.
        if !matches!(traffic, "REJECT" | "ALL") {
            return Err(RemediationError::CannotFix {
                control_id: control.to_owned(),
                reason: format!(
                    "ec2_flow_log_traffic_type is {:?}; it must be REJECT or ALL",
                    settings.ec2_flow_log_traffic_type
                ),
            });
        }
        let group = settings.ec2_flow_log_group.clone();
        let days = settings.ec2_flow_log_retention_days;
        let role = service_role::role_arn(ctx, ROLE).await?;
        let existing = log_group(ctx, &group).await?;
        let mut changes = Vec::with_capacity(5);
        if role.is_none() {
            changes.push(Plan::change(
                "iam:CreateRole",
                format!("create the flow-logs delivery role {ROLE}, trusted by vpc-flow-logs.amazonaws.com"),
            ));
            changes.push(Plan::change(
                "iam:PutRolePolicy",
                format!("let {ROLE} write to log group {group}"),
            ));
        }
        if existing.is_none() {
            changes.push(Plan::change("logs:CreateLogGroup", format!("create log group {group}")));
        }
        if existing.flatten() != Some(days) {
            changes.push(Plan::change(
                "logs:PutRetentionPolicy",
                format!("keep the events of log group {group} for {days} days"),
            ));
        }
        changes.push(Plan::change(
            "ec2:CreateFlowLogs",
            format!("send the {} traffic flow logs of VPC {vpc_id} to log group {group}", traffic),
        ));
        Ok(Plan::changes(
            control,
            vpc_id,
            changes,
            json!({
                "role_arn": role,
                "log_group": group,
                "create_log_group": existing.is_none(),
                "retention_days": (existing.flatten() != Some(days)).then_some(days),
                "traffic_type": traffic,
            }),
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        let group = plan.data_str("log_group")?;
        let mut actions_taken = Vec::new();
        let role = match plan.data["role_arn"].as_str() {
            Some(arn) => arn.to_owned(),
            None => create_role(ctx, group, &mut actions_taken).await?,
        };
        if plan.data["create_log_group"] == json!(true) {
            match ctx.logs().create_log_group().log_group_name(group).send().await {
                Ok(_) => actions_taken.push(format!("Created log group {group}.")),
                // Made by another run since the plan: the same group.
                Err(e) if crate::error::code_of(&e) == Some("ResourceAlreadyExistsException") => {}
                Err(e) => return Err(RemediationError::aws("CreateLogGroup", &e)),
            }
        }
        if let Some(days) = plan.data["retention_days"].as_i64() {
            let days = i32::try_from(days).map_err(|_| RemediationError::InvalidPlan {
                control_id: plan.control_id.clone(),
                reason: format!("retention_days {days} is out of range"),
            })?;
            ctx.logs()
                .put_retention_policy()
                .log_group_name(group)
                .retention_in_days(days)
                .send()
                .await
                .map_err(|e| RemediationError::aws("PutRetentionPolicy", &e))?;
            actions_taken.push(format!("Log group {group} keeps events for {days} days."));
        }
        let created = ctx
            .ec2()
            .create_flow_logs()
            .resource_ids(&plan.resource)
            .resource_type(FlowLogsResourceType::Vpc)
            .traffic_type(TrafficType::from(plan.data_str("traffic_type")?))
            .log_destination_type(LogDestinationType::CloudWatchLogs)
            .log_group_name(group)
            .deliver_logs_permission_arn(&role)
            .send()
            .await
            .map_err(|e| RemediationError::aws("CreateFlowLogs", &e))?;
        // CreateFlowLogs reports a refused resource in its answer, not as
        // an error.
        if let Some(refused) = created.unsuccessful().first() {
            let why = refused.error().and_then(|e| e.message()).unwrap_or("no reason given");
            return Err(RemediationError::Aws {
                operation: "CreateFlowLogs",
                class: soar_core::error_class::ErrorClass::Other,
                message: format!("flow log for {} refused: {why}", plan.resource),
            });
        }
        actions_taken.push(format!(
            "VPC {} sends its flow logs to log group {group}.",
            plan.resource
        ));
        Ok(Outcome::Remediated { actions_taken })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        Ok(!recording(ctx, &ec2_id(finding, &META)?).await?.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput;
    use aws_sdk_cloudwatchlogs::operation::create_log_group::CreateLogGroupOutput;
    use aws_sdk_cloudwatchlogs::operation::put_retention_policy::PutRetentionPolicyOutput;
    use aws_sdk_cloudwatchlogs::types::LogGroup;
    use aws_sdk_cloudwatchlogs::Client as Logs;
    use aws_sdk_ec2::operation::create_flow_logs::{
        CreateFlowLogsError, CreateFlowLogsInput, CreateFlowLogsOutput,
    };
    use aws_sdk_ec2::operation::describe_flow_logs::DescribeFlowLogsOutput;
    use aws_sdk_ec2::operation::describe_vpcs::{DescribeVpcsError, DescribeVpcsOutput};
    use aws_sdk_ec2::Client as Ec2;
    use aws_sdk_iam::operation::create_role::CreateRoleOutput;
    use aws_sdk_iam::operation::get_role::{GetRoleError, GetRoleOutput};
    use aws_sdk_iam::operation::put_role_policy::PutRolePolicyOutput;
    use aws_sdk_iam::types::Role;
    use aws_sdk_iam::Client as Iam;

    use super::*;
    use crate::testkit::aws_smithy_mocks::MockResponse;
    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, aws_error, finding_for, mock,
        mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode, Report};

    const VPC: &str = "vpc-0123456789abcdef0";
    const ROLE_ARN: &str = "arn:aws:iam::111111111111:role/soar-vpc-flow-logs";

    fn finding() -> Finding {
        finding_for(
            "EC2.6",
            "AwsEc2Vpc",
            &format!("arn:aws:ec2:us-east-1:111111111111:vpc/{VPC}"),
        )
    }

    fn flow_logs(traffic: Option<TrafficType>) -> DescribeFlowLogsOutput {
        let mut output = DescribeFlowLogsOutput::builder();
        if let Some(traffic) = traffic {
            output = output.flow_logs(FlowLog::builder().resource_id(VPC).traffic_type(traffic).build());
        }
        output.build()
    }

    fn described(before: Option<TrafficType>, after: Option<TrafficType>) -> Rule {
        mock!(Ec2::describe_flow_logs)
            .match_requests(|r| {
                r.filter().iter().any(|f| f.name() == Some("resource-id") && f.values() == [VPC])
            })
            .sequence()
            .output(move || flow_logs(before.clone()))
            .output(move || flow_logs(after.clone()))
            .repeatedly()
            .build()
    }

    fn vpc() -> Rule {
        mock!(Ec2::describe_vpcs)
            .match_requests(|r| r.vpc_ids() == [VPC])
            .then_output(|| DescribeVpcsOutput::builder().build())
    }

    fn delivery_role() -> Role {
        Role::builder()
            .path("/")
            .role_name(ROLE)
            .role_id("AROA")
            .arn(ROLE_ARN)
            .create_date(aws_smithy_types::DateTime::from_secs(0))
            .build()
            .unwrap()
    }

    fn role(exists: bool) -> Rule {
        mock!(Iam::get_role)
            .match_requests(|r| r.role_name() == Some(ROLE))
            .then_compute_response(move |_| {
                if exists {
                    MockResponse::Output(GetRoleOutput::builder().role(delivery_role()).build())
                } else {
                    MockResponse::Error(GetRoleError::generic(aws_error(
                        "NoSuchEntity",
                        "The role with name soar-vpc-flow-logs cannot be found.",
                    )))
                }
            })
    }

    fn groups(retention: Option<Option<i32>>) -> Rule {
        mock!(Logs::describe_log_groups)
            .match_requests(|r| r.log_group_name_prefix() == Some("/soar/vpc-flow-logs"))
            .then_output(move || {
                let mut output = DescribeLogGroupsOutput::builder();
                if let Some(days) = retention {
                    output = output.log_groups(
                        LogGroup::builder()
                            .log_group_name("/soar/vpc-flow-logs")
                            .set_retention_in_days(days)
                            .build(),
                    );
                }
                output.build()
            })
    }

    fn create_role() -> Rule {
        mock!(Iam::create_role)
            .match_requests(|r| {
                r.role_name() == Some(ROLE)
                    && r.assume_role_policy_document().is_some_and(|p| {
                        let trust: serde_json::Value = serde_json::from_str(p).unwrap_or_default();
                        let statement = &trust["Statement"][0];
                        statement["Principal"]["Service"] == "vpc-flow-logs.amazonaws.com"
                            && statement["Condition"]["StringEquals"]["aws:SourceAccount"]
                                == "111111111111"
                    })
            })
            .then_output(|| CreateRoleOutput::builder().role(delivery_role()).build())
    }

    fn role_policy() -> Rule {
        mock!(Iam::put_role_policy)
            .match_requests(|r| {
                r.role_name() == Some(ROLE)
                    && r.policy_document().is_some_and(|p| {
                        serde_json::from_str::<serde_json::Value>(p).ok()
                            == Some(delivery_policy("aws", "111111111111", "/soar/vpc-flow-logs"))
                    })
            })
            .then_output(|| PutRolePolicyOutput::builder().build())
    }

    fn create_group() -> Rule {
        mock!(Logs::create_log_group)
            .match_requests(|r| r.log_group_name() == Some("/soar/vpc-flow-logs"))
            .then_output(|| CreateLogGroupOutput::builder().build())
    }

    fn retention() -> Rule {
        mock!(Logs::put_retention_policy)
            .match_requests(|r| {
                r.log_group_name() == Some("/soar/vpc-flow-logs") && r.retention_in_days() == Some(365)
            })
            .then_output(|| PutRetentionPolicyOutput::builder().build())
    }

    /// The flow log: the VPC, rejected traffic, into the group, delivered
    /// by the one role.
    fn creating(r: &CreateFlowLogsInput) -> bool {
        r.resource_ids() == [VPC]
            && r.resource_type() == Some(&FlowLogsResourceType::Vpc)
            && r.traffic_type() == Some(&TrafficType::Reject)
            && r.log_destination_type() == Some(&LogDestinationType::CloudWatchLogs)
            && r.log_group_name() == Some("/soar/vpc-flow-logs")
            && r.deliver_logs_permission_arn() == Some(ROLE_ARN)
    }

    fn create_flow_logs() -> Rule {
        mock!(Ec2::create_flow_logs)
            .match_requests(creating)
            .then_output(|| CreateFlowLogsOutput::builder().flow_log_ids("fl-1").build())
    }

    async fn run(rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        remediate(&EnableFlowLogs, &ctx, &finding(), Mode::Apply).await
    }

    #[tokio::test]
    async fn a_new_account_gets_the_role_and_group_once_then_the_flow_log() {
        let (d, v, r, g) = (described(None, Some(TrafficType::Reject)), vpc(), role(false), groups(None));
        let (cr, rp, cg, pr, fl) = (create_role(), role_policy(), create_group(), retention(), create_flow_logs());
        let (ctx, recorder) =
            mock_context(RuleMode::MatchAny, &[&d, &v, &r, &g, &cr, &rp, &cg, &pr, &fl]);
        let report = remediate(&EnableFlowLogs, &ctx, &finding(), Mode::Apply).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        let calls = [cr.num_calls(), rp.num_calls(), cg.num_calls(), pr.num_calls(), fl.num_calls()];
        assert_eq!(calls, [1; 5]);
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn the_role_and_group_are_reused_and_retention_is_set_when_it_differs() {
        let (d, v, r) = (described(None, Some(TrafficType::Reject)), vpc(), role(true));
        let (cr, cg, pr, fl) = (create_role(), create_group(), retention(), create_flow_logs());
        let kept_forever = groups(Some(None));
        let report = run(&[&d, &v, &r, &kept_forever, &cr, &cg, &pr, &fl]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!([cr.num_calls(), cg.num_calls(), pr.num_calls(), fl.num_calls()], [0, 0, 1, 1]);

        let (d, pr, fl) = (described(None, Some(TrafficType::Reject)), retention(), create_flow_logs());
        let right = groups(Some(Some(365)));
        let report = run(&[&d, &v, &r, &right, &cr, &cg, &pr, &fl]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!([cr.num_calls(), cg.num_calls(), pr.num_calls(), fl.num_calls()], [0, 0, 0, 1]);
    }

    #[tokio::test]
    async fn a_role_created_by_a_parallel_run_is_used_as_is() {
        let (d, v, g) = (described(None, Some(TrafficType::Reject)), vpc(), groups(Some(Some(365))));
        // Not there at the plan, there by the time of the write.
        let found_later = mock!(Iam::get_role)
            .sequence()
            .error(|| GetRoleError::generic(aws_error("NoSuchEntity", "no role")))
            .output(|| GetRoleOutput::builder().role(delivery_role()).build())
            .build();
        let exists = mock!(Iam::create_role).then_error(|| {
            aws_sdk_iam::operation::create_role::CreateRoleError::generic(aws_error(
                "EntityAlreadyExists",
                "Role with name soar-vpc-flow-logs already exists.",
            ))
        });
        let (rp, fl) = (role_policy(), create_flow_logs());
        let report = run(&[&d, &v, &g, &found_later, &exists, &rp, &fl]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!((rp.num_calls(), fl.num_calls()), (0, 1));
    }

    #[tokio::test]
    async fn a_vpc_logging_rejected_or_all_traffic_gets_no_write() {
        for traffic in [TrafficType::Reject, TrafficType::All] {
            let (d, fl) = (described(Some(traffic.clone()), Some(traffic.clone())), create_flow_logs());
            assert_eq!(run(&[&d, &fl]).await.outcome, Outcome::AlreadyCompliant, "{traffic:?}");
            assert_eq!(fl.num_calls(), 0);
        }
        // Accepted traffic only is not what the control asks for.
        let (d, v, r, g, fl) = (
            described(Some(TrafficType::Accept), Some(TrafficType::Reject)),
            vpc(),
            role(true),
            groups(Some(Some(365))),
            create_flow_logs(),
        );
        assert!(matches!(run(&[&d, &v, &r, &g, &fl]).await.outcome, Outcome::Remediated { .. }));
        assert_eq!(fl.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_deleted_vpc_is_suppressed_before_anything_is_made() {
        let d = described(None, None);
        let gone = mock!(Ec2::describe_vpcs)
            .then_error(|| DescribeVpcsError::generic(aws_error("InvalidVpcID.NotFound", "gone")));
        let cr = create_role();
        let report = run(&[&d, &gone, &cr]).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("InvalidVpcID.NotFound")),
            "{report:?}"
        );
        assert_eq!(cr.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_denied_or_refused_flow_log_is_a_ticket() {
        let (d, v, r, g) = (described(None, None), vpc(), role(true), groups(Some(Some(365))));
        let denied = mock!(Ec2::create_flow_logs)
            .then_error(|| CreateFlowLogsError::generic(aws_error("UnauthorizedOperation", "no")));
        let report = run(&[&d, &v, &r, &g, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("CreateFlowLogs failed (access denied)")),
            "{report:?}"
        );
        let refused = mock!(Ec2::create_flow_logs).then_output(|| {
            CreateFlowLogsOutput::builder()
                .unsuccessful(
                    aws_sdk_ec2::types::UnsuccessfulItem::builder()
                        .resource_id(VPC)
                        .error(
                            aws_sdk_ec2::types::UnsuccessfulItemError::builder()
                                .code("400")
                                .message("Unable to assume given IAM role")
                                .build(),
                        )
                        .build(),
                )
                .build()
        });
        let report = run(&[&d, &v, &r, &g, &refused]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("Unable to assume given IAM role")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_write_is_retried() {
        let (d, v, r, g) = (described(None, Some(TrafficType::Reject)), vpc(), role(true), groups(Some(Some(365))));
        let throttled = mock!(Ec2::create_flow_logs)
            .match_requests(creating)
            .sequence()
            .error(|| CreateFlowLogsError::generic(aws_error("RequestLimitExceeded", "slow")))
            .output(|| CreateFlowLogsOutput::builder().build())
            .build();
        let report = run(&[&d, &v, &r, &g, &throttled]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(throttled.num_calls(), 2);
    }
}
