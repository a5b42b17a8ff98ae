//! The tools soar tests its controls with, for testing yours.
//!
//! - [`mock_context`]: a [`Context`] in account `111111111111`, `us-east-1`,
//!   whose clients answer from `aws-smithy-mocks` rules, retry throttling
//!   with `aws-smithy-async`'s instant sleep (which records the delays), and
//!   record every operation they execute;
//! - [`assert_least_privilege`]: fails when a control called an operation
//!   whose IAM action its metadata does not declare;
//! - [`assert_changes_declared`]: fails when a plan names a change whose
//!   action the metadata does not declare;
//! - [`finding_for`]: a failed-control finding about one resource.
//!
//! See `docs/writing-a-remediation.md` for a worked example.

use aws_credential_types::Credentials;
use aws_smithy_async::rt::sleep::SharedAsyncSleep;
use aws_smithy_async::test_util::InstantSleep;
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
use aws_smithy_types::retry::RetryConfig;
use aws_types::region::Region;
use aws_types::sdk_config::StalledStreamProtectionConfig;
use aws_types::SdkConfig;
use soar_asff::{Compliance, ComplianceStatus, Finding, Resource, Severity, SeverityLabel};
use soar_core::Location;

pub use aws_smithy_mocks::{self, mock, MockResponseInterceptor, Rule, RuleMode};
pub use soar_core::testkit::aws_error;

use crate::iam::OperationRecorder;
use crate::{Change, Context, ControlMeta, Outcome, Report};

/// The account [`mock_context`] and [`finding_for`] use.
pub const TEST_ACCOUNT: &str = "111111111111";

/// The Region [`mock_context`] and [`finding_for`] use.
pub const TEST_REGION: &str = "us-east-1";

/// Where [`mock_context`] acts: [`TEST_ACCOUNT`] in [`TEST_REGION`].
pub fn test_location() -> Location {
    Location::new(TEST_ACCOUNT, TEST_REGION, "aws")
}

/// The SDK configuration tests use: fixed test credentials, `us-east-1`,
/// standard retries (3 attempts) that sleep instantly.
pub fn test_sdk_config() -> SdkConfig {
    test_sdk_config_with_sleep(InstantSleep::unlogged())
}

/// [`test_sdk_config`] with this sleep, whose [`InstantSleep::logs`] then
/// show every delay the SDK's retries and `verify` asked for.
pub fn test_sdk_config_with_sleep(sleep: InstantSleep) -> SdkConfig {
    SdkConfig::builder()
        .region(Region::new("us-east-1"))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                "AKIDTEST",
                "secret",
                None,
                None,
                "soar-testkit",
            )),
        )
        .behavior_version(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .sleep_impl(SharedAsyncSleep::new(sleep))
        // Stalled-stream protection sleeps a grace period per response; off,
        // the sleep's logs hold only retry backoffs and `verify` waits.
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .http_client(aws_smithy_mocks::create_mock_http_client())
        .build()
}

/// A context in [`test_location`] whose clients answer from `rules` and
/// record every operation.
pub fn mock_context(mode: RuleMode, rules: &[&Rule]) -> (Context, OperationRecorder) {
    mock_context_with(test_sdk_config(), mode, rules)
}

/// [`mock_context`] on another SDK configuration, such as one from
/// [`test_sdk_config_with_sleep`].
pub fn mock_context_with(
    sdk: SdkConfig,
    mode: RuleMode,
    rules: &[&Rule],
) -> (Context, OperationRecorder) {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(mode);
    for rule in rules {
        interceptor = interceptor.with_rule(rule);
    }
    let recorder = OperationRecorder::new();
    let ctx = Context::new(sdk, test_location())
        .with_interceptor(recorder.interceptor())
        .with_interceptor(SharedInterceptor::new(interceptor));
    (ctx, recorder)
}

/// A context in `location` on a real endpoint (an emulator) that records
/// every operation.
pub fn recording_context(sdk: SdkConfig, location: Location) -> (Context, OperationRecorder) {
    let recorder = OperationRecorder::new();
    let ctx = Context::new(sdk, location).with_interceptor(recorder.interceptor());
    (ctx, recorder)
}

/// Panics, naming them, when the control executed operations whose IAM
/// actions `meta` does not declare.
pub fn assert_least_privilege(meta: &ControlMeta, recorder: &OperationRecorder) {
    let undeclared = recorder.undeclared(meta.iam_actions);
    assert!(
        undeclared.is_empty(),
        "{} called {undeclared:?}, which its iam_actions {:?} do not declare",
        meta.ids.join("/"),
        meta.iam_actions
    );
    assert!(
        !recorder.actions().is_empty(),
        "the control made no AWS call"
    );
}

/// Panics, naming it, when a change of the plan names an IAM action that
/// `meta` does not declare: the plan shown to people must match what the
/// policy allows.
pub fn assert_changes_declared(meta: &ControlMeta, changes: &[Change]) {
    for change in changes {
        assert!(
            meta.iam_actions.contains(&change.action.as_str()),
            "{} plans `{}` ({}), which its iam_actions {:?} do not declare",
            meta.ids.join("/"),
            change.action,
            change.description,
            meta.iam_actions
        );
    }
}

/// Panics unless `report` is a fix that made the write `write` matches
/// exactly once, called only operations `meta` declares, and planned only
/// declared actions: what a control's success test checks, in one call.
/// Make `apply` do nothing and it fails.
pub fn assert_fixed_once(
    meta: &ControlMeta,
    report: &Report,
    write: &Rule,
    recorder: &OperationRecorder,
) {
    let id = meta.ids.join("/");
    assert!(
        matches!(report.outcome, Outcome::Remediated { .. }),
        "{id} did not fix the resource: {report:?}"
    );
    assert_eq!(
        write.num_calls(),
        1,
        "{id} made its write {} times, not once: {report:?}",
        write.num_calls()
    );
    assert_least_privilege(meta, recorder);
    assert_changes_declared(meta, &report.changes);
}

/// A FAILED finding for `control_id` about one resource in
/// [`TEST_ACCOUNT`] and [`TEST_REGION`], as Security Hub sends it with
/// consolidated control findings.
pub fn finding_for(control_id: &str, resource_type: &str, resource_id: &str) -> Finding {
    Finding {
        schema_version: "2018-10-08".to_owned(),
        id: format!(
            "arn:aws:securityhub:{TEST_REGION}:{TEST_ACCOUNT}:security-control/{control_id}/finding/test"
        ),
        product_arn: "arn:aws:securityhub:us-east-1::product/aws/securityhub".to_owned(),
        generator_id: format!("security-control/{control_id}"),
        aws_account_id: TEST_ACCOUNT.to_owned(),
        types: Some(vec![
            "Software and Configuration Checks/Industry and Regulatory Standards".to_owned(),
        ]),
        created_at: "2026-01-01T00:00:00Z".to_owned(),
        updated_at: "2026-01-01T00:00:00Z".to_owned(),
        severity: Some(Severity::from_label(SeverityLabel::High)),
        title: format!("{control_id} fails"),
        description: format!("{control_id} fails for {resource_id}"),
        region: Some(TEST_REGION.to_owned()),
        resources: vec![Resource {
            resource_type: resource_type.to_owned(),
            id: resource_id.to_owned(),
            partition: Some("aws".to_owned()),
            region: Some(TEST_REGION.to_owned()),
            ..Resource::default()
        }],
        compliance: Some(Compliance {
            status: Some(ComplianceStatus::Failed),
            security_control_id: Some(control_id.to_owned()),
            ..Compliance::default()
        }),
        ..Finding::default()
    }
}
