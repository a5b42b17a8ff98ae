//! The load balancer and ECS controls against moto.
//!
//! moto 5.2.5 answers every call these controls make but one: it has no
//! `UpdateClusterSettings`, which is why ECS.12 writes the setting with
//! `UpdateCluster` (the same change on AWS). It does not check an ELB log
//! bucket's policy, so the grant ELB.5 adds is read back from the bucket
//! here, and what ELB would do without it is the mock tests' subject.

use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, ClusterField, ClusterSetting, ClusterSettingName,
    ContainerDefinition, NetworkConfiguration, NetworkMode,
};
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, ForwardActionConfig, ProtocolEnum, TargetGroupTuple,
};

use crate::support::*;

fn own(control: &str, resource_type: &str, resource_id: &str) -> Finding {
    let mut finding = finding_for(control, resource_type, resource_id);
    finding.aws_account_id = ACCOUNT.to_owned();
    finding
}

/// A new Application Load Balancer's ARN.
async fn load_balancer(sdk: &SdkConfig, cidr: u8) -> (String, String) {
    let (vpc, subnets) = vpc_with_subnets(sdk, cidr).await;
    let created = aws_sdk_elasticloadbalancingv2::Client::new(sdk)
        .create_load_balancer()
        .name(
            unique("soar-alb")
                .replace('_', "-")
                .chars()
                .take(32)
                .collect::<String>(),
        )
        .set_subnets(Some(subnets))
        .send()
        .await
        .unwrap();
    let arn = created.load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_owned();
    (arn, vpc)
}

async fn attribute(sdk: &SdkConfig, arn: &str, key: &str) -> Option<String> {
    let described = aws_sdk_elasticloadbalancingv2::Client::new(sdk)
        .describe_load_balancer_attributes()
        .load_balancer_arn(arn)
        .send()
        .await
        .unwrap();
    described
        .attributes()
        .iter()
        .find(|a| a.key() == Some(key))
        .and_then(|a| a.value().map(str::to_owned))
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn elb_4_and_elb_6_turn_their_attribute_on() {
    let sdk = sdk().await;
    let (arn, _) = load_balancer(&sdk, 41).await;
    for (control, key) in [
        ("ELB.4", "routing.http.drop_invalid_header_fields.enabled"),
        ("ELB.6", "deletion_protection.enabled"),
    ] {
        let finding = own(control, "AwsElbv2LoadBalancer", &arn);
        // Describe, Modify, Describe; then Describe.
        remediate_twice(&sdk, &finding, Settings::default(), [3, 1]).await;
        assert_eq!(
            attribute(&sdk, &arn, key).await.as_deref(),
            Some("true"),
            "{control}"
        );
    }
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn elb_1_http_listener_redirects_to_https() {
    let sdk = sdk().await;
    let (arn, vpc) = load_balancer(&sdk, 42).await;
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&sdk);
    let group = elb
        .create_target_group()
        .name(unique("soar-tg").chars().take(32).collect::<String>())
        .protocol(ProtocolEnum::Http)
        .port(8080)
        .vpc_id(vpc)
        .send()
        .await
        .unwrap();
    let group_arn = group.target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_owned();
    let forward = || {
        Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .forward_config(
                ForwardActionConfig::builder()
                    .target_groups(
                        TargetGroupTuple::builder()
                            .target_group_arn(&group_arn)
                            .build(),
                    )
                    .build(),
            )
            .build()
    };
    let http = elb
        .create_listener()
        .load_balancer_arn(&arn)
        .protocol(ProtocolEnum::Http)
        .port(80)
        .default_actions(forward())
        .send()
        .await
        .unwrap();
    let http_arn = http.listeners()[0].listener_arn().unwrap().to_owned();
    elb.create_listener()
        .load_balancer_arn(&arn)
        .protocol(ProtocolEnum::Https)
        .port(443)
        // An IAM server certificate ARN: moto registers ACM ones only.
        .certificates(
            Certificate::builder()
                .certificate_arn(format!(
                    "arn:aws:iam::{ACCOUNT}:server-certificate/soar-test"
                ))
                .build(),
        )
        .default_actions(forward())
        .send()
        .await
        .unwrap();
    let finding = own("ELB.1", "AwsElbv2LoadBalancer", &arn);
    // DescribeListeners, DescribeRules, ModifyListener, DescribeListeners;
    // then DescribeListeners.
    remediate_twice(&sdk, &finding, Settings::default(), [4, 1]).await;
    let listeners = aws_sdk_elasticloadbalancingv2::Client::new(&sdk)
        .describe_listeners()
        .listener_arns(&http_arn)
        .send()
        .await
        .unwrap();
    let action = &listeners.listeners()[0].default_actions()[0];
    let redirect = action.redirect_config().unwrap();
    assert_eq!(action.r#type(), Some(&ActionTypeEnum::Redirect));
    assert_eq!(
        (
            redirect.protocol(),
            redirect.port(),
            redirect.status_code().map(|s| s.as_str())
        ),
        (Some("HTTPS"), Some("443"), Some("HTTP_301"))
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn elb_5_access_logs_to_the_log_bucket_with_the_regions_grant() {
    let sdk = sdk().await;
    let (arn, _) = load_balancer(&sdk, 43).await;
    let bucket = new_bucket(&sdk, "soar-elb-logs").await;
    let settings = Settings {
        elb_access_log_bucket: Some(bucket.clone()),
        elb_access_log_prefix: "web".into(),
        ..Settings::default()
    };
    let finding = own("ELB.5", "AwsElbv2LoadBalancer", &arn);
    // DescribeLoadBalancerAttributes, GetBucketLocation, GetBucketPolicy,
    // GetBucketPolicy (again, at apply), PutBucketPolicy,
    // ModifyLoadBalancerAttributes, DescribeLoadBalancerAttributes; then
    // DescribeLoadBalancerAttributes.
    remediate_twice(&sdk, &finding, settings, [7, 1]).await;
    assert_eq!(
        attribute(&sdk, &arn, "access_logs.s3.enabled")
            .await
            .as_deref(),
        Some("true")
    );
    assert_eq!(
        attribute(&sdk, &arn, "access_logs.s3.bucket")
            .await
            .as_deref(),
        Some(bucket.as_str())
    );
    let policy = s3(&sdk)
        .get_bucket_policy()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let policy: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    assert_eq!(
        policy["Statement"][0],
        serde_json::json!({
            "Sid": "SoarElbAccessLogs",
            "Effect": "Allow",
            "Principal": { "AWS": "arn:aws:iam::127311923021:root" },
            "Action": "s3:PutObject",
            "Resource": format!("arn:aws:s3:::{bucket}/web/AWSLogs/{ACCOUNT}/*"),
        })
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn ecs_12_container_insights() {
    let sdk = sdk().await;
    let ecs = aws_sdk_ecs::Client::new(&sdk);
    let created = ecs
        .create_cluster()
        .cluster_name(unique("soar-cluster"))
        .settings(
            ClusterSetting::builder()
                .name(ClusterSettingName::ContainerInsights)
                .value("disabled")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let arn = created.cluster().unwrap().cluster_arn().unwrap().to_owned();
    let finding = own("ECS.12", "AwsEcsCluster", &arn);
    // DescribeClusters, UpdateCluster, DescribeClusters; then DescribeClusters.
    remediate_twice(&sdk, &finding, Settings::default(), [3, 1]).await;
    let described = ecs
        .describe_clusters()
        .clusters(&arn)
        .include(ClusterField::Settings)
        .send()
        .await
        .unwrap();
    let settings: Vec<(String, String)> = described.clusters()[0]
        .settings()
        .iter()
        .map(|s| {
            (
                s.name().unwrap().as_str().to_owned(),
                s.value().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        settings,
        [("containerInsights".to_owned(), "enabled".to_owned())]
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn ecs_2_service_stops_assigning_public_ips() {
    let sdk = sdk().await;
    let (vpc_id, subnets) = vpc_with_subnets(&sdk, 44).await;
    let group = aws_sdk_ec2::Client::new(&sdk)
        .create_security_group()
        .group_name(unique("soar-api"))
        .description("api tasks")
        .vpc_id(vpc_id)
        .send()
        .await
        .unwrap();
    let group_id = group.group_id().unwrap().to_owned();
    let ecs = aws_sdk_ecs::Client::new(&sdk);
    let cluster = unique("soar-services");
    ecs.create_cluster()
        .cluster_name(&cluster)
        .send()
        .await
        .unwrap();
    let family = unique("soar-api");
    ecs.register_task_definition()
        .family(&family)
        .network_mode(NetworkMode::Awsvpc)
        .container_definitions(
            ContainerDefinition::builder()
                .name("api")
                .image("public.ecr.aws/nginx/nginx:latest")
                .memory(512)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let vpc = |assign| {
        AwsVpcConfiguration::builder()
            .set_subnets(Some(subnets.clone()))
            .security_groups(&group_id)
            .assign_public_ip(assign)
            .build()
            .unwrap()
    };
    let created = ecs
        .create_service()
        .cluster(&cluster)
        .service_name("api")
        .task_definition(&family)
        .desired_count(0)
        .network_configuration(
            NetworkConfiguration::builder()
                .awsvpc_configuration(vpc(AssignPublicIp::Enabled))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let arn = created.service().unwrap().service_arn().unwrap().to_owned();
    let finding = own("ECS.2", "AwsEcsService", &arn);
    // DescribeServices, UpdateService, DescribeServices; then DescribeServices.
    remediate_twice(&sdk, &finding, Settings::default(), [3, 1]).await;
    let described = ecs
        .describe_services()
        .cluster(&cluster)
        .services(&arn)
        .send()
        .await
        .unwrap();
    let configuration = described.services()[0]
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration())
        .unwrap();
    assert_eq!(configuration, &vpc(AssignPublicIp::Disabled));
}
