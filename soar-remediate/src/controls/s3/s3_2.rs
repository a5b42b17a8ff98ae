//! S3.2 and S3.8: block public access to a bucket, unless it is tagged as
//! meant to be publicly readable.

use super::BlockBucketPublicAccess;
use crate::{ControlMeta, Service};

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

/// S3.2 and S3.8: the shared bucket Block Public Access remediation with
/// this file's metadata.
pub(crate) const BLOCK_BUCKET_PUBLIC_READS: BlockBucketPublicAccess =
    BlockBucketPublicAccess(&META);

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

    use soar_asff::Finding;

    use super::*;
    use crate::testkit::{
        assert_least_privilege, aws_error, finding_for, mock, mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode, Outcome};

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
        let report = remediate(&BLOCK_BUCKET_PUBLIC_READS, &ctx, &finding(), Mode::Apply).await;
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
        let report = remediate(&BLOCK_BUCKET_PUBLIC_READS, &ctx, &finding(), Mode::Apply).await;
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
        let report = remediate(&BLOCK_BUCKET_PUBLIC_READS, &ctx, &finding(), Mode::Apply).await;
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
        let report = remediate(&BLOCK_BUCKET_PUBLIC_READS, &ctx, &finding(), Mode::Apply).await;
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
        let report = remediate(&BLOCK_BUCKET_PUBLIC_READS, &ctx, &finding(), Mode::Apply).await;
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
        let report = remediate(&BLOCK_BUCKET_PUBLIC_READS, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 2);
    }
}
