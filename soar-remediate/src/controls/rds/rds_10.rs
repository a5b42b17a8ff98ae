//! RDS.10: turn on IAM database authentication of a DB instance.
//!
//! Users can then sign in with short-lived IAM tokens instead of stored
//! passwords; password sign-in keeps working. RDS applies the change in the
//! maintenance window unless `rds_apply_immediately` is set, and the plan
//! says which. An instance of a DB cluster takes the setting from the
//! cluster (RDS.12): it is ticketed.

use super::{Setting, Target, TurnOn, INSTANCE};
use crate::{ControlMeta, Service};

/// What RDS.10 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["RDS.10"],
    title: "IAM authentication is configured for RDS DB instances",
    service: Service::Rds,
    resource_type: INSTANCE,
    iam_actions: &["rds:DescribeDBInstances", "rds:ModifyDBInstance"],
    destructive: false,
    exemption_tag: None,
};

/// RDS.10's control.
const CONTROL: TurnOn = TurnOn {
    meta: &META,
    setting: Setting::IamAuthentication,
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
    async fn turns_on_iam_authentication_of_an_instance() {
        check_turn_on_cases(&CONTROL).await;
    }
}
