//! DynamoDB.2: turn on point-in-time recovery, unless the table is tagged
//! as not needing it.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{PointInTimeRecoverySpecification, PointInTimeRecoveryStatus};
use serde_json::json;
use soar_asff::Finding;

use super::table;
use crate::controls::{control_id, is_true};
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What DynamoDB.2 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["DynamoDB.2"],
    title: "DynamoDB tables have point-in-time recovery enabled",
    service: Service::DynamoDb,
    resource_type: "AwsDynamoDbTable",
    iam_actions: &[
        "dynamodb:ListTagsOfResource",
        "dynamodb:DescribeContinuousBackups",
        "dynamodb:UpdateContinuousBackups",
    ],
    destructive: false,
    exemption_tag: Some("soar:dynamodb:no-pit-recovery"),
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(EnablePointInTimeRecovery)
}

/// Turns on point-in-time recovery (with DynamoDB's default recovery
/// period), unless the table is tagged `soar:dynamodb:no-pit-recovery=true`.
pub(crate) struct EnablePointInTimeRecovery;

async fn recovers(ctx: &Context, name: &str) -> Result<bool, RemediationError> {
    let output = ctx
        .dynamodb()
        .describe_continuous_backups()
        .table_name(name)
        .send()
        .await
        .map_err(|e| RemediationError::aws("DescribeContinuousBackups", &e))?;
    Ok(output
        .continuous_backups_description()
        .and_then(|d| d.point_in_time_recovery_description())
        .and_then(|p| p.point_in_time_recovery_status())
        == Some(&PointInTimeRecoveryStatus::Enabled))
}

#[async_trait]
impl Remediation for EnablePointInTimeRecovery {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let (name, arn) = table(ctx, finding, &META)?;
        let tags = ctx
            .dynamodb()
            .list_tags_of_resource()
            .resource_arn(&arn)
            .send()
            .await
            .map_err(|e| RemediationError::aws("ListTagsOfResource", &e))?;
        let exempt = tags
            .tags()
            .iter()
            .any(|t| META.exemption_tag == Some(t.key()) && is_true(Some(t.value())));
        if exempt {
            return Ok(Plan::exempt(
                control,
                name,
                "the table is tagged soar:dynamodb:no-pit-recovery=true",
            ));
        }
        if recovers(ctx, &name).await? {
            return Ok(Plan::compliant(control, name));
        }
        let change = Plan::change(
            "dynamodb:UpdateContinuousBackups",
            format!("turn on point-in-time recovery of table {name}"),
        );
        Ok(Plan::changes(control, name, vec![change], json!({})))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        let spec = PointInTimeRecoverySpecification::builder()
            .point_in_time_recovery_enabled(true)
            .build()
            .map_err(|e| RemediationError::InvalidPlan {
                control_id: plan.control_id.clone(),
                reason: e.to_string(),
            })?;
        ctx.dynamodb()
            .update_continuous_backups()
            .table_name(&plan.resource)
            .point_in_time_recovery_specification(spec)
            .send()
            .await
            .map_err(|e| RemediationError::aws("UpdateContinuousBackups", &e))?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Turned on point-in-time recovery of table {}.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        recovers(ctx, &table(ctx, finding, &META)?.0).await
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::operation::describe_continuous_backups::{
        DescribeContinuousBackupsError, DescribeContinuousBackupsOutput,
    };
    use aws_sdk_dynamodb::operation::list_tags_of_resource::{
        ListTagsOfResourceError, ListTagsOfResourceOutput,
    };
    use aws_sdk_dynamodb::operation::update_continuous_backups::{
        UpdateContinuousBackupsError, UpdateContinuousBackupsInput, UpdateContinuousBackupsOutput,
    };
    use aws_sdk_dynamodb::types::{
        ContinuousBackupsDescription, ContinuousBackupsStatus, PointInTimeRecoveryDescription, Tag,
    };
    use aws_sdk_dynamodb::Client;
    use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
    use soar_core::Location;

    use super::*;
    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, aws_error, finding_for, mock,
        mock_context, test_sdk_config, MockResponseInterceptor, Rule, RuleMode,
    };
    use crate::{remediate, Mode, PlanState, Report};

    const ARN: &str = "arn:aws:dynamodb:us-east-1:111111111111:table/orders";

    fn finding() -> Finding {
        finding_for("DynamoDB.2", "AwsDynamoDbTable", ARN)
    }

    /// ListTagsOfResource of the table `arn`, with the exemption tag or none.
    fn tags_of(arn: &'static str, exempt: bool) -> Rule {
        mock!(Client::list_tags_of_resource)
            .match_requests(move |r| r.resource_arn() == Some(arn))
            .then_output(move || {
                let builder = ListTagsOfResourceOutput::builder().tags(
                    Tag::builder()
                        .key("team")
                        .value("payments")
                        .build()
                        .unwrap(),
                );
                if exempt {
                    builder
                        .tags(
                            Tag::builder()
                                .key("soar:dynamodb:no-pit-recovery")
                                .value("true")
                                .build()
                                .unwrap(),
                        )
                        .build()
                } else {
                    builder.build()
                }
            })
    }

    fn tags(exempt: bool) -> Rule {
        tags_of(ARN, exempt)
    }

    fn status(on: bool) -> DescribeContinuousBackupsOutput {
        let pitr = PointInTimeRecoveryDescription::builder()
            .point_in_time_recovery_status(if on {
                PointInTimeRecoveryStatus::Enabled
            } else {
                PointInTimeRecoveryStatus::Disabled
            })
            .build();
        let description = ContinuousBackupsDescription::builder()
            .continuous_backups_status(ContinuousBackupsStatus::Enabled)
            .point_in_time_recovery_description(pitr)
            .build()
            .unwrap();
        DescribeContinuousBackupsOutput::builder()
            .continuous_backups_description(description)
            .build()
    }

    /// DescribeContinuousBackups of orders: `before` for the plan, then
    /// `after` for every verify read.
    fn described(before: bool, after: bool) -> Rule {
        mock!(Client::describe_continuous_backups)
            .match_requests(|r| r.table_name() == Some("orders"))
            .sequence()
            .output(move || status(before))
            .output(move || status(after))
            .repeatedly()
            .build()
    }

    /// The one write DynamoDB.2 makes: point-in-time recovery on for
    /// orders, with the default recovery period.
    fn enabling(r: &UpdateContinuousBackupsInput) -> bool {
        r.table_name() == Some("orders")
            && r.point_in_time_recovery_specification().map(|s| {
                (
                    s.point_in_time_recovery_enabled(),
                    s.recovery_period_in_days(),
                )
            }) == Some((true, None))
    }

    fn update() -> Rule {
        mock!(Client::update_continuous_backups)
            .match_requests(enabling)
            .then_output(|| UpdateContinuousBackupsOutput::builder().build())
    }

    async fn run(rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        remediate(&EnablePointInTimeRecovery, &ctx, &finding(), Mode::Apply).await
    }

    #[tokio::test]
    async fn turns_on_point_in_time_recovery() {
        let (t, d, u) = (tags(false), described(false, true), update());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&t, &d, &u]);
        let report = remediate(&EnablePointInTimeRecovery, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(u.num_calls(), 1);
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn a_recovering_table_gets_no_write() {
        let (t, d, u) = (tags(false), described(true, true), update());
        let report = run(&[&t, &d, &u]).await;
        assert_eq!(report.outcome, Outcome::AlreadyCompliant);
        assert_eq!(u.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_table_tagged_as_not_needing_recovery_is_suppressed_with_no_write() {
        // No DescribeContinuousBackups rule: an exempt table is not read
        // further, and an unmatched request panics.
        let (t, u) = (tags(true), update());
        let report = run(&[&t, &u]).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason }
                if reason.contains("soar:dynamodb:no-pit-recovery=true")),
            "{report:?}"
        );
        assert_eq!(u.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_finding_naming_only_the_table_reads_its_tags_in_the_contexts_partition() {
        const CHINA_ARN: &str = "arn:aws-cn:dynamodb:cn-north-1:111111111111:table/orders";
        let (t, d) = (tags_of(CHINA_ARN, false), described(false, false));
        let mocks = MockResponseInterceptor::new()
            .rule_mode(RuleMode::MatchAny)
            .with_rule(&t)
            .with_rule(&d);
        let china = Location::new("111111111111", "cn-north-1", "aws-cn");
        let ctx =
            Context::new(test_sdk_config(), china).with_interceptor(SharedInterceptor::new(mocks));
        let named = finding_for("DynamoDB.2", "AwsDynamoDbTable", "orders");
        let plan = EnablePointInTimeRecovery.plan(&ctx, &named).await.unwrap();
        assert_eq!(
            (plan.resource.as_str(), &plan.state),
            ("orders", &PlanState::NeedsChanges)
        );
        assert_eq!(t.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_deleted_table_is_suppressed() {
        // The tags are read first: a table that is gone fails there.
        let gone = mock!(Client::list_tags_of_resource).then_error(|| {
            ListTagsOfResourceError::generic(aws_error("ResourceNotFoundException", "gone"))
        });
        let report = run(&[&gone]).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("ResourceNotFoundException")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_table_deleted_after_its_tags_were_read_is_suppressed() {
        let t = tags(false);
        let gone = mock!(Client::describe_continuous_backups).then_error(|| {
            DescribeContinuousBackupsError::generic(aws_error("TableNotFoundException", "gone"))
        });
        let report = run(&[&t, &gone]).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("TableNotFoundException")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket() {
        let (t, d) = (tags(false), described(false, false));
        let denied = mock!(Client::update_continuous_backups).then_error(|| {
            UpdateContinuousBackupsError::generic(aws_error("AccessDeniedException", "no"))
        });
        let report = run(&[&t, &d, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("UpdateContinuousBackups failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_write_is_retried() {
        let (t, d) = (tags(false), described(false, true));
        let throttled = mock!(Client::update_continuous_backups)
            .match_requests(enabling)
            .sequence()
            .error(|| {
                UpdateContinuousBackupsError::generic(aws_error("ThrottlingException", "slow"))
            })
            .output(|| UpdateContinuousBackupsOutput::builder().build())
            .build();
        let report = run(&[&t, &d, &throttled]).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(throttled.num_calls(), 2);
    }
}
