//! ELB.4: make an Application Load Balancer drop HTTP headers that are not
//! valid.
//!
//! Headers whose names do not match `[-A-Za-z0-9]+` are removed before the
//! request reaches the targets, which closes request-smuggling tricks that
//! rely on a proxy and a backend reading such headers differently.

use super::{TurnOnAttribute, APPLICATION};
use crate::{ControlMeta, Service};

/// What ELB.4 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["ELB.4"],
    title: "Application Load Balancers drop invalid HTTP headers",
    service: Service::Elbv2,
    resource_type: "AwsElbv2LoadBalancer",
    iam_actions: &[
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:ModifyLoadBalancerAttributes",
    ],
    destructive: false,
    exemption_tag: None,
};

/// The attribute ELB.4 checks.
const DROP_INVALID_HEADERS: &str = "routing.http.drop_invalid_header_fields.enabled";

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(TurnOnAttribute {
        meta: &META,
        key: DROP_INVALID_HEADERS,
        what: "dropping invalid HTTP headers",
        kinds: &[APPLICATION],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controls::elbv2::testing::check_turn_on_cases;

    #[tokio::test]
    async fn turns_on_dropping_invalid_headers_and_nothing_else() {
        check_turn_on_cases(
            &*remediation(),
            &[(DROP_INVALID_HEADERS, "false"), ("idle_timeout.timeout_seconds", "60")],
            &[(DROP_INVALID_HEADERS, "true"), ("idle_timeout.timeout_seconds", "60")],
            &[(DROP_INVALID_HEADERS, "true")],
        )
        .await;
    }
}
