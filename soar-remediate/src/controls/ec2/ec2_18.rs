//! EC2.18: a security group lets the world (`0.0.0.0/0`, `::/0`) in only
//! on authorised ports.
//!
//! The authorised ports are settings, `ec2_authorized_tcp_ports` (80 and
//! 443 by default, as in Security Hub) and `ec2_authorized_udp_ports`
//! (none). A world-open rule on other ports keeps the world only on its
//! authorised ports; an "all traffic" rule becomes its authorised TCP and
//! UDP ports, since only port-based protocols can be authorised (see
//! [`CloseWorldIngress`]).

use super::{CloseWorldIngress, Objection, INGRESS_ACTIONS};
use crate::{ControlMeta, Service};

/// What EC2.18 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["EC2.18"],
    title: "Security groups only allow unrestricted incoming traffic for authorized ports",
    service: Service::Ec2,
    resource_type: "AwsEc2SecurityGroup",
    iam_actions: INGRESS_ACTIONS,
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
    use super::super::sg_testing::{authorizing, check_standard_cases, described, finding, revoking, rule};
    use super::*;
    use crate::testkit::mock_context;
    use crate::testkit::RuleMode;
    use crate::{remediate, Mode, Outcome};

    /// Success, already compliant, gone, denied and throttled.
    #[tokio::test]
    async fn all_traffic_from_the_world_becomes_the_authorised_ports() {
        check_standard_cases(
            &ONLY_AUTHORIZED_PORTS,
            rule("-1", None, &["0.0.0.0/0"]),
            vec![rule("tcp", Some((80, 80)), &["0.0.0.0/0"]), rule("tcp", Some((443, 443)), &["0.0.0.0/0"])],
            rule("tcp", Some((443, 443)), &["0.0.0.0/0", "::/0"]),
        )
        .await;
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
