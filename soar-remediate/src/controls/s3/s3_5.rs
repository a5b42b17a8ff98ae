//! S3.5: deny requests that do not use TLS, merged into the bucket's policy.

use async_trait::async_trait;
use serde_json::{json, Value};
use soar_asff::Finding;

use super::bucket_name;
use crate::controls::{control_id, optional};
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["S3.5"],
    title: "S3 buckets require requests to use SSL",
    service: Service::S3,
    resource_type: "AwsS3Bucket",
    iam_actions: &["s3:GetBucketPolicy", "s3:PutBucketPolicy"],
    destructive: false,
    exemption_tag: None,
};

/// The statement soar adds.
const SID: &str = "SoarDenyInsecureTransport";

/// Adds a statement denying every request without TLS, keeping every
/// statement the policy already has.
pub(crate) struct DenyInsecureTransport;

async fn current_policy(ctx: &Context, bucket: &str) -> Result<Option<Value>, RemediationError> {
    let found = optional(
        "GetBucketPolicy",
        ctx.s3().get_bucket_policy().bucket(bucket).send().await,
        &["NoSuchBucketPolicy"],
    )?;
    let Some(text) = found.and_then(|o| o.policy().map(str::to_owned)) else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| RemediationError::UnsupportedFinding {
            control_id: "S3.5".to_owned(),
            reason: format!("the policy of bucket {bucket} is not valid JSON: {e}"),
        })
}

/// Whether a statement denies requests where `aws:SecureTransport` is false.
fn denies_insecure_transport(statement: &Value) -> bool {
    let condition = statement.pointer("/Condition/Bool/aws:SecureTransport");
    let is_false = match condition {
        Some(Value::String(s)) => s.eq_ignore_ascii_case("false"),
        Some(Value::Bool(b)) => !b,
        Some(Value::Array(values)) => values
            .iter()
            .any(|v| v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("false"))),
        _ => false,
    };
    statement.get("Effect").and_then(Value::as_str) == Some("Deny") && is_false
}

fn statements(policy: &Value) -> Vec<Value> {
    match policy.get("Statement") {
        Some(Value::Array(list)) => list.clone(),
        Some(single @ Value::Object(_)) => vec![single.clone()],
        _ => Vec::new(),
    }
}

/// The policy with the deny statement appended.
fn merged(policy: Option<Value>, bucket: &str) -> Value {
    let arn = format!("arn:aws:s3:::{bucket}");
    let deny = json!({
        "Sid": SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, format!("{arn}/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    });
    let mut policy = policy.unwrap_or_else(|| json!({"Version": "2012-10-17"}));
    let mut list = statements(&policy);
    list.push(deny);
    if let Some(object) = policy.as_object_mut() {
        object.insert("Statement".to_owned(), Value::Array(list));
    }
    policy
}

#[async_trait]
impl Remediation for DenyInsecureTransport {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let bucket = bucket_name(finding, control)?;
        let policy = current_policy(ctx, &bucket).await?;
        if policy
            .as_ref()
            .is_some_and(|p| statements(p).iter().any(denies_insecure_transport))
        {
            return Ok(Plan::compliant(control, bucket));
        }
        let kept = policy.as_ref().map_or(0, |p| statements(p).len());
        let new_policy = merged(policy, &bucket);
        let change = Plan::change(
            "s3:PutBucketPolicy",
            format!("add statement {SID} denying requests without TLS to bucket {bucket}, keeping its {kept} existing statement(s)"),
        );
        Ok(Plan::changes(
            control,
            bucket,
            vec![change],
            json!({"policy": new_policy.to_string()}),
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        let policy = plan.data_str("policy")?;
        ctx.s3()
            .put_bucket_policy()
            .bucket(&plan.resource)
            .policy(policy)
            .send()
            .await
            .map_err(|e| RemediationError::aws("PutBucketPolicy", &e))?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Added {SID} to the policy of bucket {}.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        let bucket = bucket_name(finding, control_id(finding, META.ids))?;
        Ok(current_policy(ctx, &bucket)
            .await?
            .is_some_and(|p| statements(&p).iter().any(denies_insecure_transport)))
    }
}

#[cfg(test)]
#[cfg(feature = "testkit")]
mod tests {
    use aws_sdk_s3::operation::get_bucket_policy::{GetBucketPolicyError, GetBucketPolicyOutput};
    use aws_sdk_s3::operation::put_bucket_policy::{PutBucketPolicyError, PutBucketPolicyOutput};
    use aws_sdk_s3::Client;

    use super::*;
    use crate::testkit::{
        assert_least_privilege, aws_error, finding_for, mock, mock_context, RuleMode,
    };
    use crate::{remediate, Mode};

    const EXISTING: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"ReadForCdn","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}]}"#;

    fn finding() -> Finding {
        finding_for("S3.5", "AwsS3Bucket", "arn:aws:s3:::site")
    }

    fn merged_keeps_existing(
        r: &aws_sdk_s3::operation::put_bucket_policy::PutBucketPolicyInput,
    ) -> bool {
        let Some(policy) = r
            .policy()
            .and_then(|p| serde_json::from_str::<Value>(p).ok())
        else {
            return false;
        };
        let list = statements(&policy);
        r.bucket() == Some("site")
            && list.len() == 2
            && list[0]["Sid"] == "ReadForCdn"
            && denies_insecure_transport(&list[1])
            && list[1]["Resource"][1] == "arn:aws:s3:::site/*"
    }

    #[tokio::test]
    async fn merges_the_deny_statement_into_the_existing_policy() {
        let after = merged(serde_json::from_str(EXISTING).ok(), "site").to_string();
        let get = mock!(Client::get_bucket_policy)
            .sequence()
            .output(|| GetBucketPolicyOutput::builder().policy(EXISTING).build())
            .output(move || {
                GetBucketPolicyOutput::builder()
                    .policy(after.clone())
                    .build()
            })
            .build();
        let put = mock!(Client::put_bucket_policy)
            .match_requests(merged_keeps_existing)
            .then_output(|| PutBucketPolicyOutput::builder().build());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&DenyInsecureTransport, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert!(report.changes[0]
            .description
            .contains("keeping its 1 existing"));
        assert_least_privilege(&META, &recorder);
    }

    #[tokio::test]
    async fn bucket_without_policy_gets_one_and_compliant_policy_is_left() {
        assert_eq!(statements(&merged(None, "b")).len(), 1);
        let compliant = merged(None, "site").to_string();
        let get = mock!(Client::get_bucket_policy).then_output(move || {
            GetBucketPolicyOutput::builder()
                .policy(compliant.clone())
                .build()
        });
        let put = mock!(Client::put_bucket_policy)
            .then_output(|| PutBucketPolicyOutput::builder().build());
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        assert_eq!(
            remediate(&DenyInsecureTransport, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::AlreadyCompliant
        );
        assert_eq!(put.num_calls(), 0);
    }

    #[tokio::test]
    async fn gone_denied_and_throttled() {
        let gone = mock!(Client::get_bucket_policy)
            .then_error(|| GetBucketPolicyError::generic(aws_error("NoSuchBucket", "gone")));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&gone]);
        assert!(matches!(
            remediate(&DenyInsecureTransport, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Suppress { .. }
        ));

        let none = || GetBucketPolicyError::generic(aws_error("NoSuchBucketPolicy", "none"));
        let get = mock!(Client::get_bucket_policy).then_error(none);
        let denied = mock!(Client::put_bucket_policy)
            .then_error(|| PutBucketPolicyError::generic(aws_error("AccessDenied", "no")));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &denied]);
        assert!(matches!(
            remediate(&DenyInsecureTransport, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Ticket { .. }
        ));

        let after = merged(None, "site").to_string();
        let get = mock!(Client::get_bucket_policy)
            .sequence()
            .error(none)
            .output(move || {
                GetBucketPolicyOutput::builder()
                    .policy(after.clone())
                    .build()
            })
            .build();
        let put = mock!(Client::put_bucket_policy)
            .sequence()
            .error(|| PutBucketPolicyError::generic(aws_error("SlowDown", "slow")))
            .output(|| PutBucketPolicyOutput::builder().build())
            .build();
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        assert!(matches!(
            remediate(&DenyInsecureTransport, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Remediated { .. }
        ));
        assert_eq!(put.num_calls(), 2);
    }
}
