//! EC2.19: no security group lets the world (`0.0.0.0/0`, `::/0`) reach a
//! high-risk port.
//!
//! The ports are the setting `ec2_high_risk_ports`, Security Hub's list by
//! default (20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306,
//! 3389, 4333, 5000, 5432, 5500, 5601, 8080, 8088, 8888, 9200, 9300). The
//! world keeps a wider rule's other ports (see [`CloseWorldIngress`]).

use super::{CloseWorldIngress, Objection, INGRESS_ACTIONS};
use crate::{ControlMeta, Service};

/// What EC2.19 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["EC2.19"],
    title: "Security groups do not allow unrestricted access to ports with high risk",
    service: Service::Ec2,
    resource_type: "AwsEc2SecurityGroup",
    iam_actions: INGRESS_ACTIONS,
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
    use super::super::sg_testing::{check_standard_cases, rule};
    use super::*;

    /// Success, already compliant, gone, denied and throttled.
    #[tokio::test]
    async fn removes_the_world_from_high_risk_ports_only() {
        check_standard_cases(
            &CLOSE_HIGH_RISK_PORTS,
            rule("tcp", Some((5400, 5700)), &["::/0"]),
            vec![rule("tcp", Some((5400, 5431)), &["::/0"]), rule("tcp", Some((5433, 5499)), &["::/0"]), rule("tcp", Some((5501, 5600)), &["::/0"]), rule("tcp", Some((5602, 5700)), &["::/0"])],
            rule("tcp", Some((5432, 5432)), &["10.0.0.0/8"]),
        )
        .await;
    }
}
