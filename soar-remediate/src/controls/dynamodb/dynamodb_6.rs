//! DynamoDB.6: turn on deletion protection.

use async_trait::async_trait;
use soar_asff::Finding;

use super::table;
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What DynamoDB.6 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["DynamoDB.6"],
    title: "DynamoDB tables have deletion protection enabled",
    service: Service::DynamoDb,
    resource_type: "AwsDynamoDbTable",
    iam_actions: &["dynamodb:DescribeTable", "dynamodb:UpdateTable"],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(ProtectFromDeletion)
}

/// Turns on deletion protection. Nothing else about the table changes.
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
        let (name, _) = table(ctx, finding, &META)?;
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
        is_protected(ctx, &table(ctx, finding, &META)?.0).await
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::operation::describe_table::{DescribeTableError, DescribeTableOutput};
    use aws_sdk_dynamodb::operation::update_table::{
        UpdateTableError, UpdateTableInput, UpdateTableOutput,
    };
    use aws_sdk_dynamodb::types::TableDescription;
    use aws_sdk_dynamodb::Client;

    use super::*;
    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, aws_error, finding_for, mock,
        mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode, Report};

    fn finding() -> Finding {
        finding_for(
            "DynamoDB.6",
            "AwsDynamoDbTable",
            "arn:aws:dynamodb:us-east-1:111111111111:table/orders",
        )
    }

    fn table_output(protected: bool) -> DescribeTableOutput {
        DescribeTableOutput::builder()
            .table(
                TableDescription::builder()
                    .table_name("orders")
                    .deletion_protection_enabled(protected)
                    .build(),
            )
            .build()
    }

    /// DescribeTable of orders: `before` for the plan, then `after` for
    /// every verify read.
    fn described(before: bool, after: bool) -> Rule {
        mock!(Client::describe_table)
            .match_requests(|r| r.table_name() == Some("orders"))
            .sequence()
            .output(move || table_output(before))
            .output(move || table_output(after))
            .repeatedly()
            .build()
    }

    /// The one write DynamoDB.6 makes: deletion protection on orders, and
    /// nothing else of the table.
    fn protecting(r: &UpdateTableInput) -> bool {
        r.table_name() == Some("orders")
            && r.deletion_protection_enabled() == Some(true)
            && r.billing_mode().is_none()
            && r.provisioned_throughput().is_none()
            && r.attribute_definitions().is_empty()
            && r.global_secondary_index_updates().is_empty()
            && r.stream_specification().is_none()
            && r.sse_specification().is_none()
    }

    fn update() -> Rule {
        mock!(Client::update_table)
            .match_requests(protecting)
            .then_output(|| UpdateTableOutput::builder().build())
    }

    async fn run(rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        remediate(&ProtectFromDeletion, &ctx, &finding(), Mode::Apply).await
    }

    #[tokio::test]
    async fn turns_on_deletion_protection() {
        let (d, u) = (described(false, true), update());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &u]);
        let report = remediate(&ProtectFromDeletion, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(u.num_calls(), 1);
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn a_protected_table_gets_no_write() {
        let (d, u) = (described(true, true), update());
        let report = run(&[&d, &u]).await;
        assert_eq!(report.outcome, Outcome::AlreadyCompliant);
        assert_eq!(u.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_deleted_table_is_suppressed() {
        let gone = mock!(Client::describe_table).then_error(|| {
            DescribeTableError::generic(aws_error("ResourceNotFoundException", "gone"))
        });
        let report = run(&[&gone]).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("ResourceNotFoundException")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket() {
        let d = described(false, false);
        let denied = mock!(Client::update_table)
            .then_error(|| UpdateTableError::generic(aws_error("AccessDeniedException", "no")));
        let report = run(&[&d, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("UpdateTable failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_write_is_retried() {
        let d = described(false, true);
        let throttled = mock!(Client::update_table)
            .match_requests(protecting)
            .sequence()
            .error(|| UpdateTableError::generic(aws_error("ThrottlingException", "slow")))
            .output(|| UpdateTableOutput::builder().build())
            .build();
        let report = run(&[&d, &throttled]).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(throttled.num_calls(), 2);
    }
}
