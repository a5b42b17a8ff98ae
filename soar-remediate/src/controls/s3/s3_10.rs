//! S3.10: a versioned bucket expires noncurrent versions and aborts
//! incomplete multipart uploads.

use async_trait::async_trait;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, ExpirationStatus, LifecycleRule, LifecycleRuleFilter,
    NoncurrentVersionExpiration,
};
use serde_json::json;
use soar_asff::Finding;

use super::{add_lifecycle_rule, bucket_name, is_enabled, lifecycle};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What S3.10 is and what it may do.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["S3.10"],
    title: "S3 buckets with versioning enabled have lifecycle configurations",
    service: Service::S3,
    resource_type: "AwsS3Bucket",
    iam_actions: &[
        "s3:GetLifecycleConfiguration",
        "s3:PutLifecycleConfiguration",
    ],
    // It deletes data: expired noncurrent object versions are gone for good.
    destructive: true,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(ExpireNoncurrentVersions)
}

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
        let bucket = bucket_name(finding, &META)?;
        let rules = lifecycle(ctx, &bucket).await?.rules;
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
        Ok(lifecycle(ctx, &bucket)
            .await?
            .rules
            .iter()
            .any(handles_noncurrent_versions))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_s3::operation::get_bucket_lifecycle_configuration::GetBucketLifecycleConfigurationError;
    use aws_sdk_s3::operation::put_bucket_lifecycle_configuration::PutBucketLifecycleConfigurationError;
    use aws_sdk_s3::types::{LifecycleExpiration, TransitionDefaultMinimumObjectSize};
    use aws_sdk_s3::Client;

    use super::super::test_support::{
        access_denied, allowing, no_such_bucket, ours, FakeLifecycle,
    };
    use super::*;
    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, finding_for, mock, mock_context, RuleMode,
    };
    use crate::{remediate, Mode, Settings};

    fn finding() -> Finding {
        finding_for("S3.10", "AwsS3Bucket", "arn:aws:s3:::versioned")
    }

    fn expire_tmp() -> LifecycleRule {
        LifecycleRule::builder()
            .id("expire-tmp")
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("tmp/").build())
            .expiration(LifecycleExpiration::builder().days(1).build())
            .build()
            .unwrap()
    }

    /// The rule S3.10 adds with the default settings.
    fn ours_rule() -> LifecycleRule {
        LifecycleRule::builder()
            .id(RULE_ID)
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("").build())
            .noncurrent_version_expiration(
                NoncurrentVersionExpiration::builder()
                    .noncurrent_days(90)
                    .build(),
            )
            .abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder()
                    .days_after_initiation(7)
                    .build(),
            )
            .build()
            .unwrap()
    }

    fn allowed() -> Settings {
        allowing("S3.10")
    }

    #[tokio::test]
    async fn adds_the_noncurrent_version_rule_keeping_existing_rules() {
        let bucket = FakeLifecycle::new("versioned", Some((vec![expire_tmp()], None)));
        let get = bucket.get();
        let put = bucket.put(vec![expire_tmp(), ours_rule()], None, false);
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(
            &ExpireNoncurrentVersions,
            &ctx.with_settings(allowed()),
            &finding(),
            Mode::Apply,
        )
        .await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 1);
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn the_default_minimum_transition_size_is_kept() {
        let size = TransitionDefaultMinimumObjectSize::VariesByStorageClass;
        let bucket =
            FakeLifecycle::new("versioned", Some((vec![expire_tmp()], Some(size.clone()))));
        let get = bucket.get();
        let put = bucket.put(vec![expire_tmp(), ours_rule()], Some(size), false);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(
            &ExpireNoncurrentVersions,
            &ctx.with_settings(allowed()),
            &finding(),
            Mode::Apply,
        )
        .await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 1);
    }

    #[tokio::test]
    async fn unless_destructive_controls_allow_it_the_plan_is_ticketed_and_nothing_written() {
        let bucket = FakeLifecycle::new("versioned", None);
        let get = bucket.get();
        let put = bucket.put(vec![ours_rule()], None, false);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        for settings in [Settings::default(), allowing("S3.13")] {
            let report = remediate(
                &ExpireNoncurrentVersions,
                &ctx.clone().with_settings(settings),
                &finding(),
                Mode::Apply,
            )
            .await;
            let Outcome::Ticket { reason } = &report.outcome else {
                panic!("{report:?}")
            };
            assert!(
                reason.contains("S3.10 is destructive")
                    && reason.contains("add lifecycle rule soar-noncurrent-versions to versioned")
                    && reason.contains("(s3:PutLifecycleConfiguration)"),
                "{reason}"
            );
        }
        assert_eq!(put.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_bucket_with_an_enabled_noncurrent_rule_gets_no_write() {
        let theirs = LifecycleRule::builder()
            .id("x")
            .status(ExpirationStatus::Enabled)
            .noncurrent_version_expiration(
                NoncurrentVersionExpiration::builder()
                    .noncurrent_days(30)
                    .build(),
            )
            .build()
            .unwrap();
        let bucket = FakeLifecycle::new("versioned", Some((vec![theirs], None)));
        let get = bucket.get();
        let put = bucket.put(vec![], None, false);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(
            &ExpireNoncurrentVersions,
            &ctx.with_settings(allowed()),
            &finding(),
            Mode::Apply,
        )
        .await;
        assert_eq!(report.outcome, Outcome::AlreadyCompliant);
        assert_eq!(put.num_calls(), 0);
    }

    #[tokio::test]
    async fn apply_keeps_a_rule_added_after_the_plan() {
        let bucket = FakeLifecycle::new("versioned", None);
        let get = bucket.get();
        let put = bucket.put(vec![expire_tmp(), ours_rule()], None, false);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let ctx = ctx.with_settings(allowed());
        let plan = ExpireNoncurrentVersions
            .plan(&ctx, &finding())
            .await
            .unwrap();
        bucket.set(Some((vec![expire_tmp()], None)));
        let outcome = ExpireNoncurrentVersions.apply(&ctx, &plan).await.unwrap();
        assert!(matches!(outcome, Outcome::Remediated { .. }), "{outcome:?}");
        assert_eq!(put.num_calls(), 1);
        assert_eq!(
            bucket.state(),
            Some((vec![expire_tmp(), ours_rule()], None))
        );
    }

    #[tokio::test]
    async fn a_missing_bucket_is_suppressed() {
        let gone = mock!(Client::get_bucket_lifecycle_configuration)
            .match_requests(|r| ours(r.bucket(), r.expected_bucket_owner(), "versioned"))
            .then_error(|| GetBucketLifecycleConfigurationError::generic(no_such_bucket()));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&gone]);
        let report = remediate(
            &ExpireNoncurrentVersions,
            &ctx.with_settings(allowed()),
            &finding(),
            Mode::Apply,
        )
        .await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("NoSuchBucket")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket_naming_the_operation() {
        let bucket = FakeLifecycle::new("versioned", None);
        let get = bucket.get();
        let denied = mock!(Client::put_bucket_lifecycle_configuration)
            .match_requests(|r| ours(r.bucket(), r.expected_bucket_owner(), "versioned"))
            .then_error(|| PutBucketLifecycleConfigurationError::generic(access_denied()));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &denied]);
        let report = remediate(
            &ExpireNoncurrentVersions,
            &ctx.with_settings(allowed()),
            &finding(),
            Mode::Apply,
        )
        .await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("PutBucketLifecycleConfiguration failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_write_is_retried_by_the_sdk() {
        let bucket = FakeLifecycle::new("versioned", None);
        let get = bucket.get();
        let put = bucket.put(vec![ours_rule()], None, true);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(
            &ExpireNoncurrentVersions,
            &ctx.with_settings(allowed()),
            &finding(),
            Mode::Apply,
        )
        .await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 2);
    }
}
