//! ELB.5: turn on access logging for an Application Load Balancer.
//!
//! The logs go to [`Settings::elb_access_log_bucket`](crate::Settings::elb_access_log_bucket)
//! for the load balancer's account and Region, under
//! `elb_access_log_prefix`. ELB delivers them from an account of its own in
//! each Region that existed before August 2022, and as the service
//! principal `logdelivery.elasticloadbalancing.amazonaws.com` in the Regions
//! opened since; the bucket's policy must let the right one put objects
//! under `<prefix>/AWSLogs/<account_id>/`, or ELB refuses the setting. So
//! the Region's principal is looked up here, the grant (Sid
//! `SoarElbAccessLogs`) is merged into the bucket's policy when missing, and
//! a Region this crate does not know is a ticket rather than a guess.
//!
//! Classic Load Balancers (`AwsElbLoadBalancer`) are ELB.5's too, through
//! the older API; their findings do not match this control's resource type
//! and are ticketed.

use async_trait::async_trait;
use serde_json::{json, Value};
use soar_asff::Finding;

use super::{attributes, load_balancer_arn, set_attributes, APPLICATION};
use crate::controls::control_id;
use crate::controls::s3::{
    bucket_arn, bucket_policy, log_bucket_is_ours_and_here, pattern_covers, put_bucket_policy,
    statements, strings, with_statement,
};
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What ELB.5 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["ELB.5"],
    title: "Application Load Balancers have access logging on",
    service: Service::Elbv2,
    resource_type: "AwsElbv2LoadBalancer",
    iam_actions: &[
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:ModifyLoadBalancerAttributes",
        "s3:GetBucketLocation",
        "s3:GetBucketPolicy",
        "s3:PutBucketPolicy",
    ],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(EnableAccessLogs)
}

/// Sends the load balancer's access logs to the configured bucket.
pub(crate) struct EnableAccessLogs;

/// The Sid of the statement ELB.5 adds to the log bucket's policy.
const SID: &str = "SoarElbAccessLogs";

/// The attribute ELB.5 checks.
const ENABLED: &str = "access_logs.s3.enabled";

/// The account ELB delivers access logs from, in each Region opened before
/// August 2022 (Elastic Load Balancing User Guide, "Enable access logs").
const ELB_ACCOUNTS: &[(&str, &str)] = &[
    ("us-east-1", "127311923021"),
    ("us-east-2", "033677994240"),
    ("us-west-1", "027434742980"),
    ("us-west-2", "797873946194"),
    ("af-south-1", "098369216593"),
    ("ap-east-1", "754344448648"),
    ("ap-southeast-3", "589379963580"),
    ("ap-south-1", "718504428378"),
    ("ap-northeast-3", "383597477331"),
    ("ap-northeast-2", "600734575887"),
    ("ap-southeast-1", "114774131450"),
    ("ap-southeast-2", "783225319266"),
    ("ap-northeast-1", "582318560864"),
    ("ca-central-1", "985666609251"),
    ("eu-central-1", "054676820928"),
    ("eu-west-1", "156460612806"),
    ("eu-west-2", "652711504416"),
    ("eu-south-1", "635631232127"),
    ("eu-west-3", "009996457667"),
    ("eu-north-1", "897822967062"),
    ("me-south-1", "076674570225"),
    ("sa-east-1", "507241528517"),
    ("us-gov-west-1", "048591011584"),
    ("us-gov-east-1", "190560391635"),
    ("cn-north-1", "638102146993"),
    ("cn-northwest-1", "037604701340"),
];

/// The Regions opened since August 2022, where ELB delivers as
/// [`LOG_DELIVERY_SERVICE`].
const SERVICE_PRINCIPAL_REGIONS: &[&str] = &[
    "ap-east-2",
    "ap-south-2",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-west-1",
    "eu-central-2",
    "eu-south-2",
    "il-central-1",
    "me-central-1",
    "mx-central-1",
];

/// The service principal of ELB log delivery in the newer Regions.
const LOG_DELIVERY_SERVICE: &str = "logdelivery.elasticloadbalancing.amazonaws.com";

/// Who delivers access logs in `region`, as a policy `Principal`.
fn log_delivery_principal(partition: &str, region: &str) -> Option<Value> {
    if let Some((_, account)) = ELB_ACCOUNTS.iter().find(|(r, _)| *r == region) {
        return Some(json!({ "AWS": format!("arn:{partition}:iam::{account}:root") }));
    }
    SERVICE_PRINCIPAL_REGIONS
        .contains(&region)
        .then(|| json!({ "Service": LOG_DELIVERY_SERVICE }))
}

/// Whether a statement's principal is `principal` (one `AWS` ARN, or one
/// `Service`); an `AWS` principal may also be written as the account ID.
fn names_principal(statement: &Value, principal: &Value) -> bool {
    let Some(given) = statement.get("Principal") else {
        return false;
    };
    ["AWS", "Service"].iter().any(|kind| {
        let Some(wanted) = principal.get(*kind).and_then(Value::as_str) else {
            return false;
        };
        let account = wanted.split(':').nth(4).unwrap_or(wanted);
        given
            .get(*kind)
            .is_some_and(|g| strings(g).iter().any(|g| g == wanted || g == account))
    })
}

/// Whether the policy lets `principal` put objects under `objects`.
fn grants(policy: &Value, principal: &Value, objects: &str) -> bool {
    statements(policy).iter().any(|statement| {
        let puts = statement.get("Action").is_some_and(|action| {
            strings(action)
                .iter()
                .any(|a| pattern_covers(&a.to_ascii_lowercase(), "s3:putobject"))
        });
        let covers = statement
            .get("Resource")
            .is_some_and(|resource| strings(resource).iter().any(|r| pattern_covers(r, objects)));
        statement.get("Effect").and_then(Value::as_str) == Some("Allow")
            && statement.get("Condition").is_none()
            && names_principal(statement, principal)
            && puts
            && covers
    })
}

/// Where the logs of the context's account go in `bucket`.
fn log_objects(ctx: &Context, bucket: &str, prefix: &str) -> String {
    let prefix = if prefix.is_empty() {
        String::new()
    } else {
        format!("{}/", prefix.trim_end_matches('/'))
    };
    format!(
        "{}/{prefix}AWSLogs/{}/*",
        bucket_arn(ctx, bucket),
        ctx.account_id()
    )
}

#[async_trait]
impl Remediation for EnableAccessLogs {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let arn = load_balancer_arn(finding, &META, &[APPLICATION])?;
        if attributes(ctx, &arn).await?.get(ENABLED).map(String::as_str) == Some("true") {
            return Ok(Plan::compliant(control, arn));
        }
        let bucket = ctx
            .settings
            .elb_log_bucket(ctx.location())
            .ok_or_else(|| RemediationError::NotConfigured {
                control_id: control.to_owned(),
                setting: "elb_access_log_bucket",
            })?;
        let cannot = |reason: String| RemediationError::CannotFix {
            control_id: control.to_owned(),
            reason: format!(
                "cannot send the access logs of load balancer {arn} to bucket {bucket}: {reason}"
            ),
        };
        let principal = log_delivery_principal(ctx.partition(), ctx.region()).ok_or_else(|| {
            cannot(format!(
                "soar does not know who delivers ELB access logs in Region {}; grant it on the bucket and turn logging on by hand",
                ctx.region()
            ))
        })?;
        log_bucket_is_ours_and_here(ctx, &bucket, &format!("load balancer {arn}"))
            .await
            .map_err(cannot)?;
        let prefix = ctx.settings.elb_access_log_prefix.trim_end_matches('/').to_owned();
        let objects = log_objects(ctx, &bucket, &prefix);
        let policy = bucket_policy(ctx, control, &bucket).await?;
        let mut changes = Vec::with_capacity(2);
        let mut statement = Value::Null;
        if !policy.is_some_and(|p| grants(&p, &principal, &objects)) {
            statement = json!({
                "Sid": SID,
                "Effect": "Allow",
                "Principal": principal,
                "Action": "s3:PutObject",
                "Resource": objects,
            });
            changes.push(Plan::change(
                "s3:PutBucketPolicy",
                format!("let ELB log delivery in {} put objects in {objects}", ctx.region()),
            ));
        }
        changes.push(Plan::change(
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            format!("send the access logs of load balancer {arn} to s3://{bucket}/{prefix}"),
        ));
        Ok(Plan::changes(
            control,
            arn,
            changes,
            json!({ "bucket": bucket, "prefix": prefix, "statement": statement }),
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        let bucket = plan.data_str("bucket")?;
        let prefix = plan.data_str("prefix")?;
        let mut actions_taken = Vec::with_capacity(2);
        let statement = &plan.data["statement"];
        if !statement.is_null() {
            // Read again: a statement added since the plan must survive.
            let policy = bucket_policy(ctx, &plan.control_id, bucket).await?;
            let policy = with_statement(policy, statement.clone());
            put_bucket_policy(ctx, bucket, &policy).await?;
            actions_taken.push(format!(
                "Let ELB log delivery write to bucket {bucket} (policy statement {SID})."
            ));
        }
        set_attributes(
            ctx,
            &plan.resource,
            &[
                (ENABLED, "true"),
                ("access_logs.s3.bucket", bucket),
                ("access_logs.s3.prefix", prefix),
            ],
        )
        .await?;
        actions_taken.push(format!(
            "Turned on access logs for load balancer {} to s3://{bucket}/{prefix}.",
            plan.resource
        ));
        Ok(Outcome::Remediated { actions_taken })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        let arn = load_balancer_arn(finding, &META, &[APPLICATION])?;
        Ok(attributes(ctx, &arn).await?.get(ENABLED).map(String::as_str) == Some("true"))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_elasticloadbalancingv2::operation::modify_load_balancer_attributes::{
        ModifyLoadBalancerAttributesError, ModifyLoadBalancerAttributesOutput,
    };
    use aws_sdk_elasticloadbalancingv2::Client as Elb;
    use aws_sdk_s3::operation::get_bucket_location::{
        GetBucketLocationError, GetBucketLocationOutput,
    };
    use aws_sdk_s3::Client as S3;

    use super::*;
    use crate::controls::elbv2::testing::{described, finding, modify, setting};
    use crate::controls::s3::test_support::{no_such_bucket, ours, BucketState, FakeBucket};
    use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;

    use crate::testkit::aws_smithy_mocks::MockResponseInterceptor;
    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, aws_error, mock, mock_context,
        test_sdk_config, Rule, RuleMode,
    };
    use crate::{remediate, Mode, Report, Settings};

    const OFF: &[(&str, &str)] = &[(ENABLED, "false"), ("access_logs.s3.bucket", "")];
    const ON: &[(&str, &str)] = &[(ENABLED, "true"), ("access_logs.s3.bucket", "elb-logs")];
    const WRITE: &[(&str, &str)] = &[
        (ENABLED, "true"),
        ("access_logs.s3.bucket", "elb-logs"),
        ("access_logs.s3.prefix", "web"),
    ];
    /// us-east-1's ELB account, allowed on the test account's logs.
    const GRANT: &str = r#"{"Sid":"SoarElbAccessLogs","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::127311923021:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::elb-logs/web/AWSLogs/111111111111/*"}"#;
    const OTHER: &str = r#"{"Sid":"Audit","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::elb-logs/*"}"#;

    fn settings() -> Settings {
        Settings {
            elb_access_log_bucket: Some("elb-logs".into()),
            elb_access_log_prefix: "web/".into(),
            ..Settings::default()
        }
    }

    fn policy(statements: &[&str]) -> String {
        format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(","))
    }

    fn located() -> Rule {
        mock!(S3::get_bucket_location)
            .match_requests(|r| ours(r.bucket(), r.expected_bucket_owner(), "elb-logs"))
            .then_output(|| GetBucketLocationOutput::builder().build())
    }

    async fn run(settings: Settings, rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        let ctx = ctx.with_settings(settings);
        remediate(&EnableAccessLogs, &ctx, &finding("ELB.5"), Mode::Apply).await
    }

    fn parsed(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[tokio::test]
    async fn grants_the_regions_log_delivery_keeping_the_policy_then_turns_logs_on() {
        let logs = FakeBucket::new(
            "elb-logs",
            BucketState { policy: Some(policy(&[OTHER])), ..BucketState::default() },
        );
        let put = logs.put_policy(|_| true);
        let (d, m, l, g) = (described(OFF, ON), modify(WRITE), located(), logs.get_policy());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &m, &l, &g, &put]);
        let ctx = ctx.with_settings(settings());
        let report = remediate(&EnableAccessLogs, &ctx, &finding("ELB.5"), Mode::Apply).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!((put.num_calls(), m.num_calls()), (1, 1));
        assert_eq!(
            parsed(logs.state().policy.as_deref().unwrap()),
            parsed(&policy(&[OTHER, GRANT]))
        );
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn a_granted_bucket_gets_only_the_logging_write() {
        let logs = FakeBucket::new(
            "elb-logs",
            BucketState { policy: Some(policy(&[GRANT])), ..BucketState::default() },
        );
        let put = logs.put_policy(|_| true);
        let (d, m, l, g) = (described(OFF, ON), modify(WRITE), located(), logs.get_policy());
        let report = run(settings(), &[&d, &m, &l, &g, &put]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!((put.num_calls(), m.num_calls()), (0, 1));
    }

    #[tokio::test]
    async fn logging_already_on_gets_no_write() {
        let (d, m) = (described(ON, ON), modify(WRITE));
        assert_eq!(run(settings(), &[&d, &m]).await.outcome, Outcome::AlreadyCompliant);
        assert_eq!(m.num_calls(), 0);
    }

    #[test]
    fn every_region_has_its_delivery_principal() {
        assert_eq!(
            log_delivery_principal("aws", "eu-west-1"),
            Some(json!({ "AWS": "arn:aws:iam::156460612806:root" }))
        );
        assert_eq!(
            log_delivery_principal("aws-us-gov", "us-gov-west-1"),
            Some(json!({ "AWS": "arn:aws-us-gov:iam::048591011584:root" }))
        );
        assert_eq!(
            log_delivery_principal("aws", "eu-central-2"),
            Some(json!({ "Service": LOG_DELIVERY_SERVICE }))
        );
        assert_eq!(log_delivery_principal("aws", "xx-moon-1"), None);
        let accounts: std::collections::BTreeSet<&str> =
            ELB_ACCOUNTS.iter().map(|(_, a)| *a).collect();
        assert_eq!(accounts.len(), ELB_ACCOUNTS.len(), "one account per Region");
        assert!(SERVICE_PRINCIPAL_REGIONS
            .iter()
            .all(|r| ELB_ACCOUNTS.iter().all(|(old, _)| old != r)));
    }

    #[test]
    fn a_grant_by_account_id_or_wider_resource_counts() {
        let objects = "arn:aws:s3:::elb-logs/web/AWSLogs/111111111111/*";
        let principal = json!({ "AWS": "arn:aws:iam::127311923021:root" });
        let by_id = parsed(&policy(&[r#"{"Effect":"Allow","Principal":{"AWS":"127311923021"},"Action":["s3:PutObject"],"Resource":"arn:aws:s3:::elb-logs/*"}"#]));
        assert!(grants(&by_id, &principal, objects));
        let other_region = parsed(&policy(&[&GRANT.replace("127311923021", "156460612806")]));
        assert!(!grants(&other_region, &principal, objects));
        let conditioned = parsed(&policy(&[&GRANT.replace(
            r#""Resource""#,
            r#""Condition":{"StringEquals":{"aws:SourceAccount":"333333333333"}},"Resource""#,
        )]));
        assert!(!grants(&conditioned, &principal, objects));
    }

    #[tokio::test]
    async fn an_unknown_region_an_unset_bucket_or_a_missing_one_is_a_ticket() {
        let d = described(OFF, OFF);
        let report = run(Settings::default(), &[&d]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains("elb_access_log_bucket")),
            "{report:?}"
        );

        let moon = soar_core::Location::new("111111111111", "xx-moon-1", "aws");
        let mocks = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny).with_rule(&d);
        let ctx = Context::new(test_sdk_config(), moon)
            .with_interceptor(SharedInterceptor::new(mocks))
            .with_settings(settings());
        let report = remediate(&EnableAccessLogs, &ctx, &finding("ELB.5"), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("who delivers ELB access logs in Region xx-moon-1")),
            "{report:?}"
        );

        let missing = mock!(S3::get_bucket_location)
            .then_error(|| GetBucketLocationError::generic(no_such_bucket()));
        let report = run(settings(), &[&d, &missing]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("bucket elb-logs: it does not exist")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_deleted_load_balancer_is_suppressed() {
        let gone = mock!(Elb::describe_load_balancer_attributes).then_error(|| {
            aws_sdk_elasticloadbalancingv2::operation::describe_load_balancer_attributes::DescribeLoadBalancerAttributesError::generic(
                aws_error("LoadBalancerNotFound", "gone"),
            )
        });
        let report = run(settings(), &[&gone]).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("LoadBalancerNotFound")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket_and_a_throttled_one_is_retried() {
        let logs = FakeBucket::new(
            "elb-logs",
            BucketState { policy: Some(policy(&[GRANT])), ..BucketState::default() },
        );
        let (l, g) = (located(), logs.get_policy());
        let d = described(OFF, OFF);
        let denied = mock!(Elb::modify_load_balancer_attributes).then_error(|| {
            ModifyLoadBalancerAttributesError::generic(aws_error("AccessDenied", "no"))
        });
        let report = run(settings(), &[&d, &l, &g, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("ModifyLoadBalancerAttributes failed (access denied)")),
            "{report:?}"
        );
        let d = described(OFF, ON);
        let throttled = mock!(Elb::modify_load_balancer_attributes)
            .match_requests(setting(WRITE))
            .sequence()
            .error(|| ModifyLoadBalancerAttributesError::generic(aws_error("Throttling", "slow")))
            .output(|| ModifyLoadBalancerAttributesOutput::builder().build())
            .build();
        let report = run(settings(), &[&d, &l, &g, &throttled]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(throttled.num_calls(), 2);
    }
}
