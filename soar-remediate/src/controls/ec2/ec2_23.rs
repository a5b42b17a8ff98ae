//! EC2.23: stop a transit gateway from accepting VPC attachment requests
//! automatically.
//!
//! Only `AutoAcceptSharedAttachments` changes. Attachments already accepted
//! stay; new requests from the accounts the gateway is shared with wait for
//! someone to accept them.

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AutoAcceptSharedAttachmentsValue, ModifyTransitGatewayOptions, TransitGateway,
    TransitGatewayState,
};
use soar_asff::Finding;

use super::ec2_id;
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What EC2.23 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["EC2.23"],
    title: "EC2 Transit Gateways do not automatically accept VPC attachment requests",
    service: Service::Ec2,
    resource_type: "AwsEc2TransitGateway",
    iam_actions: &["ec2:DescribeTransitGateways", "ec2:ModifyTransitGateway"],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(StopAutoAcceptingAttachments)
}

/// Turns off `AutoAcceptSharedAttachments` on the transit gateway.
pub(crate) struct StopAutoAcceptingAttachments;

async fn describe(ctx: &Context, gateway_id: &str) -> Result<TransitGateway, RemediationError> {
    let output = ctx
        .ec2()
        .describe_transit_gateways()
        .transit_gateway_ids(gateway_id)
        .send()
        .await
        .map_err(|e| RemediationError::aws("DescribeTransitGateways", &e))?;
    output
        .transit_gateways()
        .iter()
        .find(|g| g.transit_gateway_id() == Some(gateway_id))
        .filter(|g| {
            !matches!(
                g.state(),
                Some(TransitGatewayState::Deleted | TransitGatewayState::Deleting)
            )
        })
        .cloned()
        .ok_or_else(|| RemediationError::not_found("DescribeTransitGateways", format!(
                "InvalidTransitGatewayID.NotFound: transit gateway {gateway_id} does not exist"
            )))
}

fn auto_accepts(gateway: &TransitGateway) -> bool {
    gateway.options().and_then(|o| o.auto_accept_shared_attachments())
        == Some(&AutoAcceptSharedAttachmentsValue::Enable)
}

#[async_trait]
impl Remediation for StopAutoAcceptingAttachments {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let gateway_id = ec2_id(finding, &META)?;
        if !auto_accepts(&describe(ctx, &gateway_id).await?) {
            return Ok(Plan::compliant(control, gateway_id));
        }
        let change = Plan::change(
            "ec2:ModifyTransitGateway",
            format!("stop transit gateway {gateway_id} from accepting shared attachments automatically"),
        );
        Ok(Plan::changes(
            control,
            gateway_id,
            vec![change],
            serde_json::Value::Null,
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        ctx.ec2()
            .modify_transit_gateway()
            .transit_gateway_id(&plan.resource)
            .options(
                ModifyTransitGatewayOptions::builder()
                    .auto_accept_shared_attachments(AutoAcceptSharedAttachmentsValue::Disable)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| RemediationError::aws("ModifyTransitGateway", &e))?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Turned off automatic acceptance of shared attachments on transit gateway {}.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        Ok(!auto_accepts(&describe(ctx, &ec2_id(finding, &META)?).await?))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::operation::describe_transit_gateways::{
        DescribeTransitGatewaysError, DescribeTransitGatewaysOutput,
    };
    use aws_sdk_ec2::operation::modify_transit_gateway::{
        ModifyTransitGatewayError, ModifyTransitGatewayInput, ModifyTransitGatewayOutput,
    };
    use aws_sdk_ec2::types::TransitGatewayOptions;
    use aws_sdk_ec2::Client;

    use super::*;
    use crate::testkit::{
        assert_fixed_once,         aws_error, finding_for, mock,
        mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode, Report};

    const GATEWAY: &str = "tgw-0123456789abcdef0";

    fn finding() -> Finding {
        finding_for(
            "EC2.23",
            "AwsEc2TransitGateway",
            &format!("arn:aws:ec2:us-east-1:111111111111:transit-gateway/{GATEWAY}"),
        )
    }

    fn gateway(accept: AutoAcceptSharedAttachmentsValue, state: TransitGatewayState) -> DescribeTransitGatewaysOutput {
        DescribeTransitGatewaysOutput::builder()
            .transit_gateways(
                TransitGateway::builder()
                    .transit_gateway_id(GATEWAY)
                    .state(state)
                    .options(TransitGatewayOptions::builder().auto_accept_shared_attachments(accept).build())
                    .build(),
            )
            .build()
    }

    fn described(before: AutoAcceptSharedAttachmentsValue, after: AutoAcceptSharedAttachmentsValue) -> Rule {
        mock!(Client::describe_transit_gateways)
            .match_requests(|r| r.transit_gateway_ids() == [GATEWAY])
            .sequence()
            .output(move || gateway(before.clone(), TransitGatewayState::Available))
            .output(move || gateway(after.clone(), TransitGatewayState::Available))
            .repeatedly()
            .build()
    }

    /// The one write EC2.23 makes: auto-accept off, no other option set.
    fn turning_off(r: &ModifyTransitGatewayInput) -> bool {
        r.transit_gateway_id() == Some(GATEWAY)
            && r.options().is_some_and(|o| {
                o.auto_accept_shared_attachments() == Some(&AutoAcceptSharedAttachmentsValue::Disable)
                    && o.default_route_table_association().is_none()
                    && o.default_route_table_propagation().is_none()
                    && o.dns_support().is_none()
            })
    }

    fn modify() -> Rule {
        mock!(Client::modify_transit_gateway)
            .match_requests(turning_off)
            .then_output(|| ModifyTransitGatewayOutput::builder().build())
    }

    async fn run(rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        remediate(&StopAutoAcceptingAttachments, &ctx, &finding(), Mode::Apply).await
    }

    #[tokio::test]
    async fn turns_off_auto_accept() {
        let (d, m) = (
            described(AutoAcceptSharedAttachmentsValue::Enable, AutoAcceptSharedAttachmentsValue::Disable),
            modify(),
        );
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &m]);
        let report = remediate(&StopAutoAcceptingAttachments, &ctx, &finding(), Mode::Apply).await;
        assert_fixed_once(&META, &report, &m, &recorder);
    }

    #[tokio::test]
    async fn a_gateway_that_does_not_auto_accept_gets_no_write() {
        let (d, m) = (
            described(AutoAcceptSharedAttachmentsValue::Disable, AutoAcceptSharedAttachmentsValue::Disable),
            modify(),
        );
        assert_eq!(run(&[&d, &m]).await.outcome, Outcome::AlreadyCompliant);
        assert_eq!(m.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_deleted_gateway_is_suppressed() {
        let missing = mock!(Client::describe_transit_gateways).then_error(|| {
            DescribeTransitGatewaysError::generic(aws_error("InvalidTransitGatewayID.NotFound", "gone"))
        });
        let deleted = mock!(Client::describe_transit_gateways)
            .then_output(|| gateway(AutoAcceptSharedAttachmentsValue::Enable, TransitGatewayState::Deleted));
        for rule in [&missing, &deleted] {
            let report = run(&[rule]).await;
            assert!(
                matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("InvalidTransitGatewayID.NotFound")),
                "{report:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket() {
        let d = described(AutoAcceptSharedAttachmentsValue::Enable, AutoAcceptSharedAttachmentsValue::Enable);
        let denied = mock!(Client::modify_transit_gateway).then_error(|| {
            ModifyTransitGatewayError::generic(aws_error("UnauthorizedOperation", "no"))
        });
        let report = run(&[&d, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("ModifyTransitGateway failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_write_is_retried() {
        let d = described(AutoAcceptSharedAttachmentsValue::Enable, AutoAcceptSharedAttachmentsValue::Disable);
        let throttled = mock!(Client::modify_transit_gateway)
            .match_requests(turning_off)
            .sequence()
            .error(|| ModifyTransitGatewayError::generic(aws_error("RequestLimitExceeded", "slow")))
            .output(|| ModifyTransitGatewayOutput::builder().build())
            .build();
        let report = run(&[&d, &throttled]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(throttled.num_calls(), 2);
    }
}
