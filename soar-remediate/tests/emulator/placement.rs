//! Remediations act in the finding's own account and Region, against moto's
//! several Regions and several accounts (moto serves each account whose
//! role is assumed through STS as a separate account).
//!
//! Each test puts a table where the finding says it is, and a table with the
//! same name where soar runs (moto's default account, `AWS_REGION`), then
//! remediates through [`remediate_finding`] with real sessions
//! ([`AssumeRoleSessions`] on moto's STS), and reads both tables back.

use std::sync::Arc;

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_types::region::Region;
use soar_core::aws::AssumeRoleSessions;
use soar_remediate::testkit::finding_for;
use soar_remediate::{remediate_finding, ContextFactory, Mode, Outcome, Registry};

use crate::support::*;

/// A member account, reached through the role below.
const MEMBER: &str = "222222222222";
const ROLE: &str = "soar-remediation";

/// The SDK configuration of `account` in `region`: the caller's own
/// credentials for moto's default account, the assumed role for another.
async fn config_in(account: &str, region: &str) -> SdkConfig {
    let base = sdk().await;
    let base = base
        .to_builder()
        .region(Region::new(region.to_owned()))
        .build();
    if account == ACCOUNT {
        return base;
    }
    let assumed = aws_sdk_sts::Client::new(&base)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/{ROLE}"))
        .role_session_name("soar-emulator-test")
        .send()
        .await
        .unwrap();
    let issued = assumed.credentials().unwrap();
    let credentials = Credentials::new(
        issued.access_key_id(),
        issued.secret_access_key(),
        Some(issued.session_token().to_owned()),
        None,
        "emulator-test",
    );
    base.to_builder()
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build()
}

/// Creates table `name`, without deletion protection, in `account` and `region`.
async fn create_table(account: &str, region: &str, name: &str) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    aws_sdk_dynamodb::Client::new(&config_in(account, region).await)
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .deletion_protection_enabled(false)
        .send()
        .await
        .unwrap();
}

/// Whether table `name` in `account` and `region` has deletion protection.
async fn is_protected(account: &str, region: &str, name: &str) -> bool {
    aws_sdk_dynamodb::Client::new(&config_in(account, region).await)
        .describe_table()
        .table_name(name)
        .send()
        .await
        .unwrap()
        .table()
        .and_then(|t| t.deletion_protection_enabled())
        .unwrap_or(false)
}

/// A DynamoDB.6 finding about table `name` in `account` and `region`, as a
/// delegated administrator in another Region receives it.
fn table_finding(account: &str, region: &str, name: &str) -> Finding {
    let arn = format!("arn:aws:dynamodb:{region}:{account}:table/{name}");
    let mut finding = finding_for("DynamoDB.6", "AwsDynamoDbTable", &arn);
    finding.aws_account_id = account.to_owned();
    finding.region = Some(region.to_owned());
    finding.resources[0].region = Some(region.to_owned());
    finding
}

/// Contexts as a deployment builds them: the caller's credentials from the
/// environment (moto's default account, `AWS_REGION` us-east-1), and the
/// role, if any, for other accounts.
async fn contexts(role: Option<&str>) -> ContextFactory {
    let base = sdk().await;
    let sessions = AssumeRoleSessions::new(
        base.clone(),
        aws_sdk_sts::Client::new(&base),
        role.map(str::to_owned),
    );
    ContextFactory::new(Arc::new(sessions))
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn a_table_in_another_region_is_fixed_in_its_own_region() {
    let name = unique("soar-placement-region");
    create_table(ACCOUNT, "eu-west-1", &name).await;
    create_table(ACCOUNT, "us-east-1", &name).await;
    let finding = table_finding(ACCOUNT, "eu-west-1", &name);

    let report = remediate_finding(
        &Registry::default(),
        &contexts(None).await,
        &finding,
        Mode::Apply,
    )
    .await;
    assert!(
        matches!(report.outcome, Outcome::Remediated { .. }),
        "{report:?}"
    );
    assert_eq!(
        report.location.as_ref().map(|l| l.region.as_str()),
        Some("eu-west-1")
    );
    assert!(is_protected(ACCOUNT, "eu-west-1", &name).await);
    assert!(
        !is_protected(ACCOUNT, "us-east-1", &name).await,
        "the same-named table in AWS_REGION is left alone"
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn a_table_in_another_account_is_fixed_through_the_assumed_role() {
    let name = unique("soar-placement-account");
    create_table(MEMBER, "eu-west-1", &name).await;
    create_table(ACCOUNT, "eu-west-1", &name).await;
    let finding = table_finding(MEMBER, "eu-west-1", &name);

    let contexts = contexts(Some(ROLE)).await;
    let report = remediate_finding(&Registry::default(), &contexts, &finding, Mode::Apply).await;
    assert!(
        matches!(report.outcome, Outcome::Remediated { .. }),
        "{report:?}"
    );
    assert!(is_protected(MEMBER, "eu-west-1", &name).await);
    assert!(
        !is_protected(ACCOUNT, "eu-west-1", &name).await,
        "the same-named table in the caller's account is left alone"
    );

    let again = remediate_finding(&Registry::default(), &contexts, &finding, Mode::Apply).await;
    assert_eq!(again.outcome, Outcome::AlreadyCompliant);
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn without_a_role_another_accounts_finding_is_a_ticket_and_nothing_changes() {
    let name = unique("soar-placement-norole");
    create_table(MEMBER, "eu-west-1", &name).await;
    create_table(ACCOUNT, "eu-west-1", &name).await;
    let finding = table_finding(MEMBER, "eu-west-1", &name);

    let report = remediate_finding(
        &Registry::default(),
        &contexts(None).await,
        &finding,
        Mode::Apply,
    )
    .await;
    let Outcome::Ticket { reason } = &report.outcome else {
        panic!("{report:?}")
    };
    assert!(
        reason.contains(&format!("account {MEMBER}")) && reason.contains("no role name"),
        "{reason}"
    );
    assert!(!is_protected(MEMBER, "eu-west-1", &name).await);
    assert!(
        !is_protected(ACCOUNT, "eu-west-1", &name).await,
        "the same-named table in the caller's account is left alone"
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn a_table_missing_where_the_finding_says_is_suppressed_but_never_one_missing_elsewhere() {
    // In its own place, a table that is gone resolves the finding.
    let name = unique("soar-placement-gone");
    let finding = table_finding(ACCOUNT, "eu-west-1", &name);
    let report = remediate_finding(
        &Registry::default(),
        &contexts(None).await,
        &finding,
        Mode::Apply,
    )
    .await;
    assert!(
        matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("ResourceNotFoundException")),
        "{report:?}"
    );

    // Looked up in AWS_REGION instead (a context built by hand in the wrong
    // Region), the same absence proves nothing: a ticket.
    let table = unique("soar-placement-elsewhere");
    create_table(ACCOUNT, "eu-west-1", &table).await;
    let finding = table_finding(ACCOUNT, "eu-west-1", &table);
    let registry = Registry::default();
    let control = registry.get("DynamoDB.6").unwrap();
    let (wrong_place, _) = recording_context(sdk().await, here());
    let report = soar_remediate::remediate(control, &wrong_place, &finding, Mode::Apply).await;
    assert!(
        matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains("proves nothing")),
        "{report:?}"
    );
    assert!(!is_protected(ACCOUNT, "eu-west-1", &table).await);
}
