//! EC2.19: no security group lets the world (`0.0.0.0/0`, `::/0`) reach a
//! high-risk port.
//!
//! The ports are the setting `ec2_high_risk_ports`, Security Hub's list by
//! default (20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306,
//! 3389, 4333, 5000, 5432, 5500, 5601, 8080, 8088, 8888, 9200, 9300). The
//! world keeps a wider rule's other ports (see [`CloseWorldIngress`]).

use super::{CloseWorldIngress, Objection};
use crate::{ControlMeta, Service};

/// What EC2.19 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["EC2.19"],
    title: "Security groups do not allow unrestricted access to ports with high risk",
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
    Box::new(CLOSE_HIGH_RISK_PORTS)
}

/// EC2.19's remediation.
pub(crate) const CLOSE_HIGH_RISK_PORTS: CloseWorldIngress = CloseWorldIngress {
    meta: &META,
    objection: Objection::HighRiskPorts,
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
        remediate(&CLOSE_HIGH_RISK_PORTS, &ctx, &finding("EC2.19"), Mode::Apply).await
    }

    #[tokio::test]
    async fn removes_the_world_from_high_risk_ports_only() {
        let open = rule("tcp", Some((5400, 5700)), &["::/0"]);
        let narrowed: Vec<_> = vec![rule("tcp", Some((5400, 5431)), &["::/0"]), rule("tcp", Some((5433, 5499)), &["::/0"]), rule("tcp", Some((5501, 5600)), &["::/0"]), rule("tcp", Some((5602, 5700)), &["::/0"])];
        let d = described(vec![open.clone()], narrowed.clone());
        let revoke = revoking(open);
        let authorize = authorizing(narrowed);
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &revoke, &authorize]);
        let report = remediate(&CLOSE_HIGH_RISK_PORTS, &ctx, &finding("EC2.19"), Mode::Apply).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!((revoke.num_calls(), authorize.num_calls()), (1, 1));
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn a_compliant_group_gets_no_write() {
        let rules = vec![rule("tcp", Some((5432, 5432)), &["10.0.0.0/8"])];
        let d = described(rules.clone(), rules);
        let revoke = revoking(rule("tcp", Some((5400, 5700)), &["::/0"]));
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
        let d = described(vec![rule("tcp", Some((5400, 5700)), &["::/0"])], vec![rule("tcp", Some((5400, 5700)), &["::/0"])]);
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
        let narrowed: Vec<_> = vec![rule("tcp", Some((5400, 5431)), &["::/0"]), rule("tcp", Some((5433, 5499)), &["::/0"]), rule("tcp", Some((5501, 5600)), &["::/0"]), rule("tcp", Some((5602, 5700)), &["::/0"])];
        let d = described(vec![rule("tcp", Some((5400, 5700)), &["::/0"])], narrowed.clone());
        let throttled = mock!(Client::revoke_security_group_ingress)
            .match_requests(|r| r.ip_permissions() == [rule("tcp", Some((5400, 5700)), &["::/0"])])
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
