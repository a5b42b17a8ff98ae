//! DynamoDB.6: turn on deletion protection.

use async_trait::async_trait;
use soar_asff::Finding;

use super::table;
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["DynamoDB.6"],
    title: "DynamoDB tables have deletion protection enabled",
    service: Service::DynamoDb,
    resource_type: "AwsDynamoDbTable",
    iam_actions: &["dynamodb:DescribeTable", "dynamodb:UpdateTable"],
    destructive: false,
    exemption_tag: None,
};

/// Turns on deletion protection.
pub(crate) struct ProtectFromDeletion;

async fn is_protected(ctx: &Context, name: &str) -> Result<bool, RemediationError> {
    let output = ctx
        .dynamodb()
        .describe_table()
        .table_name(name)
        .send()
        .await
        .map_err(|e| RemediationError::aws("DescribeTable", &e))?;
    Ok(output
        .table()
        .and_then(|t| t.deletion_protection_enabled())
        .unwrap_or(false))
}

#[async_trait]
impl Remediation for ProtectFromDeletion {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let (name, _) = table(finding, control)?;
        if is_protected(ctx, &name).await? {
            return Ok(Plan::compliant(control, name));
        }
        let change = Plan::change(
            "dynamodb:UpdateTable",
            format!("turn on deletion protection of table {name}"),
        );
        Ok(Plan::changes(
            control,
            name,
            vec![change],
            serde_json::Value::Null,
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        ctx.dynamodb()
            .update_table()
            .table_name(&plan.resource)
            .deletion_protection_enabled(true)
            .send()
            .await
            .map_err(|e| RemediationError::aws("UpdateTable", &e))?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Turned on deletion protection of table {}.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        is_protected(ctx, &table(finding, control_id(finding, META.ids))?.0).await
    }
}

#[cfg(test)]
#[cfg(feature = "testkit")]
mod tests {
    use aws_sdk_dynamodb::operation::describe_table::{DescribeTableError, DescribeTableOutput};
    use aws_sdk_dynamodb::operation::update_table::{UpdateTableError, UpdateTableOutput};
    use aws_sdk_dynamodb::types::TableDescription;
    use aws_sdk_dynamodb::Client;

    use super::*;
    use crate::testkit::{
        assert_least_privilege, aws_error, finding_for, mock, mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode};

    fn finding() -> Finding {
        finding_for(
            "DynamoDB.6",
            "AwsDynamoDbTable",
            "arn:aws:dynamodb:us-east-1:111111111111:table/orders",
        )
    }

    fn described(before: bool, after: bool) -> Rule {
        let table = |on: bool| {
            DescribeTableOutput::builder()
                .table(
                    TableDescription::builder()
                        .table_name("orders")
                        .deletion_protection_enabled(on)
                        .build(),
                )
                .build()
        };
        mock!(Client::describe_table)
            .match_requests(|r| r.table_name() == Some("orders"))
            .sequence()
            .output(move || table(before))
            .output(move || table(after))
            .build()
    }

    fn protecting(r: &aws_sdk_dynamodb::operation::update_table::UpdateTableInput) -> bool {
        r.table_name() == Some("orders") && r.deletion_protection_enabled() == Some(true)
    }

    #[tokio::test]
    async fn turns_on_deletion_protection() {
        let d = described(false, true);
        let u = mock!(Client::update_table)
            .match_requests(protecting)
            .then_output(|| UpdateTableOutput::builder().build());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &u]);
        let report = remediate(&ProtectFromDeletion, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_least_privilege(&META, &recorder);
    }

    #[tokio::test]
    async fn protected_table_gets_no_write() {
        let d = described(true, true);
        let u = mock!(Client::update_table).then_output(|| UpdateTableOutput::builder().build());
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&d, &u]);
        assert_eq!(
            remediate(&ProtectFromDeletion, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::AlreadyCompliant
        );
        assert_eq!(u.num_calls(), 0);
    }

    #[tokio::test]
    async fn gone_denied_and_throttled() {
        let gone = mock!(Client::describe_table).then_error(|| {
            DescribeTableError::generic(aws_error("ResourceNotFoundException", "gone"))
        });
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&gone]);
        assert!(matches!(
            remediate(&ProtectFromDeletion, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Suppress { .. }
        ));

        let d = described(false, false);
        let denied = mock!(Client::update_table)
            .then_error(|| UpdateTableError::generic(aws_error("AccessDeniedException", "no")));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&d, &denied]);
        assert!(matches!(
            remediate(&ProtectFromDeletion, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Ticket { .. }
        ));

        let d = described(false, true);
        let throttled = mock!(Client::update_table)
            .match_requests(protecting)
            .sequence()
            .error(|| UpdateTableError::generic(aws_error("ThrottlingException", "slow")))
            .output(|| UpdateTableOutput::builder().build())
            .build();
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&d, &throttled]);
        assert!(matches!(
            remediate(&ProtectFromDeletion, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Remediated { .. }
        ));
        assert_eq!(throttled.num_calls(), 2);
    }
}
