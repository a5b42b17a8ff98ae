//! IAM.3: deactivate a user's access keys older than 90 days.
//!
//! Each active key created more than
//! [`Settings::iam_access_key_max_age_days`](crate::Settings::iam_access_key_max_age_days)
//! days ago is made `Inactive`, which a person can undo in a second;
//! nothing is deleted. The keys of the principal soar itself runs as are
//! never touched.

use async_trait::async_trait;
use aws_sdk_iam::types::{AccessKeyMetadata, StatusType};
use serde_json::json;
use soar_asff::Finding;

use super::{days_since, deactivate_key, not_soar_itself, user, User};
use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What IAM.3 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["IAM.3"],
    title: "IAM users' access keys are rotated every 90 days or less",
    service: Service::Iam,
    resource_type: "AwsIamUser",
    iam_actions: &[
        "iam:ListAccessKeys",
        "iam:UpdateAccessKey",
        "sts:GetCallerIdentity",
    ],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(DeactivateOldKeys)
}

/// Deactivates the user's active keys past the maximum age.
pub(crate) struct DeactivateOldKeys;

/// The user's access keys (a user has at most two).
pub(crate) async fn access_keys(
    ctx: &Context,
    user: &User,
) -> Result<Vec<AccessKeyMetadata>, RemediationError> {
    let output = ctx
        .iam()
        .list_access_keys()
        .user_name(&user.name)
        .send()
        .await
        .map_err(|e| RemediationError::aws("ListAccessKeys", &e))?;
    Ok(output.access_key_metadata().to_vec())
}

/// The IDs of the active keys older than the maximum age.
async fn old_keys(ctx: &Context, user: &User) -> Result<Vec<String>, RemediationError> {
    let max_age = ctx.settings.iam_access_key_max_age_days;
    Ok(access_keys(ctx, user)
        .await?
        .iter()
        .filter(|k| k.status() == Some(&StatusType::Active))
        .filter(|k| k.create_date().is_some_and(|made| days_since(ctx, made) > max_age))
        .filter_map(|k| k.access_key_id().map(str::to_owned))
        .collect())
}

#[async_trait]
impl Remediation for DeactivateOldKeys {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let user = user(finding, &META)?;
        let old = old_keys(ctx, &user).await?;
        if old.is_empty() {
            return Ok(Plan::compliant(control, user.name));
        }
        not_soar_itself(ctx, control, &user).await?;
        let max_age = ctx.settings.iam_access_key_max_age_days;
        let changes = old
            .iter()
            .map(|id| {
                Plan::change(
                    "iam:UpdateAccessKey",
                    format!(
                        "deactivate access key {id} of user {}, older than {max_age} days",
                        user.name
                    ),
                )
            })
            .collect();
        Ok(Plan::changes(control, user.name, changes, json!({ "keys": old })))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        let keys: Vec<String> = plan.data_as("keys")?;
        let mut actions_taken = Vec::with_capacity(keys.len());
        for key in &keys {
            deactivate_key(ctx, &plan.resource, key).await?;
            actions_taken.push(format!(
                "Deactivated access key {key} of user {}; reactivate it with UpdateAccessKey if it is still needed.",
                plan.resource
            ));
        }
        Ok(Outcome::Remediated { actions_taken })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        Ok(old_keys(ctx, &user(finding, &META)?).await?.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_iam::operation::list_access_keys::{ListAccessKeysError, ListAccessKeysOutput};
    use aws_sdk_iam::operation::update_access_key::{
        UpdateAccessKeyError, UpdateAccessKeyInput, UpdateAccessKeyOutput,
    };
    use aws_sdk_iam::Client;
    use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
    use aws_smithy_types::DateTime;
    use soar_core::Timestamp;

    use super::*;
    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, aws_error, finding_for, mock,
        mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode, Report};

    const NOW: i64 = 1_780_000_000;
    const DAY: i64 = 86_400;
    const OLD: &str = "AKIAOLDOLDOLDOLDOLD1";
    const NEW: &str = "AKIANEWNEWNEWNEWNEW1";

    fn finding() -> Finding {
        finding_for("IAM.3", "AwsIamUser", "arn:aws:iam::111111111111:user/ci/deployer")
    }

    fn key(id: &str, age_days: i64, status: StatusType) -> AccessKeyMetadata {
        AccessKeyMetadata::builder()
            .user_name("deployer")
            .access_key_id(id)
            .status(status)
            .create_date(DateTime::from_secs(NOW - age_days * DAY))
            .build()
    }

    /// The user's keys: an old one (active, then as `then`) and a new one.
    fn listed(old_age: i64, then: StatusType) -> Rule {
        let keys = move |old: StatusType| {
            ListAccessKeysOutput::builder()
                .access_key_metadata(key(OLD, old_age, old))
                .access_key_metadata(key(NEW, 10, StatusType::Active))
                .build()
                .unwrap()
        };
        mock!(Client::list_access_keys)
            .match_requests(|r| r.user_name() == Some("deployer"))
            .sequence()
            .output(move || keys(StatusType::Active))
            .output(move || keys(then.clone()))
            .repeatedly()
            .build()
    }

    fn caller(arn: &'static str) -> Rule {
        mock!(aws_sdk_sts::Client::get_caller_identity).then_output(move || {
            GetCallerIdentityOutput::builder()
                .arn(arn)
                .account("111111111111")
                .build()
        })
    }

    fn deactivating(r: &UpdateAccessKeyInput) -> bool {
        r.user_name() == Some("deployer")
            && r.access_key_id() == Some(OLD)
            && r.status() == Some(&StatusType::Inactive)
    }

    fn update() -> Rule {
        mock!(Client::update_access_key)
            .match_requests(deactivating)
            .then_output(|| UpdateAccessKeyOutput::builder().build())
    }

    const ROLE: &str = "arn:aws:sts::111111111111:assumed-role/soar-remediation/soar";

    async fn run(rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        let ctx = ctx.with_now(Timestamp(NOW));
        remediate(&DeactivateOldKeys, &ctx, &finding(), Mode::Apply).await
    }

    #[tokio::test]
    async fn deactivates_only_the_key_past_90_days() {
        let (l, c, u) = (listed(91, StatusType::Inactive), caller(ROLE), update());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&l, &c, &u]);
        let ctx = ctx.with_now(Timestamp(NOW));
        let report = remediate(&DeactivateOldKeys, &ctx, &finding(), Mode::Apply).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(report.resource.as_deref(), Some("deployer"));
        assert_eq!(u.num_calls(), 1);
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn keys_within_90_days_get_no_write() {
        let (l, u) = (listed(90, StatusType::Active), update());
        assert_eq!(run(&[&l, &u]).await.outcome, Outcome::AlreadyCompliant);
        assert_eq!(u.num_calls(), 0);
    }

    #[tokio::test]
    async fn soar_never_deactivates_its_own_key() {
        let (l, u) = (listed(200, StatusType::Inactive), update());
        let me = caller("arn:aws:iam::111111111111:user/ci/deployer");
        let report = run(&[&l, &me, &u]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason } if reason.contains("the principal soar runs as")),
            "{report:?}"
        );
        assert_eq!(u.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_deleted_user_is_suppressed() {
        let gone = mock!(Client::list_access_keys).then_error(|| {
            ListAccessKeysError::generic(aws_error("NoSuchEntity", "The user with name deployer cannot be found."))
        });
        let report = run(&[&gone]).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("NoSuchEntity")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket_and_a_throttled_one_is_retried() {
        let (l, c) = (listed(91, StatusType::Active), caller(ROLE));
        let denied = mock!(Client::update_access_key)
            .then_error(|| UpdateAccessKeyError::generic(aws_error("AccessDenied", "no")));
        let report = run(&[&l, &c, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("UpdateAccessKey failed (access denied)")),
            "{report:?}"
        );
        let l = listed(91, StatusType::Inactive);
        let throttled = mock!(Client::update_access_key)
            .match_requests(deactivating)
            .sequence()
            .error(|| UpdateAccessKeyError::generic(aws_error("Throttling", "slow")))
            .output(|| UpdateAccessKeyOutput::builder().build())
            .build();
        let report = run(&[&l, &c, &throttled]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(throttled.num_calls(), 2);
    }
}
