//! S3.3: block public write access to a bucket, unless it is tagged as meant
//! to be publicly writable.
//!
//! A bucket tagged `soar:s3:request-publicly-readable=true` may stay
//! publicly readable, so it does not get Block Public Access (which would
//! end its public read). Only its public *write* access goes:
//!
//! - **ACL:** grants of `WRITE` and `WRITE_ACP` to the `AllUsers` and
//!   `AuthenticatedUsers` groups are removed, and their `FULL_CONTROL`
//!   becomes `READ`. The owner and every other grant are kept: `PutBucketAcl`
//!   replaces the whole ACL, so it is written back whole.
//! - **Policy:** the write actions (any not starting with `Get`, `List` or
//!   `Head`) of unconditioned `Allow` statements for everyone are removed;
//!   a statement left with no action goes, and every other statement stays.
//!   A wildcard that covers writes (`*`, `s3:*`, `s3:Put*`, `s3:*Object`) or a
//!   `NotAction` cannot be narrowed without guessing what was meant: that is
//!   for a person to decide, before anything is written.
//!
//! `apply` reads the ACL and the policy again, so that what changed since
//! the plan is kept. A bucket that already has `BlockPublicAcls` or
//! `BlockPublicPolicy` on makes S3 refuse an ACL or a policy that stays
//! public: that is a ticket with S3's answer, for a person to settle.

use aws_sdk_s3::operation::get_bucket_acl::GetBucketAclOutput;
use aws_sdk_s3::types::{AccessControlPolicy, Grant, Owner, Permission};
use serde_json::{json, Value};

use super::{
    bucket_acl, bucket_policy, is_public_principal, put_bucket_policy, is_unconditioned, statement_name, statements,
    strings, with_statements, BlockBucketPublicAccess, ALL_USERS, AUTHENTICATED_USERS,
    REMOVE_PUBLIC_WRITES,
};
use crate::{Context, ControlMeta, Outcome, Plan, RemediationError, Service};

/// What S3.3 is and what it may do.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["S3.3"],
    title: "S3 buckets prohibit public write access",
    service: Service::S3,
    resource_type: "AwsS3Bucket",
    iam_actions: &[
        "s3:GetBucketTagging",
        "s3:GetBucketPublicAccessBlock",
        "s3:PutBucketPublicAccessBlock",
        "s3:GetBucketAcl",
        "s3:PutBucketAcl",
        "s3:GetBucketPolicy",
        "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy",
    ],
    destructive: false,
    exemption_tag: Some("soar:s3:request-publicly-writable"),
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(BLOCK_BUCKET_PUBLIC_WRITES)
}

/// S3.3: the shared bucket Block Public Access remediation with this
/// file's metadata; a bucket tagged publicly readable loses only its public
/// write access.
pub(crate) const BLOCK_BUCKET_PUBLIC_WRITES: BlockBucketPublicAccess = BlockBucketPublicAccess {
    meta: &META,
    keeps_tagged_public_reads: true,
};

/// The public write access of a bucket, as the ACL and policy to write
/// instead.
#[derive(Debug, Default)]
struct PublicWrites {
    /// The ACL without public write grants, when it had some.
    acl: Option<AclFix>,
    /// The policy without public write actions, when it had some.
    policy: Option<PolicyFix>,
}

impl PublicWrites {
    fn is_empty(&self) -> bool {
        self.acl.is_none() && self.policy.is_none()
    }
}

/// A bucket ACL without its public write grants.
#[derive(Debug)]
struct AclFix {
    owner: Owner,
    grants: Vec<Grant>,
    /// The grants removed or reduced, for people.
    removed: Vec<String>,
}

/// A bucket policy without the write actions it allows everyone.
#[derive(Debug)]
struct PolicyFix {
    /// The policy to write; `None` when no statement is left, and the
    /// policy is deleted (S3 refuses a policy without statements).
    policy: Option<Value>,
    /// The actions removed, by statement, for people.
    removed: Vec<String>,
}

/// Plans S3.3 on a bucket tagged publicly readable: the public write grants
/// of its ACL and policy to remove.
pub(super) async fn plan_public_write_removal(
    ctx: &Context,
    control: &str,
    bucket: String,
) -> Result<Plan, RemediationError> {
    let found = public_writes(ctx, control, &bucket, true, true).await?;
    if found.is_empty() {
        return Ok(Plan::compliant(control, bucket));
    }
    let mut changes = Vec::new();
    if let Some(acl) = &found.acl {
        changes.push(Plan::change(
            "s3:PutBucketAcl",
            format!(
                "remove public write access from the ACL of bucket {bucket} ({}), keeping its owner, its public READ and every other grant",
                acl.removed.join("; ")
            ),
        ));
    }
    match &found.policy {
        Some(PolicyFix {
            policy: Some(_),
            removed,
        }) => changes.push(Plan::change(
            "s3:PutBucketPolicy",
            format!(
                "remove the write actions the policy of bucket {bucket} allows everyone ({}), keeping every other statement",
                removed.join("; ")
            ),
        )),
        Some(PolicyFix {
            policy: None,
            removed,
        }) => changes.push(Plan::change(
            "s3:DeleteBucketPolicy",
            format!(
                "delete the policy of bucket {bucket}: its only statements allow everyone to write ({})",
                removed.join("; ")
            ),
        )),
        None => {}
    }
    let data = json!({
        "fix": REMOVE_PUBLIC_WRITES,
        "acl": found.acl.is_some(),
        "policy": found.policy.is_some(),
    });
    Ok(Plan::changes(control, bucket, changes, data))
}

/// Applies a plan of [`plan_public_write_removal`] to the ACL and policy as
/// they are now; writes nothing when their public write access is gone.
pub(super) async fn remove_public_writes(
    ctx: &Context,
    plan: &Plan,
) -> Result<Outcome, RemediationError> {
    let planned = |member: &str| plan.data.get(member).and_then(Value::as_bool) == Some(true);
    let bucket = &plan.resource;
    // Both are worked out before anything is written, so that a wildcard
    // that appeared since the plan stops the fix before its first write.
    let found = public_writes(
        ctx,
        &plan.control_id,
        bucket,
        planned("acl"),
        planned("policy"),
    )
    .await?;
    if found.is_empty() {
        return Ok(Outcome::AlreadyCompliant);
    }
    let s3 = ctx.s3();
    let mut actions_taken = Vec::new();
    if let Some(acl) = found.acl {
        let policy = AccessControlPolicy::builder()
            .owner(acl.owner)
            .set_grants(Some(acl.grants))
            .build();
        s3.put_bucket_acl()
            .bucket(bucket)
            .expected_bucket_owner(ctx.account_id())
            .access_control_policy(policy)
            .send()
            .await
            .map_err(|e| RemediationError::aws("PutBucketAcl", &e))?;
        actions_taken.push(format!(
            "Removed public write access from the ACL of bucket {bucket}: {}.",
            acl.removed.join("; ")
        ));
    }
    match found.policy {
        Some(PolicyFix {
            policy: Some(policy),
            removed,
        }) => {
            put_bucket_policy(ctx, bucket, &policy).await?;
            actions_taken.push(format!(
                "Removed the public write actions of the policy of bucket {bucket}: {}.",
                removed.join("; ")
            ));
        }
        Some(PolicyFix {
            policy: None,
            removed,
        }) => {
            s3.delete_bucket_policy()
                .bucket(bucket)
                .expected_bucket_owner(ctx.account_id())
                .send()
                .await
                .map_err(|e| RemediationError::aws("DeleteBucketPolicy", &e))?;
            actions_taken.push(format!(
                "Deleted the policy of bucket {bucket}, whose only statements allowed everyone to write: {}.",
                removed.join("; ")
            ));
        }
        None => {}
    }
    Ok(Outcome::Remediated { actions_taken })
}

/// Whether the bucket's ACL or policy still gives everyone write access. A
/// grant that cannot be narrowed still gives it.
pub(super) async fn has_public_writes(
    ctx: &Context,
    control: &str,
    bucket: &str,
) -> Result<bool, RemediationError> {
    match public_writes(ctx, control, bucket, true, true).await {
        Ok(found) => Ok(!found.is_empty()),
        Err(RemediationError::CannotFix { .. }) => Ok(true),
        Err(error) => Err(error),
    }
}

/// Reads the ACL (when `acl`) and the policy (when `policy`) and works out
/// what they would be without public write access.
///
/// # Errors
/// [`RemediationError::CannotFix`] when the policy cannot be read or allows
/// everyone a write wildcard, or the ACL names no owner to write it back with.
async fn public_writes(
    ctx: &Context,
    control: &str,
    bucket: &str,
    acl: bool,
    policy: bool,
) -> Result<PublicWrites, RemediationError> {
    let cannot_fix = |reason: String| RemediationError::CannotFix {
        control_id: control.to_owned(),
        reason: format!("bucket {bucket}: {reason}"),
    };
    let mut found = PublicWrites::default();
    if acl {
        let read = bucket_acl(ctx, bucket).await?;
        if let Some((grants, removed)) = acl_without_public_writes(&read) {
            let owner = read.owner().cloned().ok_or_else(|| {
                cannot_fix("its ACL names no owner to write it back with".to_owned())
            })?;
            found.acl = Some(AclFix {
                owner,
                grants,
                removed,
            });
        }
    }
    if policy {
        if let Some(document) = bucket_policy(ctx, control, bucket).await? {
            found.policy = policy_without_public_writes(&document).map_err(cannot_fix)?;
        }
    }
    Ok(found)
}

/// The short name of a public ACL group a grant is to, if it is to one.
fn public_group(grant: &Grant) -> Option<&'static str> {
    match grant.grantee().and_then(|g| g.uri()) {
        Some(ALL_USERS) => Some("AllUsers"),
        Some(AUTHENTICATED_USERS) => Some("AuthenticatedUsers"),
        _ => None,
    }
}

/// The ACL's grants without public write access, and what was removed;
/// `None` when it gives the public no write access.
fn acl_without_public_writes(acl: &GetBucketAclOutput) -> Option<(Vec<Grant>, Vec<String>)> {
    let mut grants: Vec<Grant> = Vec::new();
    let mut removed = Vec::new();
    for grant in acl.grants() {
        let kept = match (public_group(grant), grant.permission()) {
            (Some(group), Some(permission @ (Permission::Write | Permission::WriteAcp))) => {
                removed.push(format!("{} of {group}", permission.as_str()));
                None
            }
            (Some(group), Some(Permission::FullControl)) => {
                removed.push(format!("FULL_CONTROL of {group}, now READ"));
                Some(
                    Grant::builder()
                        .set_grantee(grant.grantee().cloned())
                        .permission(Permission::Read)
                        .build(),
                )
            }
            _ => Some(grant.clone()),
        };
        // FULL_CONTROL made READ may repeat a READ grant already there.
        if let Some(kept) = kept.filter(|kept| !grants.contains(kept)) {
            grants.push(kept);
        }
    }
    (!removed.is_empty()).then_some((grants, removed))
}

/// Whether an IAM action only reads: its name (after the service prefix)
/// starts with `Get`, `List` or `Head`.
fn is_read_action(action: &str) -> bool {
    let name = action
        .split_once(':')
        .map_or(action, |(_, name)| name)
        .to_ascii_lowercase();
    ["get", "list", "head"]
        .iter()
        .any(|read| name.starts_with(read))
}

/// Whether a statement allows everyone, whatever the request: the grants
/// S3.3 is about. A condition (a source IP, an organization) makes a grant
/// not public.
fn allows_the_public(statement: &Value) -> bool {
    statement.get("Effect").and_then(Value::as_str) == Some("Allow")
        && is_public_principal(statement.get("Principal"))
        && is_unconditioned(statement)
}

/// The policy without the write actions its public statements allow;
/// `Ok(None)` when they allow none.
///
/// # Errors
/// Why it cannot be narrowed: a public statement allows a wildcard that
/// covers writes, or everything but a `NotAction`.
fn policy_without_public_writes(policy: &Value) -> Result<Option<PolicyFix>, String> {
    let mut kept = Vec::new();
    let mut removed = Vec::new();
    for (index, mut statement) in statements(policy).into_iter().enumerate() {
        if !allows_the_public(&statement) {
            kept.push(statement);
            continue;
        }
        let name = statement_name(&statement, index);
        if statement.get("NotAction").is_some() {
            return Err(format!(
                "policy statement {name} allows everyone every action but its NotAction, which cannot be narrowed to reads; remove its public write access by hand"
            ));
        }
        let (reads, writes): (Vec<String>, Vec<String>) = statement
            .get("Action")
            .map(strings)
            .unwrap_or_default()
            .into_iter()
            .partition(|action| is_read_action(action));
        if let Some(wildcard) = writes.iter().find(|a| a.contains(['*', '?'])) {
            return Err(format!(
                "policy statement {name} allows everyone {wildcard:?}, a wildcard that covers writes and cannot be narrowed to reads; remove its public write access by hand"
            ));
        }
        if writes.is_empty() {
            kept.push(statement);
            continue;
        }
        removed.push(format!("{} from statement {name}", writes.join(", ")));
        if reads.is_empty() {
            continue;
        }
        if let Some(object) = statement.as_object_mut() {
            object.insert("Action".to_owned(), json!(reads));
        }
        kept.push(statement);
    }
    if removed.is_empty() {
        return Ok(None);
    }
    let policy = (!kept.is_empty()).then(|| with_statements(policy.clone(), kept));
    Ok(Some(PolicyFix { policy, removed }))
}

#[cfg(test)]
mod tests {
    use aws_sdk_s3::operation::get_bucket_tagging::GetBucketTaggingError;
    use aws_sdk_s3::operation::put_bucket_acl::{PutBucketAclError, PutBucketAclInput};
    use aws_sdk_s3::operation::put_bucket_policy::PutBucketPolicyInput;
    use aws_sdk_s3::operation::put_public_access_block::{
        PutPublicAccessBlockError, PutPublicAccessBlockInput,
    };
    use aws_sdk_s3::types::PublicAccessBlockConfiguration;
    use aws_sdk_s3::Client;
    use soar_asff::Finding;

    use super::super::test_support::{
        access_denied, group_grant, json, no_such_bucket, ours, user_grant, BucketState,
        FakeBucket, OWNER_ID,
    };
    use super::super::PUBLICLY_READABLE_TAG;
    use super::*;
    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, finding_for, mock, mock_context, Rule,
        RuleMode,
    };
    use crate::{remediate, Mode, Remediation};

    const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";
    const PARTNER: &str = "partner-canonical-id";

    fn finding() -> Finding {
        finding_for("S3.3", "AwsS3Bucket", "arn:aws:s3:::uploads")
    }

    fn all_on() -> PublicAccessBlockConfiguration {
        PublicAccessBlockConfiguration::builder()
            .block_public_acls(true)
            .ignore_public_acls(true)
            .block_public_policy(true)
            .restrict_public_buckets(true)
            .build()
    }

    /// The rules of the fake bucket, each to count its calls.
    struct Rules {
        tags: Rule,
        get_block: Rule,
        put_block: Rule,
        get_acl: Rule,
        put_acl: Rule,
        get_policy: Rule,
        put_policy: Rule,
        delete_policy: Rule,
    }

    impl Rules {
        fn all(&self) -> [&Rule; 8] {
            [
                &self.tags,
                &self.get_block,
                &self.put_block,
                &self.get_acl,
                &self.put_acl,
                &self.get_policy,
                &self.put_policy,
                &self.delete_policy,
            ]
        }

        /// How many writes were made, of any kind.
        fn writes(&self) -> usize {
            [
                &self.put_block,
                &self.put_acl,
                &self.put_policy,
                &self.delete_policy,
            ]
            .iter()
            .map(|rule| rule.num_calls())
            .sum()
        }
    }

    /// Rules for `bucket` whose ACL and policy writes must also pass the
    /// checks; Block Public Access is always written whole.
    fn rules(
        bucket: &FakeBucket,
        acl: impl Fn(&PutBucketAclInput) -> bool + Send + Sync + 'static,
        policy: impl Fn(&PutBucketPolicyInput) -> bool + Send + Sync + 'static,
    ) -> Rules {
        Rules {
            tags: bucket.get_tagging(),
            get_block: bucket.get_public_access_block(),
            put_block: bucket.put_public_access_block(|r: &PutPublicAccessBlockInput| {
                r.public_access_block_configuration() == Some(&all_on())
            }),
            get_acl: bucket.get_acl(),
            put_acl: bucket.put_acl(acl),
            get_policy: bucket.get_policy(),
            put_policy: bucket.put_policy(policy),
            delete_policy: bucket.delete_policy(),
        }
    }

    fn any_acl(_: &PutBucketAclInput) -> bool {
        true
    }

    fn any_policy(_: &PutBucketPolicyInput) -> bool {
        true
    }

    /// The bucket `uploads`, tagged publicly readable, with these grants
    /// and this policy.
    fn readable(grants: Vec<Grant>, policy: Option<&str>) -> FakeBucket {
        FakeBucket::new(
            "uploads",
            BucketState {
                tags: vec![(PUBLICLY_READABLE_TAG.into(), "true".into())],
                grants,
                policy: policy.map(str::to_owned),
                ..BucketState::default()
            },
        )
    }

    fn owner_full_control() -> Grant {
        user_grant(OWNER_ID, Permission::FullControl)
    }

    #[tokio::test]
    async fn blocks_public_access_of_an_untagged_bucket() {
        let bucket = FakeBucket::new(
            "uploads",
            BucketState {
                tags: vec![("team".into(), "data".into())],
                ..BucketState::default()
            },
        );
        let rules = rules(&bucket, any_acl, any_policy);
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &rules.all());
        let report = remediate(&BLOCK_BUCKET_PUBLIC_WRITES, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(rules.put_block.num_calls(), 1);
        assert_eq!(rules.writes(), 1, "only Block Public Access is written");
        assert_eq!(bucket.state().block, Some(all_on()));
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn a_blocked_bucket_gets_no_write() {
        let bucket = FakeBucket::new(
            "uploads",
            BucketState {
                block: Some(all_on()),
                ..BucketState::default()
            },
        );
        let rules = rules(&bucket, any_acl, any_policy);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &rules.all());
        let report = remediate(&BLOCK_BUCKET_PUBLIC_WRITES, &ctx, &finding(), Mode::Apply).await;
        assert_eq!(report.outcome, Outcome::AlreadyCompliant);
        assert_eq!(rules.writes(), 0);
    }

    #[tokio::test]
    async fn a_bucket_tagged_publicly_writable_is_suppressed_untouched() {
        let bucket = FakeBucket::new(
            "uploads",
            BucketState {
                tags: vec![("soar:s3:request-publicly-writable".into(), "TRUE".into())],
                ..BucketState::default()
            },
        );
        let rules = rules(&bucket, any_acl, any_policy);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &rules.all());
        let report = remediate(&BLOCK_BUCKET_PUBLIC_WRITES, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("publicly-writable=true")),
            "{report:?}"
        );
        assert_eq!(rules.writes(), 0);
    }

    #[tokio::test]
    async fn a_missing_bucket_is_suppressed() {
        let tags = mock!(Client::get_bucket_tagging)
            .match_requests(|r| ours(r.bucket(), r.expected_bucket_owner(), "uploads"))
            .then_error(|| GetBucketTaggingError::generic(no_such_bucket()));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&tags]);
        let report = remediate(&BLOCK_BUCKET_PUBLIC_WRITES, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("NoSuchBucket")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket_naming_the_operation() {
        let bucket = FakeBucket::new("uploads", BucketState::default());
        let (tags, get) = (bucket.get_tagging(), bucket.get_public_access_block());
        let put = mock!(Client::put_public_access_block)
            .match_requests(|r| ours(r.bucket(), r.expected_bucket_owner(), "uploads"))
            .then_error(|| PutPublicAccessBlockError::generic(access_denied()));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&tags, &get, &put]);
        let report = remediate(&BLOCK_BUCKET_PUBLIC_WRITES, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("PutPublicAccessBlock failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_write_is_retried_by_the_sdk() {
        let bucket = FakeBucket::new("uploads", BucketState::default());
        let rules = rules(&bucket.throttling_writes(), any_acl, any_policy);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &rules.all());
        let report = remediate(&BLOCK_BUCKET_PUBLIC_WRITES, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(rules.put_block.num_calls(), 2);
    }

    #[tokio::test]
    async fn a_publicly_readable_bucket_keeps_public_reads_and_loses_public_write_grants() {
        let bucket = readable(
            vec![
                owner_full_control(),
                group_grant(ALL_USERS, Permission::Read),
                group_grant(ALL_USERS, Permission::Write),
                group_grant(AUTHENTICATED_USERS, Permission::WriteAcp),
                group_grant(AUTHENTICATED_USERS, Permission::FullControl),
                user_grant(PARTNER, Permission::Read),
                group_grant(LOG_DELIVERY, Permission::Write),
            ],
            None,
        );
        let expected = vec![
            owner_full_control(),
            group_grant(ALL_USERS, Permission::Read),
            group_grant(AUTHENTICATED_USERS, Permission::Read),
            user_grant(PARTNER, Permission::Read),
            group_grant(LOG_DELIVERY, Permission::Write),
        ];
        let written = expected.clone();
        let rules = rules(
            &bucket,
            move |r| r.access_control_policy().map(|p| p.grants()) == Some(&written[..]),
            any_policy,
        );
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &rules.all());
        let report = remediate(&BLOCK_BUCKET_PUBLIC_WRITES, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(rules.put_acl.num_calls(), 1);
        assert_eq!(rules.writes(), 1, "Block Public Access stays off");
        assert_eq!(bucket.state().grants, expected);
        assert_eq!(bucket.state().block, None);
        let change = &report.changes[0];
        assert_eq!(change.action, "s3:PutBucketAcl");
        assert!(
            change.description.contains("WRITE of AllUsers")
                && change
                    .description
                    .contains("WRITE_ACP of AuthenticatedUsers")
                && change
                    .description
                    .contains("FULL_CONTROL of AuthenticatedUsers, now READ"),
            "{change:?}"
        );
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    const MIXED_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::uploads/*"},
        {"Sid":"PublicReadWrite","Effect":"Allow","Principal":{"AWS":"*"},"Action":["s3:GetObject","s3:PutObject","s3:ListBucket"],"Resource":["arn:aws:s3:::uploads","arn:aws:s3:::uploads/*"]},
        {"Sid":"PublicDelete","Effect":"Allow","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::uploads/*"},
        {"Sid":"OfficeUploads","Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::uploads/*","Condition":{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}},
        {"Sid":"PartnerWrites","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::uploads/*"},
        {"Sid":"DenyHttp","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::uploads/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}
    ]}"#;

    const NARROWED_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::uploads/*"},
        {"Sid":"PublicReadWrite","Effect":"Allow","Principal":{"AWS":"*"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::uploads","arn:aws:s3:::uploads/*"]},
        {"Sid":"OfficeUploads","Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::uploads/*","Condition":{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}},
        {"Sid":"PartnerWrites","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::uploads/*"},
        {"Sid":"DenyHttp","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::uploads/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}
    ]}"#;

    #[tokio::test]
    async fn a_publicly_readable_bucket_loses_only_the_write_actions_of_public_statements() {
        let bucket = readable(vec![owner_full_control()], Some(MIXED_POLICY));
        let rules = rules(&bucket, any_acl, |r| {
            r.policy().map(json) == Some(json(NARROWED_POLICY))
        });
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &rules.all());
        let report = remediate(&BLOCK_BUCKET_PUBLIC_WRITES, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(rules.put_policy.num_calls(), 1);
        assert_eq!(rules.writes(), 1, "the ACL grants no public write");
        assert_eq!(
            bucket.state().policy.as_deref().map(json),
            Some(json(NARROWED_POLICY))
        );
        let description = &report.changes[0].description;
        assert!(
            description.contains(r#"s3:PutObject from statement "PublicReadWrite""#)
                && description.contains(r#"s3:DeleteObject from statement "PublicDelete""#),
            "{description}"
        );
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn a_policy_of_only_public_writes_is_deleted() {
        let only_writes = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":["s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::uploads/*"}}"#;
        let bucket = readable(vec![owner_full_control()], Some(only_writes));
        let rules = rules(&bucket, any_acl, any_policy);
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &rules.all());
        let report = remediate(&BLOCK_BUCKET_PUBLIC_WRITES, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(rules.delete_policy.num_calls(), 1);
        assert_eq!(rules.writes(), 1);
        assert_eq!(bucket.state().policy, None);
        assert_eq!(report.changes[0].action, "s3:DeleteBucketPolicy");
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn a_public_write_wildcard_is_a_ticket_naming_the_statement_and_nothing_is_written() {
        for wildcard in ["*", "s3:*", "s3:Put*", "s3:*Object"] {
            let policy = format!(
                r#"{{"Statement":[{{"Sid":"AnyoneAnything","Effect":"Allow","Principal":"*","Action":["s3:GetObject","{wildcard}"],"Resource":"arn:aws:s3:::uploads/*"}}]}}"#
            );
            // The ACL has a public write grant too: it is not removed alone.
            let bucket = readable(
                vec![
                    owner_full_control(),
                    group_grant(ALL_USERS, Permission::Write),
                ],
                Some(&policy),
            );
            let rules = rules(&bucket, any_acl, any_policy);
            let (ctx, _) = mock_context(RuleMode::MatchAny, &rules.all());
            let report =
                remediate(&BLOCK_BUCKET_PUBLIC_WRITES, &ctx, &finding(), Mode::Apply).await;
            let Outcome::Ticket { reason } = &report.outcome else {
                panic!("{wildcard}: {report:?}")
            };
            assert!(
                reason.contains(r#"statement "AnyoneAnything""#)
                    && reason.contains(&format!("{wildcard:?}")),
                "{reason}"
            );
            assert_eq!(rules.writes(), 0, "{wildcard}");
        }
    }

    #[tokio::test]
    async fn a_public_statement_with_not_action_is_a_ticket_naming_its_position() {
        let policy = r#"{"Statement":[{"Effect":"Allow","Principal":"*","NotAction":"s3:DeleteBucket","Resource":"*"}]}"#;
        let bucket = readable(vec![owner_full_control()], Some(policy));
        let rules = rules(&bucket, any_acl, any_policy);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &rules.all());
        let report = remediate(&BLOCK_BUCKET_PUBLIC_WRITES, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("#0 (no Sid)") && reason.contains("NotAction")),
            "{report:?}"
        );
        assert_eq!(rules.writes(), 0);
    }

    #[tokio::test]
    async fn an_unreadable_policy_is_a_ticket_with_the_reason() {
        let bucket = readable(vec![owner_full_control()], Some("{not json"));
        let rules = rules(&bucket, any_acl, any_policy);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &rules.all());
        let report = remediate(&BLOCK_BUCKET_PUBLIC_WRITES, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("the policy of bucket uploads cannot be read: not valid JSON")),
            "{report:?}"
        );
        assert_eq!(rules.writes(), 0);
    }

    #[tokio::test]
    async fn a_publicly_readable_bucket_without_public_writes_is_compliant() {
        let public_read = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}"#;
        let bucket = readable(
            vec![
                owner_full_control(),
                group_grant(ALL_USERS, Permission::Read),
            ],
            Some(public_read),
        );
        let rules = rules(&bucket, any_acl, any_policy);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &rules.all());
        let report = remediate(&BLOCK_BUCKET_PUBLIC_WRITES, &ctx, &finding(), Mode::Apply).await;
        assert_eq!(report.outcome, Outcome::AlreadyCompliant);
        assert_eq!(rules.writes(), 0);
    }

    #[tokio::test]
    async fn apply_keeps_the_grants_added_after_the_plan() {
        let bucket = readable(
            vec![
                owner_full_control(),
                group_grant(ALL_USERS, Permission::Read),
                group_grant(ALL_USERS, Permission::Write),
            ],
            None,
        );
        let rules = rules(&bucket, any_acl, any_policy);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &rules.all());
        let plan = BLOCK_BUCKET_PUBLIC_WRITES
            .plan(&ctx, &finding())
            .await
            .unwrap();
        bucket.change(|b| b.grants.push(user_grant(PARTNER, Permission::Write)));
        let outcome = BLOCK_BUCKET_PUBLIC_WRITES.apply(&ctx, &plan).await.unwrap();
        assert!(matches!(outcome, Outcome::Remediated { .. }), "{outcome:?}");
        assert_eq!(
            bucket.state().grants,
            vec![
                owner_full_control(),
                group_grant(ALL_USERS, Permission::Read),
                user_grant(PARTNER, Permission::Write),
            ]
        );
    }

    #[tokio::test]
    async fn a_denied_acl_write_is_a_ticket_naming_the_operation() {
        let bucket = readable(
            vec![
                owner_full_control(),
                group_grant(ALL_USERS, Permission::Write),
            ],
            None,
        );
        let (tags, block, acl, policy) = (
            bucket.get_tagging(),
            bucket.get_public_access_block(),
            bucket.get_acl(),
            bucket.get_policy(),
        );
        let put = mock!(Client::put_bucket_acl)
            .match_requests(|r| ours(r.bucket(), r.expected_bucket_owner(), "uploads"))
            .then_error(|| PutBucketAclError::generic(access_denied()));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&tags, &block, &acl, &policy, &put]);
        let report = remediate(&BLOCK_BUCKET_PUBLIC_WRITES, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("PutBucketAcl failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_acl_write_is_retried_by_the_sdk() {
        let bucket = readable(
            vec![
                owner_full_control(),
                group_grant(ALL_USERS, Permission::Write),
            ],
            None,
        );
        let rules = rules(&bucket.throttling_writes(), any_acl, any_policy);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &rules.all());
        let report = remediate(&BLOCK_BUCKET_PUBLIC_WRITES, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(rules.put_acl.num_calls(), 2);
        assert_eq!(bucket.state().grants, vec![owner_full_control()]);
    }
}
