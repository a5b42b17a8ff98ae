//! RDS.9: make a DB instance publish its logs to CloudWatch Logs.
//!
//! Security Hub checks that the instance exports its engine's logs:
//! PostgreSQL `postgresql` and `upgrade`; MySQL and MariaDB `audit`,
//! `error`, `general` and `slowquery`; SQL Server `agent` and `error`;
//! Oracle `alert`, `audit`, `listener` and `trace`. RDS starts the exports
//! at once, with no restart.
//!
//! MySQL and MariaDB write the general and slow query logs only with
//! `general_log`, `slow_query_log` and `log_output=FILE` in the instance's
//! parameter group, so soar sets those too:
//! - a custom group gets the three parameters and keeps every other one;
//! - a default group (`default.mysql8.0`) cannot be changed, so it is
//!   replaced by a copy that carries them (`soar-logging-mysql8-0`, one per
//!   family, made once and shared). The instance moves to the copy in the
//!   next maintenance window unless `rds_apply_immediately` is set, and
//!   uses it from its next reboot, which soar leaves to its owners. The
//!   plan says which.
//!
//! Their audit log has entries only once the instance's option group has
//! `MARIADB_AUDIT_PLUGIN`; soar does not change option groups, and the plan
//! says so. Aurora instances export through their cluster, and other
//! engines (Db2, RDS Custom) are tickets with the reason.

use async_trait::async_trait;
use aws_sdk_rds::types::{ApplyMethod, CloudwatchLogsExportConfiguration, DbInstance, Parameter};
use serde::{Deserialize, Serialize};
use soar_asff::Finding;

use super::{available_instance, busy, describe_instance, identifier, timing, Readiness, INSTANCE};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What RDS.9 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["RDS.9"],
    title: "RDS DB instances publish logs to CloudWatch Logs",
    service: Service::Rds,
    resource_type: INSTANCE,
    iam_actions: &[
        "rds:DescribeDBInstances",
        "rds:ModifyDBInstance",
        "rds:DescribeDBParameters",
        "rds:DescribeDBParameterGroups",
        "rds:CopyDBParameterGroup",
        "rds:ModifyDBParameterGroup",
    ],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(PublishLogs)
}

/// Exports the engine's logs, with the parameters they need.
pub(crate) struct PublishLogs;

/// What an engine must export, and the parameters that make it write
/// those logs.
struct EngineLogs {
    exports: &'static [&'static str],
    parameters: &'static [(&'static str, &'static str)],
}

const MYSQL_PARAMETERS: &[(&str, &str)] =
    &[("general_log", "1"), ("slow_query_log", "1"), ("log_output", "FILE")];

/// The logs of `engine`, or why soar does not handle it.
fn engine_logs(engine: &str) -> Result<EngineLogs, String> {
    match engine {
        "postgres" => Ok(EngineLogs { exports: &["postgresql", "upgrade"], parameters: &[] }),
        "mysql" | "mariadb" => Ok(EngineLogs {
            exports: &["audit", "error", "general", "slowquery"],
            parameters: MYSQL_PARAMETERS,
        }),
        e if e.starts_with("sqlserver") => Ok(EngineLogs { exports: &["agent", "error"], parameters: &[] }),
        e if e.starts_with("oracle") => Ok(EngineLogs {
            exports: &["alert", "audit", "listener", "trace"],
            parameters: &[],
        }),
        e if e.starts_with("aurora") => Err(format!(
            "{e} instances publish their logs through their DB cluster (ModifyDBCluster), which RDS.9 does not change"
        )),
        e if e.starts_with("custom-") => Err(format!("RDS Custom ({e}) does not publish logs to CloudWatch Logs")),
        other => Err(format!("RDS.9 does not know which logs engine {other:?} must publish")),
    }
}

/// The logs the instance exports, or will once a pending change is made.
fn exported(instance: &DbInstance) -> Vec<String> {
    let mut logs = instance.enabled_cloudwatch_logs_exports().to_vec();
    if let Some(pending) = instance
        .pending_modified_values()
        .and_then(|p| p.pending_cloudwatch_logs_exports())
    {
        logs.extend(pending.log_types_to_enable().iter().cloned());
    }
    logs
}

/// The copy that replaces default group `group`: one per family.
fn logging_copy(group: &str) -> String {
    format!("soar-logging-{}", group.trim_start_matches("default.").replace('.', "-"))
}

/// What the plan found and `apply` does.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Work {
    /// Logs to start exporting.
    exports: Vec<String>,
    /// The default group to copy, when its copy does not exist yet.
    copy_from: Option<String>,
    /// The group to set `parameters` in.
    parameter_group: Option<String>,
    /// Parameters not yet at their value there.
    parameters: Vec<(String, String)>,
    /// The group the instance moves to, replacing a default one.
    move_to: Option<String>,
}

/// The values of the MySQL logging parameters in `group`.
async fn parameter_values(
    ctx: &Context,
    group: &str,
) -> Result<Vec<(String, String)>, RemediationError> {
    let mut pages = ctx
        .rds()
        .describe_db_parameters()
        .db_parameter_group_name(group)
        .into_paginator()
        .items()
        .send();
    let mut values = Vec::new();
    while let Some(parameter) = pages.next().await {
        let parameter = parameter.map_err(|e| {
            RemediationError::aws("DescribeDBParameters", &e).about_another_resource()
        })?;
        if let (Some(name), Some(value)) = (parameter.parameter_name(), parameter.parameter_value()) {
            if MYSQL_PARAMETERS.iter().any(|(wanted, _)| *wanted == name) {
                values.push((name.to_owned(), value.to_owned()));
            }
        }
    }
    Ok(values)
}

/// The parameters of `wanted` that `group` does not have at their value.
async fn parameters_to_set(
    ctx: &Context,
    group: &str,
    wanted: &[(&str, &str)],
) -> Result<Vec<(String, String)>, RemediationError> {
    let values = parameter_values(ctx, group).await?;
    Ok(wanted
        .iter()
        .filter(|(name, value)| {
            !values
                .iter()
                .any(|(n, v)| n == name && v.eq_ignore_ascii_case(value))
        })
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect())
}

/// Whether parameter group `name` exists.
async fn group_exists(ctx: &Context, name: &str) -> Result<bool, RemediationError> {
    match ctx
        .rds()
        .describe_db_parameter_groups()
        .db_parameter_group_name(name)
        .send()
        .await
    {
        Ok(found) => Ok(!found.db_parameter_groups().is_empty()),
        Err(e) if crate::error::code_of(&e).is_some_and(|c| c.contains("NotFound")) => Ok(false),
        Err(e) => Err(RemediationError::aws("DescribeDBParameterGroups", &e)),
    }
}

impl PublishLogs {
    /// The work `instance` needs; empty when it complies.
    async fn work(&self, ctx: &Context, control: &str, instance: &DbInstance) -> Result<Work, RemediationError> {
        let id = instance.db_instance_identifier().unwrap_or_default();
        let engine = instance.engine().unwrap_or_default();
        let logs = engine_logs(engine).map_err(|reason| RemediationError::CannotFix {
            control_id: control.to_owned(),
            reason: format!("DB instance {id}: {reason}"),
        })?;
        let exported = exported(instance);
        let mut work = Work {
            exports: logs
                .exports
                .iter()
                .filter(|log| !exported.iter().any(|e| e == *log))
                .map(|log| (*log).to_owned())
                .collect(),
            ..Work::default()
        };
        if logs.parameters.is_empty() {
            return Ok(work);
        }
        let group = instance
            .db_parameter_groups()
            .first()
            .and_then(|g| g.db_parameter_group_name())
            .ok_or_else(|| RemediationError::CannotFix {
                control_id: control.to_owned(),
                reason: format!("DB instance {id} names no parameter group"),
            })?;
        if group.starts_with("default.") {
            let copy = logging_copy(group);
            if group_exists(ctx, &copy).await? {
                work.parameters = parameters_to_set(ctx, &copy, logs.parameters).await?;
            } else {
                work.copy_from = Some(group.to_owned());
                work.parameters = logs.parameters.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
            }
            work.parameter_group = Some(copy.clone());
            work.move_to = Some(copy);
        } else {
            work.parameters = parameters_to_set(ctx, group, logs.parameters).await?;
            work.parameter_group = Some(group.to_owned());
        }
        Ok(work)
    }
}

fn needs_nothing(work: &Work) -> bool {
    work.exports.is_empty() && work.parameters.is_empty() && work.move_to.is_none()
}

#[async_trait]
impl Remediation for PublishLogs {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let id = identifier(finding, &META)?;
        let instance = describe_instance(ctx, &id).await?;
        let work = self.work(ctx, control, &instance).await?;
        if needs_nothing(&work) {
            return Ok(Plan::compliant(control, id));
        }
        // A busy instance is read again until available: what it needs
        // then is worked out again from that read.
        let (instance, work) = if instance.db_instance_status() == Some("available") {
            (instance, work)
        } else {
            let instance = match available_instance(ctx, instance).await? {
                Readiness::Ready(instance) => instance,
                Readiness::Busy(status) => return Ok(busy(ctx, control, "DB instance", &id, &status)),
            };
            let work = self.work(ctx, control, &instance).await?;
            if needs_nothing(&work) {
                return Ok(Plan::compliant(control, id));
            }
            (instance, work)
        };
        let mut changes = Vec::with_capacity(4);
        if let (Some(from), Some(copy)) = (&work.copy_from, &work.move_to) {
            changes.push(Plan::change(
                "rds:CopyDBParameterGroup",
                format!("copy default parameter group {from}, which cannot be changed, to {copy}"),
            ));
        }
        if let (Some(group), false) = (&work.parameter_group, work.parameters.is_empty()) {
            let set: Vec<String> = work.parameters.iter().map(|(n, v)| format!("{n}={v}")).collect();
            changes.push(Plan::change(
                "rds:ModifyDBParameterGroup",
                format!("set {} in parameter group {group}, keeping its other parameters", set.join(", ")),
            ));
        }
        if let Some(copy) = &work.move_to {
            let from = instance
                .db_parameter_groups()
                .first()
                .and_then(|g| g.db_parameter_group_name())
                .unwrap_or("its default group");
            changes.push(Plan::change(
                "rds:ModifyDBInstance",
                format!(
                    "move DB instance {id} from {from} to {copy}, {}; it uses the new group from its next reboot, which soar does not do",
                    timing(ctx, instance.preferred_maintenance_window())
                ),
            ));
        }
        if !work.exports.is_empty() {
            let audit = if work.exports.iter().any(|e| e == "audit") && work.parameter_group.is_some() {
                " (the audit log has entries once its option group has MARIADB_AUDIT_PLUGIN, which soar does not add)"
            } else {
                ""
            };
            changes.push(Plan::change(
                "rds:ModifyDBInstance",
                format!(
                    "publish the {} logs of DB instance {id} to CloudWatch Logs, now{audit}",
                    work.exports.join(", ")
                ),
            ));
        }
        Ok(Plan::changes(control, id, changes, serde_json::to_value(&work).unwrap_or_default()))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        let work: Work = serde_json::from_value(plan.data.clone()).map_err(|e| RemediationError::InvalidPlan {
            control_id: plan.control_id.clone(),
            reason: format!("the plan's data is not RDS.9's work: {e}"),
        })?;
        let id = &plan.resource;
        let mut actions_taken = Vec::new();
        if let (Some(from), Some(copy)) = (&work.copy_from, &work.move_to) {
            let copied = ctx
                .rds()
                .copy_db_parameter_group()
                .source_db_parameter_group_identifier(from)
                .target_db_parameter_group_identifier(copy)
                .target_db_parameter_group_description(format!("{from} with logging on (soar RDS.9)"))
                .send()
                .await;
            match copied {
                Ok(_) => actions_taken.push(format!("Copied parameter group {from} to {copy}.")),
                // Made by a parallel run for another instance: the same copy.
                Err(e) if crate::error::code_of(&e).is_some_and(|c| c.contains("AlreadyExists")) => {}
                Err(e) => {
                    return Err(RemediationError::aws("CopyDBParameterGroup", &e).about_another_resource())
                }
            }
        }
        if let (Some(group), false) = (&work.parameter_group, work.parameters.is_empty()) {
            let parameters: Vec<Parameter> = work
                .parameters
                .iter()
                .map(|(name, value)| {
                    Parameter::builder()
                        .parameter_name(name)
                        .parameter_value(value)
                        // All three are dynamic: no reboot to take effect.
                        .apply_method(ApplyMethod::Immediate)
                        .build()
                })
                .collect();
            ctx.rds()
                .modify_db_parameter_group()
                .db_parameter_group_name(group)
                .set_parameters(Some(parameters))
                .send()
                .await
                .map_err(|e| {
                    RemediationError::aws("ModifyDBParameterGroup", &e).about_another_resource()
                })?;
            let set: Vec<String> = work.parameters.iter().map(|(n, v)| format!("{n}={v}")).collect();
            actions_taken.push(format!("Set {} in parameter group {group}.", set.join(", ")));
        }
        if !work.exports.is_empty() || work.move_to.is_some() {
            let exports = (!work.exports.is_empty()).then(|| {
                CloudwatchLogsExportConfiguration::builder()
                    .set_enable_log_types(Some(work.exports.clone()))
                    .build()
            });
            let now = ctx.settings.rds_apply_immediately;
            ctx.rds()
                .modify_db_instance()
                .db_instance_identifier(id)
                .set_cloudwatch_logs_export_configuration(exports)
                .set_db_parameter_group_name(work.move_to.clone())
                // Exports start at once whatever this says; the group
                // waits for the window unless told otherwise.
                .set_apply_immediately(work.move_to.is_some().then_some(now))
                .send()
                .await
                .map_err(|e| RemediationError::aws("ModifyDBInstance", &e))?;
            if let Some(copy) = &work.move_to {
                let when = if now { "now" } else { "in the next maintenance window" };
                actions_taken.push(format!(
                    "Moved DB instance {id} to parameter group {copy} {when}; it uses it from its next reboot."
                ));
            }
            if !work.exports.is_empty() {
                actions_taken.push(format!(
                    "DB instance {id} publishes its {} logs to CloudWatch Logs.",
                    work.exports.join(", ")
                ));
            }
        }
        Ok(Outcome::Remediated { actions_taken })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        // Security Hub's check: every log of the engine is exported.
        let instance = describe_instance(ctx, &identifier(finding, &META)?).await?;
        let Ok(logs) = engine_logs(instance.engine().unwrap_or_default()) else {
            return Ok(false);
        };
        let exported = exported(&instance);
        Ok(logs.exports.iter().all(|log| exported.iter().any(|e| e == log)))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_rds::operation::copy_db_parameter_group::{
        CopyDBParameterGroupError, CopyDbParameterGroupOutput,
    };
    use aws_sdk_rds::operation::describe_db_parameter_groups::{
        DescribeDBParameterGroupsError, DescribeDbParameterGroupsOutput,
    };
    use aws_sdk_rds::operation::describe_db_parameters::DescribeDbParametersOutput;
    use aws_sdk_rds::operation::modify_db_instance::ModifyDbInstanceInput;
    use aws_sdk_rds::operation::modify_db_parameter_group::{
        ModifyDBParameterGroupError, ModifyDbParameterGroupInput, ModifyDbParameterGroupOutput,
    };
    use aws_sdk_rds::types::{DbParameterGroup, DbParameterGroupStatus};
    use aws_sdk_rds::Client;

    use super::*;
    use crate::controls::rds::testing::{
        instance, instance_change_denied, instance_finding, instance_gone, instances,
        modify_instance,
    };
    use crate::testkit::{assert_fixed_once, aws_error, mock, mock_context, Rule, RuleMode};
    use crate::{remediate, Mode, Report};

    const ALL_MYSQL: [&str; 4] = ["audit", "error", "general", "slowquery"];

    fn mysql(group: &str, exports: &[&str]) -> DbInstance {
        let group = group.to_owned();
        let exports: Vec<String> = exports.iter().map(|e| (*e).to_owned()).collect();
        instance(move |b| {
            b.engine("mysql")
                .db_parameter_groups(
                    DbParameterGroupStatus::builder()
                        .db_parameter_group_name(group.clone())
                        .parameter_apply_status("in-sync")
                        .build(),
                )
                .set_enabled_cloudwatch_logs_exports(Some(exports.clone()))
        })
    }

    /// The parameters of `group`: a custom one of the owner's, and the
    /// logging ones as `logging` says.
    fn parameters(group: &'static str, logging: bool) -> Rule {
        mock!(Client::describe_db_parameters)
            .match_requests(move |r| r.db_parameter_group_name() == Some(group))
            .then_output(move || {
                let value = if logging { "1" } else { "0" };
                let output = if logging { "FILE" } else { "TABLE" };
                DescribeDbParametersOutput::builder()
                    .parameters(Parameter::builder().parameter_name("max_connections").parameter_value("500").build())
                    .parameters(Parameter::builder().parameter_name("general_log").parameter_value(value).build())
                    .parameters(Parameter::builder().parameter_name("slow_query_log").parameter_value(value).build())
                    .parameters(Parameter::builder().parameter_name("log_output").parameter_value(output).build())
                    .build()
            })
    }

    /// The three logging parameters, immediate, and nothing else: the
    /// group's other parameters are left as they are.
    fn setting_logging(group: &'static str) -> impl Fn(&ModifyDbParameterGroupInput) -> bool + Send + Sync {
        move |r| {
            let set: Vec<(&str, &str, Option<&ApplyMethod>)> = r
                .parameters()
                .iter()
                .map(|p| (p.parameter_name().unwrap_or(""), p.parameter_value().unwrap_or(""), p.apply_method()))
                .collect();
            r.db_parameter_group_name() == Some(group)
                && set
                    == [
                        ("general_log", "1", Some(&ApplyMethod::Immediate)),
                        ("slow_query_log", "1", Some(&ApplyMethod::Immediate)),
                        ("log_output", "FILE", Some(&ApplyMethod::Immediate)),
                    ]
        }
    }

    fn exporting(logs: &'static [&'static str], group: Option<&'static str>) -> impl Fn(&ModifyDbInstanceInput) -> bool + Send + Sync {
        move |r| {
            let enabled = r
                .cloudwatch_logs_export_configuration()
                .map(|c| c.enable_log_types().to_vec())
                .unwrap_or_default();
            enabled == logs && r.db_parameter_group_name() == group
                && r.apply_immediately() == group.map(|_| false)
                && r.cloudwatch_logs_export_configuration().is_none_or(|c| c.disable_log_types().is_empty())
        }
    }

    async fn run(rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        remediate(&PublishLogs, &ctx, &instance_finding("RDS.9"), Mode::Apply).await
    }

    #[tokio::test]
    async fn a_custom_group_gets_the_logging_parameters_and_keeps_its_own() {
        let read = instances(mysql("orders-params", &["error"]), 1, mysql("orders-params", &ALL_MYSQL));
        let params = parameters("orders-params", false);
        let group = mock!(Client::modify_db_parameter_group)
            .match_requests(setting_logging("orders-params"))
            .then_output(|| ModifyDbParameterGroupOutput::builder().build());
        let write = modify_instance(exporting(&["audit", "general", "slowquery"], None), false);
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&read, &params, &group, &write]);
        let report = remediate(&PublishLogs, &ctx, &instance_finding("RDS.9"), Mode::Apply).await;
        assert_fixed_once(&META, &report, &write, &recorder);
        assert_eq!(group.num_calls(), 1);
        assert!(report.changes.iter().any(|c| c.description.contains("keeping its other parameters")), "{report:?}");
    }

    #[tokio::test]
    async fn a_default_group_is_replaced_by_a_copy_with_logging() {
        let read = instances(mysql("default.mysql8.0", &[]), 1, mysql("default.mysql8.0", &ALL_MYSQL));
        let no_copy = mock!(Client::describe_db_parameter_groups).then_error(|| {
            DescribeDBParameterGroupsError::generic(aws_error("DBParameterGroupNotFound", "not found"))
        });
        let copy = mock!(Client::copy_db_parameter_group)
            .match_requests(|r| {
                r.source_db_parameter_group_identifier() == Some("default.mysql8.0")
                    && r.target_db_parameter_group_identifier() == Some("soar-logging-mysql8-0")
            })
            .then_output(|| CopyDbParameterGroupOutput::builder().build());
        let group = mock!(Client::modify_db_parameter_group)
            .match_requests(setting_logging("soar-logging-mysql8-0"))
            .then_output(|| ModifyDbParameterGroupOutput::builder().build());
        let write = modify_instance(exporting(&ALL_MYSQL, Some("soar-logging-mysql8-0")), false);
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&read, &no_copy, &copy, &group, &write]);
        let report = remediate(&PublishLogs, &ctx, &instance_finding("RDS.9"), Mode::Apply).await;
        assert_fixed_once(&META, &report, &write, &recorder);
        assert_eq!((copy.num_calls(), group.num_calls()), (1, 1));
        let planned: Vec<&str> = report.changes.iter().map(|c| c.description.as_str()).collect();
        assert!(planned.iter().any(|d| d.contains("in the next maintenance window") && d.contains("next reboot")), "{planned:?}");
    }

    #[tokio::test]
    async fn an_existing_copy_is_reused() {
        let read = instances(mysql("default.mysql8.0", &ALL_MYSQL), 1, mysql("soar-logging-mysql8-0", &ALL_MYSQL));
        let found = mock!(Client::describe_db_parameter_groups).then_output(|| {
            DescribeDbParameterGroupsOutput::builder()
                .db_parameter_groups(DbParameterGroup::builder().db_parameter_group_name("soar-logging-mysql8-0").build())
                .build()
        });
        let params = parameters("soar-logging-mysql8-0", true);
        let copy = mock!(Client::copy_db_parameter_group).then_output(|| CopyDbParameterGroupOutput::builder().build());
        let group = mock!(Client::modify_db_parameter_group).then_output(|| ModifyDbParameterGroupOutput::builder().build());
        let write = modify_instance(exporting(&[], Some("soar-logging-mysql8-0")), false);
        let report = run(&[&read, &found, &params, &copy, &group, &write]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!((copy.num_calls(), group.num_calls(), write.num_calls()), (0, 0, 1));
    }

    #[tokio::test]
    async fn a_missing_parameter_group_is_a_ticket_never_a_suppression() {
        // The instance is there; its group is not: that proves nothing
        // about the instance.
        let read = instances(mysql("default.mysql8.0", &[]), 1, mysql("default.mysql8.0", &[]));
        let no_copy = mock!(Client::describe_db_parameter_groups).then_error(|| {
            DescribeDBParameterGroupsError::generic(aws_error("DBParameterGroupNotFound", "not found"))
        });
        let source_gone = mock!(Client::copy_db_parameter_group).then_error(|| {
            CopyDBParameterGroupError::generic(aws_error(
                "DBParameterGroupNotFound",
                "DB Parameter Group default.mysql8.0 not found.",
            ))
        });
        let write = modify_instance(|_| true, false);
        let report = run(&[&read, &no_copy, &source_gone, &write]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("CopyDBParameterGroup failed") && reason.contains("not the finding's resource")),
            "{report:?}"
        );
        assert_eq!(write.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_postgres_instance_needs_only_its_exports() {
        let pg = |exports: &[&str]| {
            let exports: Vec<String> = exports.iter().map(|e| (*e).to_owned()).collect();
            instance(move |b| b.set_enabled_cloudwatch_logs_exports(Some(exports.clone())))
        };
        let read = instances(pg(&[]), 1, pg(&["postgresql", "upgrade"]));
        let write = modify_instance(exporting(&["postgresql", "upgrade"], None), false);
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&read, &write]);
        let report = remediate(&PublishLogs, &ctx, &instance_finding("RDS.9"), Mode::Apply).await;
        assert_fixed_once(&META, &report, &write, &recorder);
    }

    #[tokio::test]
    async fn a_compliant_instance_gets_no_write() {
        let read = instances(mysql("orders-params", &ALL_MYSQL), 1, mysql("orders-params", &ALL_MYSQL));
        let params = parameters("orders-params", true);
        let write = modify_instance(|_| true, false);
        assert_eq!(run(&[&read, &params, &write]).await.outcome, Outcome::AlreadyCompliant);
        assert_eq!(write.num_calls(), 0);
    }

    #[tokio::test]
    async fn unsupported_engines_are_tickets_with_the_reason() {
        for (engine, reason) in [("aurora-mysql", "through their DB cluster"), ("db2-se", "does not know which logs")] {
            let db = instance(|b| b.engine(engine));
            let (read, write) = (instances(db.clone(), 1, db), modify_instance(|_| true, false));
            let report = run(&[&read, &write]).await;
            assert!(
                matches!(&report.outcome, Outcome::Ticket { reason: r } if r.contains(reason)),
                "{engine}: {report:?}"
            );
            assert_eq!(write.num_calls(), 0);
        }
    }

    #[tokio::test]
    async fn gone_denied_and_throttled() {
        let report = run(&[&instance_gone()]).await;
        assert!(matches!(report.outcome, Outcome::Suppress { .. }), "{report:?}");

        let read = instances(mysql("orders-params", &ALL_MYSQL), 1, mysql("orders-params", &ALL_MYSQL));
        let params = parameters("orders-params", false);
        let denied = mock!(Client::modify_db_parameter_group)
            .then_error(|| ModifyDBParameterGroupError::generic(aws_error("AccessDenied", "not authorized")));
        let report = run(&[&read, &params, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("ModifyDBParameterGroup failed (access denied)") && reason.contains("not authorized")),
            "{report:?}"
        );

        let pg = |exports: &[&str]| {
            let exports: Vec<String> = exports.iter().map(|e| (*e).to_owned()).collect();
            instance(move |b| b.set_enabled_cloudwatch_logs_exports(Some(exports.clone())))
        };
        let read = instances(pg(&[]), 1, pg(&[]));
        let report = run(&[&read, &instance_change_denied()]).await;
        assert!(matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains("ModifyDBInstance failed (access denied)")), "{report:?}");

        let read = instances(pg(&["upgrade"]), 1, pg(&["postgresql", "upgrade"]));
        let write = modify_instance(exporting(&["postgresql"], None), true);
        let report = run(&[&read, &write]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(write.num_calls(), 2);
    }

    #[test]
    fn a_default_groups_copy_is_named_by_family() {
        assert_eq!(logging_copy("default.mysql8.0"), "soar-logging-mysql8-0");
        assert_eq!(logging_copy("default.mariadb10.11"), "soar-logging-mariadb10-11");
    }
}
