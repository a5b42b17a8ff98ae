//! S3.13: a bucket has a lifecycle configuration; soar adds one that aborts
//! incomplete multipart uploads, which costs nothing and removes only waste.

use async_trait::async_trait;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, ExpirationStatus, LifecycleRule, LifecycleRuleFilter,
};
use serde_json::json;
use soar_asff::Finding;

use super::{add_lifecycle_rule, bucket_name, is_enabled, lifecycle_rules};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["S3.13"],
    title: "S3 general purpose buckets have lifecycle configurations",
    service: Service::S3,
    resource_type: "AwsS3Bucket",
    iam_actions: &[
        "s3:GetLifecycleConfiguration",
        "s3:PutLifecycleConfiguration",
    ],
    destructive: false,
    exemption_tag: None,
};

const RULE_ID: &str = "soar-abort-incomplete-uploads";

/// Adds a rule aborting incomplete multipart uploads after
/// `Settings::s3_abort_incomplete_upload_days` to a bucket with no enabled
/// lifecycle rule.
pub(crate) struct AddLifecycleRules;

#[async_trait]
impl Remediation for AddLifecycleRules {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let bucket = bucket_name(finding, control)?;
        let rules = lifecycle_rules(&ctx.s3(), &bucket).await?;
        if rules.iter().any(is_enabled) {
            return Ok(Plan::compliant(control, bucket));
        }
        let days = ctx.settings.s3_abort_incomplete_upload_days;
        let change = Plan::change("s3:PutLifecycleConfiguration", format!("add lifecycle rule {RULE_ID} to {bucket}: abort incomplete multipart uploads after {days} days"));
        Ok(Plan::changes(
            control,
            bucket,
            vec![change],
            json!({"abort_days": days}),
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        let days = plan
            .data
            .get("abort_days")
            .and_then(serde_json::Value::as_i64)
            .and_then(|d| i32::try_from(d).ok());
        let Some(days) = days else {
            return Err(RemediationError::InvalidPlan {
                control_id: plan.control_id.clone(),
                reason: "missing `abort_days`".to_owned(),
            });
        };
        let rule = LifecycleRule::builder()
            .id(RULE_ID)
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("").build())
            .abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder()
                    .days_after_initiation(days)
                    .build(),
            )
            .build()
            .map_err(|e| RemediationError::InvalidPlan {
                control_id: plan.control_id.clone(),
                reason: e.to_string(),
            })?;
        add_lifecycle_rule(&ctx.s3(), &plan.resource, rule).await?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Added lifecycle rule {RULE_ID} to bucket {}.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        let bucket = bucket_name(finding, control_id(finding, META.ids))?;
        Ok(lifecycle_rules(&ctx.s3(), &bucket)
            .await?
            .iter()
            .any(is_enabled))
    }
}

#[cfg(test)]
#[cfg(feature = "testkit")]
mod tests {
    use aws_sdk_s3::operation::get_bucket_lifecycle_configuration::{
        GetBucketLifecycleConfigurationError, GetBucketLifecycleConfigurationOutput,
    };
    use aws_sdk_s3::operation::put_bucket_lifecycle_configuration::{
        PutBucketLifecycleConfigurationError, PutBucketLifecycleConfigurationOutput,
    };
    use aws_sdk_s3::Client;

    use super::*;
    use crate::testkit::{
        assert_least_privilege, aws_error, finding_for, mock, mock_context, RuleMode,
    };
    use crate::{remediate, Mode};

    fn finding() -> Finding {
        finding_for("S3.13", "AwsS3Bucket", "arn:aws:s3:::plain")
    }

    fn none() -> GetBucketLifecycleConfigurationError {
        GetBucketLifecycleConfigurationError::generic(aws_error(
            "NoSuchLifecycleConfiguration",
            "none",
        ))
    }

    fn ours() -> GetBucketLifecycleConfigurationOutput {
        let rule = LifecycleRule::builder()
            .id(RULE_ID)
            .status(ExpirationStatus::Enabled)
            .abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder()
                    .days_after_initiation(7)
                    .build(),
            )
            .build()
            .unwrap();
        GetBucketLifecycleConfigurationOutput::builder()
            .rules(rule)
            .build()
    }

    fn abort_after_seven(
        r: &aws_sdk_s3::operation::put_bucket_lifecycle_configuration::PutBucketLifecycleConfigurationInput,
    ) -> bool {
        let rules = r
            .lifecycle_configuration()
            .map(|c| c.rules())
            .unwrap_or_default();
        r.bucket() == Some("plain")
            && rules.len() == 1
            && rules[0]
                .abort_incomplete_multipart_upload()
                .and_then(|a| a.days_after_initiation())
                == Some(7)
    }

    #[tokio::test]
    async fn adds_an_abort_rule_and_verifies() {
        let get = mock!(Client::get_bucket_lifecycle_configuration)
            .sequence()
            .error(none)
            .times(2)
            .output(ours)
            .build();
        let put = mock!(Client::put_bucket_lifecycle_configuration)
            .match_requests(abort_after_seven)
            .then_output(|| PutBucketLifecycleConfigurationOutput::builder().build());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&AddLifecycleRules, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_least_privilege(&META, &recorder);
    }

    #[tokio::test]
    async fn any_enabled_rule_is_enough() {
        let get = mock!(Client::get_bucket_lifecycle_configuration).then_output(ours);
        let put = mock!(Client::put_bucket_lifecycle_configuration)
            .then_output(|| PutBucketLifecycleConfigurationOutput::builder().build());
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        assert_eq!(
            remediate(&AddLifecycleRules, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::AlreadyCompliant
        );
        assert_eq!(put.num_calls(), 0);
    }

    #[tokio::test]
    async fn gone_denied_and_throttled() {
        let gone = mock!(Client::get_bucket_lifecycle_configuration).then_error(|| {
            GetBucketLifecycleConfigurationError::generic(aws_error("NoSuchBucket", "gone"))
        });
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&gone]);
        assert!(matches!(
            remediate(&AddLifecycleRules, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Suppress { .. }
        ));

        let get = mock!(Client::get_bucket_lifecycle_configuration).then_error(none);
        let denied = mock!(Client::put_bucket_lifecycle_configuration).then_error(|| {
            PutBucketLifecycleConfigurationError::generic(aws_error("AccessDenied", "no"))
        });
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &denied]);
        assert!(matches!(
            remediate(&AddLifecycleRules, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Ticket { .. }
        ));

        let get = mock!(Client::get_bucket_lifecycle_configuration)
            .sequence()
            .error(none)
            .times(2)
            .output(ours)
            .build();
        let put = mock!(Client::put_bucket_lifecycle_configuration)
            .match_requests(abort_after_seven)
            .sequence()
            .error(|| PutBucketLifecycleConfigurationError::generic(aws_error("SlowDown", "slow")))
            .output(|| PutBucketLifecycleConfigurationOutput::builder().build())
            .build();
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        assert!(matches!(
            remediate(&AddLifecycleRules, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Remediated { .. }
        ));
        assert_eq!(put.num_calls(), 2);
    }
}
