//! S3 controls, and what they share: reading a bucket's name, tags, ACL and
//! policy, Block Public Access, and lifecycle rules.
//!
//! Every bucket call passes the context's account as `ExpectedBucketOwner`:
//! bucket names are global, and a bucket of the same name in another account
//! (a deleted bucket's name taken by someone else) must never be read or
//! changed. S3 answers such a call with `403 AccessDenied`. ARNs are built
//! with the context's partition.

// One `mod` per control file in this directory, and `all()`, from build.rs.
include!(concat!(env!("OUT_DIR"), "/controls/s3.rs"));

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_s3::operation::get_bucket_acl::GetBucketAclOutput;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketLocationConstraint, LifecycleRule,
    PublicAccessBlockConfiguration, TransitionDefaultMinimumObjectSize,
};
use serde_json::{json, Value};
use soar_asff::Finding;
use soar_core::error_class::ErrorClass;

use super::{control_id, is_true, optional, resource};
use crate::error::RemediationError;
use crate::remediation::Remediation;
use crate::{Context, ControlMeta, Outcome, Plan};

/// The tag that marks a bucket as meant to be publicly readable (a public
/// website, a public data set): S3.2 and S3.8 leave it alone, and S3.3 takes
/// away only its public write access.
pub(crate) const PUBLICLY_READABLE_TAG: &str = "soar:s3:request-publicly-readable";

/// The ACL grantee group of everyone, signed in or not.
pub(crate) const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";

/// The ACL grantee group of every AWS account, which is as public as
/// [`ALL_USERS`].
pub(crate) const AUTHENTICATED_USERS: &str =
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

/// What `plan` puts in [`Plan::data`]`["fix"]` for S3.3's narrow fix, so that
/// `apply` knows which of the two fixes of [`BlockBucketPublicAccess`] the
/// plan is.
const REMOVE_PUBLIC_WRITES: &str = "remove_public_writes";

/// Turns on the four Block Public Access settings of a bucket. S3.2/S3.8
/// and S3.3 share this implementation; each file gives its `META`.
///
/// S3.3 on a bucket tagged [`PUBLICLY_READABLE_TAG`] is different: Block
/// Public Access would take away the public read the bucket is allowed to
/// keep (`IgnorePublicAcls` and `RestrictPublicBuckets` do, and
/// `BlockPublicAcls` breaks uploads with a `public-read` ACL), so only the
/// public *write* grants are removed from its ACL and policy (see `s3_3`).
pub(crate) struct BlockBucketPublicAccess {
    /// The control's metadata.
    pub(crate) meta: &'static ControlMeta,
    /// Whether a bucket tagged [`PUBLICLY_READABLE_TAG`] keeps its public
    /// read access and loses only public write access (S3.3). S3.2 and S3.8
    /// have that tag as their exemption, so it does not matter for them.
    pub(crate) keeps_tagged_public_reads: bool,
}

#[async_trait]
impl Remediation for BlockBucketPublicAccess {
    fn meta(&self) -> &'static ControlMeta {
        self.meta
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, self.meta.ids);
        let bucket = bucket_name(finding, self.meta)?;
        let tags = bucket_tags(ctx, &bucket).await?;
        if let Some(tag) = self
            .meta
            .exemption_tag
            .filter(|tag| is_true(tags.get(*tag).map(String::as_str)))
        {
            return Ok(Plan::exempt(
                control,
                bucket,
                format!("the bucket is tagged {tag}=true"),
            ));
        }
        let settings = bucket_public_access_block(ctx, &bucket).await?;
        if settings.iter().all(|on| *on) {
            return Ok(Plan::compliant(control, bucket));
        }
        if self.keeps_tagged_public_reads && is_publicly_readable(&tags) {
            return s3_3::plan_public_write_removal(ctx, control, bucket).await;
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
            json!({"fix": "block_public_access"}),
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        if plan.data.get("fix").and_then(Value::as_str) == Some(REMOVE_PUBLIC_WRITES) {
            return s3_3::remove_public_writes(ctx, plan).await;
        }
        block_bucket_public_access(ctx, &plan.resource).await?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Turned on all four Block Public Access settings of bucket {}.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        let control = control_id(finding, self.meta.ids);
        let bucket = bucket_name(finding, self.meta)?;
        if bucket_public_access_block(ctx, &bucket)
            .await?
            .iter()
            .all(|on| *on)
        {
            return Ok(true);
        }
        if !self.keeps_tagged_public_reads
            || !is_publicly_readable(&bucket_tags(ctx, &bucket).await?)
        {
            return Ok(false);
        }
        Ok(!s3_3::has_public_writes(ctx, control, &bucket).await?)
    }
}

/// Whether the tags mark the bucket as meant to be publicly readable.
fn is_publicly_readable(tags: &BTreeMap<String, String>) -> bool {
    is_true(tags.get(PUBLICLY_READABLE_TAG).map(String::as_str))
}

/// The bucket a finding is about: `Details.AwsS3Bucket.Name`, or the end of
/// the resource ARN (`arn:<partition>:s3:::name`).
pub(crate) fn bucket_name(
    finding: &Finding,
    meta: &ControlMeta,
) -> Result<String, RemediationError> {
    let bucket = resource(finding, meta)?;
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
            control_id: control_id(finding, meta.ids).to_owned(),
            reason: format!("cannot tell the bucket name from {:?}", bucket.id),
        });
    }
    Ok(name)
}

/// The ARN of `bucket` in the context's partition.
pub(crate) fn bucket_arn(ctx: &Context, bucket: &str) -> String {
    format!("arn:{}:s3:::{bucket}", ctx.partition())
}

/// The bucket's tags; a bucket without tags has none.
async fn bucket_tags(
    ctx: &Context,
    bucket: &str,
) -> Result<BTreeMap<String, String>, RemediationError> {
    let tagging = optional(
        "GetBucketTagging",
        ctx.s3()
            .get_bucket_tagging()
            .bucket(bucket)
            .expected_bucket_owner(ctx.account_id())
            .send()
            .await,
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
    ctx: &Context,
    bucket: &str,
) -> Result<[bool; 4], RemediationError> {
    let found = optional(
        "GetPublicAccessBlock",
        ctx.s3()
            .get_public_access_block()
            .bucket(bucket)
            .expected_bucket_owner(ctx.account_id())
            .send()
            .await,
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
async fn block_bucket_public_access(ctx: &Context, bucket: &str) -> Result<(), RemediationError> {
    ctx.s3()
        .put_public_access_block()
        .bucket(bucket)
        .expected_bucket_owner(ctx.account_id())
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

/// The bucket's ACL: its owner and grants.
pub(crate) async fn bucket_acl(
    ctx: &Context,
    bucket: &str,
) -> Result<GetBucketAclOutput, RemediationError> {
    ctx.s3()
        .get_bucket_acl()
        .bucket(bucket)
        .expected_bucket_owner(ctx.account_id())
        .send()
        .await
        .map_err(|e| RemediationError::aws("GetBucketAcl", &e))
}

/// The bucket's policy document as S3 returns it; `None` when it has none.
async fn bucket_policy_text(
    ctx: &Context,
    bucket: &str,
) -> Result<Option<String>, RemediationError> {
    let found = optional(
        "GetBucketPolicy",
        ctx.s3()
            .get_bucket_policy()
            .bucket(bucket)
            .expected_bucket_owner(ctx.account_id())
            .send()
            .await,
        &["NoSuchBucketPolicy"],
    )?;
    Ok(found.and_then(|o| o.policy().map(str::to_owned)))
}

/// The Region of a bucket from its `GetBucketLocation` answer: none (or
/// empty) is `us-east-1`, and the legacy `EU` is `eu-west-1`.
pub(crate) fn bucket_region(constraint: Option<&BucketLocationConstraint>) -> &str {
    match constraint.map(BucketLocationConstraint::as_str) {
        None | Some("") => "us-east-1",
        Some("EU") => "eu-west-1",
        Some(region) => region,
    }
}

/// Checks that the log bucket `target` exists, belongs to the context's
/// account (`ExpectedBucketOwner`) and is in the context's Region, where
/// AWS delivers the logs of `source` (S3 server access logs, ELB access
/// logs). The error is why not, for a [`RemediationError::CannotFix`]:
/// a missing *log* bucket is never the finding's resource being gone.
pub(crate) async fn log_bucket_is_ours_and_here(
    ctx: &Context,
    target: &str,
    source: &str,
) -> Result<(), String> {
    let account = ctx.account_id();
    let location = ctx
        .s3()
        .get_bucket_location()
        .bucket(target)
        .expected_bucket_owner(account)
        .send()
        .await
        .map_err(|e| {
            let error = RemediationError::aws("GetBucketLocation", &e);
            match error.class() {
                ErrorClass::NotFound => format!("it does not exist ({error})"),
                ErrorClass::AccessDenied => format!(
                    "it is not a bucket of account {account}, or soar may not read it ({error})"
                ),
                _ => format!("it cannot be checked ({error})"),
            }
        })?;
    let region = bucket_region(location.location_constraint());
    if region != ctx.region() {
        return Err(format!(
            "it is in {region} and {source} in {}; logs are delivered only to a bucket in the same Region",
            ctx.region()
        ));
    }
    Ok(())
}

/// The bucket's policy, parsed; `None` when it has none.
///
/// # Errors
/// [`RemediationError::CannotFix`] when the policy is not a JSON object
/// with a `Statement` list: soar does not rewrite what it cannot read.
pub(crate) async fn bucket_policy(
    ctx: &Context,
    control_id: &str,
    bucket: &str,
) -> Result<Option<Value>, RemediationError> {
    let Some(text) = bucket_policy_text(ctx, bucket).await? else {
        return Ok(None);
    };
    parse_policy(&text)
        .map(Some)
        .map_err(|reason| RemediationError::CannotFix {
            control_id: control_id.to_owned(),
            reason: format!("the policy of bucket {bucket} cannot be read: {reason}"),
        })
}

/// A policy document: a JSON object whose `Statement`, when present, is one
/// statement object or a list of them.
fn parse_policy(text: &str) -> Result<Value, String> {
    let policy: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    if !policy.is_object() {
        return Err("the document is not a JSON object".to_owned());
    }
    match policy.get("Statement") {
        None | Some(Value::Object(_)) => Ok(policy),
        Some(Value::Array(list)) if list.iter().all(Value::is_object) => Ok(policy),
        Some(_) => Err("`Statement` is neither a statement nor a list of statements".to_owned()),
    }
}

/// The statements of a policy from [`bucket_policy`], as a list.
pub(crate) fn statements(policy: &Value) -> Vec<Value> {
    match policy.get("Statement") {
        Some(Value::Array(list)) => list.clone(),
        Some(single @ Value::Object(_)) => vec![single.clone()],
        _ => Vec::new(),
    }
}

/// The policy (a new one when there is none) with `statement` added. A
/// statement with the same `Sid` (ours, changed by hand since) is
/// replaced: statement IDs must be unique in a policy.
pub(crate) fn with_statement(policy: Option<Value>, statement: Value) -> Value {
    let policy = policy.unwrap_or_else(|| json!({"Version": "2012-10-17"}));
    let sid = statement.get("Sid").cloned();
    let mut list: Vec<Value> = statements(&policy)
        .into_iter()
        .filter(|s| sid.is_none() || s.get("Sid") != sid.as_ref())
        .collect();
    list.push(statement);
    with_statements(policy, list)
}

/// Replaces the bucket's policy with `policy`.
pub(crate) async fn put_bucket_policy(
    ctx: &Context,
    bucket: &str,
    policy: &Value,
) -> Result<(), RemediationError> {
    ctx.s3()
        .put_bucket_policy()
        .bucket(bucket)
        .expected_bucket_owner(ctx.account_id())
        .policy(policy.to_string())
        .send()
        .await
        .map_err(|e| RemediationError::aws("PutBucketPolicy", &e))?;
    Ok(())
}

/// `policy` with `statements` as its statement list.
pub(crate) fn with_statements(mut policy: Value, statements: Vec<Value>) -> Value {
    if let Some(object) = policy.as_object_mut() {
        object.insert("Statement".to_owned(), Value::Array(statements));
    }
    policy
}

/// The strings of a policy element that is one string or a list of them
/// (`Action`, `Resource`, a principal, condition values). Booleans count as
/// their text, since IAM reads `false` and `"false"` alike.
pub(crate) fn strings(element: &Value) -> Vec<String> {
    let one = |value: &Value| match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match element {
        Value::Array(list) => list.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    }
}

/// A statement's `Sid`, or its position when it has none, to name it.
pub(crate) fn statement_name(statement: &Value, index: usize) -> String {
    statement
        .get("Sid")
        .and_then(Value::as_str)
        .filter(|sid| !sid.is_empty())
        .map_or_else(|| format!("#{index} (no Sid)"), |sid| format!("{sid:?}"))
}

/// Whether a policy principal is everyone: `"*"`, or `"*"` among the `AWS`
/// principals.
pub(crate) fn is_public_principal(principal: Option<&Value>) -> bool {
    match principal {
        Some(Value::String(everyone)) => everyone == "*",
        Some(Value::Object(principals)) => principals
            .get("AWS")
            .is_some_and(|aws| strings(aws).iter().any(|p| p == "*")),
        _ => false,
    }
}

/// Whether a statement has no condition (the `Condition` element is absent
/// or empty): it applies to every request.
pub(crate) fn is_unconditioned(statement: &Value) -> bool {
    match statement.get("Condition") {
        None | Some(Value::Null) => true,
        Some(Value::Object(conditions)) => conditions.is_empty(),
        Some(_) => false,
    }
}

/// Whether the IAM wildcard `pattern` (`*` any text, `?` one character)
/// matches every string `target` stands for, where a `*` in `target` stands
/// for any text: `arn:aws:s3:::b*` covers `arn:aws:s3:::b/*`, and
/// `arn:aws:s3:::b/a*` does not. A target without `*` is one string, and this
/// is plain wildcard matching.
pub(crate) fn pattern_covers(pattern: &str, target: &str) -> bool {
    let (pattern, target): (Vec<char>, Vec<char>) =
        (pattern.chars().collect(), target.chars().collect());
    let (mut p, mut t) = (0, 0);
    // Where the last `*` of the pattern was, and the target position it
    // has consumed up to: the point to backtrack to.
    let mut star: Option<(usize, usize)> = None;
    while t < target.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            // A `*` of the target is any text: only a `*` of the pattern
            // covers it, not a `?` or a literal `*`.
            Some(&c) if target[t] != '*' && (c == '?' || c == target[t]) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p.min(pattern.len())..].iter().all(|c| *c == '*')
}

/// A bucket's lifecycle configuration as read.
pub(crate) struct Lifecycle {
    /// The rules; none when the bucket has no configuration.
    pub(crate) rules: Vec<LifecycleRule>,
    /// The default minimum object size for transitions. A write of the
    /// whole configuration without it resets it to S3's default, changing
    /// which objects the bucket's transition rules move, so every write
    /// passes back what was read.
    pub(crate) transition_default_minimum_object_size: Option<TransitionDefaultMinimumObjectSize>,
}

/// The bucket's lifecycle configuration; no rules when it has none.
pub(crate) async fn lifecycle(ctx: &Context, bucket: &str) -> Result<Lifecycle, RemediationError> {
    let found = optional(
        "GetBucketLifecycleConfiguration",
        ctx.s3()
            .get_bucket_lifecycle_configuration()
            .bucket(bucket)
            .expected_bucket_owner(ctx.account_id())
            .send()
            .await,
        &["NoSuchLifecycleConfiguration"],
    )?;
    Ok(Lifecycle {
        rules: found
            .as_ref()
            .map(|o| o.rules().to_vec())
            .unwrap_or_default(),
        transition_default_minimum_object_size: found
            .and_then(|o| o.transition_default_minimum_object_size().cloned()),
    })
}

/// Adds `rule` to the bucket's lifecycle configuration as it is now (read
/// again, so that rules added since the plan are kept), replacing a rule
/// with the same ID and keeping every other rule and the default minimum
/// transition size. Returns how many rules were kept.
pub(crate) async fn add_lifecycle_rule(
    ctx: &Context,
    control_id: &str,
    bucket: &str,
    rule: LifecycleRule,
) -> Result<usize, RemediationError> {
    let Lifecycle {
        mut rules,
        transition_default_minimum_object_size,
    } = lifecycle(ctx, bucket).await?;
    rules.retain(|existing| existing.id() != rule.id());
    let kept = rules.len();
    rules.push(rule);
    let configuration = BucketLifecycleConfiguration::builder()
        .set_rules(Some(rules))
        .build()
        .map_err(|e| RemediationError::InvalidPlan {
            control_id: control_id.to_owned(),
            reason: e.to_string(),
        })?;
    ctx.s3()
        .put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .expected_bucket_owner(ctx.account_id())
        .lifecycle_configuration(configuration)
        .set_transition_default_minimum_object_size(transition_default_minimum_object_size)
        .send()
        .await
        .map_err(|e| RemediationError::aws("PutBucketLifecycleConfiguration", &e))?;
    Ok(kept)
}

/// Whether a lifecycle rule is enabled.
pub(crate) fn is_enabled(rule: &LifecycleRule) -> bool {
    rule.status() == &aws_sdk_s3::types::ExpirationStatus::Enabled
}

#[cfg(test)]
pub(crate) mod test_support {
    //! What the S3 controls' tests share: S3's errors, and a fake bucket
    //! whose reads answer what its writes stored, so that a test shows what
    //! a remediation really wrote and that `verify` sees it.

    use std::fmt;
    use std::sync::{Arc, Mutex};

    use aws_sdk_s3::operation::delete_bucket_policy::{
        DeleteBucketPolicyError, DeleteBucketPolicyOutput,
    };
    use aws_sdk_s3::operation::get_bucket_acl::{GetBucketAclError, GetBucketAclOutput};
    use aws_sdk_s3::operation::get_bucket_lifecycle_configuration::{
        GetBucketLifecycleConfigurationError, GetBucketLifecycleConfigurationOutput,
    };
    use aws_sdk_s3::operation::get_bucket_policy::{GetBucketPolicyError, GetBucketPolicyOutput};
    use aws_sdk_s3::operation::get_bucket_tagging::{
        GetBucketTaggingError, GetBucketTaggingOutput,
    };
    use aws_sdk_s3::operation::get_public_access_block::{
        GetPublicAccessBlockError, GetPublicAccessBlockOutput,
    };
    use aws_sdk_s3::operation::put_bucket_acl::{
        PutBucketAclError, PutBucketAclInput, PutBucketAclOutput,
    };
    use aws_sdk_s3::operation::put_bucket_lifecycle_configuration::{
        PutBucketLifecycleConfigurationError, PutBucketLifecycleConfigurationInput,
        PutBucketLifecycleConfigurationOutput,
    };
    use aws_sdk_s3::operation::put_bucket_policy::{
        PutBucketPolicyError, PutBucketPolicyInput, PutBucketPolicyOutput,
    };
    use aws_sdk_s3::operation::put_public_access_block::{
        PutPublicAccessBlockError, PutPublicAccessBlockInput, PutPublicAccessBlockOutput,
    };
    use aws_sdk_s3::types::{
        Grant, Grantee, LifecycleRule, Owner, Permission, PublicAccessBlockConfiguration, Tag,
        TransitionDefaultMinimumObjectSize, Type,
    };
    use aws_sdk_s3::Client;
    use aws_smithy_types::error::ErrorMetadata;
    use soar_core::DestructiveControls;

    use crate::testkit::aws_smithy_mocks::{MockResponse, RuleBuilder};
    use crate::testkit::{aws_error, mock, Rule, TEST_ACCOUNT};
    use crate::Settings;

    /// Whether a request is about `name` and expects it to be owned by the
    /// test account: every S3 bucket call must say so.
    pub(crate) fn ours(bucket: Option<&str>, owner: Option<&str>, name: &str) -> bool {
        bucket == Some(name) && owner == Some(TEST_ACCOUNT)
    }

    /// S3's answer about a bucket that does not exist.
    pub(crate) fn no_such_bucket() -> ErrorMetadata {
        aws_error("NoSuchBucket", "The specified bucket does not exist")
    }

    /// S3's answer to a call it refuses.
    pub(crate) fn access_denied() -> ErrorMetadata {
        aws_error("AccessDenied", "Access Denied")
    }

    /// S3's throttling answer, which the SDK retries.
    pub(crate) fn slow_down() -> ErrorMetadata {
        aws_error("SlowDown", "Please reduce your request rate.")
    }

    /// A rule for writes that pass `check`: throttled the first time, then
    /// answered by `then`, which the SDK's retry reaches.
    ///
    /// A retried attempt reaches the mock without its input, so `then` gets
    /// the input the matcher saw on the first attempt.
    pub(crate) fn throttled_write<I, O, E>(
        rule: RuleBuilder<I, O, E>,
        check: impl Fn(&I) -> bool + Send + Sync + 'static,
        throttled: impl Fn() -> E + Send + Sync + 'static,
        then: impl Fn(&I) -> O + Send + Sync + 'static,
    ) -> Rule
    where
        I: Clone + fmt::Debug + Send + Sync + 'static,
        O: fmt::Debug + Send + Sync + 'static,
        E: fmt::Debug + Send + Sync + std::error::Error + 'static,
    {
        let seen: Arc<Mutex<Option<I>>> = Arc::default();
        let keep = seen.clone();
        rule.match_requests(move |input| {
            let matches = check(input);
            if matches {
                *keep.lock().unwrap() = Some(input.clone());
            }
            matches
        })
        .sequence()
        .error(throttled)
        .output(move || then(seen.lock().unwrap().as_ref().unwrap()))
        .build()
    }

    /// Settings that let the destructive control `id` run.
    pub(crate) fn allowing(id: &str) -> Settings {
        Settings {
            destructive_controls: DestructiveControls::new([id]).unwrap(),
            ..Settings::default()
        }
    }

    /// The canonical user ID of the test account, the owner of its buckets.
    pub(crate) const OWNER_ID: &str = "owner-canonical-id";

    /// The owner of the test account's buckets.
    pub(crate) fn owner() -> Owner {
        Owner::builder().id(OWNER_ID).display_name("owner").build()
    }

    /// A grant of `permission` to the ACL group `uri`.
    pub(crate) fn group_grant(uri: &str, permission: Permission) -> Grant {
        Grant::builder()
            .grantee(
                Grantee::builder()
                    .r#type(Type::Group)
                    .uri(uri)
                    .build()
                    .unwrap(),
            )
            .permission(permission)
            .build()
    }

    /// A grant of `permission` to the canonical user `id`.
    pub(crate) fn user_grant(id: &str, permission: Permission) -> Grant {
        Grant::builder()
            .grantee(
                Grantee::builder()
                    .r#type(Type::CanonicalUser)
                    .id(id)
                    .build()
                    .unwrap(),
            )
            .permission(permission)
            .build()
    }

    /// What the fake S3 keeps of a bucket.
    #[derive(Debug, Clone)]
    pub(crate) struct BucketState {
        /// Its tags; none gives `NoSuchTagSet`.
        pub(crate) tags: Vec<(String, String)>,
        /// Its Block Public Access settings; `None` gives
        /// `NoSuchPublicAccessBlockConfiguration`.
        pub(crate) block: Option<PublicAccessBlockConfiguration>,
        /// Its ACL grants (the owner is [`owner`]).
        pub(crate) grants: Vec<Grant>,
        /// Its policy; `None` gives `NoSuchBucketPolicy`.
        pub(crate) policy: Option<String>,
    }

    impl Default for BucketState {
        fn default() -> Self {
            BucketState {
                tags: Vec::new(),
                block: None,
                grants: vec![user_grant(OWNER_ID, Permission::FullControl)],
                policy: None,
            }
        }
    }

    /// A bucket of the test account in the fake S3. Its rules answer only
    /// requests about it that expect the test account as its owner.
    #[derive(Debug, Clone)]
    pub(crate) struct FakeBucket {
        name: &'static str,
        state: Arc<Mutex<BucketState>>,
        /// Whether each write rule is throttled once before it succeeds.
        throttles_writes: bool,
    }

    impl FakeBucket {
        /// The bucket `name` as `state`.
        pub(crate) fn new(name: &'static str, state: BucketState) -> Self {
            FakeBucket {
                name,
                state: Arc::new(Mutex::new(state)),
                throttles_writes: false,
            }
        }

        /// The same bucket, whose write rules answer `SlowDown` once before
        /// they succeed.
        pub(crate) fn throttling_writes(&self) -> Self {
            FakeBucket {
                throttles_writes: true,
                ..self.clone()
            }
        }

        /// A rule for writes about this bucket that also pass `check`,
        /// which `apply` stores; throttled once first when the bucket
        /// [`throttles writes`](Self::throttling_writes).
        fn write<I, O, E>(
            &self,
            rule: RuleBuilder<I, O, E>,
            check: impl Fn(&I) -> bool + Send + Sync + 'static,
            throttled: impl Fn() -> E + Send + Sync + 'static,
            apply: impl Fn(&mut BucketState, &I) + Send + Sync + 'static,
            output: fn() -> O,
        ) -> Rule
        where
            I: Clone + fmt::Debug + Send + Sync + 'static,
            O: fmt::Debug + Send + Sync + 'static,
            E: fmt::Debug + Send + Sync + std::error::Error + 'static,
        {
            let state = self.state.clone();
            let then = move |input: &I| {
                apply(&mut state.lock().unwrap(), input);
                output()
            };
            if self.throttles_writes {
                throttled_write(rule, check, throttled, then)
            } else {
                rule.match_requests(check).then_compute_output(then)
            }
        }

        /// What the bucket is now.
        pub(crate) fn state(&self) -> BucketState {
            self.state.lock().unwrap().clone()
        }

        /// Changes the bucket, as someone else would between two calls.
        pub(crate) fn change(&self, change: impl FnOnce(&mut BucketState)) {
            change(&mut self.state.lock().unwrap());
        }

        /// `GetBucketTagging`.
        pub(crate) fn get_tagging(&self) -> Rule {
            let (name, state) = (self.name, self.state.clone());
            mock!(Client::get_bucket_tagging)
                .match_requests(move |r| ours(r.bucket(), r.expected_bucket_owner(), name))
                .then_compute_response(move |_| {
                    let tags = state.lock().unwrap().tags.clone();
                    if tags.is_empty() {
                        return MockResponse::Error(GetBucketTaggingError::generic(aws_error(
                            "NoSuchTagSet",
                            "The TagSet does not exist",
                        )));
                    }
                    let tags = tags
                        .into_iter()
                        .map(|(k, v)| Tag::builder().key(k).value(v).build().unwrap());
                    MockResponse::Output(
                        GetBucketTaggingOutput::builder()
                            .set_tag_set(Some(tags.collect()))
                            .build()
                            .unwrap(),
                    )
                })
        }

        /// `GetPublicAccessBlock`.
        pub(crate) fn get_public_access_block(&self) -> Rule {
            let (name, state) = (self.name, self.state.clone());
            mock!(Client::get_public_access_block)
                .match_requests(move |r| ours(r.bucket(), r.expected_bucket_owner(), name))
                .then_compute_response(move |_| match state.lock().unwrap().block.clone() {
                    Some(c) => MockResponse::Output(
                        GetPublicAccessBlockOutput::builder()
                            .public_access_block_configuration(c)
                            .build(),
                    ),
                    None => MockResponse::Error(GetPublicAccessBlockError::generic(aws_error(
                        "NoSuchPublicAccessBlockConfiguration",
                        "The public access block configuration was not found",
                    ))),
                })
        }

        /// `PutPublicAccessBlock` of requests that also pass `check`.
        pub(crate) fn put_public_access_block(
            &self,
            check: impl Fn(&PutPublicAccessBlockInput) -> bool + Send + Sync + 'static,
        ) -> Rule {
            let name = self.name;
            self.write(
                mock!(Client::put_public_access_block),
                move |r| ours(r.bucket(), r.expected_bucket_owner(), name) && check(r),
                || PutPublicAccessBlockError::generic(slow_down()),
                |bucket, r| bucket.block = r.public_access_block_configuration().cloned(),
                || PutPublicAccessBlockOutput::builder().build(),
            )
        }

        /// `GetBucketAcl`.
        pub(crate) fn get_acl(&self) -> Rule {
            let (name, state) = (self.name, self.state.clone());
            mock!(Client::get_bucket_acl)
                .match_requests(move |r| ours(r.bucket(), r.expected_bucket_owner(), name))
                .then_compute_response(move |_| {
                    MockResponse::<_, GetBucketAclError>::Output(
                        GetBucketAclOutput::builder()
                            .owner(owner())
                            .set_grants(Some(state.lock().unwrap().grants.clone()))
                            .build(),
                    )
                })
        }

        /// `PutBucketAcl` with a whole access control policy (never a
        /// canned ACL or `x-amz-grant-*` headers) that also passes `check`.
        pub(crate) fn put_acl(
            &self,
            check: impl Fn(&PutBucketAclInput) -> bool + Send + Sync + 'static,
        ) -> Rule {
            let name = self.name;
            self.write(
                mock!(Client::put_bucket_acl),
                move |r| {
                    ours(r.bucket(), r.expected_bucket_owner(), name)
                        && r.acl().is_none()
                        && r.grant_write().is_none()
                        && r.access_control_policy()
                            .and_then(|p| p.owner())
                            .and_then(|o| o.id())
                            == Some(OWNER_ID)
                        && check(r)
                },
                || PutBucketAclError::generic(slow_down()),
                |bucket, r| {
                    bucket.grants = r
                        .access_control_policy()
                        .map(|p| p.grants().to_vec())
                        .unwrap_or_default();
                },
                || PutBucketAclOutput::builder().build(),
            )
        }

        /// `GetBucketPolicy`.
        pub(crate) fn get_policy(&self) -> Rule {
            let (name, state) = (self.name, self.state.clone());
            mock!(Client::get_bucket_policy)
                .match_requests(move |r| ours(r.bucket(), r.expected_bucket_owner(), name))
                .then_compute_response(move |_| match state.lock().unwrap().policy.clone() {
                    Some(policy) => MockResponse::Output(
                        GetBucketPolicyOutput::builder().policy(policy).build(),
                    ),
                    None => MockResponse::Error(GetBucketPolicyError::generic(aws_error(
                        "NoSuchBucketPolicy",
                        "The bucket policy does not exist",
                    ))),
                })
        }

        /// `PutBucketPolicy` of requests that also pass `check`.
        pub(crate) fn put_policy(
            &self,
            check: impl Fn(&PutBucketPolicyInput) -> bool + Send + Sync + 'static,
        ) -> Rule {
            let name = self.name;
            self.write(
                mock!(Client::put_bucket_policy),
                move |r| ours(r.bucket(), r.expected_bucket_owner(), name) && check(r),
                || PutBucketPolicyError::generic(slow_down()),
                |bucket, r| bucket.policy = r.policy().map(str::to_owned),
                || PutBucketPolicyOutput::builder().build(),
            )
        }

        /// `DeleteBucketPolicy`.
        pub(crate) fn delete_policy(&self) -> Rule {
            let name = self.name;
            self.write(
                mock!(Client::delete_bucket_policy),
                move |r| ours(r.bucket(), r.expected_bucket_owner(), name),
                || DeleteBucketPolicyError::generic(slow_down()),
                |bucket, _| bucket.policy = None,
                || DeleteBucketPolicyOutput::builder().build(),
            )
        }
    }

    /// A bucket's lifecycle configuration in the fake S3: `None` for none.
    pub(crate) type LifecycleState = Option<(
        Vec<LifecycleRule>,
        Option<TransitionDefaultMinimumObjectSize>,
    )>;

    /// The lifecycle configuration of a bucket of the test account in the
    /// fake S3, whose rules answer only requests that expect that owner.
    #[derive(Debug, Clone)]
    pub(crate) struct FakeLifecycle {
        name: &'static str,
        state: Arc<Mutex<LifecycleState>>,
    }

    impl FakeLifecycle {
        /// The configuration of bucket `name`.
        pub(crate) fn new(name: &'static str, state: LifecycleState) -> Self {
            FakeLifecycle {
                name,
                state: Arc::new(Mutex::new(state)),
            }
        }

        /// What the configuration is now.
        pub(crate) fn state(&self) -> LifecycleState {
            self.state.lock().unwrap().clone()
        }

        /// Changes the configuration, as someone else would.
        pub(crate) fn set(&self, state: LifecycleState) {
            *self.state.lock().unwrap() = state;
        }

        /// `GetBucketLifecycleConfiguration`.
        pub(crate) fn get(&self) -> Rule {
            let (name, state) = (self.name, self.state.clone());
            mock!(Client::get_bucket_lifecycle_configuration)
                .match_requests(move |r| ours(r.bucket(), r.expected_bucket_owner(), name))
                .then_compute_response(move |_| match state.lock().unwrap().clone() {
                    Some((rules, size)) => MockResponse::Output(
                        GetBucketLifecycleConfigurationOutput::builder()
                            .set_rules(Some(rules))
                            .set_transition_default_minimum_object_size(size)
                            .build(),
                    ),
                    None => MockResponse::Error(GetBucketLifecycleConfigurationError::generic(
                        aws_error(
                            "NoSuchLifecycleConfiguration",
                            "The lifecycle configuration does not exist",
                        ),
                    )),
                })
        }

        /// `PutBucketLifecycleConfiguration` of exactly these rules and
        /// this default minimum transition size; throttled once first when
        /// `throttled`.
        pub(crate) fn put(
            &self,
            rules: Vec<LifecycleRule>,
            size: Option<TransitionDefaultMinimumObjectSize>,
            throttled: bool,
        ) -> Rule {
            let name = self.name;
            let check = move |r: &PutBucketLifecycleConfigurationInput| {
                ours(r.bucket(), r.expected_bucket_owner(), name)
                    && r.lifecycle_configuration().map(|c| c.rules()) == Some(&rules[..])
                    && r.transition_default_minimum_object_size() == size.as_ref()
            };
            let state = self.state.clone();
            let store = move |r: &PutBucketLifecycleConfigurationInput| {
                *state.lock().unwrap() = Some((
                    r.lifecycle_configuration()
                        .map(|c| c.rules().to_vec())
                        .unwrap_or_default(),
                    r.transition_default_minimum_object_size().cloned(),
                ));
                PutBucketLifecycleConfigurationOutput::builder().build()
            };
            if throttled {
                throttled_write(
                    mock!(Client::put_bucket_lifecycle_configuration),
                    check,
                    || PutBucketLifecycleConfigurationError::generic(slow_down()),
                    store,
                )
            } else {
                mock!(Client::put_bucket_lifecycle_configuration)
                    .match_requests(check)
                    .then_compute_output(store)
            }
        }
    }

    /// The policy text as a JSON value, to compare documents whatever their
    /// formatting.
    pub(crate) fn json(policy: &str) -> serde_json::Value {
        serde_json::from_str(policy).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_cover_what_iam_would_match() {
        let covered = [
            ("*", "arn:aws:s3:::b/*"),
            ("arn:aws:s3:::b/*", "arn:aws:s3:::b/*"),
            ("arn:aws:s3:::b*", "arn:aws:s3:::b/*"),
            ("arn:aws:s3:::b*", "arn:aws:s3:::b"),
            ("arn:aws:s3:::?", "arn:aws:s3:::b"),
            ("s3:put*", "s3:putobject"),
            ("*object", "s3:putobject"),
        ];
        for (pattern, target) in covered {
            assert!(pattern_covers(pattern, target), "{pattern} covers {target}");
        }
        let not_covered = [
            ("arn:aws:s3:::b/*", "arn:aws:s3:::b"),
            ("arn:aws:s3:::b", "arn:aws:s3:::b/*"),
            ("arn:aws:s3:::b/a*", "arn:aws:s3:::b/*"),
            ("arn:aws:s3:::b/?", "arn:aws:s3:::b/*"),
            ("arn:aws:s3:::other", "arn:aws:s3:::b"),
            ("s3:get*", "s3:putobject"),
        ];
        for (pattern, target) in not_covered {
            assert!(
                !pattern_covers(pattern, target),
                "{pattern} does not cover {target}"
            );
        }
    }

    #[test]
    fn unreadable_policies_are_refused() {
        assert!(parse_policy(r#"{"Statement":[{"Effect":"Allow"}]}"#).is_ok());
        assert!(parse_policy(r#"{"Statement":{"Effect":"Allow"}}"#).is_ok());
        for bad in [
            "{not json",
            "[1]",
            r#"{"Statement":"x"}"#,
            r#"{"Statement":[1]}"#,
        ] {
            assert!(parse_policy(bad).is_err(), "{bad}");
        }
    }
}
