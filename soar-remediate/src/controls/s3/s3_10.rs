//! S3.10: a versioned bucket expires noncurrent versions and aborts
//! incomplete multipart uploads.

use async_trait::async_trait;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, ExpirationStatus, LifecycleRule, LifecycleRuleFilter,
    NoncurrentVersionExpiration,
};
use serde_json::json;
use soar_asff::Finding;

use super::{add_lifecycle_rule, bucket_name, is_enabled, lifecycle_rules};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["S3.10"],
    title: "S3 buckets with versioning enabled have lifecycle configurations",
    service: Service::S3,
    resource_type: "AwsS3Bucket",
    iam_actions: &[
        "s3:GetLifecycleConfiguration",
        "s3:PutLifecycleConfiguration",
    ],
    destructive: false,
    exemption_tag: None,
};

const RULE_ID: &str = "soar-noncurrent-versions";

/// Adds a rule expiring noncurrent versions after
/// `Settings::s3_noncurrent_version_days` and aborting incomplete uploads
/// after `Settings::s3_abort_incomplete_upload_days`, keeping existing rules.
pub(crate) struct ExpireNoncurrentVersions;

fn handles_noncurrent_versions(rule: &LifecycleRule) -> bool {
    is_enabled(rule) && rule.noncurrent_version_expiration().is_some()
}

#[async_trait]
impl Remediation for ExpireNoncurrentVersions {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let bucket = bucket_name(finding, control)?;
        let rules = lifecycle_rules(&ctx.s3(), &bucket).await?;
        if rules.iter().any(handles_noncurrent_versions) {
            return Ok(Plan::compliant(control, bucket));
        }
        let (days, abort) = (
            ctx.settings.s3_noncurrent_version_days,
            ctx.settings.s3_abort_incomplete_upload_days,
        );
        let change = Plan::change(
            "s3:PutLifecycleConfiguration",
            format!("add lifecycle rule {RULE_ID} to {bucket}: expire noncurrent versions after {days} days, abort incomplete uploads after {abort} days (keeping {} existing rule(s))", rules.len()),
        );
        Ok(Plan::changes(
            control,
            bucket,
            vec![change],
            json!({"noncurrent_days": days, "abort_days": abort}),
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        let day = |member: &str| {
            plan.data
                .get(member)
                .and_then(serde_json::Value::as_i64)
                .and_then(|d| i32::try_from(d).ok())
        };
        let (Some(days), Some(abort)) = (day("noncurrent_days"), day("abort_days")) else {
            return Err(RemediationError::InvalidPlan {
                control_id: plan.control_id.clone(),
                reason: "missing lifecycle days".to_owned(),
            });
        };
        let rule = LifecycleRule::builder()
            .id(RULE_ID)
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("").build())
            .noncurrent_version_expiration(
                NoncurrentVersionExpiration::builder()
                    .noncurrent_days(days)
                    .build(),
            )
            .abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder()
                    .days_after_initiation(abort)
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
            .any(handles_noncurrent_versions))
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
    use aws_sdk_s3::types::{LifecycleExpiration, LifecycleRuleFilter};
    use aws_sdk_s3::Client;

    use super::*;
    use crate::testkit::{
        assert_least_privilege, aws_error, finding_for, mock, mock_context, RuleMode,
    };
    use crate::{remediate, Mode};

    fn finding() -> Finding {
        finding_for("S3.10", "AwsS3Bucket", "arn:aws:s3:::versioned")
    }

    fn existing_rule() -> LifecycleRule {
        LifecycleRule::builder()
            .id("expire-tmp")
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("tmp/").build())
            .expiration(LifecycleExpiration::builder().days(1).build())
            .build()
            .unwrap()
    }

    fn with(rules: Vec<LifecycleRule>) -> GetBucketLifecycleConfigurationOutput {
        GetBucketLifecycleConfigurationOutput::builder()
            .set_rules(Some(rules))
            .build()
    }

    fn keeps_existing_and_adds_ours(
        r: &aws_sdk_s3::operation::put_bucket_lifecycle_configuration::PutBucketLifecycleConfigurationInput,
    ) -> bool {
        let rules = r
            .lifecycle_configuration()
            .map(|c| c.rules())
            .unwrap_or_default();
        r.bucket() == Some("versioned")
            && rules.len() == 2
            && rules[0].id() == Some("expire-tmp")
            && rules[1]
                .noncurrent_version_expiration()
                .and_then(|n| n.noncurrent_days())
                == Some(90)
            && rules[1]
                .abort_incomplete_multipart_upload()
                .and_then(|a| a.days_after_initiation())
                == Some(7)
    }

    #[tokio::test]
    async fn adds_noncurrent_version_rule_keeping_existing_rules() {
        let ours = LifecycleRule::builder()
            .id(RULE_ID)
            .status(ExpirationStatus::Enabled)
            .noncurrent_version_expiration(
                NoncurrentVersionExpiration::builder()
                    .noncurrent_days(90)
                    .build(),
            )
            .build()
            .unwrap();
        let done = vec![existing_rule(), ours];
        let get = mock!(Client::get_bucket_lifecycle_configuration)
            .sequence()
            .output(|| with(vec![existing_rule()]))
            .times(2)
            .output(move || with(done.clone()))
            .build();
        let put = mock!(Client::put_bucket_lifecycle_configuration)
            .match_requests(keeps_existing_and_adds_ours)
            .then_output(|| PutBucketLifecycleConfigurationOutput::builder().build());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&ExpireNoncurrentVersions, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_least_privilege(&META, &recorder);
    }

    #[tokio::test]
    async fn bucket_with_a_noncurrent_rule_gets_no_write() {
        let ours = LifecycleRule::builder()
            .id("x")
            .status(ExpirationStatus::Enabled)
            .noncurrent_version_expiration(
                NoncurrentVersionExpiration::builder()
                    .noncurrent_days(30)
                    .build(),
            )
            .build()
            .unwrap();
        let get = mock!(Client::get_bucket_lifecycle_configuration)
            .then_output(move || with(vec![ours.clone()]));
        let put = mock!(Client::put_bucket_lifecycle_configuration)
            .then_output(|| PutBucketLifecycleConfigurationOutput::builder().build());
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        assert_eq!(
            remediate(&ExpireNoncurrentVersions, &ctx, &finding(), Mode::Apply)
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
            remediate(&ExpireNoncurrentVersions, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Suppress { .. }
        ));

        let none = || {
            GetBucketLifecycleConfigurationError::generic(aws_error(
                "NoSuchLifecycleConfiguration",
                "none",
            ))
        };
        let get = mock!(Client::get_bucket_lifecycle_configuration).then_error(none);
        let denied = mock!(Client::put_bucket_lifecycle_configuration).then_error(|| {
            PutBucketLifecycleConfigurationError::generic(aws_error("AccessDenied", "no"))
        });
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &denied]);
        assert!(matches!(
            remediate(&ExpireNoncurrentVersions, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Ticket { .. }
        ));

        let fixed = LifecycleRule::builder()
            .id(RULE_ID)
            .status(ExpirationStatus::Enabled)
            .noncurrent_version_expiration(
                NoncurrentVersionExpiration::builder()
                    .noncurrent_days(90)
                    .build(),
            )
            .build()
            .unwrap();
        let get = mock!(Client::get_bucket_lifecycle_configuration)
            .sequence()
            .error(none)
            .times(2)
            .output(move || with(vec![fixed.clone()]))
            .build();
        let put = mock!(Client::put_bucket_lifecycle_configuration)
            .sequence()
            .error(|| PutBucketLifecycleConfigurationError::generic(aws_error("SlowDown", "slow")))
            .output(|| PutBucketLifecycleConfigurationOutput::builder().build())
            .build();
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        assert!(matches!(
            remediate(&ExpireNoncurrentVersions, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Remediated { .. }
        ));
        assert_eq!(put.num_calls(), 2);
    }
}
