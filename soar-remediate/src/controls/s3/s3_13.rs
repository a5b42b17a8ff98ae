//! S3.13: a bucket has a lifecycle configuration; soar adds one that aborts
//! incomplete multipart uploads, which costs nothing and removes only waste.

use async_trait::async_trait;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, ExpirationStatus, LifecycleRule, LifecycleRuleFilter,
};
use serde_json::json;
use soar_asff::Finding;

use super::{add_lifecycle_rule, bucket_name, is_enabled, lifecycle};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What S3.13 is and what it may do.
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

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(AddLifecycleRules)
}

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
        let bucket = bucket_name(finding, &META)?;
        let rules = lifecycle(ctx, &bucket).await?.rules;
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
        // Read again and merged: rules added since the plan are kept.
        let kept = add_lifecycle_rule(ctx, &plan.control_id, &plan.resource, rule).await?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Added lifecycle rule {RULE_ID} to bucket {}, keeping its {kept} other rule(s).",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        let bucket = bucket_name(finding, &META)?;
        Ok(lifecycle(ctx, &bucket).await?.rules.iter().any(is_enabled))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_s3::operation::get_bucket_lifecycle_configuration::GetBucketLifecycleConfigurationError;
    use aws_sdk_s3::operation::put_bucket_lifecycle_configuration::PutBucketLifecycleConfigurationError;
    use aws_sdk_s3::types::{LifecycleExpiration, TransitionDefaultMinimumObjectSize};
    use aws_sdk_s3::Client;

    use super::super::test_support::{access_denied, no_such_bucket, ours, FakeLifecycle};
    use super::*;
    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, finding_for, mock, mock_context, RuleMode,
    };
    use crate::{remediate, Mode};

    fn finding() -> Finding {
        finding_for("S3.13", "AwsS3Bucket", "arn:aws:s3:::plain")
    }

    /// The rule S3.13 adds with the default settings.
    fn ours_rule() -> LifecycleRule {
        LifecycleRule::builder()
            .id(RULE_ID)
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("").build())
            .abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder()
                    .days_after_initiation(7)
                    .build(),
            )
            .build()
            .unwrap()
    }

    fn expire_tmp(status: ExpirationStatus) -> LifecycleRule {
        LifecycleRule::builder()
            .id("expire-tmp")
            .status(status)
            .filter(LifecycleRuleFilter::builder().prefix("tmp/").build())
            .expiration(LifecycleExpiration::builder().days(1).build())
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn adds_an_abort_rule_to_a_bucket_without_lifecycle_rules() {
        let bucket = FakeLifecycle::new("plain", None);
        let get = bucket.get();
        let put = bucket.put(vec![ours_rule()], None, false);
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&AddLifecycleRules, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 1);
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn disabled_rules_and_the_default_minimum_transition_size_are_kept() {
        let size = TransitionDefaultMinimumObjectSize::AllStorageClasses128K;
        let disabled = expire_tmp(ExpirationStatus::Disabled);
        let bucket =
            FakeLifecycle::new("plain", Some((vec![disabled.clone()], Some(size.clone()))));
        let get = bucket.get();
        let put = bucket.put(vec![disabled, ours_rule()], Some(size), false);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&AddLifecycleRules, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 1);
    }

    #[tokio::test]
    async fn any_enabled_rule_is_enough() {
        let bucket = FakeLifecycle::new(
            "plain",
            Some((vec![expire_tmp(ExpirationStatus::Enabled)], None)),
        );
        let get = bucket.get();
        let put = bucket.put(vec![], None, false);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&AddLifecycleRules, &ctx, &finding(), Mode::Apply).await;
        assert_eq!(report.outcome, Outcome::AlreadyCompliant);
        assert_eq!(put.num_calls(), 0);
    }

    #[tokio::test]
    async fn apply_keeps_a_rule_added_after_the_plan() {
        let bucket = FakeLifecycle::new("plain", None);
        let enabled = expire_tmp(ExpirationStatus::Enabled);
        let get = bucket.get();
        let put = bucket.put(vec![enabled.clone(), ours_rule()], None, false);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let plan = AddLifecycleRules.plan(&ctx, &finding()).await.unwrap();
        bucket.set(Some((vec![enabled.clone()], None)));
        let outcome = AddLifecycleRules.apply(&ctx, &plan).await.unwrap();
        assert!(matches!(outcome, Outcome::Remediated { .. }), "{outcome:?}");
        assert_eq!(put.num_calls(), 1);
        assert_eq!(bucket.state(), Some((vec![enabled, ours_rule()], None)));
    }

    #[tokio::test]
    async fn a_missing_bucket_is_suppressed() {
        let gone = mock!(Client::get_bucket_lifecycle_configuration)
            .match_requests(|r| ours(r.bucket(), r.expected_bucket_owner(), "plain"))
            .then_error(|| GetBucketLifecycleConfigurationError::generic(no_such_bucket()));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&gone]);
        let report = remediate(&AddLifecycleRules, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("NoSuchBucket")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket_naming_the_operation() {
        let bucket = FakeLifecycle::new("plain", None);
        let get = bucket.get();
        let denied = mock!(Client::put_bucket_lifecycle_configuration)
            .match_requests(|r| ours(r.bucket(), r.expected_bucket_owner(), "plain"))
            .then_error(|| PutBucketLifecycleConfigurationError::generic(access_denied()));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &denied]);
        let report = remediate(&AddLifecycleRules, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("PutBucketLifecycleConfiguration failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_write_is_retried_by_the_sdk() {
        let bucket = FakeLifecycle::new("plain", None);
        let get = bucket.get();
        let put = bucket.put(vec![ours_rule()], None, true);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&AddLifecycleRules, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 2);
    }
}
