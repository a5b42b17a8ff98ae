//! RDS.13: turn on automatic minor version upgrades of a DB instance.
//!
//! Minor versions carry security fixes; RDS installs them in the
//! maintenance window. Turning the setting on restarts nothing by itself.
//! Aurora instances have the setting too, so it is set on the instance
//! whether or not it is in a cluster.

use super::{Setting, Target, TurnOn, INSTANCE};
use crate::{ControlMeta, Service};

/// What RDS.13 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["RDS.13"],
    title: "RDS automatic minor version upgrades are enabled",
    service: Service::Rds,
    resource_type: INSTANCE,
    iam_actions: &["rds:DescribeDBInstances", "rds:ModifyDBInstance"],
    destructive: false,
    exemption_tag: None,
};

/// RDS.13's control.
const CONTROL: TurnOn = TurnOn {
    meta: &META,
    setting: Setting::AutoMinorVersionUpgrade,
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
    async fn turns_on_minor_version_upgrades() {
        check_turn_on_cases(&CONTROL).await;
    }
}
