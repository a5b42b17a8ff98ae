//! EC2.8: require IMDSv2 (session tokens) for the instance metadata service.
//!
//! Only `HttpTokens` changes. An instance with the metadata endpoint turned
//! off already passes, and is left off: turning it on to require tokens
//! would open something its owner closed.

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    HttpTokensState, Instance, InstanceMetadataEndpointState, InstanceStateName,
};
use soar_asff::Finding;

use super::{ec2_id, gone_instance as gone, instance as describe};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What EC2.8 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["EC2.8"],
    title: "EC2 instances use Instance Metadata Service Version 2 (IMDSv2)",
    service: Service::Ec2,
    resource_type: "AwsEc2Instance",
    iam_actions: &["ec2:DescribeInstances", "ec2:ModifyInstanceMetadataOptions"],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(RequireImdsV2)
}

/// Sets `HttpTokens` to `required` on the instance.
pub(crate) struct RequireImdsV2;

fn passes(instance: &Instance) -> bool {
    let options = instance.metadata_options();
    options.and_then(|o| o.http_tokens()) == Some(&HttpTokensState::Required)
        || options.and_then(|o| o.http_endpoint()) == Some(&InstanceMetadataEndpointState::Disabled)
}

fn is_terminated(instance: &Instance) -> bool {
    matches!(
        instance.state().and_then(|s| s.name()),
        Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown)
    )
}

#[async_trait]
impl Remediation for RequireImdsV2 {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let instance_id = ec2_id(finding, &META)?;
        let instance = describe(ctx, &instance_id).await?;
        if is_terminated(&instance) {
            return Err(gone(&instance_id));
        }
        if passes(&instance) {
            return Ok(Plan::compliant(control, instance_id));
        }
        let change = Plan::change(
            "ec2:ModifyInstanceMetadataOptions",
            format!("require session tokens (IMDSv2) for the metadata service of {instance_id}"),
        );
        Ok(Plan::changes(
            control,
            instance_id,
            vec![change],
            serde_json::Value::Null,
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        ctx.ec2()
            .modify_instance_metadata_options()
            .instance_id(&plan.resource)
            .http_tokens(HttpTokensState::Required)
            .send()
            .await
            .map_err(|e| RemediationError::aws("ModifyInstanceMetadataOptions", &e))?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Required IMDSv2 session tokens on instance {}.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        Ok(passes(&describe(ctx, &ec2_id(finding, &META)?).await?))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::operation::describe_instances::{DescribeInstancesError, DescribeInstancesOutput};
    use aws_sdk_ec2::operation::modify_instance_metadata_options::{
        ModifyInstanceMetadataOptionsError, ModifyInstanceMetadataOptionsInput,
        ModifyInstanceMetadataOptionsOutput,
    };
    use aws_sdk_ec2::types::{InstanceMetadataOptionsResponse, InstanceState, Reservation};
    use aws_sdk_ec2::Client;

    use super::*;
    use crate::testkit::{
        assert_fixed_once,         aws_error, finding_for, mock,
        mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode, Report};

    const INSTANCE: &str = "i-0123456789abcdef0";

    fn finding() -> Finding {
        finding_for(
            "EC2.8",
            "AwsEc2Instance",
            &format!("arn:aws:ec2:us-east-1:111111111111:instance/{INSTANCE}"),
        )
    }

    fn instance(tokens: HttpTokensState, state: InstanceStateName) -> DescribeInstancesOutput {
        instance_with(tokens, InstanceMetadataEndpointState::Enabled, state)
    }

    fn instance_with(
        tokens: HttpTokensState,
        endpoint: InstanceMetadataEndpointState,
        state: InstanceStateName,
    ) -> DescribeInstancesOutput {
        let options = InstanceMetadataOptionsResponse::builder()
            .http_tokens(tokens)
            .http_endpoint(endpoint)
            .build();
        DescribeInstancesOutput::builder()
            .reservations(
                Reservation::builder()
                    .instances(
                        Instance::builder()
                            .instance_id(INSTANCE)
                            .metadata_options(options)
                            .state(InstanceState::builder().name(state).build())
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    /// DescribeInstances of the instance: `before` for the plan, then
    /// `after` for every verify read.
    fn described(before: HttpTokensState, after: HttpTokensState) -> Rule {
        mock!(Client::describe_instances)
            .match_requests(|r| r.instance_ids() == [INSTANCE])
            .sequence()
            .output(move || instance(before.clone(), InstanceStateName::Running))
            .output(move || instance(after.clone(), InstanceStateName::Running))
            .repeatedly()
            .build()
    }

    /// The one write EC2.8 makes: tokens required, nothing else changed.
    fn requiring_tokens(r: &ModifyInstanceMetadataOptionsInput) -> bool {
        r.instance_id() == Some(INSTANCE)
            && r.http_tokens() == Some(&HttpTokensState::Required)
            && r.http_endpoint().is_none()
            && r.http_put_response_hop_limit().is_none()
    }

    fn modify() -> Rule {
        mock!(Client::modify_instance_metadata_options)
            .match_requests(requiring_tokens)
            .then_output(|| ModifyInstanceMetadataOptionsOutput::builder().build())
    }

    async fn run(rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        remediate(&RequireImdsV2, &ctx, &finding(), Mode::Apply).await
    }

    #[tokio::test]
    async fn requires_session_tokens() {
        let (d, m) = (
            described(HttpTokensState::Optional, HttpTokensState::Required),
            modify(),
        );
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &m]);
        let report = remediate(&RequireImdsV2, &ctx, &finding(), Mode::Apply).await;
        assert_fixed_once(&META, &report, &m, &recorder);
    }

    #[tokio::test]
    async fn an_instance_that_requires_tokens_or_has_no_endpoint_gets_no_write() {
        let (d, m) = (
            described(HttpTokensState::Required, HttpTokensState::Required),
            modify(),
        );
        assert_eq!(run(&[&d, &m]).await.outcome, Outcome::AlreadyCompliant);
        let disabled = mock!(Client::describe_instances).then_output(|| {
            instance_with(
                HttpTokensState::Optional,
                InstanceMetadataEndpointState::Disabled,
                InstanceStateName::Running,
            )
        });
        assert_eq!(run(&[&disabled, &m]).await.outcome, Outcome::AlreadyCompliant);
        assert_eq!(m.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_missing_or_terminated_instance_is_suppressed() {
        let missing = mock!(Client::describe_instances).then_error(|| {
            DescribeInstancesError::generic(aws_error("InvalidInstanceID.NotFound", "gone"))
        });
        let empty =
            mock!(Client::describe_instances).then_output(|| DescribeInstancesOutput::builder().build());
        let terminated = mock!(Client::describe_instances)
            .then_output(|| instance(HttpTokensState::Optional, InstanceStateName::Terminated));
        for rule in [&missing, &empty, &terminated] {
            let report = run(&[rule]).await;
            assert!(
                matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("NotFound")),
                "{report:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket() {
        let d = described(HttpTokensState::Optional, HttpTokensState::Optional);
        let denied = mock!(Client::modify_instance_metadata_options).then_error(|| {
            ModifyInstanceMetadataOptionsError::generic(aws_error("UnauthorizedOperation", "no"))
        });
        let report = run(&[&d, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("ModifyInstanceMetadataOptions failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_write_is_retried() {
        let d = described(HttpTokensState::Optional, HttpTokensState::Required);
        let throttled = mock!(Client::modify_instance_metadata_options)
            .match_requests(requiring_tokens)
            .sequence()
            .error(|| {
                ModifyInstanceMetadataOptionsError::generic(aws_error("RequestLimitExceeded", "slow"))
            })
            .output(|| ModifyInstanceMetadataOptionsOutput::builder().build())
            .build();
        let report = run(&[&d, &throttled]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(throttled.num_calls(), 2);
    }
}
