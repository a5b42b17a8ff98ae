//! IAM.8 and IAM.22: take away a user's credentials that have not been
//! used for 90 (IAM.8) or 45 (IAM.22) days.
//!
//! An unused active access key is deactivated, which can be undone. Only
//! when `destructive_controls` allows the control ID are unused keys
//! (deactivated first, then) deleted, and an unused console password, for
//! which there is no way to switch it off: a password to delete without
//! that allowance makes the finding a ticket naming it, and nothing
//! changes. A user without
//! a console password has only keys to check. The credentials of the
//! principal soar runs as are never touched. A credential never used
//! counts from when it was made.

use async_trait::async_trait;
use aws_sdk_iam::types::StatusType;
use serde_json::json;
use soar_asff::Finding;

use super::iam_3::access_keys;
use super::{days_since, deactivate_key, not_soar_itself, user, User};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What IAM.8 and IAM.22 are and the IAM actions they need.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["IAM.8", "IAM.22"],
    title: "Unused IAM user credentials are removed",
    service: Service::Iam,
    resource_type: "AwsIamUser",
    iam_actions: &[
        "iam:GetUser",
        "iam:GetLoginProfile",
        "iam:ListAccessKeys",
        "iam:GetAccessKeyLastUsed",
        "iam:UpdateAccessKey",
        "iam:DeleteAccessKey",
        "iam:DeleteLoginProfile",
        "sts:GetCallerIdentity",
    ],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(RemoveUnusedCredentials)
}

/// Deactivates unused keys; deletes unused passwords and inactive unused
/// keys when allowed.
pub(crate) struct RemoveUnusedCredentials;

/// Days without use after which a credential goes, by control.
fn unused_days(control: &str) -> i64 {
    if control == "IAM.22" {
        45
    } else {
        90
    }
}

/// The user's credentials unused for longer than `days`.
#[derive(Debug, Default, PartialEq, Eq)]
struct Unused {
    /// Active keys, to deactivate.
    active_keys: Vec<String>,
    /// Inactive keys, to delete when allowed.
    inactive_keys: Vec<String>,
    /// The console password, to delete when allowed.
    password: bool,
}

async fn unused(ctx: &Context, user: &User, days: i64) -> Result<Unused, RemediationError> {
    let mut found = Unused::default();
    let profile = match ctx.iam().get_login_profile().user_name(&user.name).send().await {
        Ok(profile) => profile.login_profile().map(|p| *p.create_date()),
        Err(e) if crate::error::code_of(&e) == Some("NoSuchEntity") => None,
        Err(e) => return Err(RemediationError::aws("GetLoginProfile", &e)),
    };
    if let Some(made) = profile {
        let details = ctx
            .iam()
            .get_user()
            .user_name(&user.name)
            .send()
            .await
            .map_err(|e| RemediationError::aws("GetUser", &e))?;
        let last = details.user().and_then(|u| u.password_last_used()).copied();
        found.password = days_since(ctx, &last.unwrap_or(made)) > days;
    }
    for key in access_keys(ctx, user).await? {
        let (Some(id), Some(made)) = (key.access_key_id(), key.create_date()) else {
            continue;
        };
        let used = ctx
            .iam()
            .get_access_key_last_used()
            .access_key_id(id)
            .send()
            .await
            .map_err(|e| RemediationError::aws("GetAccessKeyLastUsed", &e))?;
        let last = used
            .access_key_last_used()
            .and_then(|u| u.last_used_date())
            .unwrap_or(made);
        if days_since(ctx, last) <= days {
            continue;
        }
        match key.status() {
            Some(StatusType::Active) => found.active_keys.push(id.to_owned()),
            _ => found.inactive_keys.push(id.to_owned()),
        }
    }
    Ok(found)
}

#[async_trait]
impl Remediation for RemoveUnusedCredentials {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    fn destructive_step(&self) -> Option<&'static str> {
        Some("deletes unused keys and console passwords; deactivates keys otherwise")
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let days = unused_days(control);
        let user = user(finding, &META)?;
        let found = unused(ctx, &user, days).await?;
        let may_delete = ctx.settings.destructive_controls.allows(control);
        if found.active_keys.is_empty() && !found.password {
            // Inactive keys do not fail the control; they go only when allowed.
            if found.inactive_keys.is_empty() || !may_delete {
                return Ok(Plan::compliant(control, user.name));
            }
        }
        not_soar_itself(ctx, control, &user).await?;
        if found.password && !may_delete {
            return Err(RemediationError::CannotFix {
                control_id: control.to_owned(),
                reason: format!(
                    "the console password of user {} has not been used for {days} days; removing it deletes it, which destructive_controls does not allow for {control}: delete the login profile by hand, or allow {control}",
                    user.name
                ),
            });
        }
        let name = &user.name;
        let mut changes = Vec::new();
        for key in &found.active_keys {
            changes.push(Plan::change(
                "iam:UpdateAccessKey",
                format!("deactivate access key {key} of user {name}, unused for {days} days"),
            ));
        }
        // Allowed, every unused key goes: the active ones are deactivated
        // first, so that a failed deletion still leaves them unusable.
        let delete: Vec<String> = if may_delete {
            found.active_keys.iter().chain(&found.inactive_keys).cloned().collect()
        } else {
            Vec::new()
        };
        for key in &delete {
            changes.push(Plan::change(
                "iam:DeleteAccessKey",
                format!("delete access key {key} of user {name}, unused for {days} days"),
            ));
        }
        if found.password {
            changes.push(Plan::change(
                "iam:DeleteLoginProfile",
                format!("delete the console password of user {name}, unused for {days} days"),
            ));
        }
        Ok(Plan::changes(
            control,
            user.name.clone(),
            changes,
            json!({
                "deactivate": found.active_keys,
                "delete": delete,
                "delete_password": found.password,
            }),
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        let list = |member: &str| plan.data_as::<Vec<String>>(member);
        let name = &plan.resource;
        let mut actions_taken = Vec::new();
        for key in list("deactivate")? {
            deactivate_key(ctx, name, &key).await?;
            actions_taken.push(format!("Deactivated unused access key {key} of user {name}."));
        }
        for key in list("delete")? {
            ctx.iam()
                .delete_access_key()
                .user_name(name)
                .access_key_id(&key)
                .send()
                .await
                .map_err(|e| RemediationError::aws("DeleteAccessKey", &e))?;
            actions_taken.push(format!("Deleted unused access key {key} of user {name}."));
        }
        if plan.data["delete_password"] == json!(true) {
            ctx.iam()
                .delete_login_profile()
                .user_name(name)
                .send()
                .await
                .map_err(|e| RemediationError::aws("DeleteLoginProfile", &e))?;
            actions_taken.push(format!("Deleted the unused console password of user {name}."));
        }
        Ok(Outcome::Remediated { actions_taken })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        let control = control_id(finding, META.ids);
        let found = unused(ctx, &user(finding, &META)?, unused_days(control)).await?;
        Ok(found.active_keys.is_empty() && !found.password)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_sdk_iam::operation::delete_access_key::DeleteAccessKeyOutput;
    use aws_sdk_iam::operation::delete_login_profile::DeleteLoginProfileOutput;
    use aws_sdk_iam::operation::get_access_key_last_used::GetAccessKeyLastUsedOutput;
    use aws_sdk_iam::operation::get_login_profile::{GetLoginProfileError, GetLoginProfileOutput};
    use aws_sdk_iam::operation::get_user::GetUserOutput;
    use aws_sdk_iam::operation::list_access_keys::ListAccessKeysOutput;
    use aws_sdk_iam::operation::update_access_key::{
        UpdateAccessKeyError, UpdateAccessKeyInput, UpdateAccessKeyOutput,
    };
    use aws_sdk_iam::types::{AccessKeyLastUsed, AccessKeyMetadata, LoginProfile, User as IamUser};
    use aws_sdk_iam::Client;
    use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
    use aws_smithy_types::DateTime;
    use soar_core::{DestructiveControls, Timestamp};

    use super::*;
    use crate::testkit::aws_smithy_mocks::MockResponse;
    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, aws_error, finding_for, mock,
        mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode, Report, Settings};

    const NOW: i64 = 1_780_000_000;
    const DAY: i64 = 86_400;
    const KEY: &str = "AKIAUNUSEDUNUSEDUNU1";

    fn finding(control: &str) -> Finding {
        finding_for(control, "AwsIamUser", "arn:aws:iam::111111111111:user/alice")
    }

    fn ago(days: i64) -> DateTime {
        DateTime::from_secs(NOW - days * DAY)
    }

    /// Alice's console password: none, or made and last used `days` ago;
    /// gone after the first read when `deleted_then`.
    fn password(days: Option<i64>, deleted_then: bool) -> [Rule; 2] {
        let reads = AtomicUsize::new(0);
        let profile = mock!(Client::get_login_profile).then_compute_response(move |_| {
            let first = reads.fetch_add(1, Ordering::SeqCst) == 0;
            match days {
                Some(d) if first || !deleted_then => MockResponse::Output(
                    GetLoginProfileOutput::builder()
                        .login_profile(
                            LoginProfile::builder()
                                .user_name("alice")
                                .create_date(ago(d))
                                .build()
                                .unwrap(),
                        )
                        .build(),
                ),
                _ => MockResponse::Error(GetLoginProfileError::generic(aws_error(
                    "NoSuchEntity",
                    "Login Profile for User alice cannot be found.",
                ))),
            }
        });
        let user = mock!(Client::get_user).then_output(move || {
            let mut user = IamUser::builder()
                .path("/")
                .user_name("alice")
                .user_id("AIDA")
                .arn("arn:aws:iam::111111111111:user/alice")
                .create_date(ago(400));
            if let Some(d) = days {
                user = user.password_last_used(ago(d));
            }
            GetUserOutput::builder().user(user.build().unwrap()).build()
        });
        [profile, user]
    }

    /// Alice's one key, made 400 days ago and last used `days` ago: `first`
    /// at the first listing, then `then`.
    fn key(days: i64, first: StatusType, then: StatusType) -> [Rule; 2] {
        let listing = |status: StatusType| {
            ListAccessKeysOutput::builder()
                .access_key_metadata(
                    AccessKeyMetadata::builder()
                        .user_name("alice")
                        .access_key_id(KEY)
                        .status(status)
                        .create_date(ago(400))
                        .build(),
                )
                .build()
                .unwrap()
        };
        let listed = mock!(Client::list_access_keys)
            .sequence()
            .output(move || listing(first.clone()))
            .output(move || listing(then.clone()))
            .repeatedly()
            .build();
        let used = mock!(Client::get_access_key_last_used)
            .match_requests(|r| r.access_key_id() == Some(KEY))
            .then_output(move || {
                GetAccessKeyLastUsedOutput::builder()
                    .access_key_last_used(
                        AccessKeyLastUsed::builder()
                            .last_used_date(ago(days))
                            .service_name("s3")
                            .region("us-east-1")
                            .build()
                            .unwrap(),
                    )
                    .build()
            });
        [listed, used]
    }

    const ACTIVE: StatusType = StatusType::Active;
    const INACTIVE: StatusType = StatusType::Inactive;

    fn caller() -> Rule {
        mock!(aws_sdk_sts::Client::get_caller_identity).then_output(|| {
            GetCallerIdentityOutput::builder()
                .arn("arn:aws:sts::111111111111:assumed-role/soar-remediation/soar")
                .build()
        })
    }

    fn deactivating(r: &UpdateAccessKeyInput) -> bool {
        r.user_name() == Some("alice")
            && r.access_key_id() == Some(KEY)
            && r.status() == Some(&StatusType::Inactive)
    }

    fn writes() -> [Rule; 3] {
        [
            mock!(Client::update_access_key)
                .match_requests(deactivating)
                .then_output(|| UpdateAccessKeyOutput::builder().build()),
            mock!(Client::delete_access_key)
                .match_requests(|r| r.user_name() == Some("alice") && r.access_key_id() == Some(KEY))
                .then_output(|| DeleteAccessKeyOutput::builder().build()),
            mock!(Client::delete_login_profile)
                .match_requests(|r| r.user_name() == Some("alice"))
                .then_output(|| DeleteLoginProfileOutput::builder().build()),
        ]
    }

    fn allowing(control: &str) -> Settings {
        Settings {
            destructive_controls: DestructiveControls::new([control]).unwrap(),
            ..Settings::default()
        }
    }

    async fn run(control: &str, settings: Settings, rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        let ctx = ctx.with_now(Timestamp(NOW)).with_settings(settings);
        remediate(&RemoveUnusedCredentials, &ctx, &finding(control), Mode::Apply).await
    }

    fn calls(writes: &[Rule; 3]) -> [usize; 3] {
        [writes[0].num_calls(), writes[1].num_calls(), writes[2].num_calls()]
    }

    #[tokio::test]
    async fn a_user_without_a_password_gets_its_unused_key_deactivated() {
        let ([p, u], [l, k]) = (password(None, false), key(100, ACTIVE, INACTIVE));
        let (c, w) = (caller(), writes());
        let rules = [&p, &u, &l, &k, &c, &w[0], &w[1], &w[2]];
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &rules);
        let ctx = ctx.with_now(Timestamp(NOW));
        let report = remediate(&RemoveUnusedCredentials, &ctx, &finding("IAM.8"), Mode::Apply).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(calls(&w), [1, 0, 0], "deactivated, nothing deleted");
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn iam_22_counts_45_days_and_iam_8_90() {
        let ([p, u], c) = (password(None, false), caller());
        let ([l, k], w) = (key(60, ACTIVE, INACTIVE), writes());
        let report = run("IAM.8", Settings::default(), &[&p, &u, &l, &k, &c, &w[0]]).await;
        assert_eq!(report.outcome, Outcome::AlreadyCompliant);
        assert_eq!(calls(&w), [0, 0, 0]);
        let ([l, k], w) = (key(60, ACTIVE, INACTIVE), writes());
        let report = run("IAM.22", Settings::default(), &[&p, &u, &l, &k, &c, &w[0]]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(calls(&w), [1, 0, 0]);
    }

    #[tokio::test]
    async fn an_unused_password_is_deleted_only_when_allowed() {
        let ([l, k], c) = (key(1, ACTIVE, ACTIVE), caller());
        let ([p, u], w) = (password(Some(120), true), writes());
        let rules = [&p, &u, &l, &k, &c, &w[0], &w[1], &w[2]];
        let report = run("IAM.8", Settings::default(), &rules).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("console password of user alice") && reason.contains("allow IAM.8")),
            "{report:?}"
        );
        assert_eq!(calls(&w), [0, 0, 0]);
        // Allowed: the password goes; the key in use stays.
        let ([p, u], w) = (password(Some(120), true), writes());
        let rules = [&p, &u, &l, &k, &c, &w[0], &w[1], &w[2]];
        let report = run("IAM.8", allowing("IAM.8"), &rules).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(calls(&w), [0, 0, 1]);
    }

    #[tokio::test]
    async fn allowed_an_unused_key_is_deactivated_then_deleted() {
        let ([p, u], c, w) = (password(None, false), caller(), writes());
        let [l, k] = key(100, ACTIVE, ACTIVE);
        let gone = mock!(Client::list_access_keys)
            .sequence()
            .output(|| {
                ListAccessKeysOutput::builder()
                    .access_key_metadata(
                        AccessKeyMetadata::builder()
                            .user_name("alice")
                            .access_key_id(KEY)
                            .status(ACTIVE)
                            .create_date(ago(400))
                            .build(),
                    )
                    .build()
                    .unwrap()
            })
            .output(|| ListAccessKeysOutput::builder().set_access_key_metadata(Some(vec![])).build().unwrap())
            .repeatedly()
            .build();
        drop(l);
        let report = run("IAM.8", allowing("IAM.8"), &[&p, &u, &gone, &k, &c, &w[0], &w[1]]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(calls(&w), [1, 1, 0]);
    }

    #[tokio::test]
    async fn an_inactive_unused_key_is_deleted_only_when_allowed() {
        let ([p, u], c, w) = (password(None, false), caller(), writes());
        let [l, k] = key(200, INACTIVE, INACTIVE);
        let report = run("IAM.8", Settings::default(), &[&p, &u, &l, &k, &c, &w[1]]).await;
        assert_eq!(report.outcome, Outcome::AlreadyCompliant);
        let report = run("IAM.8", allowing("IAM.8"), &[&p, &u, &l, &k, &c, &w[1]]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(calls(&w), [0, 1, 0]);
    }

    #[tokio::test]
    async fn a_deleted_user_is_suppressed() {
        let gone = mock!(Client::get_login_profile).then_error(|| {
            GetLoginProfileError::generic(aws_error("NoSuchEntity", "The user with name alice cannot be found."))
        });
        let gone_keys = mock!(Client::list_access_keys).then_error(|| {
            aws_sdk_iam::operation::list_access_keys::ListAccessKeysError::generic(aws_error(
                "NoSuchEntity",
                "The user with name alice cannot be found.",
            ))
        });
        let report = run("IAM.8", Settings::default(), &[&gone, &gone_keys]).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("NoSuchEntity")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket_and_a_throttled_one_is_retried() {
        let ([p, u], c) = (password(None, false), caller());
        let [l, k] = key(100, ACTIVE, ACTIVE);
        let denied = mock!(Client::update_access_key)
            .then_error(|| UpdateAccessKeyError::generic(aws_error("AccessDenied", "no")));
        let report = run("IAM.8", Settings::default(), &[&p, &u, &l, &k, &c, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("UpdateAccessKey failed (access denied)")),
            "{report:?}"
        );
        let [l, k] = key(100, ACTIVE, INACTIVE);
        let throttled = mock!(Client::update_access_key)
            .match_requests(deactivating)
            .sequence()
            .error(|| UpdateAccessKeyError::generic(aws_error("Throttling", "slow")))
            .output(|| UpdateAccessKeyOutput::builder().build())
            .build();
        let report = run("IAM.8", Settings::default(), &[&p, &u, &l, &k, &c, &throttled]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(throttled.num_calls(), 2);
    }
}
