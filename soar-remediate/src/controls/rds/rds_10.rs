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

    #[tokio::test]
    async fn it_waits_for_the_window_unless_told_and_the_plan_says_which() {
        use aws_sdk_rds::types::PendingModifiedValues;

        use crate::controls::rds::testing::{instance, instance_finding, instances, modify_instance};
        use crate::testkit::{mock_context, RuleMode};
        use crate::{remediate, Mode, Outcome, Settings};

        let off = instance(|b| b.iam_database_authentication_enabled(false));
        let pending = instance(|b| {
            b.iam_database_authentication_enabled(false).pending_modified_values(
                PendingModifiedValues::builder()
                    .iam_database_authentication_enabled(true)
                    .build(),
            )
        });
        let tuesday = soar_core::Timestamp::parse("2026-12-01T12:00:00Z").unwrap();

        // Already pending: reconsidered when the window (Sundays 05:00 to
        // 05:30) has passed, with no write.
        let read = instances(pending.clone(), 1, pending.clone());
        let write = modify_instance(|_| true, false);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&read, &write]);
        let report = remediate(&CONTROL, &ctx.with_now(tuesday), &instance_finding("RDS.10"), Mode::Apply).await;
        assert_eq!(
            report.outcome,
            Outcome::ReconsiderLater { until: "2026-12-06T05:30:00Z".to_owned() }
        );
        assert_eq!(write.num_calls(), 0);

        // rds_apply_immediately: the request and the plan say now.
        let read = instances(off, 1, pending);
        let write = modify_instance(
            |r| r.enable_iam_database_authentication() == Some(true) && r.apply_immediately() == Some(true),
            false,
        );
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&read, &write]);
        let settings = Settings { rds_apply_immediately: true, ..Settings::default() };
        let report = remediate(&CONTROL, &ctx.with_settings(settings), &instance_finding("RDS.10"), Mode::Apply).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(write.num_calls(), 1);
        assert!(report.changes[0].description.contains("now (rds_apply_immediately"), "{report:?}");
    }
}
