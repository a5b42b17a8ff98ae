//! RDS.6: turn on enhanced monitoring of a DB instance.
//!
//! RDS then sends OS metrics every `rds_monitoring_interval_seconds` (60)
//! to CloudWatch Logs, through a role it assumes. Each account has one
//! such role, `soar-rds-monitoring`, with AWS's managed
//! `AmazonRDSEnhancedMonitoringRole` policy: found by name, created once,
//! and reused by every instance after. An instance that already names a
//! monitoring role keeps it. RDS applies the change at once, with no
//! restart.

use async_trait::async_trait;
use serde_json::json;
use soar_asff::Finding;

use super::{available_instance, busy, describe_instance, identifier, reconsider_at, Readiness, INSTANCE};
use crate::controls::control_id;
use crate::controls::service_role::{self, Role};
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What RDS.6 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["RDS.6"],
    title: "Enhanced monitoring is configured for RDS DB instances",
    service: Service::Rds,
    resource_type: INSTANCE,
    iam_actions: &[
        "rds:DescribeDBInstances",
        "rds:ModifyDBInstance",
        "iam:GetRole",
        "iam:CreateRole",
        "iam:AttachRolePolicy",
        "iam:PassRole",
    ],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(EnableEnhancedMonitoring)
}

/// Turns on enhanced monitoring with the account's monitoring role.
pub(crate) struct EnableEnhancedMonitoring;

/// The monitoring role's name, the same in every account.
pub(crate) const ROLE: &str = "soar-rds-monitoring";

/// The intervals RDS accepts, in seconds.
const INTERVALS: [i32; 6] = [1, 5, 10, 15, 30, 60];

fn monitoring_policy(partition: &str) -> String {
    format!("arn:{partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole")
}

#[async_trait]
impl Remediation for EnableEnhancedMonitoring {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let id = identifier(finding, &META)?;
        let interval = ctx.settings.rds_monitoring_interval_seconds;
        if !INTERVALS.contains(&interval) {
            return Err(RemediationError::CannotFix {
                control_id: control.to_owned(),
                reason: format!(
                    "rds_monitoring_interval_seconds is {interval}; RDS accepts {INTERVALS:?}"
                ),
            });
        }
        let instance = describe_instance(ctx, &id).await?;
        if instance.monitoring_interval().unwrap_or(0) > 0 {
            return Ok(Plan::compliant(control, id));
        }
        let instance = match available_instance(ctx, instance).await? {
            Readiness::Ready(instance) => instance,
            Readiness::Busy(status) => return Ok(busy(ctx, control, "DB instance", &id, &status)),
        };
        let role = match instance.monitoring_role_arn() {
            Some(arn) => Some(arn.to_owned()),
            None => service_role::role_arn(ctx, ROLE).await?,
        };
        let mut changes = Vec::with_capacity(3);
        if role.is_none() {
            changes.push(Plan::change(
                "iam:CreateRole",
                format!("create the enhanced-monitoring role {ROLE}, trusted by monitoring.rds.amazonaws.com"),
            ));
            changes.push(Plan::change(
                "iam:AttachRolePolicy",
                format!("attach AmazonRDSEnhancedMonitoringRole to {ROLE}"),
            ));
        }
        changes.push(Plan::change(
            "rds:ModifyDBInstance",
            format!(
                "turn on enhanced monitoring of DB instance {id} every {interval} seconds, with role {}, now",
                role.as_deref().unwrap_or(ROLE)
            ),
        ));
        Ok(Plan::changes(control, id, changes, json!({ "role_arn": role })))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        let mut actions_taken = Vec::new();
        let (role, created) = match plan.data["role_arn"].as_str() {
            Some(arn) => (arn.to_owned(), false),
            None => {
                let description = "Sends RDS enhanced monitoring metrics to CloudWatch Logs (soar RDS.6)";
                match service_role::create_role(ctx, ROLE, "monitoring.rds.amazonaws.com", description).await? {
                    Role::Existing(arn) => (arn, false),
                    Role::Created(arn) => {
                        ctx.iam()
                            .attach_role_policy()
                            .role_name(ROLE)
                            .policy_arn(monitoring_policy(ctx.partition()))
                            .send()
                            .await
                            .map_err(|e| {
                                RemediationError::aws("AttachRolePolicy", &e).about_another_resource()
                            })?;
                        actions_taken.push(format!("Created the enhanced-monitoring role {ROLE}."));
                        (arn, true)
                    }
                }
            }
        };
        let interval = ctx.settings.rds_monitoring_interval_seconds;
        let changed = ctx
            .rds()
            .modify_db_instance()
            .db_instance_identifier(&plan.resource)
            .monitoring_interval(interval)
            .monitoring_role_arn(&role)
            .send()
            .await;
        match changed {
            Ok(_) => {}
            // A role made a moment ago may not be assumable yet (IAM is
            // eventually consistent): the next try will find and use it.
            Err(e)
                if created
                    && crate::error::code_of(&e).is_some_and(|c| c.starts_with("InvalidParameter")) =>
            {
                tracing::info!(role, "the new monitoring role is not usable yet");
                return Ok(Outcome::ReconsiderLater {
                    until: reconsider_at(ctx).to_string(),
                });
            }
            Err(e) => return Err(RemediationError::aws("ModifyDBInstance", &e)),
        }
        actions_taken.push(format!(
            "Turned on enhanced monitoring of DB instance {} every {interval} seconds, with role {role}.",
            plan.resource
        ));
        Ok(Outcome::Remediated { actions_taken })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        let instance = describe_instance(ctx, &identifier(finding, &META)?).await?;
        Ok(instance.monitoring_interval().unwrap_or(0) > 0)
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_iam::operation::attach_role_policy::{AttachRolePolicyError, AttachRolePolicyOutput};
    use aws_sdk_iam::operation::create_role::CreateRoleOutput;
    use aws_sdk_iam::operation::get_role::{GetRoleError, GetRoleOutput};
    use aws_sdk_iam::types::Role as IamRole;
    use aws_sdk_iam::Client as Iam;
    use aws_sdk_rds::operation::modify_db_instance::{ModifyDBInstanceError, ModifyDbInstanceInput};
    use aws_sdk_rds::types::DbInstance;
    use aws_sdk_rds::Client as Rds;

    use super::*;
    use crate::controls::rds::testing::{
        instance, instance_change_denied, instance_finding, instance_gone, instances,
        modify_instance,
    };
    use crate::testkit::{assert_fixed_once, aws_error, mock, mock_context, Rule, RuleMode};
    use crate::{remediate, Mode, Report};

    const ROLE_ARN: &str = "arn:aws:iam::111111111111:role/soar-rds-monitoring";

    fn monitored(seconds: i32) -> DbInstance {
        instance(|b| b.monitoring_interval(seconds))
    }

    fn iam_role() -> IamRole {
        IamRole::builder()
            .path("/")
            .role_name(ROLE)
            .role_id("AROA")
            .arn(ROLE_ARN)
            .create_date(aws_smithy_types::DateTime::from_secs(0))
            .build()
            .unwrap()
    }

    fn role(exists: bool) -> Rule {
        let rule = mock!(Iam::get_role).match_requests(|r| r.role_name() == Some(ROLE));
        if exists {
            rule.then_output(|| GetRoleOutput::builder().role(iam_role()).build())
        } else {
            rule.then_error(|| {
                GetRoleError::generic(aws_error("NoSuchEntity", "The role with name soar-rds-monitoring cannot be found."))
            })
        }
    }

    fn create_role() -> Rule {
        mock!(Iam::create_role)
            .match_requests(|r| {
                r.role_name() == Some(ROLE)
                    && r.assume_role_policy_document().is_some_and(|p| {
                        let trust: serde_json::Value = serde_json::from_str(p).unwrap_or_default();
                        trust["Statement"][0]["Principal"]["Service"] == "monitoring.rds.amazonaws.com"
                    })
            })
            .then_output(|| CreateRoleOutput::builder().role(iam_role()).build())
    }

    fn attach() -> Rule {
        mock!(Iam::attach_role_policy)
            .match_requests(|r| {
                r.role_name() == Some(ROLE)
                    && r.policy_arn()
                        == Some("arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole")
            })
            .then_output(|| AttachRolePolicyOutput::builder().build())
    }

    fn monitoring_with(role: &'static str) -> impl Fn(&ModifyDbInstanceInput) -> bool + Send + Sync {
        move |r| {
            r.monitoring_interval() == Some(60)
                && r.monitoring_role_arn() == Some(role)
                && r.apply_immediately().is_none()
                && r.multi_az().is_none()
        }
    }

    async fn run(rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        remediate(&EnableEnhancedMonitoring, &ctx, &instance_finding("RDS.6"), Mode::Apply).await
    }

    #[tokio::test]
    async fn reuses_the_accounts_monitoring_role() {
        let (read, role, create) = (instances(monitored(0), 1, monitored(60)), role(true), create_role());
        let write = modify_instance(monitoring_with(ROLE_ARN), false);
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&read, &role, &create, &write]);
        let report = remediate(&EnableEnhancedMonitoring, &ctx, &instance_finding("RDS.6"), Mode::Apply).await;
        assert_fixed_once(&META, &report, &write, &recorder);
        assert_eq!(create.num_calls(), 0);
    }

    #[tokio::test]
    async fn creates_the_role_once_when_the_account_has_none() {
        let (read, role, create, attach) = (instances(monitored(0), 1, monitored(60)), role(false), create_role(), attach());
        let write = modify_instance(monitoring_with(ROLE_ARN), false);
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&read, &role, &create, &attach, &write]);
        let report = remediate(&EnableEnhancedMonitoring, &ctx, &instance_finding("RDS.6"), Mode::Apply).await;
        assert_fixed_once(&META, &report, &write, &recorder);
        assert_eq!((create.num_calls(), attach.num_calls()), (1, 1));
        assert_eq!(report.changes.len(), 3, "{report:?}");
    }

    #[tokio::test]
    async fn an_instance_with_its_own_role_keeps_it() {
        const THEIRS: &str = "arn:aws:iam::111111111111:role/rds-monitoring-role";
        let before = instance(|b| b.monitoring_interval(0).monitoring_role_arn(THEIRS));
        let (read, role) = (instances(before, 1, monitored(60)), role(true));
        let write = modify_instance(monitoring_with(THEIRS), false);
        let report = run(&[&read, &role, &write]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!((role.num_calls(), write.num_calls()), (0, 1));
    }

    #[tokio::test]
    async fn a_monitored_instance_gets_no_write() {
        let (read, write) = (instances(monitored(15), 1, monitored(15)), modify_instance(|_| true, false));
        assert_eq!(run(&[&read, &write]).await.outcome, Outcome::AlreadyCompliant);
        assert_eq!(write.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_role_not_usable_yet_is_reconsidered_later() {
        let (read, role, create, attach) = (instances(monitored(0), 1, monitored(0)), role(false), create_role(), attach());
        let refused = mock!(Rds::modify_db_instance).then_error(|| {
            ModifyDBInstanceError::generic(aws_error(
                "InvalidParameterCombination",
                "IAM role ARN value is invalid or does not include the required permissions for: ENHANCED_MONITORING",
            ))
        });
        let report = run(&[&read, &role, &create, &attach, &refused]).await;
        assert!(matches!(report.outcome, Outcome::ReconsiderLater { .. }), "{report:?}");
    }

    #[tokio::test]
    async fn a_missing_managed_policy_is_a_ticket_never_a_suppression() {
        let (read, role, create) = (instances(monitored(0), 1, monitored(0)), role(false), create_role());
        let no_policy = mock!(Iam::attach_role_policy).then_error(|| {
            AttachRolePolicyError::generic(aws_error("NoSuchEntity", "Policy does not exist or is not attachable."))
        });
        let write = modify_instance(|_| true, false);
        let report = run(&[&read, &role, &create, &no_policy, &write]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("AttachRolePolicy failed") && reason.contains("not the finding's resource")),
            "{report:?}"
        );
        assert_eq!(write.num_calls(), 0);
    }

    #[tokio::test]
    async fn gone_denied_and_throttled() {
        let report = run(&[&instance_gone()]).await;
        assert!(matches!(report.outcome, Outcome::Suppress { .. }), "{report:?}");

        let (read, found) = (instances(monitored(0), 1, monitored(0)), role(true));
        let report = run(&[&read, &found, &instance_change_denied()]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("ModifyDBInstance failed (access denied)") && reason.contains("not authorized")),
            "{report:?}"
        );

        let (read, role) = (instances(monitored(0), 1, monitored(60)), role(true));
        let write = modify_instance(monitoring_with(ROLE_ARN), true);
        let report = run(&[&read, &role, &write]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(write.num_calls(), 2);
    }
}
