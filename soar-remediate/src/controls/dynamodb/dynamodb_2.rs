//! DynamoDB.2: turn on point-in-time recovery, unless the table is tagged
//! as not needing it.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{PointInTimeRecoverySpecification, PointInTimeRecoveryStatus};
use serde_json::json;
use soar_asff::Finding;

use super::table;
use crate::controls::{control_id, is_true};
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

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

/// Turns on point-in-time recovery.
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
        let (name, arn) = table(finding, control)?;
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
        recovers(ctx, &table(finding, control_id(finding, META.ids))?.0).await
    }
}

#[cfg(test)]
#[cfg(feature = "testkit")]
mod tests {
    use aws_sdk_dynamodb::operation::describe_continuous_backups::{
        DescribeContinuousBackupsError, DescribeContinuousBackupsOutput,
    };
    use aws_sdk_dynamodb::operation::list_tags_of_resource::ListTagsOfResourceOutput;
    use aws_sdk_dynamodb::operation::update_continuous_backups::{
        UpdateContinuousBackupsError, UpdateContinuousBackupsOutput,
    };
    use aws_sdk_dynamodb::types::{
        ContinuousBackupsDescription, ContinuousBackupsStatus, PointInTimeRecoveryDescription, Tag,
    };
    use aws_sdk_dynamodb::Client;

    use super::*;
    use crate::testkit::{
        assert_least_privilege, aws_error, finding_for, mock, mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode};

    const ARN: &str = "arn:aws:dynamodb:us-east-1:111111111111:table/orders";

    fn finding() -> Finding {
        finding_for("DynamoDB.2", "AwsDynamoDbTable", ARN)
    }

    fn tags(exempt: bool) -> Rule {
        mock!(Client::list_tags_of_resource)
            .match_requests(|r| r.resource_arn() == Some(ARN))
            .then_output(move || {
                let builder = ListTagsOfResourceOutput::builder();
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

    fn described(before: bool, after: bool) -> Rule {
        mock!(Client::describe_continuous_backups)
            .sequence()
            .output(move || status(before))
            .output(move || status(after))
            .build()
    }

    fn enabling(
        r: &aws_sdk_dynamodb::operation::update_continuous_backups::UpdateContinuousBackupsInput,
    ) -> bool {
        r.table_name() == Some("orders")
            && r.point_in_time_recovery_specification()
                .map(|s| s.point_in_time_recovery_enabled())
                == Some(true)
    }

    #[tokio::test]
    async fn turns_on_point_in_time_recovery() {
        let (t, d) = (tags(false), described(false, true));
        let u = mock!(Client::update_continuous_backups)
            .match_requests(enabling)
            .then_output(|| UpdateContinuousBackupsOutput::builder().build());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&t, &d, &u]);
        let report = remediate(&EnablePointInTimeRecovery, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_least_privilege(&META, &recorder);
    }

    #[tokio::test]
    async fn recovering_or_tagged_tables_get_no_write() {
        let (t, d) = (tags(false), described(true, true));
        let u = mock!(Client::update_continuous_backups)
            .then_output(|| UpdateContinuousBackupsOutput::builder().build());
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&t, &d, &u]);
        assert_eq!(
            remediate(&EnablePointInTimeRecovery, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::AlreadyCompliant
        );
        let t = tags(true);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&t, &u]);
        assert!(matches!(
            remediate(&EnablePointInTimeRecovery, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Suppress { .. }
        ));
        assert_eq!(u.num_calls(), 0);
    }

    #[tokio::test]
    async fn gone_denied_and_throttled() {
        let t = tags(false);
        let gone = mock!(Client::describe_continuous_backups).then_error(|| {
            DescribeContinuousBackupsError::generic(aws_error("TableNotFoundException", "gone"))
        });
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&t, &gone]);
        assert!(matches!(
            remediate(&EnablePointInTimeRecovery, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Suppress { .. }
        ));

        let (t, d) = (tags(false), described(false, false));
        let denied = mock!(Client::update_continuous_backups).then_error(|| {
            UpdateContinuousBackupsError::generic(aws_error("AccessDeniedException", "no"))
        });
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&t, &d, &denied]);
        assert!(matches!(
            remediate(&EnablePointInTimeRecovery, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Ticket { .. }
        ));

        let (t, d) = (tags(false), described(false, true));
        let throttled = mock!(Client::update_continuous_backups)
            .match_requests(enabling)
            .sequence()
            .error(|| {
                UpdateContinuousBackupsError::generic(aws_error("ThrottlingException", "slow"))
            })
            .output(|| UpdateContinuousBackupsOutput::builder().build())
            .build();
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&t, &d, &throttled]);
        assert!(matches!(
            remediate(&EnablePointInTimeRecovery, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Remediated { .. }
        ));
        assert_eq!(throttled.num_calls(), 2);
    }
}
