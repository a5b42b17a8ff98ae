//! EC2.14: no security group lets the world (`0.0.0.0/0`, `::/0`) reach
//! TCP port 3389 (RDP).
//!
//! As EC2.13 does for SSH: only the world-open sources of the rules that
//! cover port 3389 go, the rules' other sources and the world's other
//! ports stay (see [`CloseWorldIngress`]).

use super::{CloseWorldIngress, Objection};
use crate::{ControlMeta, Service};

/// What EC2.14 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["EC2.14"],
    title: "Security groups do not allow ingress from 0.0.0.0/0 or ::/0 to port 3389",
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
    Box::new(CLOSE_RDP)
}

/// EC2.14's remediation.
pub(crate) const CLOSE_RDP: CloseWorldIngress = CloseWorldIngress {
    meta: &META,
    objection: Objection::TcpPort(3389),
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
        remediate(&CLOSE_RDP, &ctx, &finding("EC2.14"), Mode::Apply).await
    }

    #[tokio::test]
    async fn removes_the_world_from_rdp_and_keeps_its_other_ports() {
        let open = rule("tcp", Some((3000, 4000)), &["0.0.0.0/0"]);
        let narrowed: Vec<_> = vec![rule("tcp", Some((3000, 3388)), &["0.0.0.0/0"]), rule("tcp", Some((3390, 4000)), &["0.0.0.0/0"])];
        let d = described(vec![open.clone()], narrowed.clone());
        let revoke = revoking(open);
        let authorize = authorizing(narrowed);
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &revoke, &authorize]);
        let report = remediate(&CLOSE_RDP, &ctx, &finding("EC2.14"), Mode::Apply).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!((revoke.num_calls(), authorize.num_calls()), (1, 1));
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn a_compliant_group_gets_no_write() {
        let rules = vec![rule("tcp", Some((3389, 3389)), &["192.168.0.0/16"])];
        let d = described(rules.clone(), rules);
        let revoke = revoking(rule("tcp", Some((3000, 4000)), &["0.0.0.0/0"]));
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
        let d = described(vec![rule("tcp", Some((3000, 4000)), &["0.0.0.0/0"])], vec![rule("tcp", Some((3000, 4000)), &["0.0.0.0/0"])]);
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
        let narrowed: Vec<_> = vec![rule("tcp", Some((3000, 3388)), &["0.0.0.0/0"]), rule("tcp", Some((3390, 4000)), &["0.0.0.0/0"])];
        let d = described(vec![rule("tcp", Some((3000, 4000)), &["0.0.0.0/0"])], narrowed.clone());
        let throttled = mock!(Client::revoke_security_group_ingress)
            .match_requests(|r| r.ip_permissions() == [rule("tcp", Some((3000, 4000)), &["0.0.0.0/0"])])
            .sequence()
            .error(|| RevokeSecurityGroupIngressError::generic(aws_error("RequestLimitExceeded", "slow")))
            .output(|| RevokeSecurityGroupIngressOutput::builder().r#return(true).build())
            .build();
        let authorize = authorizing(narrowed);
        let report = run(&[&d, &throttled, &authorize]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(throttled.num_calls(), 2);
    }
}
