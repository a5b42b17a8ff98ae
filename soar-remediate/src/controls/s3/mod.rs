//! S3 controls, and what they share: reading a bucket's name and tags,
//! Block Public Access, and lifecycle rules.

mod s3_1;
mod s3_10;
mod s3_13;
mod s3_2;
mod s3_3;
mod s3_4;
mod s3_5;
mod s3_9;

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_s3::types::PublicAccessBlockConfiguration;
use aws_sdk_s3::Client;
use soar_asff::Finding;

use super::{control_id, is_true, optional, resource};
use crate::error::RemediationError;
use crate::remediation::Remediation;
use crate::{Context, ControlMeta, Outcome, Plan};

pub(crate) fn all() -> Vec<Box<dyn Remediation>> {
    vec![
        Box::new(s3_1::BlockAccountPublicAccess),
        Box::new(s3_2::BLOCK_BUCKET_PUBLIC_READS),
        Box::new(s3_3::BLOCK_BUCKET_PUBLIC_WRITES),
        Box::new(s3_4::EncryptBucketByDefault),
        Box::new(s3_5::DenyInsecureTransport),
        Box::new(s3_9::EnableAccessLogging),
        Box::new(s3_10::ExpireNoncurrentVersions),
        Box::new(s3_13::AddLifecycleRules),
    ]
}

/// Turns on the four Block Public Access settings of a bucket. S3.2/S3.8
/// and S3.3 differ only in their metadata (the exemption tag), so each file
/// gives its `META` to this one implementation.
pub(crate) struct BlockBucketPublicAccess(pub(crate) &'static ControlMeta);

#[async_trait]
impl Remediation for BlockBucketPublicAccess {
    fn meta(&self) -> &'static ControlMeta {
        self.0
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        plan_block(ctx, finding, self.0).await
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
        let bucket = bucket_name(finding, control_id(finding, self.0.ids))?;
        Ok(bucket_public_access_block(&ctx.s3(), &bucket)
            .await?
            .iter()
            .all(|on| *on))
    }
}

/// Plans a bucket Block Public Access fix, honouring `meta`'s exemption tag.
async fn plan_block(
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

/// The bucket a finding is about: `Details.AwsS3Bucket.Name`, or the end of
/// the resource ARN (`arn:aws:s3:::name`).
pub(crate) fn bucket_name(finding: &Finding, control_id: &str) -> Result<String, RemediationError> {
    let bucket = resource(finding, "AwsS3Bucket", control_id)?;
    let from_details = bucket
        .details
        .as_ref()
        .and_then(|d| d.aws_s3_bucket.as_ref())
        .and_then(|b| b.name.clone());
    let from_id = bucket
        .id
        .rsplit_once(":::")
        .map_or(bucket.id.as_str(), |(_, name)| name);
    let name = from_details.unwrap_or_else(|| from_id.to_owned());
    if name.is_empty() {
        return Err(RemediationError::UnsupportedFinding {
            control_id: control_id.to_owned(),
            reason: format!("cannot tell the bucket name from {:?}", bucket.id),
        });
    }
    Ok(name)
}

/// The bucket's tags; a bucket without tags has none.
async fn bucket_tags(
    s3: &Client,
    bucket: &str,
) -> Result<BTreeMap<String, String>, RemediationError> {
    let tagging = optional(
        "GetBucketTagging",
        s3.get_bucket_tagging().bucket(bucket).send().await,
        &["NoSuchTagSet"],
    )?;
    Ok(tagging
        .map(|t| {
            t.tag_set()
                .iter()
                .map(|tag| (tag.key().to_owned(), tag.value().to_owned()))
                .collect()
        })
        .unwrap_or_default())
}

/// The bucket's Block Public Access settings, all `false` when none are set.
async fn bucket_public_access_block(
    s3: &Client,
    bucket: &str,
) -> Result<[bool; 4], RemediationError> {
    let found = optional(
        "GetPublicAccessBlock",
        s3.get_public_access_block().bucket(bucket).send().await,
        &["NoSuchPublicAccessBlockConfiguration"],
    )?;
    let config = found
        .as_ref()
        .and_then(|o| o.public_access_block_configuration());
    Ok([
        config.and_then(|c| c.block_public_acls()).unwrap_or(false),
        config.and_then(|c| c.ignore_public_acls()).unwrap_or(false),
        config
            .and_then(|c| c.block_public_policy())
            .unwrap_or(false),
        config
            .and_then(|c| c.restrict_public_buckets())
            .unwrap_or(false),
    ])
}

/// Turns on all four bucket Block Public Access settings.
async fn block_bucket_public_access(s3: &Client, bucket: &str) -> Result<(), RemediationError> {
    s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(all_blocked())
        .send()
        .await
        .map_err(|e| RemediationError::aws("PutPublicAccessBlock", &e))?;
    Ok(())
}

fn all_blocked() -> PublicAccessBlockConfiguration {
    PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(true)
        .restrict_public_buckets(true)
        .build()
}

/// The four setting names, in the order [`bucket_public_access_block`] returns them.
pub(crate) const BLOCK_SETTINGS: [&str; 4] = [
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
];

/// The bucket's lifecycle rules; none when it has no configuration.
pub(crate) async fn lifecycle_rules(
    s3: &Client,
    bucket: &str,
) -> Result<Vec<aws_sdk_s3::types::LifecycleRule>, RemediationError> {
    let found = optional(
        "GetBucketLifecycleConfiguration",
        s3.get_bucket_lifecycle_configuration()
            .bucket(bucket)
            .send()
            .await,
        &["NoSuchLifecycleConfiguration"],
    )?;
    Ok(found.map(|o| o.rules().to_vec()).unwrap_or_default())
}

/// Adds `rule` to the bucket's lifecycle configuration, replacing a rule
/// with the same ID and keeping every other rule.
pub(crate) async fn add_lifecycle_rule(
    s3: &Client,
    bucket: &str,
    rule: aws_sdk_s3::types::LifecycleRule,
) -> Result<(), RemediationError> {
    let mut rules = lifecycle_rules(s3, bucket).await?;
    rules.retain(|existing| existing.id() != rule.id());
    rules.push(rule);
    put_lifecycle_rules(s3, bucket, rules).await
}

/// Writes `rules` as the bucket's whole lifecycle configuration.
async fn put_lifecycle_rules(
    s3: &Client,
    bucket: &str,
    rules: Vec<aws_sdk_s3::types::LifecycleRule>,
) -> Result<(), RemediationError> {
    let configuration = aws_sdk_s3::types::BucketLifecycleConfiguration::builder()
        .set_rules(Some(rules))
        .build()
        .map_err(|e| RemediationError::InvalidPlan {
            control_id: "S3".to_owned(),
            reason: e.to_string(),
        })?;
    s3.put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(configuration)
        .send()
        .await
        .map_err(|e| RemediationError::aws("PutBucketLifecycleConfiguration", &e))?;
    Ok(())
}

/// Whether a lifecycle rule is enabled.
pub(crate) fn is_enabled(rule: &aws_sdk_s3::types::LifecycleRule) -> bool {
    rule.status() == &aws_sdk_s3::types::ExpirationStatus::Enabled
}
