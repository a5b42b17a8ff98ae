//! RDS.17: make a DB instance copy its tags to its snapshots.
//!
//! As RDS.16, for instances. An instance of a DB cluster takes the setting
//! from the cluster (RDS.16): it is ticketed.

use super::{Setting, Target, TurnOn, INSTANCE};
use crate::{ControlMeta, Service};

/// What RDS.17 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["RDS.17"],
    title: "RDS DB instances copy tags to snapshots",
    service: Service::Rds,
    resource_type: INSTANCE,
    iam_actions: &["rds:DescribeDBInstances", "rds:ModifyDBInstance"],
    destructive: false,
    exemption_tag: None,
};

/// RDS.17's control.
const CONTROL: TurnOn = TurnOn {
    meta: &META,
    setting: Setting::CopyTagsToSnapshot,
    target: Target::Instance,
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
    async fn turns_on_copying_tags_of_an_instance() {
        check_turn_on_cases(&CONTROL).await;
    }
}
