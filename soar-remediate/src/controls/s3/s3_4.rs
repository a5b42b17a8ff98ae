//! S3.4: encrypt a bucket's new objects by default (SSE-S3).

use async_trait::async_trait;
use aws_sdk_s3::types::{
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule,
};
use soar_asff::Finding;

use super::bucket_name;
use crate::controls::{control_id, optional};
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What S3.4 is and what it may do.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["S3.4"],
    title: "S3 buckets have server-side encryption enabled",
    service: Service::S3,
    resource_type: "AwsS3Bucket",
    iam_actions: &[
        "s3:GetEncryptionConfiguration",
        "s3:PutEncryptionConfiguration",
    ],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(EncryptBucketByDefault)
}

/// Sets SSE-S3 (AES-256) as the bucket's default encryption; a bucket that
/// already has any default encryption (SSE-S3 or SSE-KMS) is left alone.
pub(crate) struct EncryptBucketByDefault;

/// Whether the bucket encrypts new objects by default, with any algorithm.
async fn has_default_encryption(ctx: &Context, bucket: &str) -> Result<bool, RemediationError> {
    let found = optional(
        "GetBucketEncryption",
        ctx.s3()
            .get_bucket_encryption()
            .bucket(bucket)
            .expected_bucket_owner(ctx.account_id())
            .send()
            .await,
        &["ServerSideEncryptionConfigurationNotFoundError"],
    )?;
    Ok(found
        .and_then(|o| o.server_side_encryption_configuration().cloned())
        .is_some_and(|c| {
            c.rules()
                .iter()
                .any(|r| r.apply_server_side_encryption_by_default().is_some())
        }))
}

#[async_trait]
impl Remediation for EncryptBucketByDefault {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let bucket = bucket_name(finding, &META)?;
        if has_default_encryption(ctx, &bucket).await? {
            return Ok(Plan::compliant(control, bucket));
        }
        let change = Plan::change(
            "s3:PutEncryptionConfiguration",
            format!("encrypt new objects in {bucket} with SSE-S3 (AES-256) by default"),
        );
        Ok(Plan::changes(
            control,
            bucket,
            vec![change],
            serde_json::Value::Null,
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        let by_default = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::Aes256)
            .build()
            .map_err(|e| RemediationError::InvalidPlan {
                control_id: plan.control_id.clone(),
                reason: e.to_string(),
            })?;
        let configuration = ServerSideEncryptionConfiguration::builder()
            .rules(
                ServerSideEncryptionRule::builder()
                    .apply_server_side_encryption_by_default(by_default)
                    .build(),
            )
            .build()
            .map_err(|e| RemediationError::InvalidPlan {
                control_id: plan.control_id.clone(),
                reason: e.to_string(),
            })?;
        ctx.s3()
            .put_bucket_encryption()
            .bucket(&plan.resource)
            .expected_bucket_owner(ctx.account_id())
            .server_side_encryption_configuration(configuration)
            .send()
            .await
            .map_err(|e| RemediationError::aws("PutBucketEncryption", &e))?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Set SSE-S3 default encryption on bucket {}.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        has_default_encryption(ctx, &bucket_name(finding, &META)?).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_sdk_s3::operation::get_bucket_encryption::{
        GetBucketEncryptionError, GetBucketEncryptionOutput,
    };
    use aws_sdk_s3::operation::put_bucket_encryption::{
        PutBucketEncryptionError, PutBucketEncryptionInput, PutBucketEncryptionOutput,
    };
    use aws_sdk_s3::Client;

    use super::*;
    use crate::controls::s3::test_support::{
        access_denied, no_such_bucket, ours, slow_down, throttled_write,
    };
    use crate::testkit::aws_smithy_mocks::MockResponse;
    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, aws_error, finding_for, mock,
        mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode};

    fn finding() -> Finding {
        finding_for("S3.4", "AwsS3Bucket", "arn:aws:s3:::reports")
    }

    fn configuration(algorithm: ServerSideEncryption) -> ServerSideEncryptionConfiguration {
        let rule = ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(
                ServerSideEncryptionByDefault::builder()
                    .sse_algorithm(algorithm)
                    .build()
                    .unwrap(),
            )
            .build();
        ServerSideEncryptionConfiguration::builder()
            .rules(rule)
            .build()
            .unwrap()
    }

    /// The bucket's default encryption; `None` for none.
    type Encryption = Arc<Mutex<Option<ServerSideEncryptionConfiguration>>>;

    fn reads(bucket: &Encryption) -> Rule {
        let bucket = bucket.clone();
        mock!(Client::get_bucket_encryption)
            .match_requests(|r| ours(r.bucket(), r.expected_bucket_owner(), "reports"))
            .then_compute_response(move |_| match bucket.lock().unwrap().clone() {
                Some(c) => MockResponse::Output(
                    GetBucketEncryptionOutput::builder()
                        .server_side_encryption_configuration(c)
                        .build(),
                ),
                None => MockResponse::Error(GetBucketEncryptionError::generic(aws_error(
                    "ServerSideEncryptionConfigurationNotFoundError",
                    "none",
                ))),
            })
    }

    /// Whether the write sets exactly SSE-S3 on `reports` of the test account.
    fn sse_s3(r: &PutBucketEncryptionInput) -> bool {
        ours(r.bucket(), r.expected_bucket_owner(), "reports")
            && r.server_side_encryption_configuration()
                == Some(&configuration(ServerSideEncryption::Aes256))
    }

    fn store(
        bucket: &Encryption,
    ) -> impl Fn(&PutBucketEncryptionInput) -> PutBucketEncryptionOutput + Send + Sync + 'static
    {
        let bucket = bucket.clone();
        move |r| {
            *bucket.lock().unwrap() = r.server_side_encryption_configuration().cloned();
            PutBucketEncryptionOutput::builder().build()
        }
    }

    #[tokio::test]
    async fn sets_sse_s3_as_the_default_encryption() {
        let bucket: Encryption = Arc::new(Mutex::new(None));
        let get = reads(&bucket);
        let put = mock!(Client::put_bucket_encryption)
            .match_requests(sse_s3)
            .then_compute_output(store(&bucket));
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&EncryptBucketByDefault, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 1);
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn a_kms_encrypted_bucket_is_left_alone() {
        let bucket: Encryption = Arc::new(Mutex::new(Some(configuration(
            ServerSideEncryption::AwsKms,
        ))));
        let get = reads(&bucket);
        let put = mock!(Client::put_bucket_encryption).then_compute_output(store(&bucket));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&EncryptBucketByDefault, &ctx, &finding(), Mode::Apply).await;
        assert_eq!(report.outcome, Outcome::AlreadyCompliant);
        assert_eq!(put.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_missing_bucket_is_suppressed() {
        let get = mock!(Client::get_bucket_encryption)
            .match_requests(|r| ours(r.bucket(), r.expected_bucket_owner(), "reports"))
            .then_error(|| GetBucketEncryptionError::generic(no_such_bucket()));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get]);
        let report = remediate(&EncryptBucketByDefault, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("NoSuchBucket")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket_naming_the_operation() {
        let bucket: Encryption = Arc::new(Mutex::new(None));
        let get = reads(&bucket);
        let put = mock!(Client::put_bucket_encryption)
            .match_requests(sse_s3)
            .then_error(|| PutBucketEncryptionError::generic(access_denied()));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&EncryptBucketByDefault, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("PutBucketEncryption failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_write_is_retried_by_the_sdk() {
        let bucket: Encryption = Arc::new(Mutex::new(None));
        let get = reads(&bucket);
        let put = throttled_write(
            mock!(Client::put_bucket_encryption),
            sse_s3,
            || PutBucketEncryptionError::generic(slow_down()),
            store(&bucket),
        );
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&EncryptBucketByDefault, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 2);
    }
}
