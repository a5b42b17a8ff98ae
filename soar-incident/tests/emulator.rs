//! The containment playbooks against moto's server mode on 127.0.0.1
//! (scripts/test-all.sh starts it and sets `AWS_ENDPOINT_URL`): each test
//! makes the resources, runs the playbook through a `ContextFactory` as a
//! deployment does, reads the resources back, and runs it again to show
//! that a contained resource needs nothing more.

// Setup that fails is a broken emulator, not a finding to handle.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use aws_config::BehaviorVersion;
use aws_sdk_ec2::types::{Filter, InstanceAttributeName};
use aws_types::SdkConfig;
use soar_asff::{
    AwsIamAccessKeyDetails, Finding, Resource, ResourceDetails, Severity, SeverityLabel,
};
use soar_core::aws::AmbientSessions;
use soar_incident::playbook::{StepStatus, INCIDENT_TAG};
use soar_incident::{
    respond, ContainmentSettings, IncidentConfig, PlaybookOutcome, PlaybookReport,
};
use soar_remediate::iam::OperationRecorder;
use soar_remediate::{ContextFactory, Mode};

/// moto's default account.
const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

async fn sdk() -> SdkConfig {
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "AWS_ENDPOINT_URL must point at the emulator; run scripts/test-all.sh"
    );
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}-{nanos}")
}

fn guardduty(finding_type: &str, label: SeverityLabel, resources: Vec<Resource>) -> Finding {
    Finding {
        schema_version: "2018-10-08".to_owned(),
        id: unique(&format!(
            "arn:aws:guardduty:{REGION}:{ACCOUNT}:detector/d/finding"
        )),
        product_arn: format!("arn:aws:securityhub:{REGION}::product/aws/guardduty"),
        generator_id: format!("arn:aws:guardduty:{REGION}:{ACCOUNT}:detector/d"),
        aws_account_id: ACCOUNT.to_owned(),
        types: Some(vec![format!("TTPs/{finding_type}")]),
        created_at: "2026-12-01T00:00:00Z".to_owned(),
        updated_at: "2026-12-01T00:00:00Z".to_owned(),
        severity: Some(Severity::from_label(label)),
        title: finding_type.to_owned(),
        description: "emulator".to_owned(),
        region: Some(REGION.to_owned()),
        resources,
        ..Finding::default()
    }
}

fn resource(resource_type: &str, id: &str) -> Resource {
    Resource {
        resource_type: resource_type.to_owned(),
        id: id.to_owned(),
        partition: Some("aws".to_owned()),
        region: Some(REGION.to_owned()),
        ..Resource::default()
    }
}

/// Responds as a deployment does, in moto's account, recording the calls.
async fn respond_with(
    sdk: &SdkConfig,
    finding: &Finding,
    config: &IncidentConfig,
) -> (PlaybookReport, OperationRecorder) {
    let recorder = OperationRecorder::new();
    let contexts = ContextFactory::new(Arc::new(AmbientSessions::new(sdk.clone(), ACCOUNT)))
        .with_interceptor(recorder.interceptor());
    let report = respond(finding, config, &contexts, Mode::Apply).await;
    let undeclared = recorder.undeclared(&soar_incident::playbook::iam_actions());
    assert!(undeclared.is_empty(), "undeclared: {undeclared:?}");
    (report.playbook, recorder)
}

fn done(report: &PlaybookReport) -> usize {
    report
        .steps
        .iter()
        .filter(|s| matches!(s.status, StepStatus::Done { .. }))
        .count()
}

/// A VPC with a subnet and a web security group open to the world.
async fn network(ec2: &aws_sdk_ec2::Client) -> (String, String, String) {
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.42.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc = vpc.vpc().unwrap().vpc_id().unwrap().to_owned();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.42.1.0/24")
        .send()
        .await
        .unwrap();
    let subnet = subnet.subnet().unwrap().subnet_id().unwrap().to_owned();
    let web = ec2
        .create_security_group()
        .group_name(unique("web"))
        .description("web")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    (vpc, subnet, web.group_id().unwrap().to_owned())
}

/// A protected instance in `subnet` with a second volume attached.
async fn new_instance(ec2: &aws_sdk_ec2::Client, subnet: &str, group: &str) -> String {
    let run = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .min_count(1)
        .max_count(1)
        // The groups on the interface: moto adds an instance's own
        // `SecurityGroupIds` to every interface's groups, whatever they are
        // changed to, where EC2 keeps them the primary interface's.
        .network_interfaces(
            aws_sdk_ec2::types::InstanceNetworkInterfaceSpecification::builder()
                .device_index(0)
                .subnet_id(subnet)
                .groups(group)
                .build(),
        )
        .disable_api_termination(true)
        .send()
        .await
        .unwrap();
    let instance = run.instances()[0].clone();
    let id = instance.instance_id().unwrap().to_owned();
    let zone = instance
        .placement()
        .and_then(|p| p.availability_zone())
        .unwrap()
        .to_owned();
    let volume = ec2
        .create_volume()
        .availability_zone(zone)
        .size(8)
        .send()
        .await
        .unwrap();
    ec2.attach_volume()
        .instance_id(&id)
        .volume_id(volume.volume_id().unwrap())
        .device("/dev/sdf")
        .send()
        .await
        .unwrap();
    id
}

async fn described(ec2: &aws_sdk_ec2::Client, id: &str) -> aws_sdk_ec2::types::Instance {
    let out = ec2
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .unwrap();
    out.reservations()[0].instances()[0].clone()
}

fn ec2_finding(instance: &str, label: SeverityLabel) -> Finding {
    guardduty(
        "Command and Control/Backdoor:EC2-C&CActivity.B!DNS",
        label,
        vec![resource(
            "AwsEc2Instance",
            &format!("arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{instance}"),
        )],
    )
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn a_compromised_instance_is_quarantined_with_its_evidence_kept() {
    let sdk = sdk().await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let (vpc, subnet, web) = network(&ec2).await;
    let id = new_instance(&ec2, &subnet, &web).await;
    let finding = ec2_finding(&id, SeverityLabel::High);
    let config = IncidentConfig::default();

    let (report, _) = respond_with(&sdk, &finding, &config).await;
    assert_eq!(report.outcome, PlaybookOutcome::Contained, "{report:#?}");

    // Tagged with the finding.
    let instance = described(&ec2, &id).await;
    assert!(instance
        .tags()
        .iter()
        .any(|t| t.key() == Some(INCIDENT_TAG) && t.value() == Some(finding.id.as_str())));
    // Every attached volume snapshotted, each snapshot tagged with the finding.
    let volumes: Vec<&str> = instance
        .block_device_mappings()
        .iter()
        .filter_map(|m| m.ebs().and_then(|e| e.volume_id()))
        .collect();
    assert_eq!(volumes.len(), 2, "{instance:#?}");
    let snapshots = ec2
        .describe_snapshots()
        .owner_ids("self")
        .filters(
            Filter::builder()
                .name(format!("tag:{INCIDENT_TAG}"))
                .values(&finding.id)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut snapshotted: Vec<&str> = snapshots
        .snapshots()
        .iter()
        .filter_map(|s| s.volume_id())
        .collect();
    snapshotted.sort_unstable();
    let mut expected = volumes.clone();
    expected.sort_unstable();
    assert_eq!(snapshotted, expected);
    // One quarantine group in the VPC, with no rule either way, and every
    // interface in it alone.
    let groups = ec2
        .describe_security_groups()
        .filters(Filter::builder().name("vpc-id").values(&vpc).build())
        .filters(
            Filter::builder()
                .name("group-name")
                .values("soar-quarantine")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(groups.security_groups().len(), 1);
    let quarantine = &groups.security_groups()[0];
    assert!(
        quarantine.ip_permissions().is_empty() && quarantine.ip_permissions_egress().is_empty(),
        "{quarantine:#?}"
    );
    let quarantine_id = quarantine.group_id().unwrap();
    for interface in instance.network_interfaces() {
        let ids: Vec<&str> = interface
            .groups()
            .iter()
            .filter_map(|g| g.group_id())
            .collect();
        assert_eq!(ids, [quarantine_id]);
    }
    // The volumes outlive the instance, whoever terminates it.
    for mapping in instance.block_device_mappings() {
        assert_eq!(
            mapping.ebs().and_then(|e| e.delete_on_termination()),
            Some(false),
            "{mapping:?}"
        );
    }
    // Termination protection off; the instance still running.
    let protection = ec2
        .describe_instance_attribute()
        .instance_id(&id)
        .attribute(InstanceAttributeName::DisableApiTermination)
        .send()
        .await
        .unwrap();
    assert_eq!(
        protection.disable_api_termination().and_then(|v| v.value()),
        Some(false)
    );
    assert_eq!(
        instance.state().and_then(|s| s.name()).map(|s| s.as_str()),
        Some("running")
    );

    // A second run finds nothing to do.
    let (again, _) = respond_with(&sdk, &finding, &config).await;
    assert_eq!(again.outcome, PlaybookOutcome::Contained);
    assert!(again.steps.is_empty(), "{again:#?}");

    // Another instance of the VPC reuses the group.
    let other = new_instance(&ec2, &subnet, &web).await;
    let (report, _) = respond_with(&sdk, &ec2_finding(&other, SeverityLabel::High), &config).await;
    assert_eq!(report.outcome, PlaybookOutcome::Contained, "{report:#?}");
    assert!(!report
        .steps
        .iter()
        .any(|s| s.action == "ec2:CreateSecurityGroup"));
    let other = described(&ec2, &other).await;
    let ids: Vec<&str> = other.network_interfaces()[0]
        .groups()
        .iter()
        .filter_map(|g| g.group_id())
        .collect();
    assert_eq!(ids, [quarantine_id]);
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn a_critical_instance_is_terminated_only_when_allowed_and_its_volumes_outlive_it() {
    let sdk = sdk().await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let (_, subnet, web) = network(&ec2).await;
    let id = new_instance(&ec2, &subnet, &web).await;
    let finding = ec2_finding(&id, SeverityLabel::Critical);

    let (report, _) = respond_with(&sdk, &finding, &IncidentConfig::default()).await;
    assert_eq!(report.outcome, PlaybookOutcome::Contained, "{report:#?}");
    assert!(report.notes[0].contains("terminate_instances is off"));
    assert_eq!(
        described(&ec2, &id)
            .await
            .state()
            .and_then(|s| s.name())
            .map(|s| s.as_str()),
        Some("running")
    );

    let allowed = IncidentConfig {
        containment: ContainmentSettings {
            terminate_instances: true,
            ..ContainmentSettings::default()
        },
        ..IncidentConfig::default()
    };
    let volumes: Vec<String> = described(&ec2, &id)
        .await
        .block_device_mappings()
        .iter()
        .filter_map(|m| m.ebs().and_then(|e| e.volume_id()).map(str::to_owned))
        .collect();
    let (report, _) = respond_with(&sdk, &finding, &allowed).await;
    assert_eq!(report.outcome, PlaybookOutcome::Contained, "{report:#?}");
    // The volumes were kept and protection turned off by the first run.
    let actions: Vec<&str> = report.steps.iter().map(|s| s.action).collect();
    assert_eq!(actions, ["ec2:TerminateInstances"]);
    let instance = described(&ec2, &id).await;
    let state = instance
        .state()
        .and_then(|s| s.name())
        .map(|s| s.as_str().to_owned());
    assert!(
        matches!(state.as_deref(), Some("shutting-down" | "terminated")),
        "{state:?}"
    );
    // The evidence outlives the instance.
    let kept = ec2
        .describe_volumes()
        .set_volume_ids(Some(volumes.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(kept.volumes().len(), 2, "{volumes:?}");
}

async fn user_with_keys(iam: &aws_sdk_iam::Client) -> (String, Vec<String>) {
    let user = unique("alice");
    iam.create_user().user_name(&user).send().await.unwrap();
    let mut keys = Vec::new();
    for _ in 0..2 {
        let key = iam
            .create_access_key()
            .user_name(&user)
            .send()
            .await
            .unwrap();
        keys.push(key.access_key().unwrap().access_key_id().to_owned());
    }
    (user, keys)
}

fn key_finding(principal_type: &str, name: &str, key: &str) -> Finding {
    let details = AwsIamAccessKeyDetails {
        principal_type: Some(principal_type.to_owned()),
        principal_name: Some(name.to_owned()),
        access_key_id: Some(key.to_owned()),
        ..AwsIamAccessKeyDetails::default()
    };
    guardduty(
        "Initial Access/UnauthorizedAccess:IAMUser-TorIPCaller",
        SeverityLabel::High,
        vec![Resource {
            details: Some(ResourceDetails {
                aws_iam_access_key: Some(Box::new(details)),
                ..ResourceDetails::default()
            }),
            ..resource("AwsIamAccessKey", &format!("AWS::IAM::AccessKey:{key}"))
        }],
    )
}

/// The revocation policy's `aws:TokenIssueTime`, decoded (IAM returns
/// policy documents URL-encoded).
fn token_issue_time(document: &str) -> String {
    let decoded = urlencoding::decode(document).unwrap();
    let policy: serde_json::Value = serde_json::from_str(&decoded).unwrap();
    assert_eq!(policy["Statement"][0]["Effect"], "Deny");
    assert_eq!(policy["Statement"][0]["Action"], "*");
    policy["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn leaked_keys_are_deactivated_and_older_sessions_revoked() {
    let sdk = sdk().await;
    let iam = aws_sdk_iam::Client::new(&sdk);
    let (user, keys) = user_with_keys(&iam).await;
    let finding = key_finding("IAMUser", &user, &keys[0]);

    let (report, _) = respond_with(&sdk, &finding, &IncidentConfig::default()).await;
    assert_eq!(report.outcome, PlaybookOutcome::Contained, "{report:#?}");
    assert_eq!(done(&report), 3, "two keys and the policy: {report:#?}");
    let listed = iam
        .list_access_keys()
        .user_name(&user)
        .send()
        .await
        .unwrap();
    for key in listed.access_key_metadata() {
        assert_eq!(
            key.status().map(|s| s.as_str()),
            Some("Inactive"),
            "{key:?}"
        );
    }
    let policy = iam
        .get_user_policy()
        .user_name(&user)
        .policy_name("soar-revoke-older-sessions")
        .send()
        .await
        .unwrap();
    let issued_before = token_issue_time(policy.policy_document());
    assert!(
        soar_core::Timestamp::parse(&issued_before).is_ok(),
        "{issued_before}"
    );

    // Again: the keys are off, so only the policy is put again.
    let (again, _) = respond_with(&sdk, &finding, &IncidentConfig::default()).await;
    let actions: Vec<&str> = again.steps.iter().map(|s| s.action).collect();
    assert_eq!(actions, ["iam:PutUserPolicy"]);
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn an_assumed_roles_older_sessions_are_revoked_on_the_role() {
    let sdk = sdk().await;
    let iam = aws_sdk_iam::Client::new(&sdk);
    let role = unique("web");
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    iam.create_role()
        .role_name(&role)
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
    let finding = key_finding("AssumedRole", &role, "ASIAEXAMPLETEMPKEY");

    let (report, _) = respond_with(&sdk, &finding, &IncidentConfig::default()).await;
    assert_eq!(report.outcome, PlaybookOutcome::Contained, "{report:#?}");
    let policy = iam
        .get_role_policy()
        .role_name(&role)
        .policy_name("soar-revoke-older-sessions")
        .send()
        .await
        .unwrap();
    token_issue_time(policy.policy_document());
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn an_exposed_bucket_gets_block_public_access() {
    let sdk = sdk().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let bucket = unique("exposed");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let finding = guardduty(
        "Impact/Policy:S3-BucketAnonymousAccessGranted",
        SeverityLabel::High,
        vec![resource("AwsS3Bucket", &format!("arn:aws:s3:::{bucket}"))],
    );
    let (report, _) = respond_with(&sdk, &finding, &IncidentConfig::default()).await;
    assert_eq!(report.outcome, PlaybookOutcome::Contained, "{report:#?}");
    let block = s3
        .get_public_access_block()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let settings = block.public_access_block_configuration().unwrap();
    assert_eq!(
        (
            settings.block_public_acls(),
            settings.ignore_public_acls(),
            settings.block_public_policy(),
            settings.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true))
    );
}
