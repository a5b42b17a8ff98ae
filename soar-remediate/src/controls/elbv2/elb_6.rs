//! ELB.6: turn on deletion protection for a load balancer.
//!
//! With it on, `DeleteLoadBalancer` fails until someone turns it off again,
//! so a stack teardown or a stray script cannot take a production entry
//! point away in one call.

use super::{TurnOnAttribute, APPLICATION, GATEWAY, NETWORK};
use crate::{ControlMeta, Service};

/// What ELB.6 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["ELB.6"],
    title: "Application, Gateway and Network Load Balancers have deletion protection on",
    service: Service::Elbv2,
    resource_type: "AwsElbv2LoadBalancer",
    iam_actions: &[
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:ModifyLoadBalancerAttributes",
    ],
    destructive: false,
    exemption_tag: None,
};

/// The attribute ELB.6 checks.
const DELETION_PROTECTION: &str = "deletion_protection.enabled";

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(TurnOnAttribute {
        meta: &META,
        key: DELETION_PROTECTION,
        what: "deletion protection",
        kinds: &[APPLICATION, NETWORK, GATEWAY],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controls::elbv2::testing::check_turn_on_cases;

    #[tokio::test]
    async fn turns_on_deletion_protection_and_nothing_else() {
        check_turn_on_cases(
            &*remediation(),
            &[(DELETION_PROTECTION, "false"), ("access_logs.s3.enabled", "false")],
            &[(DELETION_PROTECTION, "true"), ("access_logs.s3.enabled", "false")],
            &[(DELETION_PROTECTION, "true")],
        )
        .await;
    }
}
