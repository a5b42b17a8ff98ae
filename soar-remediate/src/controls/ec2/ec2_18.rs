//! EC2.18: a security group lets the world (`0.0.0.0/0`, `::/0`) in only
//! on authorised ports.
//!
//! The authorised ports are settings, `ec2_authorized_tcp_ports` (80 and
//! 443 by default, as in Security Hub) and `ec2_authorized_udp_ports`
//! (none). A world-open rule on other ports keeps the world only on its
//! authorised ports; an "all traffic" rule becomes its authorised TCP and
//! UDP ports, since only port-based protocols can be authorised (see
//! [`CloseWorldIngress`]).

use super::{CloseWorldIngress, Objection};
use crate::{ControlMeta, Service};

/// What EC2.18 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["EC2.18"],
    title: "Security groups only allow unrestricted incoming traffic for authorized ports",
    service: Service::Ec2,
    resource_type: "AwsEc2SecurityGroup",
    iam_actions: &[
        "ec2:DescribeSecurityGroups",
        "ec2:RevokeSecurityGroupIngress",
        "ec2:AuthorizeSecurityGroupIngress",
    ],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(ONLY_AUTHORIZED_PORTS)
}

/// EC2.18's remediation.
pub(crate) const ONLY_AUTHORIZED_PORTS: CloseWorldIngress = CloseWorldIngress {
    meta: &META,
    objection: Objection::UnauthorizedPorts,
};

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsError;
    use aws_sdk_ec2::operation::revoke_security_group_ingress::{
        RevokeSecurityGroupIngressError, RevokeSecurityGroupIngressOutput,
    };
    use aws_sdk_ec2::Client;

    use super::super::sg_testing::{authorizing, described, finding, revoking, rule};
    use super::*;
    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, aws_error, mock, mock_context, Rule,
        RuleMode,
    };
    use crate::{remediate, Mode, Outcome, Report};

    async fn run(rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        remediate(&ONLY_AUTHORIZED_PORTS, &ctx, &finding("EC2.18"), Mode::Apply).await
    }

    #[tokio::test]
    async fn all_traffic_from_the_world_becomes_the_authorised_ports() {
        let open = rule("-1", None, &["0.0.0.0/0"]);
        let narrowed: Vec<_> = vec![rule("tcp", Some((80, 80)), &["0.0.0.0/0"]), rule("tcp", Some((443, 443)), &["0.0.0.0/0"])];
        let d = described(vec![open.clone()], narrowed.clone());
        let revoke = revoking(open);
        let authorize = authorizing(narrowed);
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &revoke, &authorize]);
        let report = remediate(&ONLY_AUTHORIZED_PORTS, &ctx, &finding("EC2.18"), Mode::Apply).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!((revoke.num_calls(), authorize.num_calls()), (1, 1));
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn a_compliant_group_gets_no_write() {
        let rules = vec![rule("tcp", Some((443, 443)), &["0.0.0.0/0", "::/0"])];
        let d = described(rules.clone(), rules);
        let revoke = revoking(rule("-1", None, &["0.0.0.0/0"]));
        assert_eq!(run(&[&d, &revoke]).await.outcome, Outcome::AlreadyCompliant);
        assert_eq!(revoke.num_calls(), 0);
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
        let d = described(vec![rule("-1", None, &["0.0.0.0/0"])], vec![rule("-1", None, &["0.0.0.0/0"])]);
        let denied = mock!(Client::revoke_security_group_ingress).then_error(|| {
            RevokeSecurityGroupIngressError::generic(aws_error("UnauthorizedOperation", "no"))
        });
        let report = run(&[&d, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("RevokeSecurityGroupIngress failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_revocation_is_retried() {
        let narrowed: Vec<_> = vec![rule("tcp", Some((80, 80)), &["0.0.0.0/0"]), rule("tcp", Some((443, 443)), &["0.0.0.0/0"])];
        let d = described(vec![rule("-1", None, &["0.0.0.0/0"])], narrowed.clone());
        let throttled = mock!(Client::revoke_security_group_ingress)
            .match_requests(|r| r.ip_permissions() == [rule("-1", None, &["0.0.0.0/0"])])
            .sequence()
            .error(|| RevokeSecurityGroupIngressError::generic(aws_error("RequestLimitExceeded", "slow")))
            .output(|| RevokeSecurityGroupIngressOutput::builder().r#return(true).build())
            .build();
        let authorize = authorizing(narrowed);
        let report = run(&[&d, &throttled, &authorize]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(throttled.num_calls(), 2);
    }

    #[tokio::test]
    async fn the_authorised_ports_are_a_setting() {
        let d = described(vec![rule("-1", None, &["0.0.0.0/0"])], vec![]);
        let revoke = revoking(rule("-1", None, &["0.0.0.0/0"]));
        let authorize = authorizing(vec![rule("tcp", Some((8443, 8443)), &["0.0.0.0/0"])]);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&d, &revoke, &authorize]);
        let mut settings = ctx.settings.clone();
        settings.ec2_authorized_tcp_ports = vec![8443];
        let ctx = ctx.with_settings(settings);
        let report = remediate(&ONLY_AUTHORIZED_PORTS, &ctx, &finding("EC2.18"), Mode::Apply).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(authorize.num_calls(), 1);
    }
}
