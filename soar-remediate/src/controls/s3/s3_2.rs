//! S3.2 and S3.8: block public access to a bucket, unless it is tagged as
//! meant to be publicly readable.

use async_trait::async_trait;
use soar_asff::Finding;

use super::{
    block_bucket_public_access, bucket_name, bucket_public_access_block, bucket_tags,
    BLOCK_SETTINGS,
};
use crate::controls::{control_id, is_true};
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["S3.2", "S3.8"],
    title: "S3 buckets block public access (public reads prohibited)",
    service: Service::S3,
    resource_type: "AwsS3Bucket",
    iam_actions: &[
        "s3:GetBucketTagging",
        "s3:GetBucketPublicAccessBlock",
        "s3:PutBucketPublicAccessBlock",
    ],
    destructive: false,
    exemption_tag: Some("soar:s3:request-publicly-readable"),
};

/// Turns on the four Block Public Access settings of a bucket.
pub(crate) struct BlockBucketPublicReads;

#[async_trait]
impl Remediation for BlockBucketPublicReads {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        plan_block(ctx, finding, &META).await
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        block_bucket_public_access(&ctx.s3(), &plan.resource).await?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Turned on all four Block Public Access settings of bucket {}.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        let bucket = bucket_name(finding, control_id(finding, META.ids))?;
        Ok(bucket_public_access_block(&ctx.s3(), &bucket)
            .await?
            .iter()
            .all(|on| *on))
    }
}

/// The plan shared by S3.2/S3.8 and S3.3, which differ in their exemption tag.
pub(super) async fn plan_block(
    ctx: &Context,
    finding: &Finding,
    meta: &ControlMeta,
) -> Result<Plan, RemediationError> {
    let control = control_id(finding, meta.ids);
    let bucket = bucket_name(finding, control)?;
    let s3 = ctx.s3();
    let tags = bucket_tags(&s3, &bucket).await?;
    if let Some(tag) = meta
        .exemption_tag
        .filter(|tag| is_true(tags.get(*tag).map(String::as_str)))
    {
        return Ok(Plan::exempt(
            control,
            bucket,
            format!("the bucket is tagged {tag}=true"),
        ));
    }
    let settings = bucket_public_access_block(&s3, &bucket).await?;
    if settings.iter().all(|on| *on) {
        return Ok(Plan::compliant(control, bucket));
    }
    let off: Vec<&str> = BLOCK_SETTINGS
        .iter()
        .zip(settings)
        .filter(|(_, on)| !on)
        .map(|(name, _)| *name)
        .collect();
    let change = Plan::change(
        "s3:PutBucketPublicAccessBlock",
        format!("turn on {} of bucket {bucket}", off.join(", ")),
    );
    Ok(Plan::changes(
        control,
        bucket,
        vec![change],
        serde_json::Value::Null,
    ))
}

#[cfg(test)]
#[cfg(feature = "testkit")]
mod tests {
    use aws_sdk_s3::operation::get_bucket_tagging::{
        GetBucketTaggingError, GetBucketTaggingOutput,
    };
    use aws_sdk_s3::operation::get_public_access_block::{
        GetPublicAccessBlockError, GetPublicAccessBlockOutput,
    };
    use aws_sdk_s3::operation::put_public_access_block::{
        PutPublicAccessBlockError, PutPublicAccessBlockOutput,
    };
    use aws_sdk_s3::types::{PublicAccessBlockConfiguration, Tag};
    use aws_sdk_s3::Client;

    use super::*;
    use crate::testkit::{
        assert_least_privilege, aws_error, finding_for, mock, mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode};

    fn finding() -> Finding {
        finding_for("S3.8", "AwsS3Bucket", "arn:aws:s3:::logs")
    }

    fn no_tags() -> Rule {
        mock!(Client::get_bucket_tagging)
            .then_error(|| GetBucketTaggingError::generic(aws_error("NoSuchTagSet", "none")))
    }

    fn blocked(on: bool) -> GetPublicAccessBlockOutput {
        GetPublicAccessBlockOutput::builder()
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(on)
                    .ignore_public_acls(on)
                    .block_public_policy(true)
                    .restrict_public_buckets(on)
                    .build(),
            )
            .build()
    }

    /// Off before the fix, on after it.
    fn state_before_and_after() -> Rule {
        mock!(Client::get_public_access_block)
            .sequence()
            .output(|| blocked(false))
            .output(|| blocked(true))
            .build()
    }

    fn all_four_on(
        r: &aws_sdk_s3::operation::put_public_access_block::PutPublicAccessBlockInput,
    ) -> bool {
        let Some(c) = r.public_access_block_configuration() else {
            return false;
        };
        r.bucket() == Some("logs")
            && c.block_public_acls() == Some(true)
            && c.ignore_public_acls() == Some(true)
            && c.block_public_policy() == Some(true)
            && c.restrict_public_buckets() == Some(true)
    }

    #[tokio::test]
    async fn blocks_public_access_and_verifies() {
        let (tags, state) = (no_tags(), state_before_and_after());
        let put = mock!(Client::put_public_access_block)
            .match_requests(all_four_on)
            .then_output(|| PutPublicAccessBlockOutput::builder().build());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&tags, &state, &put]);
        let report = remediate(&BlockBucketPublicReads, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert!(report.changes[0]
            .description
            .contains("BlockPublicAcls, IgnorePublicAcls, RestrictPublicBuckets"));
        assert_eq!(put.num_calls(), 1);
        assert_least_privilege(&META, &recorder);
    }

    #[tokio::test]
    async fn already_blocked_bucket_gets_no_write() {
        let tags = no_tags();
        let state = mock!(Client::get_public_access_block).then_output(|| blocked(true));
        let put = mock!(Client::put_public_access_block)
            .match_requests(all_four_on)
            .then_output(|| PutPublicAccessBlockOutput::builder().build());
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&tags, &state, &put]);
        let report = remediate(&BlockBucketPublicReads, &ctx, &finding(), Mode::Apply).await;
        assert_eq!(report.outcome, Outcome::AlreadyCompliant);
        assert_eq!(put.num_calls(), 0);
    }

    #[tokio::test]
    async fn tagged_bucket_is_exempt() {
        let tags = mock!(Client::get_bucket_tagging).then_output(|| {
            GetBucketTaggingOutput::builder()
                .tag_set(
                    Tag::builder()
                        .key("soar:s3:request-publicly-readable")
                        .value("true")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap()
        });
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&tags]);
        let report = remediate(&BlockBucketPublicReads, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("publicly-readable")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn missing_bucket_is_suppressed() {
        let tags = mock!(Client::get_bucket_tagging)
            .then_error(|| GetBucketTaggingError::generic(aws_error("NoSuchBucket", "gone")));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&tags]);
        let report = remediate(&BlockBucketPublicReads, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Suppress { .. }),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn access_denied_is_ticketed() {
        let tags = no_tags();
        let state = mock!(Client::get_public_access_block).then_error(|| {
            GetPublicAccessBlockError::generic(aws_error(
                "NoSuchPublicAccessBlockConfiguration",
                "none",
            ))
        });
        let put = mock!(Client::put_public_access_block)
            .match_requests(all_four_on)
            .then_error(|| PutPublicAccessBlockError::generic(aws_error("AccessDenied", "no")));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&tags, &state, &put]);
        let report = remediate(&BlockBucketPublicReads, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains("AccessDenied")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn throttled_write_is_retried_then_succeeds() {
        let (tags, state) = (no_tags(), state_before_and_after());
        let put = mock!(Client::put_public_access_block)
            .match_requests(all_four_on)
            .sequence()
            .error(|| PutPublicAccessBlockError::generic(aws_error("SlowDown", "slow down")))
            .output(|| PutPublicAccessBlockOutput::builder().build())
            .build();
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&tags, &state, &put]);
        let report = remediate(&BlockBucketPublicReads, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 2);
    }
}
