//! What every emulator test shares: the SDK configuration for moto, unique
//! names, and the remediate-twice check.

pub(crate) use aws_config::BehaviorVersion;
pub(crate) use aws_types::SdkConfig;
pub(crate) use soar_asff::Finding;
pub(crate) use soar_core::Location;
pub(crate) use soar_remediate::testkit::{assert_least_privilege, finding_for, recording_context};
pub(crate) use soar_remediate::{remediate, Mode, Outcome, Registry, Report, Settings};

/// moto's default account.
pub(crate) const ACCOUNT: &str = "123456789012";

/// Where the tests act: moto's account, in the Region scripts/test-all.sh sets.
pub(crate) fn here() -> Location {
    Location::new(ACCOUNT, "us-east-1", "aws")
}

pub(crate) async fn sdk() -> SdkConfig {
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "AWS_ENDPOINT_URL must point at the emulator; run scripts/test-all.sh"
    );
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

pub(crate) fn s3(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build(),
    )
}

pub(crate) fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}-{nanos}")
}

/// Whether an IAM action changes something.
pub(crate) fn is_write(action: &str) -> bool {
    let operation = action.split_once(':').map_or(action, |(_, op)| op);
    !["Get", "Describe", "List", "Head"]
        .iter()
        .any(|read| operation.starts_with(read))
}

/// Remediates twice; checks the first fixed the resource, the second wrote
/// nothing, both stayed within the declared IAM actions, and each made the
/// number of AWS calls documented in docs/performance.md (`calls`: first
/// run, second run).
pub(crate) async fn remediate_twice(
    sdk: &SdkConfig,
    finding: &Finding,
    settings: Settings,
    calls: [usize; 2],
) -> (Report, Report) {
    remediate_twice_in(sdk, &here(), finding, settings, calls).await
}

/// [`remediate_twice`] in another place than [`here`], for settings that
/// are one per account and Region and must not change what other tests see.
pub(crate) async fn remediate_twice_in(
    sdk: &SdkConfig,
    location: &Location,
    finding: &Finding,
    settings: Settings,
    calls: [usize; 2],
) -> (Report, Report) {
    remediate_twice_at(sdk, location, None, finding, settings, calls).await
}

/// [`remediate_twice_in`] with the contexts' "now" set to `now`, for
/// controls that judge the age of what AWS made just now (IAM keys).
pub(crate) async fn remediate_twice_at(
    sdk: &SdkConfig,
    location: &Location,
    now: Option<soar_core::Timestamp>,
    finding: &Finding,
    settings: Settings,
    calls: [usize; 2],
) -> (Report, Report) {
    let registry = Registry::default();
    let control = registry.get(finding.control_id().unwrap()).unwrap();
    let at = |ctx: soar_remediate::Context| match now {
        Some(now) => ctx.with_now(now),
        None => ctx,
    };
    let (ctx, first_calls) = recording_context(sdk.clone(), location.clone());
    let ctx = at(ctx).with_settings(settings.clone());
    let first = remediate(control, &ctx, finding, Mode::Apply).await;
    assert!(
        matches!(first.outcome, Outcome::Remediated { .. }),
        "first run: {first:?}"
    );
    assert_least_privilege(control.meta(), &first_calls);

    let (ctx, second_calls) = recording_context(sdk.clone(), location.clone());
    let second = remediate(
        control,
        &at(ctx).with_settings(settings),
        finding,
        Mode::Apply,
    )
    .await;
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

/// A VPC with two subnets in different zones, as a load balancer needs.
pub(crate) async fn vpc_with_subnets(sdk: &SdkConfig, cidr: u8) -> (String, Vec<String>) {
    let ec2 = aws_sdk_ec2::Client::new(sdk);
    let vpc = ec2
        .create_vpc()
        .cidr_block(format!("10.{cidr}.0.0/16"))
        .send()
        .await
        .unwrap();
    let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_owned();
    let mut ids = Vec::new();
    for (n, zone) in ["us-east-1a", "us-east-1b"].iter().enumerate() {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .availability_zone(*zone)
            .cidr_block(format!("10.{cidr}.{n}.0/24"))
            .send()
            .await
            .unwrap();
        ids.push(subnet.subnet().unwrap().subnet_id().unwrap().to_owned());
    }
    (vpc_id, ids)
}

pub(crate) async fn new_bucket(sdk: &SdkConfig, prefix: &str) -> String {
    let bucket = unique(prefix);
    s3(sdk)
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    bucket
}

pub(crate) fn bucket_finding(control: &str, bucket: &str) -> Finding {
    let mut finding = finding_for(control, "AwsS3Bucket", &format!("arn:aws:s3:::{bucket}"));
    finding.aws_account_id = ACCOUNT.to_owned();
    finding
}
