//! RDS.7: turn on deletion protection of a DB cluster.
//!
//! A protected cluster cannot be deleted until the protection is turned
//! off again: a deletion by mistake, or by a stolen credential without
//! `rds:ModifyDBCluster`, fails. It takes effect at once, with no restart.

use super::{Setting, Target, TurnOn, CLUSTER};
use crate::{ControlMeta, Service};

/// What RDS.7 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["RDS.7"],
    title: "RDS DB clusters have deletion protection enabled",
    service: Service::Rds,
    resource_type: CLUSTER,
    iam_actions: &["rds:DescribeDBClusters", "rds:ModifyDBCluster"],
    destructive: false,
    exemption_tag: None,
};

/// RDS.7's control.
const CONTROL: TurnOn = TurnOn {
    meta: &META,
    setting: Setting::DeletionProtection,
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
    async fn turns_on_deletion_protection_of_a_cluster() {
        check_turn_on_cases(&CONTROL).await;
    }
}
