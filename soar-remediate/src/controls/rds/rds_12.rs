//! RDS.12: turn on IAM database authentication of a DB cluster.
//!
//! As RDS.10, for clusters: applied in the maintenance window unless
//! `rds_apply_immediately` is set.

use super::{Setting, Target, TurnOn, CLUSTER};
use crate::{ControlMeta, Service};

/// What RDS.12 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["RDS.12"],
    title: "IAM authentication is configured for RDS DB clusters",
    service: Service::Rds,
    resource_type: CLUSTER,
    iam_actions: &["rds:DescribeDBClusters", "rds:ModifyDBCluster"],
    destructive: false,
    exemption_tag: None,
};

/// RDS.12's control.
const CONTROL: TurnOn = TurnOn {
    meta: &META,
    setting: Setting::IamAuthentication,
    target: Target::Cluster,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(CONTROL)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controls::rds::testing::check_turn_on_cases;

    #[tokio::test]
    async fn turns_on_iam_authentication_of_a_cluster() {
        check_turn_on_cases(&CONTROL).await;
    }
}
