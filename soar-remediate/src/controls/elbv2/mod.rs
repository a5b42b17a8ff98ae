//! Elastic Load Balancing controls (Application, Network and Gateway Load
//! Balancers, the elbv2 API), and what they share: the load balancer's ARN
//! from a finding, and its attributes.
//!
//! ELB's IAM prefix is `elasticloadbalancing`, whatever the API version;
//! [`iam_action`](crate::iam::iam_action) maps the SDK's service name to it.

// One `mod` per control file in this directory, and `all()`, from build.rs.
include!(concat!(env!("OUT_DIR"), "/controls/elbv2.rs"));

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::LoadBalancerAttribute;
use soar_asff::Finding;

use crate::controls::{control_id, resource};
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError};

/// The kinds of load balancer, as their ARNs name them
/// (`loadbalancer/app/<name>/<id>`).
pub(crate) const APPLICATION: &str = "app";
/// See [`APPLICATION`].
pub(crate) const NETWORK: &str = "net";
/// See [`APPLICATION`].
pub(crate) const GATEWAY: &str = "gwy";

/// The ARN of the finding's load balancer, when it is of one of `kinds`.
///
/// # Errors
/// [`RemediationError::UnsupportedFinding`] when the resource ID is not a
/// load balancer ARN, or names a kind the control does not apply to.
pub(crate) fn load_balancer_arn(
    finding: &Finding,
    meta: &ControlMeta,
    kinds: &[&str],
) -> Result<String, RemediationError> {
    let resource = resource(finding, meta)?;
    let unsupported = |reason: String| RemediationError::UnsupportedFinding {
        control_id: control_id(finding, meta.ids).to_owned(),
        reason,
    };
    let arn = soar_asff::Arn::parse(&resource.id)
        .map_err(|e| unsupported(format!("the load balancer ID is not an ARN: {e}")))?;
    let kind = arn
        .resource
        .strip_prefix("loadbalancer/")
        .and_then(|rest| rest.split('/').next())
        .ok_or_else(|| unsupported(format!("{} is not a load balancer ARN", resource.id)))?;
    if !kinds.contains(&kind) {
        return Err(unsupported(format!(
            "the control applies to {} load balancers, and {} is {kind:?}",
            kinds.join(", "),
            resource.id
        )));
    }
    Ok(resource.id.clone())
}

/// The load balancer's attributes, by key.
pub(crate) async fn attributes(
    ctx: &Context,
    arn: &str,
) -> Result<BTreeMap<String, String>, RemediationError> {
    let output = ctx
        .elbv2()
        .describe_load_balancer_attributes()
        .load_balancer_arn(arn)
        .send()
        .await
        .map_err(|e| RemediationError::aws("DescribeLoadBalancerAttributes", &e))?;
    Ok(output
        .attributes()
        .iter()
        .filter_map(|a| {
            Some((
                a.key()?.to_owned(),
                a.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect())
}

/// Sets `pairs` on the load balancer, and nothing else.
pub(crate) async fn set_attributes(
    ctx: &Context,
    arn: &str,
    pairs: &[(&str, &str)],
) -> Result<(), RemediationError> {
    let mut request = ctx
        .elbv2()
        .modify_load_balancer_attributes()
        .load_balancer_arn(arn);
    for (key, value) in pairs {
        request = request.attributes(
            LoadBalancerAttribute::builder()
                .key(*key)
                .value(*value)
                .build(),
        );
    }
    request
        .send()
        .await
        .map_err(|e| RemediationError::aws("ModifyLoadBalancerAttributes", &e))?;
    Ok(())
}

/// A control that turns one boolean load balancer attribute on (ELB.4,
/// ELB.6).
pub(crate) struct TurnOnAttribute {
    /// The control.
    pub(crate) meta: &'static ControlMeta,
    /// The attribute, such as `deletion_protection.enabled`.
    pub(crate) key: &'static str,
    /// What turning it on does, after "turn on": "deletion protection".
    pub(crate) what: &'static str,
    /// The kinds of load balancer the control applies to.
    pub(crate) kinds: &'static [&'static str],
}

#[async_trait]
impl Remediation for TurnOnAttribute {
    fn meta(&self) -> &'static ControlMeta {
        self.meta
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, self.meta.ids);
        let arn = load_balancer_arn(finding, self.meta, self.kinds)?;
        if self.verify(ctx, finding).await? {
            return Ok(Plan::compliant(control, arn));
        }
        let change = Plan::change(
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            format!(
                "turn on {} ({}) for load balancer {arn}",
                self.what, self.key
            ),
        );
        Ok(Plan::changes(
            control,
            arn,
            vec![change],
            serde_json::Value::Null,
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        set_attributes(ctx, &plan.resource, &[(self.key, "true")]).await?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Turned on {} for load balancer {}.",
                self.what, plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        let arn = load_balancer_arn(finding, self.meta, self.kinds)?;
        let attributes = attributes(ctx, &arn).await?;
        Ok(attributes.get(self.key).map(String::as_str) == Some("true"))
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Mocks of a load balancer's attributes, for the controls' tests.

    use aws_sdk_elasticloadbalancingv2::operation::describe_load_balancer_attributes::{
        DescribeLoadBalancerAttributesError, DescribeLoadBalancerAttributesOutput,
    };
    use aws_sdk_elasticloadbalancingv2::operation::modify_load_balancer_attributes::{
        ModifyLoadBalancerAttributesError, ModifyLoadBalancerAttributesInput,
        ModifyLoadBalancerAttributesOutput,
    };
    use aws_sdk_elasticloadbalancingv2::types::LoadBalancerAttribute;
    use aws_sdk_elasticloadbalancingv2::Client;

    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, aws_error, finding_for, mock,
        mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode, Outcome, Remediation, Report};

    /// An Application Load Balancer's ARN.
    pub(crate) const ALB: &str =
        "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/app/web/50dc6c495c0c9188";

    pub(crate) fn finding(control: &str) -> soar_asff::Finding {
        finding_for(control, "AwsElbv2LoadBalancer", ALB)
    }

    fn attributes(pairs: &[(&str, &str)]) -> DescribeLoadBalancerAttributesOutput {
        let mut output = DescribeLoadBalancerAttributesOutput::builder();
        for (key, value) in pairs {
            output = output.attributes(
                LoadBalancerAttribute::builder()
                    .key(*key)
                    .value(*value)
                    .build(),
            );
        }
        output.build()
    }

    /// The attributes: `before` for the plan, `after` from then on.
    pub(crate) fn described(
        before: &'static [(&'static str, &'static str)],
        after: &'static [(&'static str, &'static str)],
    ) -> Rule {
        mock!(Client::describe_load_balancer_attributes)
            .match_requests(|r| r.load_balancer_arn() == Some(ALB))
            .sequence()
            .output(move || attributes(before))
            .output(move || attributes(after))
            .repeatedly()
            .build()
    }

    /// A write of exactly `pairs`.
    pub(crate) fn setting(
        pairs: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&ModifyLoadBalancerAttributesInput) -> bool + Send + Sync + 'static {
        move |r| {
            let written: Vec<(&str, &str)> = r
                .attributes()
                .iter()
                .map(|a| (a.key().unwrap_or(""), a.value().unwrap_or("")))
                .collect();
            r.load_balancer_arn() == Some(ALB) && written == pairs
        }
    }

    pub(crate) fn modify(pairs: &'static [(&'static str, &'static str)]) -> Rule {
        mock!(Client::modify_load_balancer_attributes)
            .match_requests(setting(pairs))
            .then_output(|| ModifyLoadBalancerAttributesOutput::builder().build())
    }

    /// Success, already compliant, gone, denied and throttled, for a
    /// control that turns one attribute on: `off` and `on` are the
    /// attributes before and after, `wanted` the one write.
    pub(crate) async fn check_turn_on_cases(
        control: &dyn Remediation,
        off: &'static [(&'static str, &'static str)],
        on: &'static [(&'static str, &'static str)],
        wanted: &'static [(&'static str, &'static str)],
    ) {
        let id = control.meta().ids[0];
        let run = |rules: Vec<Rule>| async move {
            let refs: Vec<&Rule> = rules.iter().collect();
            let (ctx, recorder) = mock_context(RuleMode::MatchAny, &refs);
            let report: Report = remediate(control, &ctx, &finding(id), Mode::Apply).await;
            (report, recorder, rules)
        };

        // Success: one write, of the one attribute.
        let (report, recorder, rules) = run(vec![described(off, on), modify(wanted)]).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{id}: {report:?}"
        );
        assert_eq!(rules[1].num_calls(), 1, "{id}");
        assert_least_privilege(control.meta(), &recorder);
        assert_changes_declared(control.meta(), &report.changes);

        // Already on: no write.
        let (report, _, rules) = run(vec![described(on, on), modify(wanted)]).await;
        assert_eq!(report.outcome, Outcome::AlreadyCompliant, "{id}");
        assert_eq!(rules[1].num_calls(), 0, "{id}");

        // Deleted: suppressed, with ELB's reason.
        let gone = mock!(Client::describe_load_balancer_attributes).then_error(|| {
            DescribeLoadBalancerAttributesError::generic(aws_error(
                "LoadBalancerNotFound",
                "no such load balancer",
            ))
        });
        let (report, _, _) = run(vec![gone]).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("LoadBalancerNotFound")),
            "{id}: {report:?}"
        );

        // Denied: a ticket naming the operation.
        let denied = mock!(Client::modify_load_balancer_attributes).then_error(|| {
            ModifyLoadBalancerAttributesError::generic(aws_error("AccessDenied", "no"))
        });
        let (report, _, _) = run(vec![described(off, off), denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("ModifyLoadBalancerAttributes failed (access denied)")),
            "{id}: {report:?}"
        );

        // Throttled: retried by the SDK, then written.
        let throttled = mock!(Client::modify_load_balancer_attributes)
            .match_requests(setting(wanted))
            .sequence()
            .error(|| ModifyLoadBalancerAttributesError::generic(aws_error("Throttling", "slow")))
            .output(|| ModifyLoadBalancerAttributesOutput::builder().build())
            .build();
        let (report, _, rules) = run(vec![described(off, on), throttled]).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{id}: {report:?}"
        );
        assert_eq!(rules[1].num_calls(), 2, "{id}");

        // A Classic Load Balancer ARN is not this control's.
        let mut classic = finding(id);
        classic.resources[0].id =
            "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/web".to_owned();
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[]);
        let report = remediate(control, &ctx, &classic, Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains("load balancer")),
            "{id}: {report:?}"
        );
    }
}
