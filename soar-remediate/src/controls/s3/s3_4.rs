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

/// Sets SSE-S3 (AES-256) as the bucket's default encryption; a bucket that
/// already has any default encryption (SSE-S3 or SSE-KMS) is left alone.
pub(crate) struct EncryptBucketByDefault;

async fn has_default_encryption(ctx: &Context, bucket: &str) -> Result<bool, RemediationError> {
    let found = optional(
        "GetBucketEncryption",
        ctx.s3().get_bucket_encryption().bucket(bucket).send().await,
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
        let bucket = bucket_name(finding, control)?;
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
        has_default_encryption(ctx, &bucket_name(finding, control_id(finding, META.ids))?).await
    }
}

#[cfg(test)]
#[cfg(feature = "testkit")]
mod tests {
    use aws_sdk_s3::operation::get_bucket_encryption::{
        GetBucketEncryptionError, GetBucketEncryptionOutput,
    };
    use aws_sdk_s3::operation::put_bucket_encryption::{
        PutBucketEncryptionError, PutBucketEncryptionOutput,
    };
    use aws_sdk_s3::Client;

    use super::*;
    use crate::testkit::{
        assert_least_privilege, aws_error, finding_for, mock, mock_context, RuleMode,
    };
    use crate::{remediate, Mode};

    fn finding() -> Finding {
        finding_for("S3.4", "AwsS3Bucket", "arn:aws:s3:::reports")
    }

    fn encrypted() -> GetBucketEncryptionOutput {
        let rule = ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(
                ServerSideEncryptionByDefault::builder()
                    .sse_algorithm(ServerSideEncryption::AwsKms)
                    .build()
                    .unwrap(),
            )
            .build();
        GetBucketEncryptionOutput::builder()
            .server_side_encryption_configuration(
                ServerSideEncryptionConfiguration::builder()
                    .rules(rule)
                    .build()
                    .unwrap(),
            )
            .build()
    }

    fn unencrypted() -> GetBucketEncryptionError {
        GetBucketEncryptionError::generic(aws_error(
            "ServerSideEncryptionConfigurationNotFoundError",
            "none",
        ))
    }

    fn aes256(r: &aws_sdk_s3::operation::put_bucket_encryption::PutBucketEncryptionInput) -> bool {
        r.bucket() == Some("reports")
            && r.server_side_encryption_configuration()
                .and_then(|c| c.rules().first())
                .and_then(|rule| rule.apply_server_side_encryption_by_default())
                .map(|d| d.sse_algorithm() == &ServerSideEncryption::Aes256)
                == Some(true)
    }

    #[tokio::test]
    async fn sets_sse_s3_and_verifies() {
        let get = mock!(Client::get_bucket_encryption)
            .sequence()
            .error(unencrypted)
            .output(encrypted)
            .build();
        let put = mock!(Client::put_bucket_encryption)
            .match_requests(aes256)
            .then_output(|| PutBucketEncryptionOutput::builder().build());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&EncryptBucketByDefault, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_least_privilege(&META, &recorder);
    }

    #[tokio::test]
    async fn kms_encrypted_bucket_is_left_alone() {
        let get = mock!(Client::get_bucket_encryption).then_output(encrypted);
        let put = mock!(Client::put_bucket_encryption)
            .then_output(|| PutBucketEncryptionOutput::builder().build());
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        assert_eq!(
            remediate(&EncryptBucketByDefault, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::AlreadyCompliant
        );
        assert_eq!(put.num_calls(), 0);
    }

    #[tokio::test]
    async fn gone_denied_and_throttled() {
        let gone = mock!(Client::get_bucket_encryption)
            .then_error(|| GetBucketEncryptionError::generic(aws_error("NoSuchBucket", "gone")));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&gone]);
        assert!(matches!(
            remediate(&EncryptBucketByDefault, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Suppress { .. }
        ));

        let get = mock!(Client::get_bucket_encryption).then_error(unencrypted);
        let denied = mock!(Client::put_bucket_encryption)
            .then_error(|| PutBucketEncryptionError::generic(aws_error("AccessDenied", "no")));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &denied]);
        assert!(matches!(
            remediate(&EncryptBucketByDefault, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Ticket { .. }
        ));

        let get = mock!(Client::get_bucket_encryption)
            .sequence()
            .error(unencrypted)
            .output(encrypted)
            .build();
        let put = mock!(Client::put_bucket_encryption)
            .match_requests(aes256)
            .sequence()
            .error(|| PutBucketEncryptionError::generic(aws_error("SlowDown", "slow")))
            .output(|| PutBucketEncryptionOutput::builder().build())
            .build();
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        assert!(matches!(
            remediate(&EncryptBucketByDefault, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Remediated { .. }
        ));
        assert_eq!(put.num_calls(), 2);
    }
}
