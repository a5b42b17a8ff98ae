//! RDS.11: turn on automated backups of a DB instance, kept at least
//! `rds_backup_retention_days` (7) days.
//!
//! A longer retention is kept. Going from no backups to some restarts the
//! instance, so RDS does that in the next maintenance window unless
//! `rds_apply_immediately` is set; a longer retention than one already on
//! is applied at once. The plan says which. An instance in a DB cluster is
//! backed up by its cluster: it is ticketed.

use async_trait::async_trait;
use aws_sdk_rds::types::DbInstance;
use soar_asff::Finding;

use super::{
    available_instance, busy, describe_instance, identifier, next_window_end, timing, Readiness,
    INSTANCE,
};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What RDS.11 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["RDS.11"],
    title: "RDS instances have automatic backups enabled",
    service: Service::Rds,
    resource_type: INSTANCE,
    iam_actions: &["rds:DescribeDBInstances", "rds:ModifyDBInstance"],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(KeepBackups)
}

/// Sets the backup retention; nothing else changes.
pub(crate) struct KeepBackups;

/// The retention in place, and the one pending, in days.
fn retention(instance: &DbInstance) -> (i32, Option<i32>) {
    (
        instance.backup_retention_period().unwrap_or(0),
        instance
            .pending_modified_values()
            .and_then(|p| p.backup_retention_period()),
    )
}

#[async_trait]
impl Remediation for KeepBackups {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let id = identifier(finding, &META)?;
        let days = ctx.settings.rds_backup_retention_days.max(1);
        let instance = describe_instance(ctx, &id).await?;
        if retention(&instance).0 >= days {
            return Ok(Plan::compliant(control, id));
        }
        if let Some(cluster) = instance.db_cluster_identifier() {
            return Err(RemediationError::CannotFix {
                control_id: control.to_owned(),
                reason: format!(
                    "DB instance {id} is in DB cluster {cluster}, which holds its backups: set the cluster's backup retention"
                ),
            });
        }
        let instance = match available_instance(ctx, instance).await? {
            Readiness::Ready(instance) => instance,
            Readiness::Busy(status) => return Ok(busy(ctx, control, "DB instance", &id, &status)),
        };
        let window = instance.preferred_maintenance_window();
        let (current, pending) = retention(&instance);
        if current >= days {
            return Ok(Plan::compliant(control, id));
        }
        if pending.is_some_and(|p| p >= days) {
            return Ok(Plan::not_yet(
                control,
                id,
                next_window_end(window, ctx.now()),
                format!("a backup retention of {} days is pending for the maintenance window", pending.unwrap_or(days)),
            ));
        }
        let description = if current == 0 {
            format!(
                "turn on automated backups of DB instance {id}, kept {days} days (from none: the instance restarts), {}",
                timing(ctx, window)
            )
        } else {
            format!("keep automated backups of DB instance {id} {days} days instead of {current}, now")
        };
        let change = Plan::change("rds:ModifyDBInstance", description);
        Ok(Plan::changes(control, id, vec![change], serde_json::json!({ "from_days": current })))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        let days = ctx.settings.rds_backup_retention_days.max(1);
        let from: i32 = plan.data_as("from_days")?;
        // Only turning backups on waits for the window; RDS applies a
        // longer retention at once whatever the request says.
        let now = (from == 0).then_some(ctx.settings.rds_apply_immediately);
        ctx.rds()
            .modify_db_instance()
            .db_instance_identifier(&plan.resource)
            .backup_retention_period(days)
            .set_apply_immediately(now)
            .send()
            .await
            .map_err(|e| RemediationError::aws("ModifyDBInstance", &e))?;
        let when = match now {
            Some(false) => ", in the next maintenance window",
            _ => "",
        };
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Set the backup retention of DB instance {} to {days} days (was {from}){when}.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        let days = ctx.settings.rds_backup_retention_days.max(1);
        let (current, pending) = retention(&describe_instance(ctx, &identifier(finding, &META)?).await?);
        // Pending for the maintenance window counts: soar's part is done.
        Ok(current >= days || pending.is_some_and(|p| p >= days))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_rds::operation::modify_db_instance::ModifyDbInstanceInput;
    use aws_sdk_rds::types::PendingModifiedValues;

    use super::*;
    use crate::controls::rds::testing::{
        instance, instance_change_denied, instance_finding, instance_gone, instances,
        modify_instance,
    };
    use crate::testkit::{assert_fixed_once, mock_context, Rule, RuleMode};
    use crate::{remediate, Mode, Report, Settings};

    fn kept(days: i32) -> DbInstance {
        instance(|b| b.backup_retention_period(days))
    }

    fn pending(days: i32) -> DbInstance {
        instance(|b| {
            b.backup_retention_period(0).pending_modified_values(
                PendingModifiedValues::builder().backup_retention_period(days).build(),
            )
        })
    }

    fn retaining(
        days: i32,
        immediately: Option<bool>,
    ) -> impl Fn(&ModifyDbInstanceInput) -> bool + Send + Sync {
        move |r| {
            r.backup_retention_period() == Some(days)
                && r.apply_immediately() == immediately
                && r.preferred_backup_window().is_none()
                && r.multi_az().is_none()
        }
    }

    async fn run(settings: Settings, rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        let ctx = ctx
            .with_settings(settings)
            .with_now(soar_core::Timestamp::parse("2026-12-01T12:00:00Z").unwrap());
        remediate(&KeepBackups, &ctx, &instance_finding("RDS.11"), Mode::Apply).await
    }

    #[tokio::test]
    async fn turns_backups_on_in_the_maintenance_window() {
        let (read, write) = (instances(kept(0), 1, pending(7)), modify_instance(retaining(7, Some(false)), false));
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&read, &write]);
        let report = remediate(&KeepBackups, &ctx, &instance_finding("RDS.11"), Mode::Apply).await;
        assert_fixed_once(&META, &report, &write, &recorder);
        let planned = &report.changes[0].description;
        assert!(planned.contains("the instance restarts") && planned.contains("maintenance window"), "{planned}");
    }

    #[tokio::test]
    async fn a_short_retention_is_lengthened_at_once_to_the_setting() {
        let settings = Settings { rds_backup_retention_days: 14, ..Settings::default() };
        let (read, write) = (instances(kept(3), 1, kept(14)), modify_instance(retaining(14, None), false));
        let report = run(settings, &[&read, &write]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(write.num_calls(), 1);
        assert!(report.changes[0].description.contains("14 days instead of 3, now"), "{report:?}");
    }

    #[tokio::test]
    async fn a_longer_retention_is_kept() {
        let (read, write) = (instances(kept(35), 1, kept(35)), modify_instance(retaining(7, None), false));
        assert_eq!(run(Settings::default(), &[&read, &write]).await.outcome, Outcome::AlreadyCompliant);
        assert_eq!(write.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_pending_retention_is_reconsidered_after_the_window() {
        let (read, write) = (instances(pending(7), 1, pending(7)), modify_instance(retaining(7, Some(false)), false));
        let report = run(Settings::default(), &[&read, &write]).await;
        assert_eq!(report.outcome, Outcome::ReconsiderLater { until: "2026-12-06T05:30:00Z".to_owned() });
        assert_eq!(write.num_calls(), 0);
    }

    #[tokio::test]
    async fn gone_denied_throttled_and_cluster_members() {
        let report = run(Settings::default(), &[&instance_gone()]).await;
        assert!(matches!(report.outcome, Outcome::Suppress { .. }), "{report:?}");

        let read = instances(kept(0), 1, kept(0));
        let report = run(Settings::default(), &[&read, &instance_change_denied()]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("ModifyDBInstance failed (access denied)") && reason.contains("not authorized")),
            "{report:?}"
        );

        let (read, write) = (instances(kept(0), 1, pending(7)), modify_instance(retaining(7, Some(false)), true));
        let report = run(Settings::default(), &[&read, &write]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(write.num_calls(), 2);

        let member = instance(|b| b.backup_retention_period(1).db_cluster_identifier("orders-cluster"));
        let (read, write) = (instances(member.clone(), 1, member), modify_instance(retaining(7, None), false));
        let report = run(Settings::default(), &[&read, &write]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains("orders-cluster")),
            "{report:?}"
        );
        assert_eq!(write.num_calls(), 0);
    }
}
