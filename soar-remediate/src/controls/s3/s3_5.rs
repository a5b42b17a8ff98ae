//! S3.5: deny requests that do not use TLS, merged into the bucket's policy.
//!
//! The bucket complies when one statement denies `s3:*` (or `*`) to
//! everyone on both the bucket and its objects when `aws:SecureTransport` is
//! false: what AWS Config's `s3-bucket-ssl-requests-only` rule, behind the
//! Security Hub control, looks for. A deny of only `s3:GetObject`, only of
//! the objects, or only for some principals leaves other requests without
//! TLS allowed, so it does not count.

use async_trait::async_trait;
use serde_json::{json, Value};
use soar_asff::Finding;

use super::{bucket_arn, bucket_name, bucket_policy, is_public_principal, pattern_covers};
use super::{put_bucket_policy, statements, strings, with_statement};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What S3.5 is and what it may do.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["S3.5"],
    title: "S3 buckets require requests to use SSL",
    service: Service::S3,
    resource_type: "AwsS3Bucket",
    iam_actions: &["s3:GetBucketPolicy", "s3:PutBucketPolicy"],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(DenyInsecureTransport)
}

/// The statement soar adds.
const SID: &str = "SoarDenyInsecureTransport";

/// Adds a statement denying every request without TLS, keeping every
/// statement the policy already has.
pub(crate) struct DenyInsecureTransport;

/// The statement that denies every request without TLS to the bucket
/// `arn` and its objects.
fn deny_statement(arn: &str) -> Value {
    json!({
        "Sid": SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, format!("{arn}/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    })
}

/// Whether the statement's condition is exactly "`aws:SecureTransport` is
/// false" (`Bool`, the string `"false"` or the boolean `false`). Any other
/// condition besides it would narrow the deny to some requests only.
fn only_without_tls(condition: Option<&Value>) -> bool {
    let Some(Value::Object(operators)) = condition else {
        return false;
    };
    let Some(Value::Object(keys)) = operators.get("Bool") else {
        return false;
    };
    let [(key, value)] = keys.iter().collect::<Vec<_>>()[..] else {
        return false;
    };
    let values = strings(value);
    operators.len() == 1
        && key.eq_ignore_ascii_case("aws:SecureTransport")
        && !values.is_empty()
        && values.iter().all(|v| v.eq_ignore_ascii_case("false"))
}

/// Whether `statement` denies every request without TLS to everyone on the
/// bucket `arn` and on all its objects.
fn denies_insecure_transport(statement: &Value, arn: &str) -> bool {
    let all_actions = statement.get("Action").is_some_and(|action| {
        strings(action)
            .iter()
            .any(|a| a == "*" || a.eq_ignore_ascii_case("s3:*"))
    });
    let resources = statement.get("Resource").map(strings).unwrap_or_default();
    let covers = |target: &str| resources.iter().any(|r| pattern_covers(r, target));
    statement.get("Effect").and_then(Value::as_str) == Some("Deny")
        && is_public_principal(statement.get("Principal"))
        && all_actions
        && covers(arn)
        && covers(&format!("{arn}/*"))
        && only_without_tls(statement.get("Condition"))
}

/// Whether the policy has a statement that denies requests without TLS.
fn complies(policy: Option<&Value>, arn: &str) -> bool {
    policy.is_some_and(|p| {
        statements(p)
            .iter()
            .any(|s| denies_insecure_transport(s, arn))
    })
}

#[async_trait]
impl Remediation for DenyInsecureTransport {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let bucket = bucket_name(finding, &META)?;
        let arn = bucket_arn(ctx, &bucket);
        let policy = bucket_policy(ctx, control, &bucket).await?;
        if complies(policy.as_ref(), &arn) {
            return Ok(Plan::compliant(control, bucket));
        }
        let kept = policy.as_ref().map_or(0, |p| statements(p).len());
        let change = Plan::change(
            "s3:PutBucketPolicy",
            format!("add statement {SID} denying requests without TLS to bucket {bucket} and its objects, keeping its {kept} existing statement(s)"),
        );
        Ok(Plan::changes(
            control,
            bucket,
            vec![change],
            json!({"statement": deny_statement(&arn)}),
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        let deny = plan
            .data
            .get("statement")
            .filter(|s| s.is_object())
            .cloned()
            .ok_or_else(|| RemediationError::InvalidPlan {
                control_id: plan.control_id.clone(),
                reason: "the plan's data has no `statement` object".to_owned(),
            })?;
        let bucket = &plan.resource;
        // Read again: the policy may have changed since the plan, and what
        // was added meanwhile must be kept.
        let policy = bucket_policy(ctx, &plan.control_id, bucket).await?;
        if complies(policy.as_ref(), &bucket_arn(ctx, bucket)) {
            return Ok(Outcome::AlreadyCompliant);
        }
        let policy = with_statement(policy, deny);
        let kept = statements(&policy).len().saturating_sub(1);
        put_bucket_policy(ctx, bucket, &policy).await?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Added {SID} to the policy of bucket {bucket}, keeping its {kept} other statement(s)."
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        let control = control_id(finding, META.ids);
        let bucket = bucket_name(finding, &META)?;
        let policy = bucket_policy(ctx, control, &bucket).await?;
        Ok(complies(policy.as_ref(), &bucket_arn(ctx, &bucket)))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_s3::operation::get_bucket_policy::GetBucketPolicyError;
    use aws_sdk_s3::operation::put_bucket_policy::{PutBucketPolicyError, PutBucketPolicyInput};
    use aws_sdk_s3::Client;
    use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
    use soar_core::Location;

    use super::super::test_support::{
        access_denied, json, no_such_bucket, ours, BucketState, FakeBucket,
    };
    use super::*;
    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, finding_for, mock, mock_context,
        test_sdk_config, MockResponseInterceptor, Rule, RuleMode, TEST_ACCOUNT,
    };
    use crate::{remediate, Mode, PlanState};

    const EXISTING: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"ReadForCdn","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}]}"#;

    /// The statement S3.5 adds to bucket `site` in the `aws` partition.
    const DENY: &str = r#"{"Sid":"SoarDenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::site","arn:aws:s3:::site/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#;

    fn finding() -> Finding {
        finding_for("S3.5", "AwsS3Bucket", "arn:aws:s3:::site")
    }

    fn site(policy: Option<&str>) -> FakeBucket {
        FakeBucket::new(
            "site",
            BucketState {
                policy: policy.map(str::to_owned),
                ..BucketState::default()
            },
        )
    }

    /// A policy of these statements.
    fn policy_of(statements: &[&str]) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            statements.join(",")
        )
    }

    /// Whether the write is exactly `expected`.
    fn writes(expected: String) -> impl Fn(&PutBucketPolicyInput) -> bool + Send + Sync {
        move |r| r.policy().map(json) == Some(json(&expected))
    }

    fn rules(bucket: &FakeBucket, expected: String) -> (Rule, Rule) {
        (bucket.get_policy(), bucket.put_policy(writes(expected)))
    }

    #[tokio::test]
    async fn merges_the_deny_statement_into_the_existing_policy() {
        let bucket = site(Some(EXISTING));
        let read_for_cdn = &EXISTING[EXISTING.find("{\"Sid").unwrap()..EXISTING.len() - 2];
        let (get, put) = rules(&bucket, policy_of(&[read_for_cdn, DENY]));
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&DenyInsecureTransport, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 1);
        assert!(report.changes[0]
            .description
            .contains("keeping its 1 existing"));
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn a_bucket_without_a_policy_gets_one() {
        let bucket = site(None);
        let (get, put) = rules(&bucket, policy_of(&[DENY]));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&DenyInsecureTransport, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 1);
    }

    /// Statements that deny every request without TLS to `site` and its
    /// objects, in the forms IAM allows.
    const COMPLIANT: &[&str] = &[
        DENY,
        r#"{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false}}}"#,
        r#"{"Effect":"Deny","Principal":{"AWS":["*"]},"Action":["s3:*"],"Resource":["arn:aws:s3:::site*"],"Condition":{"Bool":{"aws:securetransport":["false"]}}}"#,
    ];

    #[tokio::test]
    async fn a_policy_that_denies_insecure_transport_is_left_alone() {
        for statement in COMPLIANT {
            let bucket = site(Some(&policy_of(&[statement])));
            let (get, put) = (bucket.get_policy(), bucket.put_policy(|_| true));
            let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
            let report = remediate(&DenyInsecureTransport, &ctx, &finding(), Mode::Apply).await;
            assert_eq!(report.outcome, Outcome::AlreadyCompliant, "{statement}");
            assert_eq!(put.num_calls(), 0, "{statement}");
        }
    }

    #[tokio::test]
    async fn partial_denies_of_insecure_transport_are_not_compliant() {
        let partial = [
            // Only the objects, not the bucket.
            r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::site/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#,
            // Only the bucket, not the objects.
            r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::site","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#,
            // Only some objects.
            r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::site","arn:aws:s3:::site/public/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#,
            // Only reads of objects.
            r#"{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#,
            // Only one principal.
            r#"{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#,
            // Only requests from one network.
            r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"},"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}"#,
            // Requests *with* TLS.
            r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}"#,
            // An allow, not a deny.
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#,
            // Another partition's bucket.
            r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws-cn:s3:::site","arn:aws-cn:s3:::site/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#,
        ];
        for statement in partial {
            let bucket = site(Some(&policy_of(&[statement])));
            let get = bucket.get_policy();
            let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get]);
            let plan = DenyInsecureTransport.plan(&ctx, &finding()).await.unwrap();
            assert_eq!(plan.state, PlanState::NeedsChanges, "{statement}");
            assert_eq!(plan.data["statement"], json(DENY), "{statement}");
        }
    }

    #[tokio::test]
    async fn apply_keeps_a_statement_added_after_the_plan() {
        let bucket = site(Some(EXISTING));
        let (get, put) = (bucket.get_policy(), bucket.put_policy(|_| true));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let plan = DenyInsecureTransport.plan(&ctx, &finding()).await.unwrap();
        let added = r#"{"Sid":"AddedLater","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}"#;
        let read_for_cdn = &EXISTING[EXISTING.find("{\"Sid").unwrap()..EXISTING.len() - 2];
        bucket.change(|b| b.policy = Some(policy_of(&[read_for_cdn, added])));
        let outcome = DenyInsecureTransport.apply(&ctx, &plan).await.unwrap();
        assert!(matches!(outcome, Outcome::Remediated { .. }), "{outcome:?}");
        assert_eq!(put.num_calls(), 1);
        assert_eq!(
            bucket.state().policy.as_deref().map(json),
            Some(json(&policy_of(&[read_for_cdn, added, DENY])))
        );
    }

    #[tokio::test]
    async fn apply_writes_nothing_when_a_compliant_statement_appeared_after_the_plan() {
        let bucket = site(Some(EXISTING));
        let (get, put) = (bucket.get_policy(), bucket.put_policy(|_| true));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let plan = DenyInsecureTransport.plan(&ctx, &finding()).await.unwrap();
        bucket.change(|b| b.policy = Some(policy_of(&[COMPLIANT[1]])));
        let outcome = DenyInsecureTransport.apply(&ctx, &plan).await.unwrap();
        assert_eq!(outcome, Outcome::AlreadyCompliant);
        assert_eq!(put.num_calls(), 0);
    }

    #[tokio::test]
    async fn our_statement_changed_by_hand_is_replaced_not_repeated() {
        let weakened = DENY.replace(r#""s3:*""#, r#""s3:GetObject""#);
        let bucket = site(Some(&policy_of(&[&weakened])));
        let (get, put) = rules(&bucket, policy_of(&[DENY]));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&DenyInsecureTransport, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 1);
    }

    #[tokio::test]
    async fn an_unparsable_policy_is_a_ticket_with_the_reason() {
        let bucket = site(Some(r#"{"Statement": ["#));
        let (get, put) = (bucket.get_policy(), bucket.put_policy(|_| true));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&DenyInsecureTransport, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("the policy of bucket site cannot be read: not valid JSON")),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 0);
    }

    #[tokio::test]
    async fn the_statement_names_the_buckets_partition() {
        let bucket = site(None);
        let expected = policy_of(&[&DENY.replace("arn:aws:", "arn:aws-cn:")]);
        let (get, put) = rules(&bucket, expected);
        let mocks = MockResponseInterceptor::new()
            .rule_mode(RuleMode::MatchAny)
            .with_rule(&get)
            .with_rule(&put);
        let china = Location::new(TEST_ACCOUNT, "cn-north-1", "aws-cn");
        let ctx =
            Context::new(test_sdk_config(), china).with_interceptor(SharedInterceptor::new(mocks));
        let mut finding = finding_for("S3.5", "AwsS3Bucket", "arn:aws-cn:s3:::site");
        finding.region = Some("cn-north-1".into());
        finding.resources[0].region = Some("cn-north-1".into());
        finding.resources[0].partition = Some("aws-cn".into());
        let report = remediate(&DenyInsecureTransport, &ctx, &finding, Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_missing_bucket_is_suppressed() {
        let get = mock!(Client::get_bucket_policy)
            .match_requests(|r| ours(r.bucket(), r.expected_bucket_owner(), "site"))
            .then_error(|| GetBucketPolicyError::generic(no_such_bucket()));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get]);
        let report = remediate(&DenyInsecureTransport, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("NoSuchBucket")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket_naming_the_operation() {
        let bucket = site(None);
        let get = bucket.get_policy();
        let put = mock!(Client::put_bucket_policy)
            .match_requests(|r| ours(r.bucket(), r.expected_bucket_owner(), "site"))
            .then_error(|| PutBucketPolicyError::generic(access_denied()));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&DenyInsecureTransport, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("PutBucketPolicy failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_write_is_retried_by_the_sdk() {
        let bucket = site(None);
        let (get, put) = rules(&bucket.throttling_writes(), policy_of(&[DENY]));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&DenyInsecureTransport, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 2);
    }
}
