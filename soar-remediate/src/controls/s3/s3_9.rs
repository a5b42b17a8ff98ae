//! S3.9: turn on server access logging into the configured log bucket.
//!
//! The log bucket is `Settings::access_log_bucket` for the source bucket's
//! account and Region. S3 accepts a logging configuration whatever the
//! target is and then drops the logs in silence when it cannot deliver
//! them, so the target is checked before anything is written: it must
//! exist in the same account (`ExpectedBucketOwner`), be in the source
//! bucket's Region (S3 delivers logs only within a Region), and let S3's
//! log delivery write to it, by its policy or its ACL. Anything else is
//! [`RemediationError::CannotFix`], never a "not found": a missing *log*
//! bucket says nothing about the source bucket, whose finding must not be
//! suppressed.

use async_trait::async_trait;
use aws_sdk_s3::operation::get_bucket_acl::GetBucketAclOutput;
use aws_sdk_s3::types::{
    BucketLoggingStatus, LoggingEnabled, Permission,
};
use serde_json::{json, Value};
use soar_asff::Finding;

use super::{
    bucket_acl, bucket_arn, bucket_name, bucket_policy, log_bucket_is_ours_and_here,
    pattern_covers, statements, strings,
};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What S3.9 is and what it may do.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["S3.9"],
    title: "S3 general purpose buckets have server access logging enabled",
    service: Service::S3,
    resource_type: "AwsS3Bucket",
    iam_actions: &[
        "s3:GetBucketLogging",
        "s3:PutBucketLogging",
        "s3:GetBucketLocation",
        "s3:GetBucketPolicy",
        "s3:GetBucketAcl",
    ],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(EnableAccessLogging)
}

/// The service principal that delivers server access logs.
const LOGGING_SERVICE: &str = "logging.s3.amazonaws.com";

/// The ACL group that delivers server access logs (the older way to grant it).
const LOG_DELIVERY_GROUP: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

/// Sends the bucket's access logs to the configured log bucket, under the
/// prefix `<bucket>/`.
pub(crate) struct EnableAccessLogging;

/// Whether the bucket sends its access logs anywhere.
async fn is_logging(ctx: &Context, bucket: &str) -> Result<bool, RemediationError> {
    let output = ctx
        .s3()
        .get_bucket_logging()
        .bucket(bucket)
        .expected_bucket_owner(ctx.account_id())
        .send()
        .await
        .map_err(|e| RemediationError::aws("GetBucketLogging", &e))?;
    Ok(output.logging_enabled().is_some())
}

/// Whether each condition on `key` in the statement admits `value`. Only
/// the equality and `Like` operators are read; a statement without a
/// condition on `key` admits every value.
fn condition_admits(statement: &Value, key: &str, value: &str) -> bool {
    let Some(Value::Object(operators)) = statement.get("Condition") else {
        return true;
    };
    operators.iter().all(|(operator, keys)| {
        let Some(expected) = keys.as_object().and_then(|keys| {
            keys.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| strings(v))
        }) else {
            return true;
        };
        match operator.as_str() {
            "StringEquals" | "ArnEquals" => expected.iter().any(|e| e == value),
            "StringLike" | "ArnLike" => expected.iter().any(|e| pattern_covers(e, value)),
            _ => true,
        }
    })
}

/// Whether the policy lets S3's log delivery put the logs of `source` into
/// `objects` (an ARN pattern of the log objects): an `Allow` to the logging
/// service principal of `s3:PutObject` on them, whose `aws:SourceAccount`
/// and `aws:SourceArn` conditions, if any, admit the source bucket.
fn policy_grants_log_delivery(policy: &Value, objects: &str, account: &str, source: &str) -> bool {
    statements(policy).iter().any(|statement| {
        let to_logging = statement
            .get("Principal")
            .and_then(|p| p.get("Service"))
            .is_some_and(|service| strings(service).iter().any(|s| s == LOGGING_SERVICE));
        let puts = statement.get("Action").is_some_and(|action| {
            strings(action)
                .iter()
                .any(|a| pattern_covers(&a.to_ascii_lowercase(), "s3:putobject"))
        });
        let on_the_logs = statement
            .get("Resource")
            .is_some_and(|resource| strings(resource).iter().any(|r| pattern_covers(r, objects)));
        statement.get("Effect").and_then(Value::as_str) == Some("Allow")
            && to_logging
            && puts
            && on_the_logs
            && condition_admits(statement, "aws:SourceAccount", account)
            && condition_admits(statement, "aws:SourceArn", source)
    })
}

/// Whether the ACL lets the LogDelivery group write.
fn acl_grants_log_delivery(acl: &GetBucketAclOutput) -> bool {
    acl.grants().iter().any(|grant| {
        grant.grantee().and_then(|g| g.uri()) == Some(LOG_DELIVERY_GROUP)
            && matches!(
                grant.permission(),
                Some(Permission::Write | Permission::FullControl)
            )
    })
}

/// Checks that S3 can deliver the access logs of `source` to `target` under
/// `prefix`. Reads only.
///
/// # Errors
/// [`RemediationError::CannotFix`] with the reason when it cannot, or when
/// the target cannot be checked: every error here is about the target.
async fn check_log_bucket(
    ctx: &Context,
    control: &str,
    source: &str,
    target: &str,
    prefix: &str,
) -> Result<(), RemediationError> {
    let cannot_fix = |reason: String| RemediationError::CannotFix {
        control_id: control.to_owned(),
        reason: format!(
            "cannot send the access logs of bucket {source} to log bucket {target}: {reason}"
        ),
    };
    let account = ctx.account_id();
    log_bucket_is_ours_and_here(ctx, target, &format!("bucket {source}"))
        .await
        .map_err(cannot_fix)?;
    let policy = match bucket_policy(ctx, control, target).await {
        Ok(policy) => policy,
        Err(error @ RemediationError::CannotFix { .. }) => return Err(error),
        Err(error) => return Err(cannot_fix(format!("its policy cannot be read ({error})"))),
    };
    let objects = format!("{}/{prefix}*", bucket_arn(ctx, target));
    let source_arn = bucket_arn(ctx, source);
    if policy.is_some_and(|p| policy_grants_log_delivery(&p, &objects, account, &source_arn)) {
        return Ok(());
    }
    let acl = bucket_acl(ctx, target)
        .await
        .map_err(|error| cannot_fix(format!("its ACL cannot be read ({error})")))?;
    if acl_grants_log_delivery(&acl) {
        return Ok(());
    }
    Err(cannot_fix(format!(
        "it does not let S3 deliver logs to it: its policy must allow the service principal {LOGGING_SERVICE} s3:PutObject on {objects} (or its ACL grant WRITE to the LogDelivery group)"
    )))
}

#[async_trait]
impl Remediation for EnableAccessLogging {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let bucket = bucket_name(finding, &META)?;
        if is_logging(ctx, &bucket).await? {
            return Ok(Plan::compliant(control, bucket));
        }
        let target = ctx
            .settings
            .access_log_bucket(ctx.location())
            .ok_or_else(|| RemediationError::NotConfigured {
                control_id: control.to_owned(),
                setting: "s3_access_log_bucket",
            })?;
        if target == bucket {
            return Ok(Plan::exempt(
                control,
                bucket,
                "this is the access-log bucket itself; logging it into itself would loop",
            ));
        }
        let prefix = format!("{bucket}/");
        check_log_bucket(ctx, control, &bucket, &target, &prefix).await?;
        let change = Plan::change(
            "s3:PutBucketLogging",
            format!("send access logs of {bucket} to s3://{target}/{prefix}"),
        );
        Ok(Plan::changes(
            control,
            bucket,
            vec![change],
            json!({"target_bucket": target, "target_prefix": prefix}),
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        let invalid = |e: aws_sdk_s3::error::BuildError| RemediationError::InvalidPlan {
            control_id: plan.control_id.clone(),
            reason: e.to_string(),
        };
        let target = plan.data_str("target_bucket")?;
        let logging = LoggingEnabled::builder()
            .target_bucket(target)
            .target_prefix(plan.data_str("target_prefix")?)
            .build()
            .map_err(invalid)?;
        // A target deleted since the plan is `InvalidTargetBucketForLogging`,
        // not a "not found": it does not suppress the finding.
        ctx.s3()
            .put_bucket_logging()
            .bucket(&plan.resource)
            .expected_bucket_owner(ctx.account_id())
            .bucket_logging_status(
                BucketLoggingStatus::builder()
                    .logging_enabled(logging)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| RemediationError::aws("PutBucketLogging", &e))?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Turned on server access logging for bucket {} into bucket {target}.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        is_logging(ctx, &bucket_name(finding, &META)?).await
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};

    use aws_sdk_s3::operation::get_bucket_location::{
        GetBucketLocationError, GetBucketLocationOutput,
    };
    use aws_sdk_s3::operation::get_bucket_logging::{
        GetBucketLoggingError, GetBucketLoggingOutput,
    };
    use aws_sdk_s3::operation::put_bucket_logging::{
        PutBucketLoggingError, PutBucketLoggingInput, PutBucketLoggingOutput,
    };
    use aws_sdk_s3::Client;

    use super::super::test_support::{
        access_denied, group_grant, no_such_bucket, ours, slow_down, throttled_write, BucketState,
        FakeBucket,
    };
    use super::*;
    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, finding_for, mock, mock_context, Rule,
        RuleMode,
    };
    use crate::{remediate, Mode, Settings};

    fn finding() -> Finding {
        finding_for("S3.9", "AwsS3Bucket", "arn:aws:s3:::data")
    }

    fn settings() -> Settings {
        Settings {
            s3_access_log_bucket: Some("logs".into()),
            ..Settings::default()
        }
    }

    /// Where bucket `data` sends its logs: `None` for nowhere.
    type Logging = Arc<Mutex<Option<LoggingEnabled>>>;

    fn logging(target: Option<(&str, &str)>) -> Logging {
        Arc::new(Mutex::new(target.map(|(bucket, prefix)| {
            LoggingEnabled::builder()
                .target_bucket(bucket)
                .target_prefix(prefix)
                .build()
                .unwrap()
        })))
    }

    fn get_logging(source: &Logging) -> Rule {
        let source = source.clone();
        mock!(Client::get_bucket_logging)
            .match_requests(|r| ours(r.bucket(), r.expected_bucket_owner(), "data"))
            .then_compute_output(move |_| {
                GetBucketLoggingOutput::builder()
                    .set_logging_enabled(source.lock().unwrap().clone())
                    .build()
            })
    }

    /// Whether the write sends the logs of `data` to `target` under `data/`.
    fn to(target: &'static str) -> impl Fn(&PutBucketLoggingInput) -> bool + Send + Sync {
        move |r| {
            let enabled = r.bucket_logging_status().and_then(|s| s.logging_enabled());
            ours(r.bucket(), r.expected_bucket_owner(), "data")
                && enabled.map(|t| (t.target_bucket(), t.target_prefix()))
                    == Some((target, "data/"))
        }
    }

    fn store(source: &Logging) -> impl Fn(&PutBucketLoggingInput) -> PutBucketLoggingOutput {
        let source = source.clone();
        move |r| {
            *source.lock().unwrap() = r
                .bucket_logging_status()
                .and_then(|s| s.logging_enabled())
                .cloned();
            PutBucketLoggingOutput::builder().build()
        }
    }

    fn put_logging(source: &Logging, target: &'static str) -> Rule {
        mock!(Client::put_bucket_logging)
            .match_requests(to(target))
            .then_compute_output(store(source))
    }

    /// `GetBucketLocation` of `target` in the test account, answering this
    /// location constraint.
    fn located(target: &'static str, constraint: Option<&'static str>) -> Rule {
        mock!(Client::get_bucket_location)
            .match_requests(move |r| ours(r.bucket(), r.expected_bucket_owner(), target))
            .then_output(move || {
                GetBucketLocationOutput::builder()
                    .set_location_constraint(constraint.map(aws_sdk_s3::types::BucketLocationConstraint::from))
                    .build()
            })
    }

    /// A log bucket policy that lets log delivery write under `resource`,
    /// with these conditions.
    fn delivery_policy(resource: &str, condition: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"S3ServerAccessLogsPolicy","Effect":"Allow","Principal":{{"Service":"logging.s3.amazonaws.com"}},"Action":"s3:PutObject","Resource":"{resource}","Condition":{condition}}}]}}"#
        )
    }

    /// The policy AWS documents for a log bucket, for sources of the test
    /// account.
    fn documented_policy() -> String {
        delivery_policy(
            "arn:aws:s3:::logs/*",
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::*"},"StringEquals":{"aws:SourceAccount":"111111111111"}}"#,
        )
    }

    fn log_bucket(policy: Option<String>, grants: Vec<aws_sdk_s3::types::Grant>) -> FakeBucket {
        let mut state = BucketState {
            policy,
            ..BucketState::default()
        };
        state.grants.extend(grants);
        FakeBucket::new("logs", state)
    }

    /// Remediates `data` with the log bucket `logs` answering as given.
    async fn remediate_with(
        logs: &FakeBucket,
        location: Rule,
        settings: Settings,
    ) -> (crate::Report, Logging, Rule, Rule) {
        let source = logging(None);
        let (get, put) = (get_logging(&source), put_logging(&source, "logs"));
        let (policy, acl) = (logs.get_policy(), logs.get_acl());
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put, &location, &policy, &acl]);
        let report = remediate(
            &EnableAccessLogging,
            &ctx.with_settings(settings),
            &finding(),
            Mode::Apply,
        )
        .await;
        (report, source, put, acl)
    }

    #[tokio::test]
    async fn turns_on_logging_into_a_log_bucket_whose_policy_allows_log_delivery() {
        let logs = log_bucket(Some(documented_policy()), vec![]);
        let source = logging(None);
        let (get, put) = (get_logging(&source), put_logging(&source, "logs"));
        let location = located("logs", None);
        let (policy, acl) = (logs.get_policy(), logs.get_acl());
        let (ctx, recorder) =
            mock_context(RuleMode::MatchAny, &[&get, &put, &location, &policy, &acl]);
        let report = remediate(
            &EnableAccessLogging,
            &ctx.with_settings(settings()),
            &finding(),
            Mode::Apply,
        )
        .await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 1);
        assert_eq!(acl.num_calls(), 0, "the policy is enough");
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn a_log_bucket_whose_acl_lets_the_log_delivery_group_write_is_accepted() {
        for permission in [Permission::Write, Permission::FullControl] {
            let logs = log_bucket(None, vec![group_grant(LOG_DELIVERY_GROUP, permission)]);
            let (report, _, put, acl) =
                remediate_with(&logs, located("logs", Some("")), settings()).await;
            assert!(
                matches!(report.outcome, Outcome::Remediated { .. }),
                "{report:?}"
            );
            assert_eq!((put.num_calls(), acl.num_calls()), (1, 1));
        }
    }

    #[tokio::test]
    async fn the_log_bucket_is_the_one_for_the_buckets_account_and_region() {
        let logs = FakeBucket::new(
            "logs-111111111111-us-east-1",
            BucketState {
                policy: Some(
                    documented_policy().replace("logs/*", "logs-111111111111-us-east-1/*"),
                ),
                ..BucketState::default()
            },
        );
        let source = logging(None);
        let get = get_logging(&source);
        let put = put_logging(&source, "logs-111111111111-us-east-1");
        let location = located("logs-111111111111-us-east-1", None);
        let policy = logs.get_policy();
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put, &location, &policy]);
        let settings = Settings {
            s3_access_log_bucket: Some("logs-{account_id}-{region}".into()),
            s3_access_log_buckets: BTreeMap::from([(
                "222222222222/*".to_owned(),
                "another-accounts-logs".to_owned(),
            )]),
            ..Settings::default()
        };
        let report = remediate(
            &EnableAccessLogging,
            &ctx.with_settings(settings),
            &finding(),
            Mode::Apply,
        )
        .await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_bucket_that_already_logs_gets_no_write() {
        let source = logging(Some(("elsewhere", "data/")));
        let (get, put) = (get_logging(&source), put_logging(&source, "logs"));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(
            &EnableAccessLogging,
            &ctx.with_settings(settings()),
            &finding(),
            Mode::Apply,
        )
        .await;
        assert_eq!(report.outcome, Outcome::AlreadyCompliant);
        assert_eq!(put.num_calls(), 0);
    }

    #[tokio::test]
    async fn no_log_bucket_configured_is_a_ticket_naming_the_setting() {
        let source = logging(None);
        let (get, put) = (get_logging(&source), put_logging(&source, "logs"));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&EnableAccessLogging, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains("s3_access_log_bucket")),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 0);
    }

    #[tokio::test]
    async fn the_log_bucket_itself_is_exempt() {
        let source = logging(None);
        let get = get_logging(&source);
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get]);
        let settings = Settings {
            s3_access_log_bucket: Some("data".into()),
            ..Settings::default()
        };
        let report = remediate(
            &EnableAccessLogging,
            &ctx.with_settings(settings),
            &finding(),
            Mode::Apply,
        )
        .await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("access-log bucket itself")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_missing_log_bucket_is_a_ticket_never_a_suppression() {
        let logs = log_bucket(None, vec![]);
        let missing = mock!(Client::get_bucket_location)
            .match_requests(|r| ours(r.bucket(), r.expected_bucket_owner(), "logs"))
            .then_error(|| GetBucketLocationError::generic(no_such_bucket()));
        let (report, source, put, _) = remediate_with(&logs, missing, settings()).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("log bucket logs: it does not exist") && reason.contains("NoSuchBucket")),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 0);
        assert!(source.lock().unwrap().is_none());
    }

    #[tokio::test]
    async fn a_log_bucket_of_another_account_is_a_ticket() {
        // S3 answers 403 when the bucket's owner is not the expected one.
        let logs = log_bucket(None, vec![]);
        let theirs = mock!(Client::get_bucket_location)
            .match_requests(|r| ours(r.bucket(), r.expected_bucket_owner(), "logs"))
            .then_error(|| GetBucketLocationError::generic(access_denied()));
        let (report, _, put, _) = remediate_with(&logs, theirs, settings()).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("it is not a bucket of account 111111111111")),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_log_bucket_in_another_region_is_a_ticket() {
        for constraint in ["eu-west-1", "EU"] {
            let logs = log_bucket(Some(documented_policy()), vec![]);
            let (report, _, put, _) =
                remediate_with(&logs, located("logs", Some(constraint)), settings()).await;
            assert!(
                matches!(&report.outcome, Outcome::Ticket { reason }
                    if reason.contains("it is in eu-west-1 and bucket data in us-east-1")),
                "{constraint}: {report:?}"
            );
            assert_eq!(put.num_calls(), 0, "{constraint}");
        }
    }

    #[test]
    fn bucket_locations_name_their_region() {
        let region = |c: Option<&str>| {
            crate::controls::s3::bucket_region(c.map(aws_sdk_s3::types::BucketLocationConstraint::from).as_ref()).to_owned()
        };
        assert_eq!(region(None), "us-east-1");
        assert_eq!(region(Some("")), "us-east-1");
        assert_eq!(region(Some("EU")), "eu-west-1");
        assert_eq!(region(Some("ap-southeast-2")), "ap-southeast-2");
    }

    #[tokio::test]
    async fn a_log_bucket_that_does_not_let_log_delivery_write_is_a_ticket() {
        let any_source = r#"{}"#;
        let cases = [
            ("nothing", None, vec![]),
            (
                "another service",
                Some(documented_policy().replace("logging.s3", "cloudtrail")),
                vec![],
            ),
            (
                "only reads",
                Some(documented_policy().replace("s3:PutObject", "s3:GetObject")),
                vec![],
            ),
            (
                "another prefix",
                Some(delivery_policy("arn:aws:s3:::logs/other/*", any_source)),
                vec![],
            ),
            (
                "another account's sources",
                Some(delivery_policy(
                    "arn:aws:s3:::logs/*",
                    r#"{"StringEquals":{"aws:SourceAccount":"222222222222"}}"#,
                )),
                vec![],
            ),
            (
                "another source bucket",
                Some(delivery_policy(
                    "arn:aws:s3:::logs/*",
                    r#"{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::other-*"}}"#,
                )),
                vec![],
            ),
            (
                "an ACL that lets the group read only",
                None,
                vec![group_grant(LOG_DELIVERY_GROUP, Permission::Read)],
            ),
        ];
        for (case, policy, grants) in cases {
            let logs = log_bucket(policy, grants);
            let (report, _, put, _) =
                remediate_with(&logs, located("logs", None), settings()).await;
            assert!(
                matches!(&report.outcome, Outcome::Ticket { reason }
                    if reason.contains("it does not let S3 deliver logs to it")),
                "{case}: {report:?}"
            );
            assert_eq!(put.num_calls(), 0, "{case}");
        }
    }

    #[tokio::test]
    async fn a_missing_source_bucket_is_suppressed() {
        let gone = mock!(Client::get_bucket_logging)
            .match_requests(|r| ours(r.bucket(), r.expected_bucket_owner(), "data"))
            .then_error(|| GetBucketLoggingError::generic(no_such_bucket()));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&gone]);
        let report = remediate(
            &EnableAccessLogging,
            &ctx.with_settings(settings()),
            &finding(),
            Mode::Apply,
        )
        .await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("NoSuchBucket")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket_naming_the_operation() {
        let logs = log_bucket(Some(documented_policy()), vec![]);
        let source = logging(None);
        let get = get_logging(&source);
        let denied = mock!(Client::put_bucket_logging)
            .match_requests(to("logs"))
            .then_error(|| PutBucketLoggingError::generic(access_denied()));
        let (location, policy) = (located("logs", None), logs.get_policy());
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &denied, &location, &policy]);
        let report = remediate(
            &EnableAccessLogging,
            &ctx.with_settings(settings()),
            &finding(),
            Mode::Apply,
        )
        .await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("PutBucketLogging failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_write_is_retried_by_the_sdk() {
        let logs = log_bucket(Some(documented_policy()), vec![]);
        let source = logging(None);
        let get = get_logging(&source);
        let put = throttled_write(
            mock!(Client::put_bucket_logging),
            to("logs"),
            || PutBucketLoggingError::generic(slow_down()),
            store(&source),
        );
        let (location, policy) = (located("logs", None), logs.get_policy());
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put, &location, &policy]);
        let report = remediate(
            &EnableAccessLogging,
            &ctx.with_settings(settings()),
            &finding(),
            Mode::Apply,
        )
        .await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 2);
    }
}
