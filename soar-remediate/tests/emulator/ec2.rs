//! The EC2 controls against moto.
//!
//! moto 5.2.5 answers every call these controls make. One quirk: after
//! `ModifyInstanceMetadataOptions` it drops `HttpEndpoint` from the
//! instance's metadata options, which EC2 keeps; EC2.8 reads only
//! `HttpTokens` once the endpoint is not reported off, so the test still
//! sees what EC2 would show.

use aws_sdk_ec2::types::{
    AttributeBooleanValue, AutoAcceptSharedAttachmentsValue, HttpTokensState,
    TransitGatewayRequestOptions,
};

use crate::support::*;

/// The Region of the EC2.7 test: EBS encryption by default is one setting
/// per account and Region, shared by every test against the same moto.
const EBS_DEFAULT_TEST_REGION: &str = "eu-west-3";

/// The Region of the EC2.1 test: the control covers every snapshot the
/// account owns in a Region, so it gets a Region with no other test's.
const SNAPSHOT_TEST_REGION: &str = "ca-central-1";

/// A finding of `control` about `resource_id` in moto's account.
fn ec2_finding(control: &str, resource_type: &str, resource_id: &str) -> Finding {
    let mut finding = finding_for(control, resource_type, resource_id);
    finding.aws_account_id = ACCOUNT.to_owned();
    finding
}

/// A new running instance's ID (moto does not check the image).
async fn new_instance(ec2: &aws_sdk_ec2::Client) -> String {
    let run = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .unwrap();
    run.instances()[0].instance_id().unwrap().to_owned()
}

fn arn(kind: &str, id: &str) -> String {
    format!("arn:aws:ec2:us-east-1:{ACCOUNT}:{kind}/{id}")
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn ec2_7_ebs_encryption_by_default() {
    let sdk = sdk().await;
    let there = Location::new(ACCOUNT, EBS_DEFAULT_TEST_REGION, "aws");
    let (setup, _) = recording_context(sdk.clone(), there.clone());
    let ec2 = setup.ec2();
    ec2.disable_ebs_encryption_by_default()
        .send()
        .await
        .unwrap();
    let mut finding = ec2_finding("EC2.7", "AwsAccount", &format!("AWS::::Account:{ACCOUNT}"));
    finding.region = Some(EBS_DEFAULT_TEST_REGION.to_owned());
    finding.resources[0].region = Some(EBS_DEFAULT_TEST_REGION.to_owned());
    // Get, Enable, Get; then Get.
    remediate_twice_in(&sdk, &there, &finding, Settings::default(), [3, 1]).await;
    let (fresh, _) = recording_context(sdk.clone(), there);
    let setting = fresh
        .ec2()
        .get_ebs_encryption_by_default()
        .send()
        .await
        .unwrap();
    assert_eq!(setting.ebs_encryption_by_default(), Some(true));
    let elsewhere = aws_sdk_ec2::Client::new(&sdk)
        .get_ebs_encryption_by_default()
        .send()
        .await
        .unwrap();
    assert_eq!(
        elsewhere.ebs_encryption_by_default(),
        Some(false),
        "the setting of another Region changed"
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn ec2_8_imdsv2() {
    let sdk = sdk().await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let id = new_instance(&ec2).await;
    let finding = ec2_finding("EC2.8", "AwsEc2Instance", &arn("instance", &id));
    // Describe, Modify, Describe; then Describe.
    remediate_twice(&sdk, &finding, Settings::default(), [3, 1]).await;
    let described = aws_sdk_ec2::Client::new(&sdk)
        .describe_instances()
        .instance_ids(&id)
        .send()
        .await
        .unwrap();
    let instance = &described.reservations()[0].instances()[0];
    assert_eq!(
        instance.metadata_options().and_then(|o| o.http_tokens()),
        Some(&HttpTokensState::Required)
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn ec2_1_public_snapshot_made_private_named_share_kept() {
    use aws_sdk_ec2::types::{OperationType, SnapshotAttributeName};
    let sdk = sdk().await;
    let there = Location::new(ACCOUNT, SNAPSHOT_TEST_REGION, "aws");
    let (setup, _) = recording_context(sdk.clone(), there.clone());
    let ec2 = setup.ec2();
    let volume = ec2
        .create_volume()
        .availability_zone(format!("{SNAPSHOT_TEST_REGION}a"))
        .size(1)
        .send()
        .await
        .unwrap();
    let mut snapshots = Vec::new();
    for shared_with in [vec!["all", "222222222222"], vec!["222222222222"]] {
        let snapshot = ec2
            .create_snapshot()
            .volume_id(volume.volume_id().unwrap())
            .send()
            .await
            .unwrap();
        let id = snapshot.snapshot_id().unwrap().to_owned();
        let (groups, users): (Vec<&str>, Vec<&str>) =
            shared_with.into_iter().partition(|who| *who == "all");
        ec2.modify_snapshot_attribute()
            .snapshot_id(&id)
            .attribute(SnapshotAttributeName::CreateVolumePermission)
            .operation_type(OperationType::Add)
            .set_group_names(Some(groups.into_iter().map(str::to_owned).collect()))
            .set_user_ids(Some(users.into_iter().map(str::to_owned).collect()))
            .send()
            .await
            .unwrap();
        snapshots.push(id);
    }
    let mut finding = ec2_finding("EC2.1", "AwsAccount", &format!("AWS::::Account:{ACCOUNT}"));
    finding.region = Some(SNAPSHOT_TEST_REGION.to_owned());
    finding.resources[0].region = Some(SNAPSHOT_TEST_REGION.to_owned());
    // moto ignores DescribeSnapshots' OwnerIds and RestorableByUserIds
    // filters and lists every snapshot of the Region, so each is read:
    // DescribeSnapshots, a DescribeSnapshotAttribute per snapshot,
    // ModifySnapshotAttribute, then the same reads; then the reads. EC2
    // lists only the public one (docs/performance.md).
    let listed = ec2
        .describe_snapshots()
        .send()
        .await
        .unwrap()
        .snapshots()
        .len();
    let reads = 1 + listed;
    remediate_twice_in(
        &sdk,
        &there,
        &finding,
        Settings::default(),
        [2 * reads + 1, reads],
    )
    .await;
    let (fresh, _) = recording_context(sdk.clone(), there);
    let mut shares = Vec::new();
    for id in &snapshots {
        let attribute = fresh
            .ec2()
            .describe_snapshot_attribute()
            .snapshot_id(id)
            .attribute(SnapshotAttributeName::CreateVolumePermission)
            .send()
            .await
            .unwrap();
        let mut who: Vec<String> = attribute
            .create_volume_permissions()
            .iter()
            .map(|p| {
                p.group()
                    .map(|g| g.as_str().to_owned())
                    .or_else(|| p.user_id().map(str::to_owned))
                    .unwrap()
            })
            .collect();
        who.sort();
        shares.push(who);
    }
    assert_eq!(shares, [vec!["222222222222"], vec!["222222222222"]]);
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn ec2_6_flow_logs_with_one_role_and_one_log_group() {
    let sdk = sdk().await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let mut vpcs = Vec::new();
    for cidr in ["10.61.0.0/16", "10.62.0.0/16"] {
        let vpc = ec2.create_vpc().cidr_block(cidr).send().await.unwrap();
        vpcs.push(vpc.vpc().unwrap().vpc_id().unwrap().to_owned());
    }
    // The first VPC: DescribeFlowLogs, DescribeVpcs, GetRole,
    // DescribeLogGroups, CreateRole, PutRolePolicy, CreateLogGroup,
    // PutRetentionPolicy, CreateFlowLogs, DescribeFlowLogs; then
    // DescribeFlowLogs.
    // (6 calls, as for the second, when an earlier run against the same
    // moto made the role and the group: they are one per account.)
    let iam = aws_sdk_iam::Client::new(&sdk);
    let made_before = iam
        .get_role()
        .role_name("soar-vpc-flow-logs")
        .send()
        .await
        .is_ok();
    let first = ec2_finding("EC2.6", "AwsEc2Vpc", &arn("vpc", &vpcs[0]));
    let calls = if made_before { 6 } else { 10 };
    remediate_twice(&sdk, &first, Settings::default(), [calls, 1]).await;
    // The second reuses the role and the group: no IAM or Logs write.
    let second = ec2_finding("EC2.6", "AwsEc2Vpc", &arn("vpc", &vpcs[1]));
    remediate_twice(&sdk, &second, Settings::default(), [6, 1]).await;
    for vpc in &vpcs {
        let logs = ec2
            .describe_flow_logs()
            .filter(
                aws_sdk_ec2::types::Filter::builder()
                    .name("resource-id")
                    .values(vpc)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let log = &logs.flow_logs()[0];
        assert_eq!(log.log_group_name(), Some("/soar/vpc-flow-logs"));
        assert_eq!(
            log.deliver_logs_permission_arn(),
            Some(format!("arn:aws:iam::{ACCOUNT}:role/soar-vpc-flow-logs").as_str())
        );
    }
    let groups = aws_sdk_cloudwatchlogs::Client::new(&sdk)
        .describe_log_groups()
        .log_group_name_prefix("/soar/vpc-flow-logs")
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups()[0].retention_in_days(), Some(365));
    let role = iam
        .get_role()
        .role_name("soar-vpc-flow-logs")
        .send()
        .await
        .unwrap();
    assert!(role
        .role()
        .unwrap()
        .assume_role_policy_document()
        .is_some_and(|p| p.contains("vpc-flow-logs.amazonaws.com")));
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn ec2_15_subnet_public_ip_assignment() {
    let sdk = sdk().await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.15.0.0/16")
        .send()
        .await
        .unwrap();
    let subnet = ec2
        .create_subnet()
        .vpc_id(vpc.vpc().unwrap().vpc_id().unwrap())
        .cidr_block("10.15.1.0/24")
        .send()
        .await
        .unwrap();
    let id = subnet.subnet().unwrap().subnet_id().unwrap().to_owned();
    ec2.modify_subnet_attribute()
        .subnet_id(&id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .unwrap();
    let finding = ec2_finding("EC2.15", "AwsEc2Subnet", &arn("subnet", &id));
    remediate_twice(&sdk, &finding, Settings::default(), [3, 1]).await;
    let described = aws_sdk_ec2::Client::new(&sdk)
        .describe_subnets()
        .subnet_ids(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.subnets()[0].map_public_ip_on_launch(),
        Some(false)
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn ec2_23_transit_gateway_auto_accept() {
    let sdk = sdk().await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let created = ec2
        .create_transit_gateway()
        .options(
            TransitGatewayRequestOptions::builder()
                .auto_accept_shared_attachments(AutoAcceptSharedAttachmentsValue::Enable)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let id = created
        .transit_gateway()
        .unwrap()
        .transit_gateway_id()
        .unwrap()
        .to_owned();
    let finding = ec2_finding(
        "EC2.23",
        "AwsEc2TransitGateway",
        &arn("transit-gateway", &id),
    );
    remediate_twice(&sdk, &finding, Settings::default(), [3, 1]).await;
    let described = aws_sdk_ec2::Client::new(&sdk)
        .describe_transit_gateways()
        .transit_gateway_ids(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.transit_gateways()[0]
            .options()
            .and_then(|o| o.auto_accept_shared_attachments()),
        Some(&AutoAcceptSharedAttachmentsValue::Disable)
    );
}

/// A new security group in a new VPC, with `rules` as its ingress.
async fn group_with(sdk: &SdkConfig, rules: Vec<aws_sdk_ec2::types::IpPermission>) -> String {
    let ec2 = aws_sdk_ec2::Client::new(sdk);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.13.0.0/16")
        .send()
        .await
        .unwrap();
    let group = ec2
        .create_security_group()
        .group_name(unique("soar-sg"))
        .description("soar emulator test")
        .vpc_id(vpc.vpc().unwrap().vpc_id().unwrap())
        .send()
        .await
        .unwrap();
    let id = group.group_id().unwrap().to_owned();
    ec2.authorize_security_group_ingress()
        .group_id(&id)
        .set_ip_permissions(Some(rules))
        .send()
        .await
        .unwrap();
    id
}

fn ingress(
    protocol: &str,
    from: i32,
    to: i32,
    sources: &[&str],
) -> aws_sdk_ec2::types::IpPermission {
    use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range};
    let mut rule = IpPermission::builder()
        .ip_protocol(protocol)
        .from_port(from)
        .to_port(to);
    for source in sources {
        rule = if source.contains(':') {
            rule.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(*source).build())
        } else {
            rule.ip_ranges(IpRange::builder().cidr_ip(*source).build())
        };
    }
    rule.build()
}

/// The group's ingress as (protocol, from, to, sorted sources), sorted.
async fn ingress_of(sdk: &SdkConfig, id: &str) -> Vec<(String, i32, i32, Vec<String>)> {
    let described = aws_sdk_ec2::Client::new(sdk)
        .describe_security_groups()
        .group_ids(id)
        .send()
        .await
        .unwrap();
    let mut rules: Vec<_> = described.security_groups()[0]
        .ip_permissions()
        .iter()
        .map(|p| {
            let mut sources: Vec<String> = p
                .ip_ranges()
                .iter()
                .filter_map(|r| r.cidr_ip().map(str::to_owned))
                .chain(
                    p.ipv6_ranges()
                        .iter()
                        .filter_map(|r| r.cidr_ipv6().map(str::to_owned)),
                )
                .collect();
            sources.sort();
            (
                p.ip_protocol().unwrap_or_default().to_owned(),
                p.from_port().unwrap_or(-1),
                p.to_port().unwrap_or(-1),
                sources,
            )
        })
        .filter(|(_, _, _, sources)| !sources.is_empty())
        .collect();
    rules.sort();
    rules
}

fn expect(rules: &[(&str, i32, i32, &[&str])]) -> Vec<(String, i32, i32, Vec<String>)> {
    let mut rules: Vec<_> = rules
        .iter()
        .map(|(p, f, t, s)| {
            let mut s: Vec<String> = s.iter().map(|x| (*x).to_owned()).collect();
            s.sort();
            ((*p).to_owned(), *f, *t, s)
        })
        .collect();
    rules.sort();
    rules
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn ec2_13_world_ssh_removed_other_sources_and_ports_kept() {
    let sdk = sdk().await;
    let id = group_with(
        &sdk,
        vec![
            ingress("tcp", 22, 22, &["0.0.0.0/0", "10.0.0.0/8", "::/0"]),
            ingress("tcp", 0, 1000, &["0.0.0.0/0"]),
        ],
    )
    .await;
    let finding = ec2_finding("EC2.13", "AwsEc2SecurityGroup", &arn("security-group", &id));
    // Describe; revoke the 22 rule's world sources; revoke and re-authorise
    // the 0-1000 rule's; Describe. Then Describe.
    remediate_twice(&sdk, &finding, Settings::default(), [5, 1]).await;
    assert_eq!(
        ingress_of(&sdk, &id).await,
        expect(&[
            ("tcp", 0, 21, &["0.0.0.0/0"]),
            ("tcp", 22, 22, &["10.0.0.0/8"]),
            ("tcp", 23, 1000, &["0.0.0.0/0"]),
        ])
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn ec2_14_world_rdp_removed() {
    let sdk = sdk().await;
    let id = group_with(
        &sdk,
        vec![ingress("tcp", 3389, 3389, &["0.0.0.0/0", "192.168.0.0/16"])],
    )
    .await;
    let finding = ec2_finding("EC2.14", "AwsEc2SecurityGroup", &arn("security-group", &id));
    remediate_twice(&sdk, &finding, Settings::default(), [3, 1]).await;
    assert_eq!(
        ingress_of(&sdk, &id).await,
        expect(&[("tcp", 3389, 3389, &["192.168.0.0/16"])])
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn ec2_18_world_only_on_authorized_ports() {
    let sdk = sdk().await;
    let id = group_with(&sdk, vec![ingress("tcp", 0, 1024, &["::/0"])]).await;
    let finding = ec2_finding("EC2.18", "AwsEc2SecurityGroup", &arn("security-group", &id));
    remediate_twice(&sdk, &finding, Settings::default(), [4, 1]).await;
    assert_eq!(
        ingress_of(&sdk, &id).await,
        expect(&[("tcp", 80, 80, &["::/0"]), ("tcp", 443, 443, &["::/0"])])
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn ec2_19_world_off_high_risk_ports() {
    let sdk = sdk().await;
    let id = group_with(&sdk, vec![ingress("tcp", 3300, 3400, &["0.0.0.0/0"])]).await;
    let finding = ec2_finding("EC2.19", "AwsEc2SecurityGroup", &arn("security-group", &id));
    remediate_twice(&sdk, &finding, Settings::default(), [4, 1]).await;
    assert_eq!(
        ingress_of(&sdk, &id).await,
        expect(&[
            ("tcp", 3300, 3305, &["0.0.0.0/0"]),
            ("tcp", 3307, 3388, &["0.0.0.0/0"]),
            ("tcp", 3390, 3400, &["0.0.0.0/0"]),
        ])
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn ec2_2_unused_default_group_emptied_used_one_ticketed() {
    let sdk = sdk().await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let default_group = |vpc: String| {
        let ec2 = ec2.clone();
        async move {
            let groups = ec2
                .describe_security_groups()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("vpc-id")
                        .values(vpc)
                        .build(),
                )
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("group-name")
                        .values("default")
                        .build(),
                )
                .send()
                .await
                .unwrap();
            groups.security_groups()[0].group_id().unwrap().to_owned()
        }
    };
    let new_vpc = |cidr: &'static str| {
        let ec2 = ec2.clone();
        async move {
            let vpc = ec2.create_vpc().cidr_block(cidr).send().await.unwrap();
            vpc.vpc().unwrap().vpc_id().unwrap().to_owned()
        }
    };

    // Unused: its rules go, in and out.
    let vpc = new_vpc("10.2.0.0/16").await;
    let unused = default_group(vpc).await;
    ec2.authorize_security_group_ingress()
        .group_id(&unused)
        .ip_permissions(ingress("tcp", 22, 22, &["0.0.0.0/0"]))
        .send()
        .await
        .unwrap();
    let finding = ec2_finding(
        "EC2.2",
        "AwsEc2SecurityGroup",
        &arn("security-group", &unused),
    );
    // DescribeSecurityGroups, DescribeInstances, DescribeNetworkInterfaces;
    // DescribeSecurityGroups, RevokeSecurityGroupIngress,
    // RevokeSecurityGroupEgress; DescribeSecurityGroups. Then one read.
    remediate_twice(&sdk, &finding, Settings::default(), [7, 1]).await;
    let group = ec2
        .describe_security_groups()
        .group_ids(&unused)
        .send()
        .await
        .unwrap();
    let group = &group.security_groups()[0];
    assert!(
        group.ip_permissions().is_empty() && group.ip_permissions_egress().is_empty(),
        "{group:?}"
    );

    // In use by an instance: a ticket naming it, and the rules stay.
    let vpc = new_vpc("10.3.0.0/16").await;
    let used = default_group(vpc.clone()).await;
    ec2.authorize_security_group_ingress()
        .group_id(&used)
        .ip_permissions(ingress("tcp", 22, 22, &["0.0.0.0/0"]))
        .send()
        .await
        .unwrap();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.3.1.0/24")
        .send()
        .await
        .unwrap();
    let instance = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .min_count(1)
        .max_count(1)
        .subnet_id(subnet.subnet().unwrap().subnet_id().unwrap())
        .security_group_ids(&used)
        .send()
        .await
        .unwrap();
    let instance_id = instance.instances()[0].instance_id().unwrap().to_owned();
    let before = ingress_of(&sdk, &used).await;
    let finding = ec2_finding(
        "EC2.2",
        "AwsEc2SecurityGroup",
        &arn("security-group", &used),
    );
    let registry = Registry::default();
    let (ctx, _) = recording_context(sdk.clone(), here());
    let report = remediate(registry.get("EC2.2").unwrap(), &ctx, &finding, Mode::Apply).await;
    assert!(
        matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains(&format!("instance {instance_id}"))),
        "{report:?}"
    );
    assert_eq!(
        ingress_of(&sdk, &used).await,
        before,
        "a group in use was changed"
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn ec2_22_unused_group_deleted_when_due_and_allowed() {
    let sdk = sdk().await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.22.0.0/16")
        .send()
        .await
        .unwrap();
    let created = ec2
        .create_security_group()
        .group_name(unique("soar-unused"))
        .description("soar emulator test")
        .vpc_id(vpc.vpc().unwrap().vpc_id().unwrap())
        .send()
        .await
        .unwrap();
    let id = created.group_id().unwrap().to_owned();
    let mut finding = ec2_finding("EC2.22", "AwsEc2SecurityGroup", &arn("security-group", &id));
    let two_days_ago = soar_core::Timestamp(soar_core::Timestamp::now().0 - 2 * 86_400);
    finding.first_observed_at = Some(two_days_ago.to_string());
    let settings = Settings {
        destructive_controls: soar_core::DestructiveControls::new(["EC2.22"]).unwrap(),
        ..Settings::default()
    };
    let registry = Registry::default();
    let control = registry.get("EC2.22").unwrap();
    let (ctx, calls) = recording_context(sdk.clone(), here());
    let ctx = ctx.with_settings(settings.clone());
    let first = remediate(control, &ctx, &finding, Mode::Apply).await;
    assert!(
        matches!(first.outcome, Outcome::Remediated { .. }),
        "{first:?}"
    );
    assert_least_privilege(control.meta(), &calls);
    // DescribeSecurityGroups, DescribeInstances, DescribeNetworkInterfaces,
    // DeleteSecurityGroup, DescribeSecurityGroups (not found: verified).
    assert_eq!(calls.actions().len(), 5, "{:?}", calls.actions());
    let gone = ec2.describe_security_groups().group_ids(&id).send().await;
    assert!(gone.is_err(), "the group still exists: {gone:?}");
    // Run again: the group is gone, so the finding is suppressed, and
    // nothing is written.
    let (ctx, calls) = recording_context(sdk.clone(), here());
    let second = remediate(control, &ctx.with_settings(settings), &finding, Mode::Apply).await;
    assert!(
        matches!(second.outcome, Outcome::Suppress { .. }),
        "{second:?}"
    );
    assert_eq!(calls.actions(), ["ec2:DescribeSecurityGroups"]);
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn ec2_12_unused_address_released_when_due_and_allowed() {
    let sdk = sdk().await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let allocated = ec2
        .allocate_address()
        .domain(aws_sdk_ec2::types::DomainType::Vpc)
        .send()
        .await
        .unwrap();
    let id = allocated.allocation_id().unwrap().to_owned();
    let mut finding = ec2_finding("EC2.12", "AwsEc2Eip", &arn("elastic-ip", &id));
    let control = Registry::default();
    let control = control.get("EC2.12").unwrap();

    // Seen a day ago: not due, nothing written.
    let a_day_ago = soar_core::Timestamp(soar_core::Timestamp::now().0 - 86_400);
    finding.first_observed_at = Some(a_day_ago.to_string());
    let settings = Settings {
        destructive_controls: soar_core::DestructiveControls::new(["EC2.12"]).unwrap(),
        ..Settings::default()
    };
    let (ctx, calls) = recording_context(sdk.clone(), here());
    let early = remediate(
        control,
        &ctx.with_settings(settings.clone()),
        &finding,
        Mode::Apply,
    )
    .await;
    assert!(
        matches!(early.outcome, Outcome::ReconsiderLater { .. }),
        "{early:?}"
    );
    assert_eq!(calls.actions(), ["ec2:DescribeAddresses"]);

    // Seen 31 days ago: released.
    let due = soar_core::Timestamp(soar_core::Timestamp::now().0 - 31 * 86_400);
    finding.first_observed_at = Some(due.to_string());
    let (ctx, calls) = recording_context(sdk.clone(), here());
    let report = remediate(control, &ctx.with_settings(settings), &finding, Mode::Apply).await;
    assert!(
        matches!(report.outcome, Outcome::Remediated { .. }),
        "{report:?}"
    );
    assert_least_privilege(control.meta(), &calls);
    assert_eq!(
        calls.actions(),
        [
            "ec2:DescribeAddresses",
            "ec2:ReleaseAddress",
            "ec2:DescribeAddresses"
        ]
    );
    let left = ec2.describe_addresses().allocation_ids(&id).send().await;
    assert!(
        left.as_ref().map_or(true, |l| l.addresses().is_empty()),
        "the address is still allocated: {left:?}"
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn ec2_4_stopped_instance_terminated_after_30_days_when_allowed() {
    let sdk = sdk().await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let id = new_instance(&ec2).await;
    ec2.stop_instances().instance_ids(&id).send().await.unwrap();
    let finding = ec2_finding("EC2.4", "AwsEc2Instance", &arn("instance", &id));
    let registry = Registry::default();
    let control = registry.get("EC2.4").unwrap();
    let settings = Settings {
        destructive_controls: soar_core::DestructiveControls::new(["EC2.4"]).unwrap(),
        ..Settings::default()
    };
    let state = || async {
        let described = aws_sdk_ec2::Client::new(&sdk)
            .describe_instances()
            .instance_ids(&id)
            .send()
            .await
            .unwrap();
        described.reservations()[0].instances()[0]
            .state()
            .and_then(|s| s.name())
            .cloned()
    };

    // Just stopped (moto writes the stop time into StateTransitionReason):
    // not due, nothing written.
    let (ctx, calls) = recording_context(sdk.clone(), here());
    let early = remediate(
        control,
        &ctx.with_settings(settings.clone()),
        &finding,
        Mode::Apply,
    )
    .await;
    assert!(
        matches!(early.outcome, Outcome::ReconsiderLater { .. }),
        "{early:?}"
    );
    assert_eq!(calls.actions(), ["ec2:DescribeInstances"]);
    assert_eq!(
        state().await,
        Some(aws_sdk_ec2::types::InstanceStateName::Stopped)
    );

    // 31 days on: terminated.
    let later = soar_core::Timestamp(soar_core::Timestamp::now().0 + 31 * 86_400);
    let (ctx, calls) = recording_context(sdk.clone(), here());
    let ctx = ctx.with_settings(settings).with_now(later);
    let report = remediate(control, &ctx, &finding, Mode::Apply).await;
    assert!(
        matches!(report.outcome, Outcome::Remediated { .. }),
        "{report:?}"
    );
    assert_least_privilege(control.meta(), &calls);
    assert_eq!(
        calls.actions(),
        [
            "ec2:DescribeInstances",
            "ec2:TerminateInstances",
            "ec2:DescribeInstances"
        ]
    );
    assert_eq!(
        state().await,
        Some(aws_sdk_ec2::types::InstanceStateName::Terminated)
    );
}
