//! RDS.8: turn on deletion protection of a DB instance.
//!
//! It takes effect at once, with no restart. An instance of an Aurora or
//! Multi-AZ DB cluster is protected by its cluster (RDS.7): it is ticketed.

use super::{Setting, Target, TurnOn, INSTANCE};
use crate::{ControlMeta, Service};

/// What RDS.8 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["RDS.8"],
    title: "RDS DB instances have deletion protection enabled",
    service: Service::Rds,
    resource_type: INSTANCE,
    iam_actions: &["rds:DescribeDBInstances", "rds:ModifyDBInstance"],
    destructive: false,
    exemption_tag: None,
};

/// RDS.8's control.
const CONTROL: TurnOn = TurnOn {
    meta: &META,
    setting: Setting::DeletionProtection,
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
    async fn turns_on_deletion_protection_of_an_instance() {
        check_turn_on_cases(&CONTROL).await;
    }
}
