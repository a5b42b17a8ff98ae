//! S3.2 and S3.8: block public access to a bucket, unless it is tagged as
//! meant to be publicly readable.

use super::{BlockBucketPublicAccess, PUBLICLY_READABLE_TAG};
use crate::{ControlMeta, Service};

/// What S3.2 and S3.8 are and what they may do.
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
    exemption_tag: Some(PUBLICLY_READABLE_TAG),
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(BLOCK_BUCKET_PUBLIC_READS)
}

/// S3.2 and S3.8: the shared bucket Block Public Access remediation with
/// this file's metadata.
pub(crate) const BLOCK_BUCKET_PUBLIC_READS: BlockBucketPublicAccess = BlockBucketPublicAccess {
    meta: &META,
    // The tag exempts the bucket from these controls altogether.
    keeps_tagged_public_reads: false,
};

#[cfg(test)]
mod tests {
    use aws_sdk_s3::operation::get_bucket_tagging::GetBucketTaggingError;
    use aws_sdk_s3::operation::put_public_access_block::{
        PutPublicAccessBlockError, PutPublicAccessBlockInput,
    };
    use aws_sdk_s3::types::PublicAccessBlockConfiguration;
    use aws_sdk_s3::Client;
    use soar_asff::Finding;

    use super::*;
    use crate::controls::s3::test_support::{
        access_denied, no_such_bucket, ours, BucketState, FakeBucket,
    };
    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, finding_for, mock, mock_context, RuleMode,
    };
    use crate::{remediate, Mode, Outcome};

    fn finding() -> Finding {
        finding_for("S3.8", "AwsS3Bucket", "arn:aws:s3:::logs")
    }

    fn settings(on: bool) -> PublicAccessBlockConfiguration {
        PublicAccessBlockConfiguration::builder()
            .block_public_acls(on)
            .ignore_public_acls(on)
            .block_public_policy(true)
            .restrict_public_buckets(on)
            .build()
    }

    /// The bucket `logs` with some Block Public Access settings off.
    fn partly_blocked() -> FakeBucket {
        FakeBucket::new(
            "logs",
            BucketState {
                block: Some(settings(false)),
                ..BucketState::default()
            },
        )
    }

    fn all_four_on(r: &PutPublicAccessBlockInput) -> bool {
        r.public_access_block_configuration() == Some(&settings(true))
    }

    #[tokio::test]
    async fn blocks_public_access_of_the_bucket() {
        let bucket = partly_blocked();
        let (tags, get) = (bucket.get_tagging(), bucket.get_public_access_block());
        let put = bucket.put_public_access_block(all_four_on);
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&tags, &get, &put]);
        let report = remediate(&BLOCK_BUCKET_PUBLIC_READS, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 1);
        assert_eq!(bucket.state().block, Some(settings(true)));
        assert!(report.changes[0]
            .description
            .contains("BlockPublicAcls, IgnorePublicAcls, RestrictPublicBuckets"));
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn a_bucket_without_settings_gets_all_four() {
        let bucket = FakeBucket::new("logs", BucketState::default());
        let (tags, get) = (bucket.get_tagging(), bucket.get_public_access_block());
        let put = bucket.put_public_access_block(all_four_on);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&tags, &get, &put]);
        let report = remediate(&BLOCK_BUCKET_PUBLIC_READS, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_blocked_bucket_gets_no_write() {
        let bucket = FakeBucket::new(
            "logs",
            BucketState {
                block: Some(settings(true)),
                ..BucketState::default()
            },
        );
        let (tags, get) = (bucket.get_tagging(), bucket.get_public_access_block());
        let put = bucket.put_public_access_block(|_| true);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&tags, &get, &put]);
        let report = remediate(&BLOCK_BUCKET_PUBLIC_READS, &ctx, &finding(), Mode::Apply).await;
        assert_eq!(report.outcome, Outcome::AlreadyCompliant);
        assert_eq!(put.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_bucket_tagged_publicly_readable_is_suppressed_untouched() {
        let bucket = FakeBucket::new(
            "logs",
            BucketState {
                tags: vec![(PUBLICLY_READABLE_TAG.into(), "true".into())],
                ..BucketState::default()
            },
        );
        let (tags, get) = (bucket.get_tagging(), bucket.get_public_access_block());
        let put = bucket.put_public_access_block(|_| true);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&tags, &get, &put]);
        let report = remediate(&BLOCK_BUCKET_PUBLIC_READS, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("publicly-readable=true")),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_missing_bucket_is_suppressed() {
        let tags = mock!(Client::get_bucket_tagging)
            .match_requests(|r| ours(r.bucket(), r.expected_bucket_owner(), "logs"))
            .then_error(|| GetBucketTaggingError::generic(no_such_bucket()));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&tags]);
        let report = remediate(&BLOCK_BUCKET_PUBLIC_READS, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("NoSuchBucket")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket_naming_the_operation() {
        let bucket = partly_blocked();
        let (tags, get) = (bucket.get_tagging(), bucket.get_public_access_block());
        let put = mock!(Client::put_public_access_block)
            .match_requests(|r| ours(r.bucket(), r.expected_bucket_owner(), "logs"))
            .then_error(|| PutPublicAccessBlockError::generic(access_denied()));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&tags, &get, &put]);
        let report = remediate(&BLOCK_BUCKET_PUBLIC_READS, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("PutPublicAccessBlock failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_write_is_retried_by_the_sdk() {
        let bucket = partly_blocked();
        let (tags, get) = (bucket.get_tagging(), bucket.get_public_access_block());
        let put = bucket
            .throttling_writes()
            .put_public_access_block(all_four_on);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&tags, &get, &put]);
        let report = remediate(&BLOCK_BUCKET_PUBLIC_READS, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 2);
    }
}
