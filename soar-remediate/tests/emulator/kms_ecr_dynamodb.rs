//! The KMS, ECR and DynamoDB controls against moto.
//!
//! What moto cannot show is covered by the controls' mock tests instead:
//! multi-Region replica keys (moto's ReplicateKey answers PRIMARY for the
//! replica, and a replica shares one configuration object with its
//! primary, so describing the replica turns the primary into a REPLICA
//! too), and keys in a custom key store (moto has no custom key stores).

use soar_core::DestructiveControls;

use crate::support::*;

/// The Region of the ECR registry-scanning test. The registry's scanning
/// configuration is one per account and Region, shared by every test
/// against the same moto, so that test has a Region of its own: changing
/// the configuration in `us-east-1` would change what the other ECR tests
/// see.
const REGISTRY_TEST_REGION: &str = "ap-southeast-2";

fn in_own_account(mut finding: Finding) -> Finding {
    finding.aws_account_id = ACCOUNT.to_owned();
    finding
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn kms_4_key_rotation() {
    let sdk = sdk().await;
    let kms = aws_sdk_kms::Client::new(&sdk);
    let key = kms.create_key().send().await.unwrap();
    let arn = key.key_metadata().unwrap().arn().unwrap().to_owned();
    let finding = in_own_account(finding_for("KMS.4", "AwsKmsKey", &arn));
    // DescribeKey, GetKeyRotationStatus, EnableKeyRotation,
    // GetKeyRotationStatus; then DescribeKey, GetKeyRotationStatus.
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
async fn kms_4_imported_key_material_is_suppressed_and_not_changed() {
    let sdk = sdk().await;
    let kms = aws_sdk_kms::Client::new(&sdk);
    let key = kms
        .create_key()
        .origin(aws_sdk_kms::types::OriginType::External)
        .send()
        .await
        .unwrap();
    let arn = key.key_metadata().unwrap().arn().unwrap().to_owned();
    let finding = in_own_account(finding_for("KMS.4", "AwsKmsKey", &arn));
    let (report, calls) = remediate_in(&sdk, &here(), &finding).await;
    assert!(
        matches!(&report.outcome, Outcome::Suppress { reason }
            if reason.contains("imported key material (Origin EXTERNAL)")),
        "{report:?}"
    );
    assert_eq!(calls, ["kms:DescribeKey"]);
    let status = kms
        .get_key_rotation_status()
        .key_id(&arn)
        .send()
        .await
        .unwrap();
    assert!(!status.key_rotation_enabled(), "the key was changed");
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
    let finding = |control| in_own_account(finding_for(control, "AwsEcrRepository", &arn));

    // moto's registry uses basic scanning with no rules, so the repository's
    // own setting is the fix: DescribeRepositories,
    // GetRegistryScanningConfiguration, PutImageScanningConfiguration,
    // DescribeRepositories, GetRegistryScanningConfiguration; then the two
    // reads.
    remediate_twice(&sdk, &finding("ECR.1"), Settings::default(), [5, 2]).await;
    // DescribeRepositories, PutImageTagMutability, DescribeRepositories;
    // then DescribeRepositories.
    remediate_twice(&sdk, &finding("ECR.2"), Settings::default(), [3, 1]).await;

    // ECR.3 deletes images: without the destructive gate it is a ticket
    // with the plan, after one read and no write.
    let (gated, calls) = remediate_in(&sdk, &here(), &finding("ECR.3")).await;
    assert!(
        matches!(&gated.outcome, Outcome::Ticket { reason }
            if reason.contains("ECR.3 is destructive") && reason.contains("ecr:PutLifecyclePolicy")),
        "{gated:?}"
    );
    assert_eq!(calls, ["ecr:GetLifecyclePolicy"]);
    let allowed = Settings {
        destructive_controls: DestructiveControls::new(["ECR.3"]).unwrap(),
        ..Settings::default()
    };
    // GetLifecyclePolicy, PutLifecyclePolicy, GetLifecyclePolicy; then
    // GetLifecyclePolicy.
    remediate_twice(&sdk, &finding("ECR.3"), allowed, [3, 1]).await;

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

/// Sets the registry's scanning configuration: `scan_type` with one rule
/// of `frequency` for the wildcard `filter`, or no rule.
async fn set_registry_scanning(
    ecr: &aws_sdk_ecr::Client,
    scan_type: aws_sdk_ecr::types::ScanType,
    rule: Option<(aws_sdk_ecr::types::ScanFrequency, &str)>,
) {
    use aws_sdk_ecr::types::{
        RegistryScanningRule, ScanningRepositoryFilter, ScanningRepositoryFilterType,
    };
    // An explicit empty list for no rule: moto stores a missing `rules` as
    // null, fails the Put with a 500, and then every CreateRepository in
    // that Region.
    let mut put = ecr
        .put_registry_scanning_configuration()
        .scan_type(scan_type)
        .set_rules(Some(Vec::new()));
    if let Some((frequency, filter)) = rule {
        put = put.rules(
            RegistryScanningRule::builder()
                .scan_frequency(frequency)
                .repository_filters(
                    ScanningRepositoryFilter::builder()
                        .filter(filter)
                        .filter_type(ScanningRepositoryFilterType::Wildcard)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        );
    }
    put.send().await.unwrap();
}

/// Remediates `finding` once in `location`: the report and the IAM actions
/// of the calls made.
async fn remediate_in(
    sdk: &SdkConfig,
    location: &Location,
    finding: &Finding,
) -> (Report, Vec<String>) {
    let registry = Registry::default();
    let control = registry.get(finding.control_id().unwrap()).unwrap();
    let (ctx, calls) = recording_context(sdk.clone(), location.clone());
    let report = remediate(control, &ctx, finding, Mode::Apply).await;
    (report, calls.actions())
}

/// The repository's own scan-on-push setting.
async fn scans_on_push(ecr: &aws_sdk_ecr::Client, name: &str) -> Option<bool> {
    ecr.describe_repositories()
        .repository_names(name)
        .send()
        .await
        .unwrap()
        .repositories()[0]
        .image_scanning_configuration()
        .map(|c| c.scan_on_push())
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn ecr_1_follows_the_registry_scanning_rules() {
    use aws_sdk_ecr::types::{ScanFrequency, ScanType};
    let sdk = sdk().await;
    let there = Location::new(ACCOUNT, REGISTRY_TEST_REGION, "aws");
    let (setup, _) = recording_context(sdk.clone(), there.clone());
    let ecr = setup.ecr();
    let name = unique("soar/scanned");
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
    let mut finding = in_own_account(finding_for("ECR.1", "AwsEcrRepository", &arn));
    finding.region = Some(REGISTRY_TEST_REGION.to_owned());
    finding.resources[0].region = Some(REGISTRY_TEST_REGION.to_owned());
    let run = || remediate_in(&sdk, &there, &finding);
    let reads = [
        "ecr:DescribeRepositories",
        "ecr:GetRegistryScanningConfiguration",
    ];

    // Enhanced scanning with a rule for this repository: compliant, and
    // the repository's own setting stays off.
    set_registry_scanning(
        &ecr,
        ScanType::Enhanced,
        Some((ScanFrequency::ContinuousScan, &name)),
    )
    .await;
    let (report, calls) = run().await;
    assert_eq!(report.outcome, Outcome::AlreadyCompliant, "{report:?}");
    assert_eq!(calls, reads);

    // Basic scanning with a scan-on-push rule for it: compliant.
    set_registry_scanning(
        &ecr,
        ScanType::Basic,
        Some((ScanFrequency::ScanOnPush, "soar/scanned*")),
    )
    .await;
    let (report, calls) = run().await;
    assert_eq!(report.outcome, Outcome::AlreadyCompliant, "{report:?}");
    assert_eq!(calls, reads);

    // Enhanced scanning with no rule for it: the repository's own setting
    // would be ignored, so a person must decide, and nothing is written.
    set_registry_scanning(
        &ecr,
        ScanType::Enhanced,
        Some((ScanFrequency::ContinuousScan, "soar/none-of-these*")),
    )
    .await;
    let (report, calls) = run().await;
    assert!(
        matches!(&report.outcome, Outcome::Ticket { reason }
            if reason.contains("enhanced scanning and none of its rules matches")),
        "{report:?}"
    );
    assert_eq!(calls, reads);
    assert_eq!(scans_on_push(&ecr, &name).await, Some(false));

    // Back to moto's default, basic scanning and no rules (also so that
    // this Region is left as it was found): the repository's own setting
    // is the fix.
    set_registry_scanning(&ecr, ScanType::Basic, None).await;
    let (report, calls) = run().await;
    assert!(
        matches!(report.outcome, Outcome::Remediated { .. }),
        "{report:?}"
    );
    assert_eq!(calls.len(), 5, "{calls:?}");
    assert_eq!(scans_on_push(&ecr, &name).await, Some(true));
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
    let finding = in_own_account(finding_for("DynamoDB.2", "AwsDynamoDbTable", &arn));
    // ListTagsOfResource, DescribeContinuousBackups, UpdateContinuousBackups,
    // DescribeContinuousBackups; then the two reads.
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
    let finding = in_own_account(finding_for("DynamoDB.6", "AwsDynamoDbTable", &arn));
    // DescribeTable, UpdateTable, DescribeTable; then DescribeTable.
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
