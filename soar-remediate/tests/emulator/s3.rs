//! The S3 controls against moto.
//!
//! moto ignores `ExpectedBucketOwner` (every bucket is its one account's),
//! so that the S3 calls name the owner is checked by the controls' mock
//! tests, as is a `TransitionDefaultMinimumObjectSize` kept across a
//! lifecycle write, and a log bucket of another account (403 from S3).

use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, Permission, Tag, Tagging,
};
use soar_core::DestructiveControls;

use crate::support::*;

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn s3_1_account_block_public_access() {
    let sdk = sdk().await;
    let (ctx, _) = recording_context(sdk.clone(), here());
    let _ = ctx
        .s3control()
        .delete_public_access_block()
        .account_id(ACCOUNT)
        .send()
        .await;
    let mut finding = finding_for("S3.1", "AwsAccount", &format!("AWS::::Account:{ACCOUNT}"));
    finding.aws_account_id = ACCOUNT.to_owned();
    remediate_twice(&sdk, &finding, Settings::default(), [3, 1]).await;
    let (ctx, _) = recording_context(sdk.clone(), here());
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
    let (ctx, _) = recording_context(sdk.clone(), here());
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
    // Plan: GetBucketPolicy; apply: GetBucketPolicy again (to merge into
    // what is there now), PutBucketPolicy; verify: GetBucketPolicy.
    remediate_twice(
        &sdk,
        &bucket_finding("S3.5", &bucket),
        Settings::default(),
        [4, 1],
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
async fn s3_9_access_logging_into_a_bucket_whose_acl_allows_log_delivery() {
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
    // Plan: GetBucketLogging, then the log bucket's GetBucketLocation,
    // GetBucketPolicy (none) and GetBucketAcl; apply: PutBucketLogging;
    // verify: GetBucketLogging.
    remediate_twice(&sdk, &bucket_finding("S3.9", &bucket), settings, [6, 1]).await;
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
        // S3.10 expires data: it runs only where destructive_controls allow it.
        let settings = Settings {
            destructive_controls: DestructiveControls::new([control]).unwrap(),
            ..Settings::default()
        };
        // Plan: GetBucketLifecycleConfiguration; apply: read again (to keep
        // rules added since), PutBucketLifecycleConfiguration; verify: read.
        remediate_twice(&sdk, &bucket_finding(control, &bucket), settings, [4, 1]).await;
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
async fn missing_bucket_is_suppressed_not_ticketed() {
    let sdk = sdk().await;
    let registry = Registry::default();
    let (ctx, _) = recording_context(sdk.clone(), here());
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

async fn tag(sdk: &SdkConfig, bucket: &str, key: &str) {
    let tag = Tag::builder().key(key).value("true").build().unwrap();
    s3(sdk)
        .put_bucket_tagging()
        .bucket(bucket)
        .tagging(Tagging::builder().tag_set(tag).build().unwrap())
        .send()
        .await
        .unwrap();
}

async fn put_policy(sdk: &SdkConfig, bucket: &str, policy: &str) {
    s3(sdk)
        .put_bucket_policy()
        .bucket(bucket)
        .policy(policy)
        .send()
        .await
        .unwrap();
}

async fn policy_of(sdk: &SdkConfig, bucket: &str) -> serde_json::Value {
    let read = s3(sdk)
        .get_bucket_policy()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    serde_json::from_str(read.policy().unwrap()).unwrap()
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn s3_3_keeps_the_public_read_of_a_bucket_tagged_publicly_readable() {
    let sdk = sdk().await;
    let bucket = new_bucket(&sdk, "soar-public-site").await;
    // A public-read-write ACL, grant by grant: moto keeps the canned
    // `public-read-write` as one grant of READ and WRITE, and its
    // GetBucketAcl answers only the first permission of a grant.
    let owner = s3(&sdk)
        .get_bucket_acl()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let owner = owner.owner().and_then(|o| o.id()).unwrap().to_owned();
    s3(&sdk)
        .put_bucket_acl()
        .bucket(&bucket)
        .grant_full_control(format!("id={owner}"))
        .grant_read(format!("uri={ALL_USERS}"))
        .grant_write(format!("uri={ALL_USERS}"))
        .send()
        .await
        .unwrap();
    put_policy(
        &sdk,
        &bucket,
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"PublicSite","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
        ),
    )
    .await;
    tag(&sdk, &bucket, "soar:s3:request-publicly-readable").await;

    // Plan: GetBucketTagging, GetPublicAccessBlock, GetBucketAcl,
    // GetBucketPolicy; apply: GetBucketAcl, GetBucketPolicy (read again),
    // PutBucketAcl, PutBucketPolicy; verify: GetPublicAccessBlock,
    // GetBucketTagging, GetBucketAcl, GetBucketPolicy.
    remediate_twice(
        &sdk,
        &bucket_finding("S3.3", &bucket),
        Settings::default(),
        [12, 4],
    )
    .await;

    let acl = s3(&sdk)
        .get_bucket_acl()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let public: Vec<&Permission> = acl
        .grants()
        .iter()
        .filter(|g| g.grantee().and_then(|g| g.uri()) == Some(ALL_USERS))
        .filter_map(|g| g.permission())
        .collect();
    assert_eq!(public, [&Permission::Read], "{acl:?}");
    assert!(
        acl.grants().iter().any(|g| g.grantee().and_then(|g| g.id())
            == acl.owner().and_then(|o| o.id())
            && g.permission() == Some(&Permission::FullControl)),
        "the owner keeps full control: {acl:?}"
    );
    let policy = policy_of(&sdk, &bucket).await;
    assert_eq!(
        policy["Statement"][0]["Action"],
        serde_json::json!(["s3:GetObject"]),
        "{policy}"
    );
    let block = s3(&sdk)
        .get_public_access_block()
        .bucket(&bucket)
        .send()
        .await;
    assert!(
        block.is_err(),
        "Block Public Access must stay off: {block:?}"
    );
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn s3_5_a_deny_of_insecure_transport_to_the_objects_only_is_completed() {
    let sdk = sdk().await;
    let bucket = new_bucket(&sdk, "soar-tls-partial").await;
    put_policy(
        &sdk,
        &bucket,
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"ObjectsOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::{bucket}/*","Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}}}]}}"#
        ),
    )
    .await;
    remediate_twice(
        &sdk,
        &bucket_finding("S3.5", &bucket),
        Settings::default(),
        [4, 1],
    )
    .await;
    let policy = policy_of(&sdk, &bucket).await;
    let statements = policy["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 2, "{policy}");
    assert_eq!(statements[0]["Sid"], "ObjectsOnly");
    assert_eq!(
        statements[1]["Resource"],
        serde_json::json!([
            format!("arn:aws:s3:::{bucket}"),
            format!("arn:aws:s3:::{bucket}/*")
        ])
    );
}

/// The policy AWS documents for a log bucket, for sources in moto's account.
fn log_delivery_policy(logs: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"S3ServerAccessLogsPolicy","Effect":"Allow","Principal":{{"Service":"logging.s3.amazonaws.com"}},"Action":"s3:PutObject","Resource":"arn:aws:s3:::{logs}/*","Condition":{{"ArnLike":{{"aws:SourceArn":"arn:aws:s3:::*"}},"StringEquals":{{"aws:SourceAccount":"{ACCOUNT}"}}}}}}]}}"#
    )
}

fn logging_into(logs: &str) -> Settings {
    Settings {
        s3_access_log_bucket: Some(logs.to_owned()),
        ..Settings::default()
    }
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn s3_9_access_logging_into_a_bucket_whose_policy_allows_log_delivery() {
    let sdk = sdk().await;
    let logs = new_bucket(&sdk, "soar-logs-policy").await;
    put_policy(&sdk, &logs, &log_delivery_policy(&logs)).await;
    let bucket = new_bucket(&sdk, "soar-logged").await;
    // Plan: GetBucketLogging, GetBucketLocation, GetBucketPolicy (which is
    // enough); apply: PutBucketLogging; verify: GetBucketLogging.
    remediate_twice(
        &sdk,
        &bucket_finding("S3.9", &bucket),
        logging_into(&logs),
        [5, 1],
    )
    .await;
    let read = s3(&sdk)
        .get_bucket_logging()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(
        read.logging_enabled().map(|t| t.target_bucket()),
        Some(logs.as_str())
    );
}

/// Remediates S3.9 of `bucket` once into `logs`, and checks it is a ticket
/// saying `why`, that nothing was written, and that `bucket` still does not
/// log.
async fn assert_s3_9_ticket(sdk: &SdkConfig, bucket: &str, logs: &str, why: &str) {
    let registry = Registry::default();
    let control = registry.get("S3.9").unwrap();
    let (ctx, calls) = recording_context(sdk.clone(), here());
    let report = remediate(
        control,
        &ctx.with_settings(logging_into(logs)),
        &bucket_finding("S3.9", bucket),
        Mode::Apply,
    )
    .await;
    assert!(
        matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains(why)),
        "{report:?}"
    );
    let writes: Vec<String> = calls
        .actions()
        .into_iter()
        .filter(|a| is_write(a))
        .collect();
    assert!(writes.is_empty(), "wrote {writes:?}");
    assert_least_privilege(control.meta(), &calls);
    let read = s3(sdk)
        .get_bucket_logging()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    assert!(read.logging_enabled().is_none(), "{read:?}");
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn s3_9_a_log_bucket_that_does_not_allow_log_delivery_is_a_ticket() {
    let sdk = sdk().await;
    let logs = new_bucket(&sdk, "soar-logs-closed").await;
    let bucket = new_bucket(&sdk, "soar-unlogged").await;
    assert_s3_9_ticket(&sdk, &bucket, &logs, "does not let S3 deliver logs to it").await;
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn s3_9_a_log_bucket_in_another_region_is_a_ticket() {
    let sdk = sdk().await;
    let logs = unique("soar-logs-eu");
    let eu = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .region(aws_types::region::Region::new("eu-west-1"))
            .force_path_style(true)
            .build(),
    );
    eu.create_bucket()
        .bucket(&logs)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    eu.put_bucket_policy()
        .bucket(&logs)
        .policy(log_delivery_policy(&logs))
        .send()
        .await
        .unwrap();
    let bucket = new_bucket(&sdk, "soar-unlogged").await;
    assert_s3_9_ticket(&sdk, &bucket, &logs, "it is in eu-west-1 and bucket").await;
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn s3_9_a_missing_log_bucket_is_a_ticket_not_a_suppression() {
    let sdk = sdk().await;
    let bucket = new_bucket(&sdk, "soar-unlogged").await;
    assert_s3_9_ticket(&sdk, &bucket, &unique("soar-no-logs"), "it does not exist").await;
}
