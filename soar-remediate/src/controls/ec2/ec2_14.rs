//! EC2.14: no security group lets the world (`0.0.0.0/0`, `::/0`) reach
//! TCP port 3389 (RDP).
//!
//! As EC2.13 does for SSH: only the world-open sources of the rules that
//! cover port 3389 go, the rules' other sources and the world's other
//! ports stay (see [`CloseWorldIngress`]).

use super::{CloseWorldIngress, Objection, INGRESS_ACTIONS};
use crate::{ControlMeta, Service};

/// What EC2.14 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["EC2.14"],
    title: "Security groups do not allow ingress from 0.0.0.0/0 or ::/0 to port 3389",
    service: Service::Ec2,
    resource_type: "AwsEc2SecurityGroup",
    iam_actions: INGRESS_ACTIONS,
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
    use super::super::sg_testing::{check_standard_cases, rule};
    use super::*;

    /// Success, already compliant, gone, denied and throttled.
    #[tokio::test]
    async fn removes_the_world_from_rdp_and_keeps_its_other_ports() {
        check_standard_cases(
            &CLOSE_RDP,
            rule("tcp", Some((3000, 4000)), &["0.0.0.0/0"]),
            vec![rule("tcp", Some((3000, 3388)), &["0.0.0.0/0"]), rule("tcp", Some((3390, 4000)), &["0.0.0.0/0"])],
            rule("tcp", Some((3389, 3389)), &["192.168.0.0/16"]),
        )
        .await;
    }
}
