//! The RDS controls against moto.
//!
//! moto applies every instance change at once, maintenance window or not,
//! so these tests read the applied state back; the window itself is
//! covered by the mock tests. moto does not model IAM authentication of
//! DB clusters (RDS.12 stays off whatever the request), so RDS.12 is
//! covered by its mock tests only.

use soar_core::DestructiveControls;

use crate::support::*;

fn rds(sdk: &SdkConfig) -> aws_sdk_rds::Client {
    aws_sdk_rds::Client::new(sdk)
}

/// Settings for moto: its databases are available at once, or nearly.
fn quick() -> Settings {
    Settings {
        rds_wait_delay_ms: 50,
        ..Settings::default()
    }
}

fn own(control: &str, resource_type: &str, kind: &str, name: &str) -> Finding {
    let arn = format!("arn:aws:rds:us-east-1:{ACCOUNT}:{kind}:{name}");
    let mut finding = finding_for(control, resource_type, &arn);
    finding.aws_account_id = ACCOUNT.to_owned();
    finding
}

async fn instance(sdk: &SdkConfig, id: &str) -> aws_sdk_rds::types::DbInstance {
    rds(sdk)
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
        .unwrap()
        .db_instances()[0]
        .clone()
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn rds_instance_controls_fix_a_neglected_mysql_instance() {
    let sdk = sdk().await;
    let id = unique("soar-db");
    let group = unique("soar-params");
    let client = rds(&sdk);
    client
        .create_db_parameter_group()
        .db_parameter_group_name(&group)
        .db_parameter_group_family("mysql8.0")
        .description("the owner's own parameters")
        .send()
        .await
        .unwrap();
    client
        .modify_db_parameter_group()
        .db_parameter_group_name(&group)
        .parameters(
            aws_sdk_rds::types::Parameter::builder()
                .parameter_name("max_connections")
                .parameter_value("500")
                .apply_method(aws_sdk_rds::types::ApplyMethod::Immediate)
                .build(),
        )
        .send()
        .await
        .unwrap();
    client
        .create_db_instance()
        .db_instance_identifier(&id)
        .engine("mysql")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("admin")
        .master_user_password("not-a-secret-1")
        .db_parameter_group_name(&group)
        .publicly_accessible(true)
        .multi_az(false)
        .backup_retention_period(0)
        .auto_minor_version_upgrade(false)
        .send()
        .await
        .unwrap();
    let finding = |control: &str| own(control, "AwsRdsDbInstance", "db", &id);

    // Each: DescribeDBInstances, ModifyDBInstance, DescribeDBInstances;
    // then DescribeDBInstances.
    for control in [
        "RDS.2", "RDS.5", "RDS.8", "RDS.10", "RDS.11", "RDS.13", "RDS.17",
    ] {
        remediate_twice(&sdk, &finding(control), quick(), [3, 1]).await;
    }
    let fixed = instance(&sdk, &id).await;
    assert_eq!(fixed.publicly_accessible(), Some(false));
    assert_eq!(fixed.multi_az(), Some(true));
    assert_eq!(fixed.deletion_protection(), Some(true));
    assert_eq!(fixed.iam_database_authentication_enabled(), Some(true));
    assert_eq!(fixed.backup_retention_period(), Some(7));
    assert_eq!(fixed.auto_minor_version_upgrade(), Some(true));
    assert_eq!(fixed.copy_tags_to_snapshot(), Some(true));

    // RDS.6: DescribeDBInstances, GetRole, (CreateRole, AttachRolePolicy,)
    // ModifyDBInstance, DescribeDBInstances; then DescribeDBInstances.
    let iam = aws_sdk_iam::Client::new(&sdk);
    let made_before = iam
        .get_role()
        .role_name("soar-rds-monitoring")
        .send()
        .await
        .is_ok();
    let calls = if made_before { 4 } else { 6 };
    remediate_twice(&sdk, &finding("RDS.6"), quick(), [calls, 1]).await;
    let fixed = instance(&sdk, &id).await;
    assert_eq!(fixed.monitoring_interval(), Some(60));
    assert_eq!(
        fixed.monitoring_role_arn(),
        Some(format!("arn:aws:iam::{ACCOUNT}:role/soar-rds-monitoring").as_str())
    );
    let role = iam
        .get_role()
        .role_name("soar-rds-monitoring")
        .send()
        .await
        .unwrap();
    assert!(role
        .role()
        .unwrap()
        .assume_role_policy_document()
        .is_some_and(|p| p.contains("monitoring.rds.amazonaws.com")));

    // RDS.9 on the owner's group: DescribeDBInstances, DescribeDBParameters,
    // ModifyDBParameterGroup, ModifyDBInstance, DescribeDBInstances; then
    // DescribeDBInstances, DescribeDBParameters.
    remediate_twice(&sdk, &finding("RDS.9"), quick(), [5, 2]).await;
    let fixed = instance(&sdk, &id).await;
    let mut exports = fixed.enabled_cloudwatch_logs_exports().to_vec();
    exports.sort();
    assert_eq!(exports, ["audit", "error", "general", "slowquery"]);
    assert_eq!(
        fixed.db_parameter_groups()[0].db_parameter_group_name(),
        Some(group.as_str()),
        "a custom group is kept"
    );
    let parameters = client
        .describe_db_parameters()
        .db_parameter_group_name(&group)
        .send()
        .await
        .unwrap();
    let value = |name: &str| {
        parameters
            .parameters()
            .iter()
            .find(|p| p.parameter_name() == Some(name))
            .and_then(|p| p.parameter_value())
            .map(str::to_owned)
    };
    assert_eq!(value("general_log").as_deref(), Some("1"));
    assert_eq!(value("slow_query_log").as_deref(), Some("1"));
    assert_eq!(value("log_output").as_deref(), Some("FILE"));
    assert_eq!(
        value("max_connections").as_deref(),
        Some("500"),
        "the owner's parameter is kept"
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn rds_cluster_controls_protect_a_cluster_and_copy_its_tags() {
    let sdk = sdk().await;
    let id = unique("soar-cluster");
    rds(&sdk)
        .create_db_cluster()
        .db_cluster_identifier(&id)
        .engine("aurora-postgresql")
        .master_username("admin")
        .master_user_password("not-a-secret-1")
        .send()
        .await
        .unwrap();
    // moto answers CreateDBCluster with `creating`, and reads with
    // `available`. Each: DescribeDBClusters, ModifyDBCluster,
    // DescribeDBClusters; then DescribeDBClusters.
    for control in ["RDS.7", "RDS.16"] {
        let finding = own(control, "AwsRdsDbCluster", "cluster", &id);
        remediate_twice(&sdk, &finding, quick(), [3, 1]).await;
    }
    let cluster = rds(&sdk)
        .describe_db_clusters()
        .db_cluster_identifier(&id)
        .send()
        .await
        .unwrap()
        .db_clusters()[0]
        .clone();
    assert_eq!(cluster.deletion_protection(), Some(true));
    assert_eq!(cluster.copy_tags_to_snapshot(), Some(true));
}

async fn snapshot_of_a_new_instance(sdk: &SdkConfig) -> (String, String) {
    let db = unique("soar-snapdb");
    let client = rds(sdk);
    client
        .create_db_instance()
        .db_instance_identifier(&db)
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("admin")
        .master_user_password("not-a-secret-1")
        .send()
        .await
        .unwrap();
    let snapshot = format!("{db}-final");
    client
        .create_db_snapshot()
        .db_instance_identifier(&db)
        .db_snapshot_identifier(&snapshot)
        .send()
        .await
        .unwrap();
    (db, snapshot)
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn rds_1_stops_public_sharing_of_a_snapshot_and_keeps_named_accounts() {
    let sdk = sdk().await;
    let (_, snapshot) = snapshot_of_a_new_instance(&sdk).await;
    let client = rds(&sdk);
    client
        .modify_db_snapshot_attribute()
        .db_snapshot_identifier(&snapshot)
        .attribute_name("restore")
        .values_to_add("all")
        .values_to_add("222222222222")
        .send()
        .await
        .unwrap();
    let finding = own("RDS.1", "AwsRdsDbSnapshot", "snapshot", &snapshot);
    // DescribeDBSnapshotAttributes, ModifyDBSnapshotAttribute,
    // DescribeDBSnapshotAttributes; then DescribeDBSnapshotAttributes.
    remediate_twice(&sdk, &finding, quick(), [3, 1]).await;
    let attributes = client
        .describe_db_snapshot_attributes()
        .db_snapshot_identifier(&snapshot)
        .send()
        .await
        .unwrap();
    let restorers = attributes
        .db_snapshot_attributes_result()
        .unwrap()
        .db_snapshot_attributes()[0]
        .attribute_values()
        .to_vec();
    assert_eq!(restorers, ["222222222222"]);
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn rds_4_replaces_a_snapshot_with_an_encrypted_copy_only_when_allowed() {
    let sdk = sdk().await;
    let client = rds(&sdk);
    let registry = Registry::default();
    let control = registry.get("RDS.4").unwrap();
    let encrypted = |id: String| {
        let client = client.clone();
        async move {
            client
                .describe_db_snapshots()
                .db_snapshot_identifier(id)
                .send()
                .await
                .ok()
                .and_then(|o| o.db_snapshots().first().and_then(|s| s.encrypted()))
        }
    };

    // Not allowed: the copy is made, both are kept, and a second run makes
    // no second copy.
    let (_, kept) = snapshot_of_a_new_instance(&sdk).await;
    let finding = own("RDS.4", "AwsRdsDbSnapshot", "snapshot", &kept);
    for run in 1..=2 {
        let (ctx, calls) = recording_context(sdk.clone(), here());
        let report = remediate(control, &ctx.with_settings(quick()), &finding, Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains("is kept because destructive_controls")),
            "run {run}: {report:?}"
        );
        assert_least_privilege(control.meta(), &calls);
        let copies = calls
            .actions()
            .iter()
            .filter(|a| *a == "rds:CopyDBSnapshot")
            .count();
        assert_eq!(
            copies,
            if run == 1 { 1 } else { 0 },
            "run {run}: {:?}",
            calls.actions()
        );
    }
    assert_eq!(
        encrypted(kept.clone()).await,
        Some(false),
        "the original is kept"
    );
    assert_eq!(encrypted(format!("{kept}-encrypted")).await, Some(true));

    // Allowed: copied, verified, the original deleted; the finding's
    // snapshot is then gone, and a second run suppresses it, writing
    // nothing.
    let (_, replaced) = snapshot_of_a_new_instance(&sdk).await;
    let finding = own("RDS.4", "AwsRdsDbSnapshot", "snapshot", &replaced);
    let allowed = Settings {
        destructive_controls: DestructiveControls::new(["RDS.4"]).unwrap(),
        ..quick()
    };
    let (ctx, calls) = recording_context(sdk.clone(), here());
    let report = remediate(
        control,
        &ctx.with_settings(allowed.clone()),
        &finding,
        Mode::Apply,
    )
    .await;
    assert!(
        matches!(report.outcome, Outcome::Remediated { .. }),
        "{report:?}"
    );
    assert_least_privilege(control.meta(), &calls);
    assert_eq!(
        encrypted(replaced.clone()).await,
        None,
        "the original is deleted"
    );
    assert_eq!(encrypted(format!("{replaced}-encrypted")).await, Some(true));
    let (ctx, calls) = recording_context(sdk.clone(), here());
    let report = remediate(control, &ctx.with_settings(allowed), &finding, Mode::Apply).await;
    assert!(
        matches!(report.outcome, Outcome::Suppress { .. }),
        "{report:?}"
    );
    assert!(
        calls.actions().iter().all(|a| !is_write(a)),
        "{:?}",
        calls.actions()
    );
}
