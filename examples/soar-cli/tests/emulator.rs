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
    let finding = std::fs::read_to_string(fixture)
        .unwrap()
        .replace("arn:aws:s3:::example", &format!("arn:aws:s3:::{bucket}"));
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
