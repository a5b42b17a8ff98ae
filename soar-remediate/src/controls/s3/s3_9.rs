//! S3.9: turn on server access logging into the configured log bucket.

use async_trait::async_trait;
use aws_sdk_s3::types::{BucketLoggingStatus, LoggingEnabled};
use serde_json::json;
use soar_asff::Finding;

use super::bucket_name;
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["S3.9"],
    title: "S3 general purpose buckets have server access logging enabled",
    service: Service::S3,
    resource_type: "AwsS3Bucket",
    iam_actions: &["s3:GetBucketLogging", "s3:PutBucketLogging"],
    destructive: false,
    exemption_tag: None,
};

/// Sends the bucket's access logs to `Settings::s3_access_log_bucket`,
/// under the prefix `<bucket>/`.
pub(crate) struct EnableAccessLogging;

async fn is_logging(ctx: &Context, bucket: &str) -> Result<bool, RemediationError> {
    let output = ctx
        .s3()
        .get_bucket_logging()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| RemediationError::aws("GetBucketLogging", &e))?;
    Ok(output.logging_enabled().is_some())
}

#[async_trait]
impl Remediation for EnableAccessLogging {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let bucket = bucket_name(finding, control)?;
        if is_logging(ctx, &bucket).await? {
            return Ok(Plan::compliant(control, bucket));
        }
        let target = ctx.settings.s3_access_log_bucket.clone().ok_or_else(|| {
            RemediationError::NotConfigured {
                control_id: control.to_owned(),
                setting: "s3_access_log_bucket",
            }
        })?;
        if target == bucket {
            return Ok(Plan::exempt(
                control,
                bucket,
                "this is the access-log bucket itself; logging it into itself would loop",
            ));
        }
        let prefix = format!("{bucket}/");
        let change = Plan::change(
            "s3:PutBucketLogging",
            format!("send access logs of {bucket} to s3://{target}/{prefix}"),
        );
        Ok(Plan::changes(
            control,
            bucket,
            vec![change],
            json!({"target_bucket": target, "target_prefix": prefix}),
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        let invalid = |e: aws_sdk_s3::error::BuildError| RemediationError::InvalidPlan {
            control_id: plan.control_id.clone(),
            reason: e.to_string(),
        };
        let logging = LoggingEnabled::builder()
            .target_bucket(plan.data_str("target_bucket")?)
            .target_prefix(plan.data_str("target_prefix")?)
            .build()
            .map_err(invalid)?;
        ctx.s3()
            .put_bucket_logging()
            .bucket(&plan.resource)
            .bucket_logging_status(
                BucketLoggingStatus::builder()
                    .logging_enabled(logging)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| RemediationError::aws("PutBucketLogging", &e))?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Turned on server access logging for bucket {}.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        is_logging(ctx, &bucket_name(finding, control_id(finding, META.ids))?).await
    }
}

#[cfg(test)]
#[cfg(feature = "testkit")]
mod tests {
    use aws_sdk_s3::operation::get_bucket_logging::{
        GetBucketLoggingError, GetBucketLoggingOutput,
    };
    use aws_sdk_s3::operation::put_bucket_logging::{
        PutBucketLoggingError, PutBucketLoggingOutput,
    };
    use aws_sdk_s3::Client;

    use super::*;
    use crate::testkit::{
        assert_least_privilege, aws_error, finding_for, mock, mock_context, RuleMode,
    };
    use crate::{remediate, Mode, Settings};

    fn finding() -> Finding {
        finding_for("S3.9", "AwsS3Bucket", "arn:aws:s3:::data")
    }

    fn logging_on() -> GetBucketLoggingOutput {
        GetBucketLoggingOutput::builder()
            .logging_enabled(
                LoggingEnabled::builder()
                    .target_bucket("logs")
                    .target_prefix("data/")
                    .build()
                    .unwrap(),
            )
            .build()
    }

    fn settings() -> Settings {
        Settings {
            s3_access_log_bucket: Some("logs".into()),
            ..Settings::default()
        }
    }

    fn to_log_bucket(r: &aws_sdk_s3::operation::put_bucket_logging::PutBucketLoggingInput) -> bool {
        let target = r.bucket_logging_status().and_then(|s| s.logging_enabled());
        r.bucket() == Some("data")
            && target.map(|t| (t.target_bucket(), t.target_prefix())) == Some(("logs", "data/"))
    }

    #[tokio::test]
    async fn turns_on_logging_into_the_log_bucket() {
        let get = mock!(Client::get_bucket_logging)
            .sequence()
            .output(|| GetBucketLoggingOutput::builder().build())
            .output(logging_on)
            .build();
        let put = mock!(Client::put_bucket_logging)
            .match_requests(to_log_bucket)
            .then_output(|| PutBucketLoggingOutput::builder().build());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(
            &EnableAccessLogging,
            &ctx.with_settings(settings()),
            &finding(),
            Mode::Apply,
        )
        .await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_least_privilege(&META, &recorder);
    }

    #[tokio::test]
    async fn logging_bucket_is_compliant_and_missing_setting_is_ticketed() {
        let get = mock!(Client::get_bucket_logging).then_output(logging_on);
        let put = mock!(Client::put_bucket_logging)
            .then_output(|| PutBucketLoggingOutput::builder().build());
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        assert_eq!(
            remediate(&EnableAccessLogging, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::AlreadyCompliant
        );
        assert_eq!(put.num_calls(), 0);

        let off = mock!(Client::get_bucket_logging)
            .then_output(|| GetBucketLoggingOutput::builder().build());
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&off]);
        let report = remediate(&EnableAccessLogging, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains("s3_access_log_bucket")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn gone_denied_and_throttled() {
        let gone = mock!(Client::get_bucket_logging)
            .then_error(|| GetBucketLoggingError::generic(aws_error("NoSuchBucket", "gone")));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&gone]);
        assert!(matches!(
            remediate(&EnableAccessLogging, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Suppress { .. }
        ));

        let off = mock!(Client::get_bucket_logging)
            .then_output(|| GetBucketLoggingOutput::builder().build());
        let denied = mock!(Client::put_bucket_logging)
            .then_error(|| PutBucketLoggingError::generic(aws_error("AccessDenied", "no")));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&off, &denied]);
        assert!(matches!(
            remediate(
                &EnableAccessLogging,
                &ctx.with_settings(settings()),
                &finding(),
                Mode::Apply
            )
            .await
            .outcome,
            Outcome::Ticket { .. }
        ));

        let get = mock!(Client::get_bucket_logging)
            .sequence()
            .output(|| GetBucketLoggingOutput::builder().build())
            .output(logging_on)
            .build();
        let put = mock!(Client::put_bucket_logging)
            .match_requests(to_log_bucket)
            .sequence()
            .error(|| PutBucketLoggingError::generic(aws_error("SlowDown", "slow")))
            .output(|| PutBucketLoggingOutput::builder().build())
            .build();
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        assert!(matches!(
            remediate(
                &EnableAccessLogging,
                &ctx.with_settings(settings()),
                &finding(),
                Mode::Apply
            )
            .await
            .outcome,
            Outcome::Remediated { .. }
        ));
        assert_eq!(put.num_calls(), 2);
    }
}
