//! The IAM controls against moto.
//!
//! moto makes every key and password now, so the tests judge their age
//! from a "now" 100 days on (`Context::with_now`). moto answers
//! `GetAccessKeyLastUsed` for a key never used without a date, and
//! `GetUser` without `PasswordLastUsed`, as IAM does: the controls then
//! count from when the credential was made.

use soar_core::{DestructiveControls, Timestamp};

use crate::support::*;

/// 100 days from now.
fn in_100_days() -> Timestamp {
    Timestamp(Timestamp::now().0 + 100 * 86_400)
}

fn own(control: &str, resource_type: &str, resource_id: &str) -> Finding {
    let mut finding = finding_for(control, resource_type, resource_id);
    finding.aws_account_id = ACCOUNT.to_owned();
    finding
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn iam_password_policy_controls_set_the_baseline_keeping_stricter_settings() {
    let sdk = sdk().await;
    let iam = aws_sdk_iam::Client::new(&sdk);
    iam.update_account_password_policy()
        .minimum_password_length(20)
        .require_numbers(true)
        .send()
        .await
        .unwrap();
    let finding = own("IAM.15", "AwsAccount", &format!("AWS::::Account:{ACCOUNT}"));
    // GetAccountPasswordPolicy, UpdateAccountPasswordPolicy,
    // GetAccountPasswordPolicy; then GetAccountPasswordPolicy.
    remediate_twice(&sdk, &finding, Settings::default(), [3, 1]).await;
    let policy = iam.get_account_password_policy().send().await.unwrap();
    let policy = policy.password_policy().unwrap();
    assert_eq!(
        policy.minimum_password_length(),
        Some(20),
        "the stricter length is kept"
    );
    assert!(policy.require_symbols() && policy.require_uppercase_characters());
    assert_eq!(policy.password_reuse_prevention(), Some(24));
    assert_eq!(policy.max_password_age(), Some(90));
}

#[tokio::test]
#[ignore = "needs the moto emulator: run scripts/test-all.sh"]
async fn iam_3_and_iam_8_deactivate_old_unused_keys_and_remove_the_password_when_allowed() {
    let sdk = sdk().await;
    let iam = aws_sdk_iam::Client::new(&sdk);
    let name = unique("soar-user");
    let created = iam.create_user().user_name(&name).send().await.unwrap();
    let arn = created.user().unwrap().arn().to_owned();
    let key = iam
        .create_access_key()
        .user_name(&name)
        .send()
        .await
        .unwrap();
    let key_id = key.access_key().unwrap().access_key_id().to_owned();
    let status = |iam: aws_sdk_iam::Client, name: String| async move {
        let keys = iam
            .list_access_keys()
            .user_name(&name)
            .send()
            .await
            .unwrap();
        keys.access_key_metadata()[0]
            .status()
            .unwrap()
            .as_str()
            .to_owned()
    };

    // IAM.3: ListAccessKeys, GetCallerIdentity, UpdateAccessKey,
    // ListAccessKeys; then ListAccessKeys.
    let finding = own("IAM.3", "AwsIamUser", &arn);
    remediate_twice_at(
        &sdk,
        &here(),
        Some(in_100_days()),
        &finding,
        Settings::default(),
        [4, 1],
    )
    .await;
    assert_eq!(status(iam.clone(), name.clone()).await, "Inactive");

    // IAM.22, not allowed to delete, on a user without a password: the
    // unused key is deactivated. GetLoginProfile, ListAccessKeys,
    // GetAccessKeyLastUsed, GetCallerIdentity, UpdateAccessKey, then the
    // three reads; then the three reads.
    let other = unique("soar-user");
    let created = iam.create_user().user_name(&other).send().await.unwrap();
    let other_arn = created.user().unwrap().arn().to_owned();
    iam.create_access_key()
        .user_name(&other)
        .send()
        .await
        .unwrap();
    let finding = own("IAM.22", "AwsIamUser", &other_arn);
    remediate_twice_at(
        &sdk,
        &here(),
        Some(in_100_days()),
        &finding,
        Settings::default(),
        [8, 3],
    )
    .await;
    assert_eq!(status(iam.clone(), other).await, "Inactive");

    // IAM.8, allowed, on the first user with its key active again and an
    // unused password: the key is deactivated and deleted, the password
    // deleted. GetLoginProfile, GetUser, ListAccessKeys,
    // GetAccessKeyLastUsed, GetCallerIdentity, UpdateAccessKey,
    // DeleteAccessKey, DeleteLoginProfile, then GetLoginProfile and
    // ListAccessKeys; then those two.
    iam.update_access_key()
        .user_name(&name)
        .access_key_id(&key_id)
        .status(aws_sdk_iam::types::StatusType::Active)
        .send()
        .await
        .unwrap();
    iam.create_login_profile()
        .user_name(&name)
        .password("Correct-Horse-Battery-9")
        .send()
        .await
        .unwrap();
    let allowed = Settings {
        destructive_controls: DestructiveControls::new(["IAM.8"]).unwrap(),
        ..Settings::default()
    };
    let finding = own("IAM.8", "AwsIamUser", &arn);
    remediate_twice_at(
        &sdk,
        &here(),
        Some(in_100_days()),
        &finding,
        allowed,
        [10, 2],
    )
    .await;
    let keys = iam
        .list_access_keys()
        .user_name(&name)
        .send()
        .await
        .unwrap();
    assert!(keys.access_key_metadata().is_empty(), "the key is gone");
    assert!(
        iam.get_login_profile()
            .user_name(&name)
            .send()
            .await
            .is_err(),
        "the password is gone"
    );
}
