//! ELB.1: make an Application Load Balancer's HTTP listeners redirect to
//! HTTPS.
//!
//! Each HTTP listener's default action becomes a permanent (301) redirect
//! to the load balancer's HTTPS listener, keeping host, path and query. Two
//! cases are left to a person, since changing them would break the site or
//! undo routing someone wrote: a load balancer with no HTTPS listener to
//! redirect to, and an HTTP listener with rules of its own that forward
//! traffic.

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Listener, ProtocolEnum, RedirectActionConfig,
    RedirectActionStatusCodeEnum,
};
use soar_asff::Finding;

use super::{load_balancer_arn, APPLICATION};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What ELB.1 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["ELB.1"],
    title: "Application Load Balancers redirect all HTTP requests to HTTPS",
    service: Service::Elbv2,
    resource_type: "AwsElbv2LoadBalancer",
    iam_actions: &[
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeRules",
        "elasticloadbalancing:ModifyListener",
    ],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(RedirectHttpToHttps)
}

/// Makes every HTTP listener redirect to HTTPS.
pub(crate) struct RedirectHttpToHttps;

async fn listeners(ctx: &Context, arn: &str) -> Result<Vec<Listener>, RemediationError> {
    let mut found = Vec::new();
    let mut pages = ctx
        .elbv2()
        .describe_listeners()
        .load_balancer_arn(arn)
        .into_paginator()
        .items()
        .send();
    while let Some(listener) = pages.next().await {
        found.push(listener.map_err(|e| RemediationError::aws("DescribeListeners", &e))?);
    }
    Ok(found)
}

fn redirects_to_https(actions: &[Action]) -> bool {
    let first = actions.iter().min_by_key(|a| a.order().unwrap_or(i32::MAX));
    first.is_some_and(|a| {
        a.r#type() == Some(&ActionTypeEnum::Redirect)
            && a.redirect_config()
                .and_then(RedirectActionConfig::protocol)
                .is_some_and(|p| p.eq_ignore_ascii_case("HTTPS"))
    })
}

/// The HTTP listeners that do not redirect to HTTPS.
fn plain_http(listeners: &[Listener]) -> Vec<&Listener> {
    listeners
        .iter()
        .filter(|l| l.protocol() == Some(&ProtocolEnum::Http))
        .filter(|l| !redirects_to_https(l.default_actions()))
        .collect()
}

/// The port to redirect to: 443 when an HTTPS listener has it, else the
/// lowest HTTPS port.
fn https_port(listeners: &[Listener]) -> Option<i32> {
    let ports: Vec<i32> = listeners
        .iter()
        .filter(|l| l.protocol() == Some(&ProtocolEnum::Https))
        .filter_map(Listener::port)
        .collect();
    if ports.contains(&443) {
        return Some(443);
    }
    ports.into_iter().min()
}

/// The listener's own rules (not its default) that do something other
/// than redirect to HTTPS.
async fn forwarding_rules(ctx: &Context, listener_arn: &str) -> Result<usize, RemediationError> {
    let rules = ctx
        .elbv2()
        .describe_rules()
        .listener_arn(listener_arn)
        .send()
        .await
        .map_err(|e| RemediationError::aws("DescribeRules", &e))?;
    Ok(rules
        .rules()
        .iter()
        .filter(|r| r.is_default() != Some(true) && !redirects_to_https(r.actions()))
        .count())
}

fn redirect(port: &str) -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::Redirect)
        .redirect_config(
            RedirectActionConfig::builder()
                .protocol("HTTPS")
                .port(port)
                .host("#{host}")
                .path("/#{path}")
                .query("#{query}")
                .status_code(RedirectActionStatusCodeEnum::Http301)
                .build(),
        )
        .build()
}

#[async_trait]
impl Remediation for RedirectHttpToHttps {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let arn = load_balancer_arn(finding, &META, &[APPLICATION])?;
        let listeners = listeners(ctx, &arn).await?;
        let plain = plain_http(&listeners);
        if plain.is_empty() {
            return Ok(Plan::compliant(control, arn));
        }
        let cannot = |reason: String| RemediationError::CannotFix {
            control_id: control.to_owned(),
            reason,
        };
        let port = https_port(&listeners).ok_or_else(|| {
            cannot(format!(
                "load balancer {arn} has no HTTPS listener to redirect to: add one (with its certificate) first"
            ))
        })?;
        let mut changes = Vec::with_capacity(plain.len());
        let mut arns = Vec::with_capacity(plain.len());
        for listener in plain {
            let listener_arn = listener.listener_arn().unwrap_or_default();
            let rules = forwarding_rules(ctx, listener_arn).await?;
            if rules > 0 {
                return Err(cannot(format!(
                    "HTTP listener {listener_arn} has {rules} rule(s) of its own that do not redirect to HTTPS; change them by hand"
                )));
            }
            changes.push(Plan::change(
                "elasticloadbalancing:ModifyListener",
                format!(
                    "make HTTP listener {listener_arn} (port {}) redirect to HTTPS on port {port} (301)",
                    listener.port().unwrap_or_default()
                ),
            ));
            arns.push(listener_arn.to_owned());
        }
        Ok(Plan::changes(
            control,
            arn,
            changes,
            serde_json::json!({ "listeners": arns, "port": port.to_string() }),
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        let listeners: Vec<String> = plan.data_as("listeners")?;
        let port = plan.data_str("port")?;
        let mut actions_taken = Vec::with_capacity(listeners.len());
        for listener in &listeners {
            ctx.elbv2()
                .modify_listener()
                .listener_arn(listener)
                .default_actions(redirect(port))
                .send()
                .await
                .map_err(|e| RemediationError::aws("ModifyListener", &e))?;
            actions_taken.push(format!(
                "Listener {listener} now redirects HTTP to HTTPS on port {port}."
            ));
        }
        Ok(Outcome::Remediated { actions_taken })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        let arn = load_balancer_arn(finding, &META, &[APPLICATION])?;
        Ok(plain_http(&listeners(ctx, &arn).await?).is_empty())
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_elasticloadbalancingv2::operation::describe_listeners::{
        DescribeListenersError, DescribeListenersOutput,
    };
    use aws_sdk_elasticloadbalancingv2::operation::describe_rules::DescribeRulesOutput;
    use aws_sdk_elasticloadbalancingv2::operation::modify_listener::{
        ModifyListenerError, ModifyListenerInput, ModifyListenerOutput,
    };
    use aws_sdk_elasticloadbalancingv2::types::{ForwardActionConfig, Rule as ListenerRule};
    use aws_sdk_elasticloadbalancingv2::Client;

    use super::*;
    use crate::controls::elbv2::testing::{finding, ALB};
    use crate::testkit::{
        assert_fixed_once,         aws_error, mock, mock_context, Rule,
        RuleMode,
    };
    use crate::{remediate, Mode, Report};

    const HTTP: &str =
        "arn:aws:elasticloadbalancing:us-east-1:111111111111:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2";
    const HTTPS: &str =
        "arn:aws:elasticloadbalancing:us-east-1:111111111111:listener/app/web/50dc6c495c0c9188/0467ef3c8400ae65";

    fn forward() -> Action {
        Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .forward_config(ForwardActionConfig::builder().build())
            .build()
    }

    fn listener(arn: &str, protocol: ProtocolEnum, port: i32, action: Action) -> Listener {
        Listener::builder()
            .listener_arn(arn)
            .load_balancer_arn(ALB)
            .protocol(protocol)
            .port(port)
            .default_actions(action)
            .build()
    }

    /// An HTTP listener on 80 (forwarding, or redirecting once fixed) and,
    /// when `https`, an HTTPS one on 8443.
    fn listed(https: bool, redirected: bool) -> DescribeListenersOutput {
        let http = if redirected { redirect("8443") } else { forward() };
        let mut output = DescribeListenersOutput::builder()
            .listeners(listener(HTTP, ProtocolEnum::Http, 80, http));
        if https {
            output = output.listeners(listener(HTTPS, ProtocolEnum::Https, 8443, forward()));
        }
        output.build()
    }

    fn described(https: bool, before: bool, after: bool) -> Rule {
        mock!(Client::describe_listeners)
            .match_requests(|r| r.load_balancer_arn() == Some(ALB))
            .sequence()
            .output(move || listed(https, before))
            .output(move || listed(https, after))
            .repeatedly()
            .build()
    }

    /// The listener's rules: the default one, and `own` forwarding ones.
    fn rules(own: usize) -> Rule {
        mock!(Client::describe_rules)
            .match_requests(|r| r.listener_arn() == Some(HTTP))
            .then_output(move || {
                let mut output = DescribeRulesOutput::builder().rules(
                    ListenerRule::builder().is_default(true).actions(forward()).build(),
                );
                for _ in 0..own {
                    output = output.rules(
                        ListenerRule::builder().is_default(false).actions(forward()).build(),
                    );
                }
                output.build()
            })
    }

    /// The one write: the HTTP listener's default action becomes a 301 to
    /// HTTPS on the HTTPS listener's port, nothing else about it changes.
    fn redirecting(r: &ModifyListenerInput) -> bool {
        let action = r.default_actions();
        let config = action.first().and_then(Action::redirect_config);
        r.listener_arn() == Some(HTTP)
            && action.len() == 1
            && config.is_some_and(|c| {
                c.protocol() == Some("HTTPS")
                    && c.port() == Some("8443")
                    && c.status_code() == Some(&RedirectActionStatusCodeEnum::Http301)
                    && c.host() == Some("#{host}")
                    && c.path() == Some("/#{path}")
                    && c.query() == Some("#{query}")
            })
            && r.port().is_none()
            && r.protocol().is_none()
            && r.certificates().is_empty()
    }

    fn modify() -> Rule {
        mock!(Client::modify_listener)
            .match_requests(redirecting)
            .then_output(|| ModifyListenerOutput::builder().build())
    }

    async fn run(rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        remediate(&RedirectHttpToHttps, &ctx, &finding("ELB.1"), Mode::Apply).await
    }

    #[tokio::test]
    async fn the_http_listener_redirects_to_the_https_port() {
        let (d, r, m) = (described(true, false, true), rules(0), modify());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &r, &m]);
        let report = remediate(&RedirectHttpToHttps, &ctx, &finding("ELB.1"), Mode::Apply).await;
        assert_fixed_once(&META, &report, &m, &recorder);
    }

    #[tokio::test]
    async fn a_redirecting_listener_gets_no_write() {
        let (d, m) = (described(true, true, true), modify());
        assert_eq!(run(&[&d, &m]).await.outcome, Outcome::AlreadyCompliant);
        assert_eq!(m.num_calls(), 0);
    }

    #[tokio::test]
    async fn without_https_or_with_forwarding_rules_it_is_a_ticket() {
        let (d, m) = (described(false, false, false), modify());
        let report = run(&[&d, &m]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains("no HTTPS listener")),
            "{report:?}"
        );
        let (d, r) = (described(true, false, false), rules(2));
        let report = run(&[&d, &r, &m]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains("2 rule(s) of its own")),
            "{report:?}"
        );
        assert_eq!(m.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_deleted_load_balancer_is_suppressed() {
        let gone = mock!(Client::describe_listeners).then_error(|| {
            DescribeListenersError::generic(aws_error("LoadBalancerNotFound", "no such load balancer"))
        });
        let report = run(&[&gone]).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("LoadBalancerNotFound")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket() {
        let (d, r) = (described(true, false, false), rules(0));
        let denied = mock!(Client::modify_listener)
            .then_error(|| ModifyListenerError::generic(aws_error("AccessDenied", "no")));
        let report = run(&[&d, &r, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("ModifyListener failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_write_is_retried() {
        let (d, r) = (described(true, false, true), rules(0));
        let throttled = mock!(Client::modify_listener)
            .match_requests(redirecting)
            .sequence()
            .error(|| ModifyListenerError::generic(aws_error("Throttling", "slow")))
            .output(|| ModifyListenerOutput::builder().build())
            .build();
        let report = run(&[&d, &r, &throttled]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(throttled.num_calls(), 2);
    }
}
