//! RDS.5: make a DB instance Multi-AZ.
//!
//! RDS keeps a synchronous standby in another Availability Zone and fails
//! over to it. The conversion takes no downtime, but it snapshots the
//! instance and may slow it while the standby is made, so it happens in
//! the next maintenance window unless `rds_apply_immediately` is set; the
//! plan says which. Aurora instances are highly available through their
//! cluster's storage and replicas, not this setting: they are ticketed.

use async_trait::async_trait;
use soar_asff::Finding;

use super::{
    available_instance, busy, describe_instance, identifier, next_window_end, timing, Readiness,
    State, INSTANCE,
};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What RDS.5 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["RDS.5"],
    title: "RDS DB instances are configured with multiple Availability Zones",
    service: Service::Rds,
    resource_type: INSTANCE,
    iam_actions: &["rds:DescribeDBInstances", "rds:ModifyDBInstance"],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(MakeMultiAz)
}

/// Converts a Single-AZ instance to Multi-AZ; nothing else changes.
pub(crate) struct MakeMultiAz;

fn multi_az(instance: &aws_sdk_rds::types::DbInstance) -> State {
    let pending = instance.pending_modified_values().and_then(|p| p.multi_az());
    match (instance.multi_az(), pending) {
        (Some(true), _) => State::On,
        (_, Some(true)) => State::Pending,
        _ => State::Off,
    }
}

#[async_trait]
impl Remediation for MakeMultiAz {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let id = identifier(finding, &META)?;
        let instance = describe_instance(ctx, &id).await?;
        if multi_az(&instance) == State::On {
            return Ok(Plan::compliant(control, id));
        }
        if let Some(cluster) = instance.db_cluster_identifier() {
            return Err(RemediationError::CannotFix {
                control_id: control.to_owned(),
                reason: format!(
                    "DB instance {id} is in DB cluster {cluster}: a cluster is made highly available with replicas in other Availability Zones, not with Multi-AZ"
                ),
            });
        }
        let instance = match available_instance(ctx, instance).await? {
            Readiness::Ready(instance) => instance,
            Readiness::Busy(status) => return Ok(busy(ctx, control, "DB instance", &id, &status)),
        };
        let window = instance.preferred_maintenance_window();
        match multi_az(&instance) {
            State::On => return Ok(Plan::compliant(control, id)),
            State::Pending => {
                return Ok(Plan::not_yet(
                    control,
                    id,
                    next_window_end(window, ctx.now()),
                    "the conversion to Multi-AZ is pending for the maintenance window",
                ))
            }
            State::Off => {}
        }
        let change = Plan::change(
            "rds:ModifyDBInstance",
            format!(
                "convert DB instance {id} to Multi-AZ (a standby in another Availability Zone; no downtime, but slower I/O while the standby is made), {}",
                timing(ctx, window)
            ),
        );
        Ok(Plan::changes(control, id, vec![change], serde_json::Value::Null))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        let now = ctx.settings.rds_apply_immediately;
        ctx.rds()
            .modify_db_instance()
            .db_instance_identifier(&plan.resource)
            .multi_az(true)
            .apply_immediately(now)
            .send()
            .await
            .map_err(|e| RemediationError::aws("ModifyDBInstance", &e))?;
        let when = if now { "now" } else { "in the next maintenance window" };
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Converted DB instance {} to Multi-AZ, {when}.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        let instance = describe_instance(ctx, &identifier(finding, &META)?).await?;
        // Pending for the maintenance window counts: soar's part is done.
        Ok(multi_az(&instance) != State::Off)
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_rds::operation::modify_db_instance::ModifyDbInstanceInput;
    use aws_sdk_rds::types::{DbInstance, PendingModifiedValues};

    use super::*;
    use crate::controls::rds::testing::{
        instance, instance_change_denied, instance_finding, instance_gone, instances,
        modify_instance, WINDOW,
    };
    use crate::testkit::{assert_fixed_once, mock_context, Rule, RuleMode};
    use crate::{remediate, Mode, Report, Settings};

    fn single_az() -> DbInstance {
        instance(|b| b.multi_az(false))
    }

    fn pending() -> DbInstance {
        instance(|b| {
            b.multi_az(false)
                .pending_modified_values(PendingModifiedValues::builder().multi_az(true).build())
        })
    }

    fn converting(immediately: bool) -> impl Fn(&ModifyDbInstanceInput) -> bool + Send + Sync {
        move |r| {
            r.multi_az() == Some(true)
                && r.apply_immediately() == Some(immediately)
                && r.db_instance_class().is_none()
                && r.allocated_storage().is_none()
        }
    }

    async fn run_with(settings: Settings, rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        let ctx = ctx
            .with_settings(settings)
            .with_now(soar_core::Timestamp::parse("2026-12-01T12:00:00Z").unwrap());
        remediate(&MakeMultiAz, &ctx, &instance_finding("RDS.5"), Mode::Apply).await
    }

    async fn run(rules: &[&Rule]) -> Report {
        run_with(Settings::default(), rules).await
    }

    #[tokio::test]
    async fn converts_in_the_maintenance_window_by_default() {
        let (read, write) = (instances(single_az(), 1, pending()), modify_instance(converting(false), false));
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&read, &write]);
        let report = remediate(&MakeMultiAz, &ctx, &instance_finding("RDS.5"), Mode::Apply).await;
        assert_fixed_once(&META, &report, &write, &recorder);
        assert!(
            report.changes[0].description.contains(&format!("in the next maintenance window ({WINDOW})")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn converts_now_when_configured_and_the_plan_says_so() {
        let settings = Settings { rds_apply_immediately: true, ..Settings::default() };
        let read = instances(single_az(), 1, instance(|b| b.multi_az(true)));
        let write = modify_instance(converting(true), false);
        let report = run_with(settings, &[&read, &write]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(write.num_calls(), 1);
        assert!(report.changes[0].description.contains("now (rds_apply_immediately"), "{report:?}");
    }

    #[tokio::test]
    async fn a_multi_az_instance_gets_no_write() {
        let on = instance(|b| b.multi_az(true));
        let (read, write) = (instances(on.clone(), 1, on), modify_instance(converting(false), false));
        assert_eq!(run(&[&read, &write]).await.outcome, Outcome::AlreadyCompliant);
        assert_eq!(write.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_pending_conversion_is_reconsidered_after_the_window() {
        let (read, write) = (instances(pending(), 1, pending()), modify_instance(converting(false), false));
        let report = run(&[&read, &write]).await;
        // The window is Sundays 05:00-05:30; 2026-12-01 is a Tuesday.
        assert_eq!(
            report.outcome,
            Outcome::ReconsiderLater { until: "2026-12-06T05:30:00Z".to_owned() }
        );
        assert_eq!(write.num_calls(), 0);
    }

    #[tokio::test]
    async fn an_aurora_instance_is_a_ticket() {
        let member = instance(|b| b.multi_az(false).db_cluster_identifier("orders-cluster"));
        let (read, write) = (instances(member.clone(), 1, member), modify_instance(converting(false), false));
        let report = run(&[&read, &write]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains("orders-cluster")),
            "{report:?}"
        );
        assert_eq!(write.num_calls(), 0);
    }

    #[tokio::test]
    async fn gone_denied_and_throttled() {
        let report = run(&[&instance_gone()]).await;
        assert!(matches!(report.outcome, Outcome::Suppress { .. }), "{report:?}");

        let read = instances(single_az(), 1, single_az());
        let report = run(&[&read, &instance_change_denied()]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("ModifyDBInstance failed (access denied)") && reason.contains("not authorized")),
            "{report:?}"
        );

        let (read, write) = (instances(single_az(), 1, pending()), modify_instance(converting(false), true));
        let report = run(&[&read, &write]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(write.num_calls(), 2);
    }
}
