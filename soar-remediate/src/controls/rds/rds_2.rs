//! RDS.2: make a DB instance not publicly accessible.
//!
//! A publicly accessible instance's endpoint resolves to a public address;
//! turned off, it resolves to the private one only, so the instance can be
//! reached from its VPC (and peered networks) alone. RDS applies it at
//! once. RDS changes only an `available` instance: a busy one is read
//! again, a bounded number of times (`rds_wait_attempts`), and if it is
//! still busy the outcome is `ReconsiderLater`.

use async_trait::async_trait;
use soar_asff::Finding;

use super::{available_instance, busy, describe_instance, identifier, Readiness, INSTANCE};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What RDS.2 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["RDS.2"],
    title: "RDS DB instances prohibit public access",
    service: Service::Rds,
    resource_type: INSTANCE,
    iam_actions: &["rds:DescribeDBInstances", "rds:ModifyDBInstance"],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(MakePrivate)
}

/// Turns off public accessibility; nothing else changes.
pub(crate) struct MakePrivate;

#[async_trait]
impl Remediation for MakePrivate {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let id = identifier(finding, &META)?;
        let instance = describe_instance(ctx, &id).await?;
        if instance.publicly_accessible() != Some(true) {
            return Ok(Plan::compliant(control, id));
        }
        let instance = match available_instance(ctx, instance).await? {
            Readiness::Ready(instance) => instance,
            Readiness::Busy(status) => return Ok(busy(ctx, control, "DB instance", &id, &status)),
        };
        if instance.publicly_accessible() != Some(true) {
            return Ok(Plan::compliant(control, id));
        }
        let change = Plan::change(
            "rds:ModifyDBInstance",
            format!(
                "make DB instance {id} not publicly accessible (its endpoint resolves to its private address only), now"
            ),
        );
        Ok(Plan::changes(control, id, vec![change], serde_json::Value::Null))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        ctx.rds()
            .modify_db_instance()
            .db_instance_identifier(&plan.resource)
            .publicly_accessible(false)
            .send()
            .await
            .map_err(|e| RemediationError::aws("ModifyDBInstance", &e))?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Made DB instance {} not publicly accessible.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        let instance = describe_instance(ctx, &identifier(finding, &META)?).await?;
        Ok(instance.publicly_accessible() != Some(true))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput;
    use aws_sdk_rds::operation::modify_db_instance::ModifyDbInstanceInput;
    use aws_sdk_rds::types::DbInstance;
    use aws_sdk_rds::Client;

    use super::*;
    use crate::controls::rds::testing::{
        instance, instance_change_denied, instance_finding, instance_gone, instances,
        modify_instance,
    };
    use crate::testkit::{assert_fixed_once, mock, mock_context, Rule, RuleMode};
    use crate::{remediate, Mode, Report, Settings};

    fn public(on: bool) -> DbInstance {
        instance(|b| b.publicly_accessible(on))
    }

    fn busy_public() -> DbInstance {
        instance(|b| b.publicly_accessible(true).db_instance_status("modifying"))
    }

    /// Public access off, and nothing else.
    fn private(r: &ModifyDbInstanceInput) -> bool {
        r.publicly_accessible() == Some(false)
            && r.apply_immediately().is_none()
            && r.multi_az().is_none()
            && r.vpc_security_group_ids().is_empty()
            && r.db_subnet_group_name().is_none()
    }

    async fn run(rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        remediate(&MakePrivate, &ctx, &instance_finding("RDS.2"), Mode::Apply).await
    }

    #[tokio::test]
    async fn turns_off_public_access() {
        let (read, write) = (instances(public(true), 1, public(false)), modify_instance(private, false));
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&read, &write]);
        let report = remediate(&MakePrivate, &ctx, &instance_finding("RDS.2"), Mode::Apply).await;
        assert_fixed_once(&META, &report, &write, &recorder);
        assert!(report.changes[0].description.ends_with("now"), "{report:?}");
    }

    #[tokio::test]
    async fn a_private_instance_gets_no_write() {
        let (read, write) = (instances(public(false), 1, public(false)), modify_instance(private, false));
        assert_eq!(run(&[&read, &write]).await.outcome, Outcome::AlreadyCompliant);
        assert_eq!(write.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_deleted_instance_is_suppressed() {
        let report = run(&[&instance_gone()]).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("DBInstanceNotFound")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket_with_the_reason() {
        let read = instances(public(true), 1, public(true));
        let report = run(&[&read, &instance_change_denied()]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("ModifyDBInstance failed (access denied)") && reason.contains("not authorized")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_write_is_retried() {
        let (read, write) = (instances(public(true), 1, public(false)), modify_instance(private, true));
        let report = run(&[&read, &write]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(write.num_calls(), 2);
    }

    #[tokio::test]
    async fn an_instance_that_becomes_available_is_changed() {
        // Modifying for two reads, then available, then private.
        let answer = |instance: DbInstance| {
            move || DescribeDbInstancesOutput::builder().db_instances(instance.clone()).build()
        };
        let read = mock!(Client::describe_db_instances)
            .sequence()
            .output(answer(busy_public()))
            .output(answer(busy_public()))
            .output(answer(public(true)))
            .output(answer(public(false)))
            .repeatedly()
            .build();
        let write = modify_instance(private, false);
        let report = run(&[&read, &write]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!((read.num_calls(), write.num_calls()), (4, 1));
    }

    #[tokio::test]
    async fn an_instance_busy_past_the_wait_is_reconsidered_later() {
        let read = instances(busy_public(), 0, busy_public());
        let write = modify_instance(private, false);
        let settings = Settings {
            rds_wait_attempts: 3,
            rds_reconsider_after_minutes: 20,
            ..Settings::default()
        };
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&read, &write]);
        let ctx = ctx
            .with_settings(settings)
            .with_now(soar_core::Timestamp::parse("2026-12-01T12:00:00Z").unwrap());
        let report = remediate(&MakePrivate, &ctx, &instance_finding("RDS.2"), Mode::Apply).await;
        assert_eq!(
            report.outcome,
            Outcome::ReconsiderLater { until: "2026-12-01T12:20:00Z".to_owned() }
        );
        assert_eq!((read.num_calls(), write.num_calls()), (3, 0));
    }
}
