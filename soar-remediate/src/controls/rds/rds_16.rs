//! RDS.16: make a DB cluster copy its tags to its snapshots.
//!
//! Snapshots then carry the cluster's owner, data classification and cost
//! tags, which access policies and cleanups rely on. It takes effect at
//! once, with no restart.

use super::{Setting, Target, TurnOn, CLUSTER};
use crate::{ControlMeta, Service};

/// What RDS.16 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["RDS.16"],
    title: "RDS DB clusters copy tags to snapshots",
    service: Service::Rds,
    resource_type: CLUSTER,
    iam_actions: &["rds:DescribeDBClusters", "rds:ModifyDBCluster"],
    destructive: false,
    exemption_tag: None,
};

/// RDS.16's control.
const CONTROL: TurnOn = TurnOn {
    meta: &META,
    setting: Setting::CopyTagsToSnapshot,
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
    async fn turns_on_copying_tags_of_a_cluster() {
        check_turn_on_cases(&CONTROL).await;
    }
}
