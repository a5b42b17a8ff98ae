//! EC2.15: stop a subnet from giving instances a public IPv4 address at
//! launch.
//!
//! Only `MapPublicIpOnLaunch` changes. Instances already running keep their
//! addresses, and a launch that asks for a public address (a launch
//! template's `AssociatePublicIpAddress`) still gets one: the setting is the
//! subnet's default, which is what the control checks.

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, Subnet};
use soar_asff::Finding;

use super::ec2_id;
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What EC2.15 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["EC2.15"],
    title: "EC2 subnets do not automatically assign public IP addresses",
    service: Service::Ec2,
    resource_type: "AwsEc2Subnet",
    iam_actions: &["ec2:DescribeSubnets", "ec2:ModifySubnetAttribute"],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(StopAssigningPublicIps)
}

/// Turns off `MapPublicIpOnLaunch` on the subnet.
pub(crate) struct StopAssigningPublicIps;

async fn describe(ctx: &Context, subnet_id: &str) -> Result<Subnet, RemediationError> {
    let output = ctx
        .ec2()
        .describe_subnets()
        .subnet_ids(subnet_id)
        .send()
        .await
        .map_err(|e| RemediationError::aws("DescribeSubnets", &e))?;
    output
        .subnets()
        .iter()
        .find(|s| s.subnet_id() == Some(subnet_id))
        .cloned()
        .ok_or_else(|| RemediationError::not_found("DescribeSubnets", format!("InvalidSubnetID.NotFound: subnet {subnet_id} does not exist")))
}

fn assigns_public_ips(subnet: &Subnet) -> bool {
    subnet.map_public_ip_on_launch() == Some(true)
}

#[async_trait]
impl Remediation for StopAssigningPublicIps {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let subnet_id = ec2_id(finding, &META)?;
        if !assigns_public_ips(&describe(ctx, &subnet_id).await?) {
            return Ok(Plan::compliant(control, subnet_id));
        }
        let change = Plan::change(
            "ec2:ModifySubnetAttribute",
            format!("stop subnet {subnet_id} from assigning public IPv4 addresses at launch"),
        );
        Ok(Plan::changes(
            control,
            subnet_id,
            vec![change],
            serde_json::Value::Null,
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        ctx.ec2()
            .modify_subnet_attribute()
            .subnet_id(&plan.resource)
            .map_public_ip_on_launch(AttributeBooleanValue::builder().value(false).build())
            .send()
            .await
            .map_err(|e| RemediationError::aws("ModifySubnetAttribute", &e))?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Turned off public IPv4 assignment at launch on subnet {}.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        Ok(!assigns_public_ips(&describe(ctx, &ec2_id(finding, &META)?).await?))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::operation::describe_subnets::{DescribeSubnetsError, DescribeSubnetsOutput};
    use aws_sdk_ec2::operation::modify_subnet_attribute::{
        ModifySubnetAttributeError, ModifySubnetAttributeInput, ModifySubnetAttributeOutput,
    };
    use aws_sdk_ec2::Client;

    use super::*;
    use crate::testkit::{
        assert_fixed_once,         aws_error, finding_for, mock,
        mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode, Report};

    const SUBNET: &str = "subnet-0123456789abcdef0";

    fn finding() -> Finding {
        finding_for(
            "EC2.15",
            "AwsEc2Subnet",
            &format!("arn:aws:ec2:us-east-1:111111111111:subnet/{SUBNET}"),
        )
    }

    fn subnet(public: bool) -> DescribeSubnetsOutput {
        DescribeSubnetsOutput::builder()
            .subnets(
                Subnet::builder()
                    .subnet_id(SUBNET)
                    .map_public_ip_on_launch(public)
                    .build(),
            )
            .build()
    }

    fn described(before: bool, after: bool) -> Rule {
        mock!(Client::describe_subnets)
            .match_requests(|r| r.subnet_ids() == [SUBNET])
            .sequence()
            .output(move || subnet(before))
            .output(move || subnet(after))
            .repeatedly()
            .build()
    }

    /// The one write EC2.15 makes: MapPublicIpOnLaunch false, nothing else.
    fn turning_off(r: &ModifySubnetAttributeInput) -> bool {
        r.subnet_id() == Some(SUBNET)
            && r.map_public_ip_on_launch().and_then(|v| v.value()) == Some(false)
            && r.assign_ipv6_address_on_creation().is_none()
            && r.map_customer_owned_ip_on_launch().is_none()
    }

    fn modify() -> Rule {
        mock!(Client::modify_subnet_attribute)
            .match_requests(turning_off)
            .then_output(|| ModifySubnetAttributeOutput::builder().build())
    }

    async fn run(rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        remediate(&StopAssigningPublicIps, &ctx, &finding(), Mode::Apply).await
    }

    #[tokio::test]
    async fn turns_off_public_ip_assignment() {
        let (d, m) = (described(true, false), modify());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &m]);
        let report = remediate(&StopAssigningPublicIps, &ctx, &finding(), Mode::Apply).await;
        assert_fixed_once(&META, &report, &m, &recorder);
    }

    #[tokio::test]
    async fn a_private_subnet_gets_no_write() {
        let (d, m) = (described(false, false), modify());
        assert_eq!(run(&[&d, &m]).await.outcome, Outcome::AlreadyCompliant);
        assert_eq!(m.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_deleted_subnet_is_suppressed() {
        let missing = mock!(Client::describe_subnets).then_error(|| {
            DescribeSubnetsError::generic(aws_error("InvalidSubnetID.NotFound", "gone"))
        });
        let empty = mock!(Client::describe_subnets).then_output(|| DescribeSubnetsOutput::builder().build());
        for rule in [&missing, &empty] {
            let report = run(&[rule]).await;
            assert!(
                matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("InvalidSubnetID.NotFound")),
                "{report:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket() {
        let d = described(true, true);
        let denied = mock!(Client::modify_subnet_attribute).then_error(|| {
            ModifySubnetAttributeError::generic(aws_error("UnauthorizedOperation", "no"))
        });
        let report = run(&[&d, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("ModifySubnetAttribute failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_write_is_retried() {
        let d = described(true, false);
        let throttled = mock!(Client::modify_subnet_attribute)
            .match_requests(turning_off)
            .sequence()
            .error(|| ModifySubnetAttributeError::generic(aws_error("RequestLimitExceeded", "slow")))
            .output(|| ModifySubnetAttributeOutput::builder().build())
            .build();
        let report = run(&[&d, &throttled]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(throttled.num_calls(), 2);
    }
}
