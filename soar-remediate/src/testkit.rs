//! The tools soar tests its controls with, for testing yours.
//!
//! - [`mock_context`]: a [`Context`] whose clients answer from
//!   `aws-smithy-mocks` rules, retry throttling without sleeping, and record
//!   every operation they execute;
//! - [`assert_least_privilege`]: fails when a control called an operation
//!   whose IAM action its metadata does not declare;
//! - [`finding_for`]: a failed-control finding about one resource.
//!
//! See `docs/writing-a-remediation.md` for a worked example.

use std::time::Duration;

use aws_credential_types::Credentials;
use aws_smithy_async::rt::sleep::{AsyncSleep, SharedAsyncSleep, Sleep};
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
use aws_smithy_types::retry::RetryConfig;
use aws_types::region::Region;
use aws_types::SdkConfig;
use soar_asff::{Compliance, ComplianceStatus, Finding, Resource, Severity, SeverityLabel};

pub use aws_smithy_mocks::{self, mock, MockResponseInterceptor, Rule, RuleMode};
pub use soar_core::testkit::aws_error;

use crate::iam::OperationRecorder;
use crate::{Context, ControlMeta};

/// Returns at once, so that retried throttling takes no time in tests.
#[derive(Debug, Default)]
struct NoSleep;

impl AsyncSleep for NoSleep {
    fn sleep(&self, _duration: Duration) -> Sleep {
        Sleep::new(std::future::ready(()))
    }
}

/// The SDK configuration tests use: fixed test credentials, `us-east-1`,
/// standard retries (3 attempts) that do not sleep.
pub fn test_sdk_config() -> SdkConfig {
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
        .sleep_impl(SharedAsyncSleep::new(NoSleep))
        .http_client(aws_smithy_mocks::create_mock_http_client())
        .build()
}

/// A context whose clients answer from `rules` and record every operation.
pub fn mock_context(mode: RuleMode, rules: &[&Rule]) -> (Context, OperationRecorder) {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(mode);
    for rule in rules {
        interceptor = interceptor.with_rule(rule);
    }
    let recorder = OperationRecorder::new();
    let ctx = Context::new(test_sdk_config(), "111111111111")
        .with_interceptor(recorder.interceptor())
        .with_interceptor(SharedInterceptor::new(interceptor));
    (ctx, recorder)
}

/// A context on a real endpoint (an emulator) that records every operation.
pub fn recording_context(sdk: SdkConfig, account_id: &str) -> (Context, OperationRecorder) {
    let recorder = OperationRecorder::new();
    let ctx = Context::new(sdk, account_id).with_interceptor(recorder.interceptor());
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

/// A FAILED finding for `control_id` about one resource, as Security Hub
/// sends it with consolidated control findings.
pub fn finding_for(control_id: &str, resource_type: &str, resource_id: &str) -> Finding {
    Finding {
        schema_version: "2018-10-08".to_owned(),
        id: format!(
            "arn:aws:securityhub:us-east-1:111111111111:security-control/{control_id}/finding/test"
        ),
        product_arn: "arn:aws:securityhub:us-east-1::product/aws/securityhub".to_owned(),
        generator_id: format!("security-control/{control_id}"),
        aws_account_id: "111111111111".to_owned(),
        types: vec![
            "Software and Configuration Checks/Industry and Regulatory Standards".to_owned(),
        ],
        created_at: "2026-01-01T00:00:00Z".to_owned(),
        updated_at: "2026-01-01T00:00:00Z".to_owned(),
        severity: Severity::from_label(SeverityLabel::High),
        title: format!("{control_id} fails"),
        description: format!("{control_id} fails for {resource_id}"),
        region: Some("us-east-1".to_owned()),
        resources: vec![Resource {
            resource_type: resource_type.to_owned(),
            id: resource_id.to_owned(),
            partition: Some("aws".to_owned()),
            region: Some("us-east-1".to_owned()),
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
