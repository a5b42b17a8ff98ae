//! Every control against a real AWS emulator (moto's server mode).
//!
//! Each test creates the non-compliant resource with the SDK, remediates it
//! from an ASFF finding, reads the state back with a fresh client, and runs
//! the remediation a second time to check it writes nothing. The operations
//! each run makes are recorded and checked against the control's declared
//! IAM actions.
//!
//! `scripts/test-all.sh` installs moto from PyPI into `.venv`, starts it on a
//! free port on 127.0.0.1, and runs these tests with `AWS_ENDPOINT_URL`
//! pointing at it. They are `#[ignore]`d otherwise, because they need it.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_config::BehaviorVersion;
use aws_types::SdkConfig;
use soar_asff::Finding;
use soar_remediate::testkit::{assert_least_privilege, finding_for, recording_context};
use soar_remediate::{remediate, Mode, Outcome, Registry, Report, Settings};

/// moto's default account.
const ACCOUNT: &str = "123456789012";

async fn sdk() -> SdkConfig {
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "AWS_ENDPOINT_URL must point at the emulator; run scripts/test-all.sh"
    );
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

fn s3(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build(),
    )
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}-{nanos}")
}

/// Whether an IAM action changes something.
fn is_write(action: &str) -> bool {
    let operation = action.split_once(':').map_or(action, |(_, op)| op);
    !["Get", "Describe", "List", "Head"]
        .iter()
        .any(|read| operation.starts_with(read))
}

/// Remediates twice; checks the first fixed the resource, the second wrote
/// nothing, both stayed within the declared IAM actions, and each made the
/// number of AWS calls documented in docs/performance.md (`calls`: first
/// run, second run).
async fn remediate_twice(
    sdk: &SdkConfig,
    finding: &Finding,
    settings: Settings,
    calls: [usize; 2],
) -> (Report, Report) {
    let registry = Registry::default();
    let control = registry.get(finding.control_id().unwrap()).unwrap();
    let (ctx, first_calls) = recording_context(sdk.clone(), ACCOUNT);
    let ctx = ctx.with_settings(settings.clone());
    let first = remediate(control, &ctx, finding, Mode::Apply).await;
    assert!(
        matches!(first.outcome, Outcome::Remediated { .. }),
        "first run: {first:?}"
    );
    assert_least_privilege(control.meta(), &first_calls);

    let (ctx, second_calls) = recording_context(sdk.clone(), ACCOUNT);
    let second = remediate(control, &ctx.with_settings(settings), finding, Mode::Apply).await;
    assert_eq!(
        second.outcome,
        Outcome::AlreadyCompliant,
        "second run: {second:?}"
    );
    let writes: Vec<String> = second_calls
        .actions()
        .into_iter()
        .filter(|a| is_write(a))
        .collect();
    assert!(writes.is_empty(), "the second run wrote: {writes:?}");
    assert_least_privilege(control.meta(), &second_calls);
    let made = [first_calls.actions().len(), second_calls.actions().len()];
    assert_eq!(
        made,
        calls,
        "AWS calls of {}: {:?}, then {:?}",
        finding.control_id().unwrap(),
        first_calls.actions(),
        second_calls.actions()
    );
    (first, second)
}

async fn new_bucket(sdk: &SdkConfig, prefix: &str) -> String {
    let bucket = unique(prefix);
    s3(sdk)
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    bucket
}

fn bucket_finding(control: &str, bucket: &str) -> Finding {
    let mut finding = finding_for(control, "AwsS3Bucket", &format!("arn:aws:s3:::{bucket}"));
    finding.aws_account_id = ACCOUNT.to_owned();
    finding
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn s3_1_account_block_public_access() {
    let sdk = sdk().await;
    let (ctx, _) = recording_context(sdk.clone(), ACCOUNT);
    let _ = ctx
        .s3control()
        .delete_public_access_block()
        .account_id(ACCOUNT)
        .send()
        .await;
    let mut finding = finding_for("S3.1", "AwsAccount", &format!("AWS::::Account:{ACCOUNT}"));
    finding.aws_account_id = ACCOUNT.to_owned();
    remediate_twice(&sdk, &finding, Settings::default(), [3, 1]).await;
    let (ctx, _) = recording_context(sdk.clone(), ACCOUNT);
    let read = ctx
        .s3control()
        .get_public_access_block()
        .account_id(ACCOUNT)
        .send()
        .await
        .unwrap();
    let c = read.public_access_block_configuration().unwrap();
    assert_eq!(
        (
            c.block_public_acls(),
            c.ignore_public_acls(),
            c.block_public_policy(),
            c.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true))
    );
}

async fn assert_bucket_blocked(sdk: &SdkConfig, bucket: &str) {
    let read = s3(sdk)
        .get_public_access_block()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    let c = read.public_access_block_configuration().unwrap();
    assert_eq!(
        (
            c.block_public_acls(),
            c.ignore_public_acls(),
            c.block_public_policy(),
            c.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true))
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn s3_2_s3_3_s3_8_bucket_block_public_access() {
    let sdk = sdk().await;
    for control in ["S3.2", "S3.3", "S3.8"] {
        let bucket = new_bucket(&sdk, "soar-bpa").await;
        remediate_twice(
            &sdk,
            &bucket_finding(control, &bucket),
            Settings::default(),
            [4, 2],
        )
        .await;
        assert_bucket_blocked(&sdk, &bucket).await;
    }
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn s3_2_honours_the_exemption_tag() {
    let sdk = sdk().await;
    let bucket = new_bucket(&sdk, "soar-public-site").await;
    let tag = aws_sdk_s3::types::Tag::builder()
        .key("soar:s3:request-publicly-readable")
        .value("true")
        .build()
        .unwrap();
    let tagging = aws_sdk_s3::types::Tagging::builder()
        .tag_set(tag)
        .build()
        .unwrap();
    s3(&sdk)
        .put_bucket_tagging()
        .bucket(&bucket)
        .tagging(tagging)
        .send()
        .await
        .unwrap();
    let registry = Registry::default();
    let (ctx, _) = recording_context(sdk.clone(), ACCOUNT);
    let report = remediate(
        registry.get("S3.2").unwrap(),
        &ctx,
        &bucket_finding("S3.2", &bucket),
        Mode::Apply,
    )
    .await;
    assert!(
        matches!(report.outcome, Outcome::Suppress { .. }),
        "{report:?}"
    );
    let read = s3(&sdk)
        .get_public_access_block()
        .bucket(&bucket)
        .send()
        .await;
    assert!(
        read.is_err(),
        "the exempt bucket must keep having no Block Public Access settings"
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn s3_4_default_encryption() {
    let sdk = sdk().await;
    let bucket = new_bucket(&sdk, "soar-enc").await;
    // Buckets are encrypted by default today; take it off to have something to fix.
    let _ = s3(&sdk)
        .delete_bucket_encryption()
        .bucket(&bucket)
        .send()
        .await;
    remediate_twice(
        &sdk,
        &bucket_finding("S3.4", &bucket),
        Settings::default(),
        [3, 1],
    )
    .await;
    let read = s3(&sdk)
        .get_bucket_encryption()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let rule = &read.server_side_encryption_configuration().unwrap().rules()[0];
    let algorithm = rule
        .apply_server_side_encryption_by_default()
        .map(|d| d.sse_algorithm().clone());
    assert_eq!(
        algorithm,
        Some(aws_sdk_s3::types::ServerSideEncryption::Aes256)
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn s3_5_deny_insecure_transport_keeps_the_existing_policy() {
    let sdk = sdk().await;
    let bucket = new_bucket(&sdk, "soar-tls").await;
    let existing = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"ReadForPartner","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
    );
    s3(&sdk)
        .put_bucket_policy()
        .bucket(&bucket)
        .policy(existing)
        .send()
        .await
        .unwrap();
    remediate_twice(
        &sdk,
        &bucket_finding("S3.5", &bucket),
        Settings::default(),
        [3, 1],
    )
    .await;
    let read = s3(&sdk)
        .get_bucket_policy()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let policy: serde_json::Value = serde_json::from_str(read.policy().unwrap()).unwrap();
    let statements = policy["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 2, "{policy}");
    assert_eq!(statements[0]["Sid"], "ReadForPartner");
    assert_eq!(
        statements[1]["Condition"]["Bool"]["aws:SecureTransport"],
        "false"
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn s3_9_access_logging() {
    let sdk = sdk().await;
    let logs = new_bucket(&sdk, "soar-logs").await;
    // The log bucket must let S3's log delivery write to it; that is the
    // deployment's job, not the remediation's.
    s3(&sdk)
        .put_bucket_acl()
        .bucket(&logs)
        .grant_write("uri=http://acs.amazonaws.com/groups/s3/LogDelivery")
        .grant_read_acp("uri=http://acs.amazonaws.com/groups/s3/LogDelivery")
        .send()
        .await
        .unwrap();
    let bucket = new_bucket(&sdk, "soar-logged").await;
    let settings = Settings {
        s3_access_log_bucket: Some(logs.clone()),
        ..Settings::default()
    };
    remediate_twice(&sdk, &bucket_finding("S3.9", &bucket), settings, [3, 1]).await;
    let read = s3(&sdk)
        .get_bucket_logging()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let target = read.logging_enabled().unwrap();
    assert_eq!(
        (target.target_bucket(), target.target_prefix()),
        (logs.as_str(), format!("{bucket}/").as_str())
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn s3_10_and_s3_13_lifecycle_rules() {
    let sdk = sdk().await;
    for (control, rule_id) in [
        ("S3.10", "soar-noncurrent-versions"),
        ("S3.13", "soar-abort-incomplete-uploads"),
    ] {
        let bucket = new_bucket(&sdk, "soar-lifecycle").await;
        remediate_twice(
            &sdk,
            &bucket_finding(control, &bucket),
            Settings::default(),
            [4, 1],
        )
        .await;
        let read = s3(&sdk)
            .get_bucket_lifecycle_configuration()
            .bucket(&bucket)
            .send()
            .await
            .unwrap();
        let rule = read
            .rules()
            .iter()
            .find(|r| r.id() == Some(rule_id))
            .unwrap();
        assert_eq!(
            rule.abort_incomplete_multipart_upload()
                .and_then(|a| a.days_after_initiation()),
            Some(7),
            "{control}"
        );
    }
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn kms_4_key_rotation() {
    let sdk = sdk().await;
    let kms = aws_sdk_kms::Client::new(&sdk);
    let key = kms.create_key().send().await.unwrap();
    let arn = key.key_metadata().unwrap().arn().unwrap().to_owned();
    let mut finding = finding_for("KMS.4", "AwsKmsKey", &arn);
    finding.aws_account_id = ACCOUNT.to_owned();
    remediate_twice(&sdk, &finding, Settings::default(), [4, 2]).await;
    let status = aws_sdk_kms::Client::new(&sdk)
        .get_key_rotation_status()
        .key_id(&arn)
        .send()
        .await
        .unwrap();
    assert!(status.key_rotation_enabled());
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn ecr_1_2_3_repository_settings() {
    let sdk = sdk().await;
    let ecr = aws_sdk_ecr::Client::new(&sdk);
    let name = unique("soar/app");
    let created = ecr
        .create_repository()
        .repository_name(&name)
        .send()
        .await
        .unwrap();
    let arn = created
        .repository()
        .unwrap()
        .repository_arn()
        .unwrap()
        .to_owned();
    for control in ["ECR.1", "ECR.2", "ECR.3"] {
        let mut finding = finding_for(control, "AwsEcrRepository", &arn);
        finding.aws_account_id = ACCOUNT.to_owned();
        remediate_twice(&sdk, &finding, Settings::default(), [3, 1]).await;
    }
    let ecr = aws_sdk_ecr::Client::new(&sdk);
    let repo = ecr
        .describe_repositories()
        .repository_names(&name)
        .send()
        .await
        .unwrap()
        .repositories()[0]
        .clone();
    assert_eq!(
        repo.image_scanning_configuration()
            .map(|c| c.scan_on_push()),
        Some(true)
    );
    assert_eq!(
        repo.image_tag_mutability(),
        Some(&aws_sdk_ecr::types::ImageTagMutability::Immutable)
    );
    let policy = ecr
        .get_lifecycle_policy()
        .repository_name(&name)
        .send()
        .await
        .unwrap();
    let policy: serde_json::Value =
        serde_json::from_str(policy.lifecycle_policy_text().unwrap()).unwrap();
    assert_eq!(policy["rules"][0]["selection"]["countNumber"], 30);
}

async fn new_table(sdk: &SdkConfig) -> (String, String) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let name = unique("soar-table");
    let created = aws_sdk_dynamodb::Client::new(sdk)
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let arn = created
        .table_description()
        .unwrap()
        .table_arn()
        .unwrap()
        .to_owned();
    (name, arn)
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn dynamodb_2_point_in_time_recovery() {
    let sdk = sdk().await;
    let (name, arn) = new_table(&sdk).await;
    let mut finding = finding_for("DynamoDB.2", "AwsDynamoDbTable", &arn);
    finding.aws_account_id = ACCOUNT.to_owned();
    remediate_twice(&sdk, &finding, Settings::default(), [4, 2]).await;
    let read = aws_sdk_dynamodb::Client::new(&sdk)
        .describe_continuous_backups()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    let status = read
        .continuous_backups_description()
        .and_then(|d| d.point_in_time_recovery_description())
        .and_then(|p| p.point_in_time_recovery_status());
    assert_eq!(
        status,
        Some(&aws_sdk_dynamodb::types::PointInTimeRecoveryStatus::Enabled)
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn dynamodb_6_deletion_protection() {
    let sdk = sdk().await;
    let (name, arn) = new_table(&sdk).await;
    let mut finding = finding_for("DynamoDB.6", "AwsDynamoDbTable", &arn);
    finding.aws_account_id = ACCOUNT.to_owned();
    remediate_twice(&sdk, &finding, Settings::default(), [3, 1]).await;
    let read = aws_sdk_dynamodb::Client::new(&sdk)
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        read.table().and_then(|t| t.deletion_protection_enabled()),
        Some(true)
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn missing_bucket_is_suppressed_not_ticketed() {
    let sdk = sdk().await;
    let registry = Registry::default();
    let (ctx, _) = recording_context(sdk.clone(), ACCOUNT);
    let report = remediate(
        registry.get("S3.8").unwrap(),
        &ctx,
        &bucket_finding("S3.8", &unique("soar-gone")),
        Mode::Apply,
    )
    .await;
    assert!(
        matches!(report.outcome, Outcome::Suppress { .. }),
        "{report:?}"
    );
}
