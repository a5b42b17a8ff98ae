//! EC2.13: no security group lets the world (`0.0.0.0/0`, `::/0`) reach
//! TCP port 22 (SSH).
//!
//! Only the world-open sources of the rules that cover port 22 are
//! removed; the rules' other sources stay, and so do the world's other
//! ports of a wider rule (`tcp 0-1000` becomes `tcp 0-21` and `tcp
//! 23-1000`). See [`CloseWorldIngress`] for the order of the calls and what
//! happens when the narrower rule cannot be authorised.

use super::{CloseWorldIngress, Objection, INGRESS_ACTIONS};
use crate::{ControlMeta, Service};

/// What EC2.13 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["EC2.13"],
    title: "Security groups do not allow ingress from 0.0.0.0/0 or ::/0 to port 22",
    service: Service::Ec2,
    resource_type: "AwsEc2SecurityGroup",
    iam_actions: INGRESS_ACTIONS,
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(CLOSE_SSH)
}

/// EC2.13's remediation.
pub(crate) const CLOSE_SSH: CloseWorldIngress = CloseWorldIngress {
    meta: &META,
    objection: Objection::TcpPort(22),
};

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::operation::authorize_security_group_ingress::AuthorizeSecurityGroupIngressError;
    use aws_sdk_ec2::Client;

    use super::super::sg_testing::{authorizing, check_standard_cases, described, finding, revoking, rule};
    use super::*;
    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, aws_error, mock, mock_context, Rule,
        RuleMode,
    };
    use crate::{remediate, Mode, Outcome, Report};

    async fn run(rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        remediate(&CLOSE_SSH, &ctx, &finding("EC2.13"), Mode::Apply).await
    }

    #[tokio::test]
    async fn removes_only_the_world_from_ssh_and_keeps_the_other_sources() {
        let open = rule("tcp", Some((22, 22)), &["0.0.0.0/0", "10.0.0.0/8", "::/0"]);
        let closed = rule("tcp", Some((22, 22)), &["10.0.0.0/8"]);
        let d = described(vec![open], vec![closed]);
        let revoke = revoking(rule("tcp", Some((22, 22)), &["0.0.0.0/0", "::/0"]));
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &revoke]);
        let report = remediate(&CLOSE_SSH, &ctx, &finding("EC2.13"), Mode::Apply).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        // Port 22 alone: nothing of the rule stays open to the world, so no
        // authorisation follows (MatchAny would fail on an unmatched call).
        assert_eq!(revoke.num_calls(), 1);
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn a_wider_rule_keeps_the_world_on_its_other_ports() {
        let open = rule("tcp", Some((0, 1000)), &["0.0.0.0/0"]);
        let narrowed = vec![
            rule("tcp", Some((0, 21)), &["0.0.0.0/0"]),
            rule("tcp", Some((23, 1000)), &["0.0.0.0/0"]),
        ];
        let d = described(vec![open.clone()], narrowed.clone());
        let (revoke, authorize) = (revoking(open), authorizing(narrowed));
        let report = run(&[&d, &revoke, &authorize]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!((revoke.num_calls(), authorize.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn a_failed_reauthorisation_puts_the_original_rule_back() {
        let open = rule("tcp", Some((0, 1000)), &["0.0.0.0/0"]);
        let d = described(vec![open.clone()], vec![open.clone()]);
        let revoke = revoking(open.clone());
        let narrowed = vec![
            rule("tcp", Some((0, 21)), &["0.0.0.0/0"]),
            rule("tcp", Some((23, 1000)), &["0.0.0.0/0"]),
        ];
        let refused = mock!(Client::authorize_security_group_ingress)
            .match_requests(move |r| r.ip_permissions() == narrowed.as_slice())
            .then_error(|| {
                AuthorizeSecurityGroupIngressError::generic(aws_error(
                    "RulesPerSecurityGroupLimitExceeded",
                    "too many rules",
                ))
            });
        let restore = authorizing(vec![open]);
        let report = run(&[&d, &revoke, &refused, &restore]).await;
        assert_eq!(restore.num_calls(), 1, "the original rule was not put back");
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("RulesPerSecurityGroupLimitExceeded")
                    && reason.contains("the original rule was put back")),
            "{report:?}"
        );
    }

    /// Success, already compliant (SSH from a private range, HTTPS from
    /// the world), gone, denied and throttled.
    #[tokio::test]
    async fn the_standard_cases() {
        check_standard_cases(
            &CLOSE_SSH,
            rule("tcp", Some((0, 1000)), &["0.0.0.0/0"]),
            vec![
                rule("tcp", Some((0, 21)), &["0.0.0.0/0"]),
                rule("tcp", Some((23, 1000)), &["0.0.0.0/0"]),
            ],
            rule("tcp", Some((22, 22)), &["10.0.0.0/8"]),
        )
        .await;
    }

    #[tokio::test]
    async fn icmp_and_https_from_the_world_are_not_ssh() {
        let rules = vec![
            rule("tcp", Some((443, 443)), &["0.0.0.0/0"]),
            rule("icmp", Some((-1, -1)), &["0.0.0.0/0"]),
        ];
        let d = described(rules.clone(), rules);
        assert_eq!(run(&[&d]).await.outcome, Outcome::AlreadyCompliant);
    }
}
