//! S3.3: block public access to a bucket, unless it is tagged as meant to be
//! publicly writable.

use super::BlockBucketPublicAccess;
use crate::{ControlMeta, Service};

pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["S3.3"],
    title: "S3 buckets prohibit public write access",
    service: Service::S3,
    resource_type: "AwsS3Bucket",
    iam_actions: &[
        "s3:GetBucketTagging",
        "s3:GetBucketPublicAccessBlock",
        "s3:PutBucketPublicAccessBlock",
    ],
    destructive: false,
    exemption_tag: Some("soar:s3:request-publicly-writable"),
};

/// S3.3: the shared bucket Block Public Access remediation with this
/// file's metadata.
pub(crate) const BLOCK_BUCKET_PUBLIC_WRITES: BlockBucketPublicAccess =
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
        finding_for("S3.3", "AwsS3Bucket", "arn:aws:s3:::uploads")
    }

    fn tags(pairs: &'static [(&'static str, &'static str)]) -> Rule {
        mock!(Client::get_bucket_tagging).then_output(move || {
            let tags = pairs
                .iter()
                .map(|(k, v)| Tag::builder().key(*k).value(*v).build().unwrap());
            GetBucketTaggingOutput::builder()
                .set_tag_set(Some(tags.collect()))
                .build()
                .unwrap()
        })
    }

    fn state(on: bool) -> GetPublicAccessBlockOutput {
        let c = PublicAccessBlockConfiguration::builder()
            .block_public_acls(on)
            .ignore_public_acls(on)
            .block_public_policy(on)
            .restrict_public_buckets(on)
            .build();
        GetPublicAccessBlockOutput::builder()
            .public_access_block_configuration(c)
            .build()
    }

    fn put() -> Rule {
        mock!(Client::put_public_access_block)
            .match_requests(|r| {
                r.bucket() == Some("uploads")
                    && r.public_access_block_configuration()
                        .and_then(|c| c.block_public_policy())
                        == Some(true)
            })
            .sequence()
            .error(|| PutPublicAccessBlockError::generic(aws_error("SlowDown", "slow")))
            .output(|| PutPublicAccessBlockOutput::builder().build())
            .build()
    }

    #[tokio::test]
    async fn unconfigured_bucket_is_blocked_after_a_throttled_attempt() {
        let (t, p) = (tags(&[("team", "data")]), put());
        let s = mock!(Client::get_public_access_block)
            .sequence()
            .error(|| {
                GetPublicAccessBlockError::generic(aws_error(
                    "NoSuchPublicAccessBlockConfiguration",
                    "none",
                ))
            })
            .output(|| state(true))
            .build();
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&t, &s, &p]);
        let report = remediate(&BLOCK_BUCKET_PUBLIC_WRITES, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(p.num_calls(), 2);
        assert_least_privilege(&META, &recorder);
    }

    #[tokio::test]
    async fn writable_tag_exempts_but_readable_tag_does_not() {
        let t = tags(&[("soar:s3:request-publicly-writable", "TRUE")]);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&t]);
        let report = remediate(&BLOCK_BUCKET_PUBLIC_WRITES, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Suppress { .. }),
            "{report:?}"
        );

        let t = tags(&[("soar:s3:request-publicly-readable", "true")]);
        let s = mock!(Client::get_public_access_block).then_output(|| state(true));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&t, &s]);
        let report = remediate(&BLOCK_BUCKET_PUBLIC_WRITES, &ctx, &finding(), Mode::Apply).await;
        assert_eq!(report.outcome, Outcome::AlreadyCompliant);
    }

    #[tokio::test]
    async fn gone_and_denied() {
        let gone = mock!(Client::get_bucket_tagging)
            .then_error(|| GetBucketTaggingError::generic(aws_error("NoSuchBucket", "gone")));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&gone]);
        assert!(matches!(
            remediate(&BLOCK_BUCKET_PUBLIC_WRITES, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Suppress { .. }
        ));
        let denied = mock!(Client::get_bucket_tagging)
            .then_error(|| GetBucketTaggingError::generic(aws_error("AccessDenied", "no")));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&denied]);
        assert!(matches!(
            remediate(&BLOCK_BUCKET_PUBLIC_WRITES, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Ticket { .. }
        ));
    }
}
