//! `soar remediate` end to end: the binary against moto, on a real
//! published S3.8 finding pointed at a bucket the test creates.
//!
//! Run by `scripts/test-all.sh` with the emulator up; `#[ignore]`d
//! otherwise.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use serde_json::Value;

fn soar(args: &[&str]) -> (i32, Value, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_soar"))
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (
        output.status.code().unwrap_or(-1),
        json,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn remediate_fixes_a_real_finding_then_finds_it_compliant() {
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "run scripts/test-all.sh"
    );
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let bucket = format!("soar-cli-e2e-{nanos}");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();

    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/asff/securityhub-fsbp-s3-8-failed.json"
    );
    // The published finding is from account 111111111111; moto serves the
    // caller as 123456789012, so move the finding there: soar only acts in
    // the account a finding names.
    let finding = std::fs::read_to_string(fixture)
        .unwrap()
        .replace("arn:aws:s3:::example", &format!("arn:aws:s3:::{bucket}"))
        .replace("111111111111", "123456789012");
    let path = std::env::temp_dir().join(format!("{bucket}.json"));
    std::fs::write(&path, finding).unwrap();
    let path = path.to_str().unwrap();

    let (code, planned, stderr) = soar(&["remediate", "--finding", path, "--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(planned["outcome"], "planned");
    assert!(
        s3.get_public_access_block()
            .bucket(&bucket)
            .send()
            .await
            .is_err(),
        "a dry run changes nothing"
    );

    let (code, fixed, stderr) = soar(&["remediate", "--finding", path]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        (fixed["control_id"].as_str(), fixed["outcome"].as_str()),
        (Some("S3.8"), Some("remediated")),
        "{fixed}"
    );
    assert_eq!(fixed["resource"], bucket.as_str());
    let read = s3
        .get_public_access_block()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(
        read.public_access_block_configuration()
            .and_then(|c| c.restrict_public_buckets()),
        Some(true)
    );

    let (code, again, _) = soar(&["remediate", "--finding", path]);
    assert_eq!(
        (code, again["outcome"].as_str()),
        (0, Some("already_compliant"))
    );

    let (code, _, stderr) = soar(&["remediate", "--finding", "/nonexistent.json"]);
    assert_eq!(code, 2, "{stderr}");
}

/// Creates table `name` in moto's `account` (through an assumed role for an
/// account other than the default one) in eu-west-1, and returns its client.
async fn table_in(account: &str, name: &str) -> aws_sdk_dynamodb::Client {
    use aws_credential_types::provider::SharedCredentialsProvider;
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let base = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("eu-west-1"))
        .load()
        .await;
    let sdk = if account == "123456789012" {
        base
    } else {
        let assumed = aws_sdk_sts::Client::new(&base)
            .assume_role()
            .role_arn(format!("arn:aws:iam::{account}:role/soar-remediation"))
            .role_session_name("soar-cli-test")
            .send()
            .await
            .unwrap();
        let c = assumed.credentials().unwrap();
        let credentials = aws_credential_types::Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_owned()),
            None,
            "soar-cli-test",
        );
        base.to_builder()
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build()
    };
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    client
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
        .send()
        .await
        .unwrap();
    client
}

async fn protected(client: &aws_sdk_dynamodb::Client, name: &str) -> bool {
    client
        .describe_table()
        .table_name(name)
        .send()
        .await
        .unwrap()
        .table()
        .and_then(|t| t.deletion_protection_enabled())
        .unwrap_or(false)
}

/// A Security Hub event with one DynamoDB.6 finding per table, each in
/// account 222222222222 and eu-west-1, while the CLI runs as moto's default
/// account with `AWS_REGION=us-east-1`.
fn member_event(tables: &[&str]) -> String {
    let arns: Vec<String> = tables
        .iter()
        .map(|name| format!("arn:aws:dynamodb:eu-west-1:222222222222:table/{name}"))
        .collect();
    let findings: Vec<(&str, &str, &str)> = arns
        .iter()
        .map(|arn| ("DynamoDB.6", "AwsDynamoDbTable", arn.as_str()))
        .collect();
    event_in("222222222222", "eu-west-1", &findings)
}

/// A Security Hub event (received in moto's account and us-east-1) of one
/// failed finding per `(control, resource type, resource ARN)`, each in
/// `account` and `region`.
fn event_in(account: &str, region: &str, findings: &[(&str, &str, &str)]) -> String {
    let findings: Vec<Value> = findings
        .iter()
        .map(|(control, resource_type, arn)| {
            serde_json::json!({
                "SchemaVersion": "2018-10-08",
                "Id": format!("arn:aws:securityhub:{region}:{account}:security-control/{control}/finding/{arn}"),
                "ProductArn": format!("arn:aws:securityhub:{region}::product/aws/securityhub"),
                "GeneratorId": format!("security-control/{control}"),
                "AwsAccountId": account,
                "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
                "CreatedAt": "2026-01-01T00:00:00Z",
                "UpdatedAt": "2026-01-01T00:00:00Z",
                "Severity": {"Label": "MEDIUM"},
                "Title": control,
                "Description": control,
                "Region": region,
                "Resources": [{
                    "Type": resource_type,
                    "Id": arn,
                    "Partition": "aws",
                    "Region": region
                }],
                "Compliance": {"Status": "FAILED", "SecurityControlId": control},
                "Workflow": {"Status": "NEW"},
                "RecordState": "ACTIVE"
            })
        })
        .collect();
    serde_json::json!({
        "version": "0",
        "id": "e-1",
        "detail-type": "Security Hub Findings - Imported",
        "source": "aws.securityhub",
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"findings": findings}
    })
    .to_string()
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn remediate_acts_in_each_findings_account_only_through_the_role() {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let (first, second) = (format!("soar-cli-a-{nanos}"), format!("soar-cli-b-{nanos}"));
    let member_a = table_in("222222222222", &first).await;
    table_in("222222222222", &second).await;
    let callers = table_in("123456789012", &first).await;
    let path = std::env::temp_dir().join(format!("{first}.json"));
    std::fs::write(&path, member_event(&[&first, &second])).unwrap();
    let path = path.to_str().unwrap();

    // No role: every finding of the event is a ticket naming the account,
    // printed as one JSON object per line, and nothing changes anywhere.
    let output = Command::new(env!("CARGO_BIN_EXE_soar"))
        .args(["remediate", "--finding", path])
        .env_remove("SOAR_ROLE_NAME")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let reports: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(reports.len(), 2, "{stdout}");
    for report in &reports {
        assert_eq!(report["outcome"], "ticket", "{report}");
        assert_eq!(report["account_id"], "222222222222");
        assert!(
            report["reason"]
                .as_str()
                .unwrap()
                .contains("account 222222222222"),
            "{report}"
        );
    }
    assert!(!protected(&member_a, &first).await);
    assert!(!protected(&callers, &first).await);

    // With the role (from SOAR_ROLE_NAME), each table is fixed in its own
    // account and Region; the caller's same-named table is left alone.
    let output = Command::new(env!("CARGO_BIN_EXE_soar"))
        .args(["remediate", "--finding", path])
        .env("SOAR_ROLE_NAME", "soar-remediation")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    for line in stdout.lines() {
        let report: Value = serde_json::from_str(line).unwrap();
        assert_eq!(report["outcome"], "remediated", "{report}");
        assert_eq!(report["region"], "eu-west-1");
    }
    assert!(protected(&member_a, &first).await);
    assert!(!protected(&callers, &first).await);
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn process_on_aws_reads_the_real_record_store() {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
        ScalarAttributeType,
    };
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let table = format!("soar-cli-tickets-{nanos}");
    dynamodb
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("finding_id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("finding_id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/findings/s3-8-block-public-access-failed.json"
    );
    let finding: Value = serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    let finding_id = finding["detail"]["findings"][0]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    // An open ticket for the finding, as soar-update would have written it.
    dynamodb
        .put_item()
        .table_name(&table)
        .item("finding_id", AttributeValue::S(finding_id))
        .item("ticket_id", AttributeValue::S("SOAR-42".into()))
        .item("opened_at", AttributeValue::N("1700000000".into()))
        .send()
        .await
        .unwrap();
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/config.json");
    let output = Command::new(env!("CARGO_BIN_EXE_soar"))
        .args(["process", "--aws", "--finding", fixture, "--config", config])
        .env("SOAR_ORGANIZATIONS", "false")
        .env("SOAR_TICKETS_TABLE", &table)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let pad: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(pad["db"]["ticket"]["ticket_id"], "SOAR-42", "{pad}");
    assert_eq!(pad["decision"], "failed_control");
    assert_eq!(pad["account"]["team"], "payments");
}

/// The outcome of each report `soar remediate` prints, one per line.
fn outcomes(path: &str) -> Vec<(String, String)> {
    outcomes_of(&["remediate", "--finding", path])
}

/// The control IDs and outcomes `soar` prints for `args`, one report a line.
fn outcomes_of(args: &[&str]) -> Vec<(String, String)> {
    let output = Command::new(env!("CARGO_BIN_EXE_soar"))
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    stdout
        .lines()
        .map(|line| {
            let report: Value = serde_json::from_str(line).unwrap();
            (
                report["control_id"].as_str().unwrap().to_owned(),
                report["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn remediate_fixes_a_control_of_each_newer_service() {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.90.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_owned();
    let mut subnets = Vec::new();
    for (n, zone) in ["us-east-1a", "us-east-1b"].iter().enumerate() {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .availability_zone(*zone)
            .cidr_block(format!("10.90.{n}.0/24"))
            .send()
            .await
            .unwrap();
        subnets.push(subnet.subnet().unwrap().subnet_id().unwrap().to_owned());
    }
    ec2.modify_subnet_attribute()
        .subnet_id(&subnets[0])
        .map_public_ip_on_launch(
            aws_sdk_ec2::types::AttributeBooleanValue::builder()
                .value(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let balancer = aws_sdk_elasticloadbalancingv2::Client::new(&sdk)
        .create_load_balancer()
        .name(format!("soar-cli-{nanos}"))
        .set_subnets(Some(subnets.clone()))
        .send()
        .await
        .unwrap();
    let balancer_arn = balancer.load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_owned();
    let cluster = aws_sdk_ecs::Client::new(&sdk)
        .create_cluster()
        .cluster_name(format!("soar-cli-{nanos}"))
        .send()
        .await
        .unwrap();
    let cluster_arn = cluster.cluster().unwrap().cluster_arn().unwrap().to_owned();
    let database = aws_sdk_rds::Client::new(&sdk)
        .create_db_instance()
        .db_instance_identifier(format!("soar-cli-{nanos}"))
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("admin")
        .master_user_password("not-a-secret-1")
        .auto_minor_version_upgrade(false)
        .send()
        .await
        .unwrap();
    let database_arn = database
        .db_instance()
        .unwrap()
        .db_instance_arn()
        .unwrap()
        .to_owned();

    let subnet_arn = format!("arn:aws:ec2:us-east-1:123456789012:subnet/{}", subnets[0]);
    let event = event_in(
        "123456789012",
        "us-east-1",
        &[
            ("EC2.15", "AwsEc2Subnet", &subnet_arn),
            ("ELB.6", "AwsElbv2LoadBalancer", &balancer_arn),
            ("ECS.12", "AwsEcsCluster", &cluster_arn),
            ("RDS.13", "AwsRdsDbInstance", &database_arn),
        ],
    );
    let path = std::env::temp_dir().join(format!("soar-cli-services-{nanos}.json"));
    std::fs::write(&path, event).unwrap();
    let path = path.to_str().unwrap();

    let expect = |outcome: &str| -> Vec<(String, String)> {
        ["EC2.15", "ELB.6", "ECS.12", "RDS.13"]
            .iter()
            .map(|control| ((*control).to_owned(), outcome.to_owned()))
            .collect()
    };
    assert_eq!(outcomes(path), expect("remediated"));
    assert_eq!(outcomes(path), expect("already_compliant"));
    let subnet = ec2
        .describe_subnets()
        .subnet_ids(&subnets[0])
        .send()
        .await
        .unwrap();
    assert_eq!(subnet.subnets()[0].map_public_ip_on_launch(), Some(false));
}

/// `soar remediate --settings FILE` on `path`: the control IDs and outcomes.
fn outcomes_with(path: &str, settings: &str) -> Vec<(String, String)> {
    outcomes_of(&["remediate", "--finding", path, "--settings", settings])
}

/// Every RDS ID, and the IAM password-policy IDs, through `soar remediate`:
/// fixed, then `already_compliant`. Not here: RDS.12 (moto does not model
/// cluster IAM authentication; its mock tests cover it), RDS.4's second run
/// (the original is deleted, so the finding is suppressed: the library's
/// emulator test checks that), and IAM.3, IAM.8 and IAM.22, which judge
/// the age of keys moto makes now (the library's emulator test runs them
/// with a clock 100 days on).
#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn remediate_fixes_each_rds_and_password_policy_control() {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let rds = aws_sdk_rds::Client::new(&sdk);
    let group = format!("soar-cli-params-{nanos}");
    rds.create_db_parameter_group()
        .db_parameter_group_name(&group)
        .db_parameter_group_family("mysql8.0")
        .description("the owner's")
        .send()
        .await
        .unwrap();
    let db = format!("soar-cli-mysql-{nanos}");
    rds.create_db_instance()
        .db_instance_identifier(&db)
        .engine("mysql")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("admin")
        .master_user_password("not-a-secret-1")
        .db_parameter_group_name(&group)
        .publicly_accessible(true)
        .backup_retention_period(0)
        .auto_minor_version_upgrade(false)
        .send()
        .await
        .unwrap();
    let cluster = format!("soar-cli-cluster-{nanos}");
    rds.create_db_cluster()
        .db_cluster_identifier(&cluster)
        .engine("aurora-postgresql")
        .master_username("admin")
        .master_user_password("not-a-secret-1")
        .send()
        .await
        .unwrap();
    let (public, unencrypted) = (format!("{db}-public"), format!("{db}-plain"));
    for snapshot in [&public, &unencrypted] {
        rds.create_db_snapshot()
            .db_instance_identifier(&db)
            .db_snapshot_identifier(snapshot)
            .send()
            .await
            .unwrap();
    }
    rds.modify_db_snapshot_attribute()
        .db_snapshot_identifier(&public)
        .attribute_name("restore")
        .values_to_add("all")
        .send()
        .await
        .unwrap();
    let iam = aws_sdk_iam::Client::new(&sdk);
    // The account's policy may be there from another test: start without.
    let _ = iam.delete_account_password_policy().send().await;

    let arn = |kind: &str, name: &str| format!("arn:aws:rds:us-east-1:123456789012:{kind}:{name}");
    let (db_arn, cluster_arn) = (arn("db", &db), arn("cluster", &cluster));
    let (public_arn, plain_arn) = (arn("snapshot", &public), arn("snapshot", &unencrypted));
    let account = "AWS::::Account:123456789012".to_owned();
    let mut findings: Vec<(&str, &str, &str)> = [
        "RDS.2", "RDS.5", "RDS.6", "RDS.8", "RDS.9", "RDS.10", "RDS.11", "RDS.13", "RDS.17",
    ]
    .iter()
    .map(|id| (*id, "AwsRdsDbInstance", db_arn.as_str()))
    .collect();
    findings.push(("RDS.7", "AwsRdsDbCluster", &cluster_arn));
    findings.push(("RDS.16", "AwsRdsDbCluster", &cluster_arn));
    findings.push(("RDS.1", "AwsRdsDbSnapshot", &public_arn));
    let password_ids = [
        "IAM.7", "IAM.10", "IAM.11", "IAM.12", "IAM.13", "IAM.14", "IAM.15", "IAM.16", "IAM.17",
    ];
    for id in password_ids {
        findings.push((id, "AwsAccount", &account));
    }
    let path = std::env::temp_dir().join(format!("soar-cli-rds-iam-{nanos}.json"));
    std::fs::write(&path, event_in("123456789012", "us-east-1", &findings)).unwrap();
    let path = path.to_str().unwrap();
    let settings = std::env::temp_dir().join(format!("soar-cli-rds-settings-{nanos}.json"));
    std::fs::write(
        &settings,
        r#"{"rds_wait_delay_ms": 50, "destructive_controls": ["RDS.4"]}"#,
    )
    .unwrap();
    let settings = settings.to_str().unwrap();

    // The first password control sets the account's policy; the others of
    // the same account then find it done.
    let first: Vec<(String, String)> = findings
        .iter()
        .map(|(id, _, _)| {
            let outcome = if id.starts_with("IAM.") && *id != "IAM.7" {
                "already_compliant"
            } else {
                "remediated"
            };
            ((*id).to_owned(), outcome.to_owned())
        })
        .collect();
    assert_eq!(outcomes_with(path, settings), first);
    let again: Vec<(String, String)> = findings
        .iter()
        .map(|(id, _, _)| ((*id).to_owned(), "already_compliant".to_owned()))
        .collect();
    assert_eq!(outcomes_with(path, settings), again);

    // RDS.4, allowed: the encrypted copy replaces the original.
    let rds_4 = std::env::temp_dir().join(format!("soar-cli-rds-4-{nanos}.json"));
    std::fs::write(
        &rds_4,
        event_in(
            "123456789012",
            "us-east-1",
            &[("RDS.4", "AwsRdsDbSnapshot", &plain_arn)],
        ),
    )
    .unwrap();
    let rds_4 = rds_4.to_str().unwrap();
    let (code, report, stderr) = soar(&["remediate", "--finding", rds_4, "--settings", settings]);
    assert_eq!(
        (code, report["outcome"].as_str()),
        (0, Some("remediated")),
        "{report} {stderr}"
    );
    let copy = rds
        .describe_db_snapshots()
        .db_snapshot_identifier(format!("{unencrypted}-encrypted"))
        .send()
        .await
        .unwrap();
    assert_eq!(copy.db_snapshots()[0].encrypted(), Some(true));
    let (_, report, _) = soar(&["remediate", "--finding", rds_4, "--settings", settings]);
    assert_eq!(report["outcome"], "suppressed", "{report}");

    let fixed = rds
        .describe_db_instances()
        .db_instance_identifier(&db)
        .send()
        .await
        .unwrap();
    let fixed = &fixed.db_instances()[0];
    assert_eq!(fixed.publicly_accessible(), Some(false));
    assert_eq!(fixed.backup_retention_period(), Some(7));
    assert_eq!(fixed.monitoring_interval(), Some(60));
    let policy = iam.get_account_password_policy().send().await.unwrap();
    assert_eq!(
        policy.password_policy().unwrap().minimum_password_length(),
        Some(14)
    );
}

/// The native GuardDuty event of the published fixture, about `instance`
/// in moto's account, at HIGH severity (contain).
fn guardduty_event_about(instance: &str) -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/eventbridge/guardduty-finding-backdoor-ec2-cc-activity-dns.json"
    );
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    event["account"] = "123456789012".into();
    event["detail"]["accountId"] = "123456789012".into();
    event["detail"]["severity"] = 8.into();
    event["detail"]["id"] = format!("incident-{instance}").into();
    event["detail"]["arn"] =
        format!("arn:aws:guardduty:us-east-1:123456789012:detector/d/finding/incident-{instance}")
            .into();
    event["detail"]["resource"]["instanceDetails"]["instanceId"] = instance.into();
    let file = std::env::temp_dir().join(format!("soar-incident-{instance}.json"));
    std::fs::write(&file, event.to_string()).unwrap();
    file.to_string_lossy().into_owned()
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn incident_quarantines_the_instance_of_a_native_guardduty_event() {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.77.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc = vpc.vpc().unwrap().vpc_id().unwrap().to_owned();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.77.1.0/24")
        .send()
        .await
        .unwrap();
    let run = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .min_count(1)
        .max_count(1)
        .subnet_id(subnet.subnet().unwrap().subnet_id().unwrap())
        .send()
        .await
        .unwrap();
    let instance = run.instances()[0].instance_id().unwrap().to_owned();
    let event = guardduty_event_about(&instance);

    let (code, planned, stderr) = soar(&["incident", "--finding", &event, "--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        planned["classification"]["response"], "contain",
        "{planned}"
    );
    assert_eq!(planned["playbook"]["outcome"], "planned", "{planned}");
    let steps: Vec<&str> = planned["playbook"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["change"]["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "tag_instance",
            "snapshot_volume",
            "quarantine_group",
            "isolate_interface",
            "keep_volumes"
        ]
    );

    let (code, contained, stderr) = soar(&["incident", "--finding", &event]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(contained["playbook"]["outcome"], "contained", "{contained}");
    assert_eq!(
        contained["playbook"]["account_id"],
        Value::Null,
        "the location is nested"
    );
    assert_eq!(
        contained["playbook"]["location"]["account_id"],
        "123456789012"
    );
    let described = ec2
        .describe_instances()
        .instance_ids(&instance)
        .send()
        .await
        .unwrap();
    let groups = &described.reservations()[0].instances()[0].network_interfaces()[0];
    let names: Vec<&str> = groups
        .groups()
        .iter()
        .filter_map(|g| g.group_name())
        .collect();
    assert_eq!(names, ["soar-quarantine"]);

    let (_, again, _) = soar(&["incident", "--finding", &event]);
    assert_eq!(
        again["playbook"]["steps"],
        Value::Array(Vec::new()),
        "{again}"
    );
}
