//! S3.1: turn on Block Public Access for the whole account.

use async_trait::async_trait;
use aws_sdk_s3control::types::PublicAccessBlockConfiguration;
use soar_asff::Finding;

use super::BLOCK_SETTINGS;
use crate::controls::{control_id, optional};
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What S3.1 is and what it may do.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["S3.1"],
    title: "S3 general purpose buckets have account-level Block Public Access on",
    service: Service::S3,
    resource_type: "AwsAccount",
    iam_actions: &[
        "s3:GetAccountPublicAccessBlock",
        "s3:PutAccountPublicAccessBlock",
    ],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(BlockAccountPublicAccess)
}

/// Turns on the four account-level Block Public Access settings.
pub(crate) struct BlockAccountPublicAccess;

/// The account's Block Public Access settings, all `false` when none are set.
async fn account_settings(ctx: &Context, account: &str) -> Result<[bool; 4], RemediationError> {
    let found = optional(
        "GetPublicAccessBlock",
        ctx.s3control()
            .get_public_access_block()
            .account_id(account)
            .send()
            .await,
        &["NoSuchPublicAccessBlockConfiguration"],
    )?;
    let c = found
        .as_ref()
        .and_then(|o| o.public_access_block_configuration());
    Ok([
        c.and_then(|c| c.block_public_acls()).unwrap_or(false),
        c.and_then(|c| c.ignore_public_acls()).unwrap_or(false),
        c.and_then(|c| c.block_public_policy()).unwrap_or(false),
        c.and_then(|c| c.restrict_public_buckets()).unwrap_or(false),
    ])
}

#[async_trait]
impl Remediation for BlockAccountPublicAccess {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        // The context's own account: its credentials are for it, and it is
        // the finding's account (see `ContextFactory::context_for`).
        let account = ctx.account_id().to_owned();
        let settings = account_settings(ctx, &account).await?;
        if settings.iter().all(|on| *on) {
            return Ok(Plan::compliant(control, account));
        }
        let off: Vec<&str> = BLOCK_SETTINGS
            .iter()
            .zip(settings)
            .filter(|(_, on)| !on)
            .map(|(n, _)| *n)
            .collect();
        let change = Plan::change(
            "s3:PutAccountPublicAccessBlock",
            format!("turn on {} for account {account}", off.join(", ")),
        );
        Ok(Plan::changes(
            control,
            account,
            vec![change],
            serde_json::Value::Null,
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        if plan.resource != ctx.account_id() {
            return Err(RemediationError::InvalidPlan {
                control_id: plan.control_id.clone(),
                reason: format!(
                    "the plan is for account {}, but this context acts in account {}",
                    plan.resource,
                    ctx.account_id()
                ),
            });
        }
        let all = PublicAccessBlockConfiguration::builder()
            .block_public_acls(true)
            .ignore_public_acls(true)
            .block_public_policy(true)
            .restrict_public_buckets(true)
            .build();
        ctx.s3control()
            .put_public_access_block()
            .account_id(&plan.resource)
            .public_access_block_configuration(all)
            .send()
            .await
            .map_err(|e| RemediationError::aws("PutPublicAccessBlock", &e))?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Turned on account-level Block Public Access for account {}.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, _finding: &Finding) -> Result<bool, RemediationError> {
        Ok(account_settings(ctx, ctx.account_id())
            .await?
            .iter()
            .all(|on| *on))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_sdk_s3control::operation::get_public_access_block::{
        GetPublicAccessBlockError, GetPublicAccessBlockOutput,
    };
    use aws_sdk_s3control::operation::put_public_access_block::{
        PutPublicAccessBlockError, PutPublicAccessBlockInput, PutPublicAccessBlockOutput,
    };
    use aws_sdk_s3control::Client;

    use super::*;
    use crate::controls::s3::test_support::{access_denied, slow_down, throttled_write};
    use crate::testkit::aws_smithy_mocks::MockResponse;
    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, aws_error, finding_for, mock,
        mock_context, Rule, RuleMode, TEST_ACCOUNT,
    };
    use crate::{remediate, Mode};

    fn finding() -> Finding {
        finding_for(
            "S3.1",
            "AwsAccount",
            &format!("AWS::::Account:{TEST_ACCOUNT}"),
        )
    }

    fn settings(on: bool) -> PublicAccessBlockConfiguration {
        PublicAccessBlockConfiguration::builder()
            .block_public_acls(on)
            .ignore_public_acls(on)
            .block_public_policy(true)
            .restrict_public_buckets(on)
            .build()
    }

    /// The account's settings as S3 Control keeps them: `None` for none.
    type Account = Arc<Mutex<Option<PublicAccessBlockConfiguration>>>;

    /// Reads of the account's settings, which must name the test account.
    fn reads(account: &Account) -> Rule {
        let account = account.clone();
        mock!(Client::get_public_access_block)
            .match_requests(|r| r.account_id() == Some(TEST_ACCOUNT))
            .then_compute_response(move |_| match account.lock().unwrap().clone() {
                Some(c) => MockResponse::Output(
                    GetPublicAccessBlockOutput::builder()
                        .public_access_block_configuration(c)
                        .build(),
                ),
                None => MockResponse::Error(GetPublicAccessBlockError::generic(aws_error(
                    "NoSuchPublicAccessBlockConfiguration",
                    "none",
                ))),
            })
    }

    /// Whether the write turns on all four settings of the test account.
    fn all_four_for_the_account(r: &PutPublicAccessBlockInput) -> bool {
        r.account_id() == Some(TEST_ACCOUNT)
            && r.public_access_block_configuration()
                == Some(
                    &PublicAccessBlockConfiguration::builder()
                        .block_public_acls(true)
                        .ignore_public_acls(true)
                        .block_public_policy(true)
                        .restrict_public_buckets(true)
                        .build(),
                )
    }

    /// Writes that store the settings in `account`.
    fn writes(account: &Account) -> Rule {
        let account = account.clone();
        mock!(Client::put_public_access_block)
            .match_requests(all_four_for_the_account)
            .then_compute_output(move |r| {
                *account.lock().unwrap() = r.public_access_block_configuration().cloned();
                PutPublicAccessBlockOutput::builder().build()
            })
    }

    #[tokio::test]
    async fn turns_on_the_four_account_settings() {
        let account: Account = Arc::new(Mutex::new(Some(settings(false))));
        let (get, put) = (reads(&account), writes(&account));
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&BlockAccountPublicAccess, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 1);
        assert_eq!(report.resource.as_deref(), Some(TEST_ACCOUNT));
        assert!(report.changes[0]
            .description
            .contains("BlockPublicAcls, IgnorePublicAcls, RestrictPublicBuckets"));
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn an_account_without_settings_gets_all_four() {
        let account: Account = Arc::new(Mutex::new(None));
        let (get, put) = (reads(&account), writes(&account));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&BlockAccountPublicAccess, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 1);
    }

    #[tokio::test]
    async fn an_account_with_all_four_on_gets_no_write() {
        let account: Account = Arc::new(Mutex::new(Some(settings(true))));
        let (get, put) = (reads(&account), writes(&account));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&BlockAccountPublicAccess, &ctx, &finding(), Mode::Apply).await;
        assert_eq!(report.outcome, Outcome::AlreadyCompliant);
        assert_eq!(put.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_dry_run_plans_and_writes_nothing() {
        let account: Account = Arc::new(Mutex::new(None));
        let (get, put) = (reads(&account), writes(&account));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&BlockAccountPublicAccess, &ctx, &finding(), Mode::DryRun).await;
        assert_eq!(report.outcome, Outcome::Planned);
        assert_eq!(report.changes.len(), 1);
        assert_eq!(put.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket_naming_the_operation() {
        let account: Account = Arc::new(Mutex::new(None));
        let get = reads(&account);
        let put = mock!(Client::put_public_access_block)
            .match_requests(all_four_for_the_account)
            .then_error(|| PutPublicAccessBlockError::generic(access_denied()));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&BlockAccountPublicAccess, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("PutPublicAccessBlock failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_write_is_retried_by_the_sdk() {
        let account: Account = Arc::new(Mutex::new(None));
        let get = reads(&account);
        let stored = account.clone();
        let put = throttled_write(
            mock!(Client::put_public_access_block),
            all_four_for_the_account,
            || PutPublicAccessBlockError::generic(slow_down()),
            move |r: &PutPublicAccessBlockInput| {
                *stored.lock().unwrap() = r.public_access_block_configuration().cloned();
                PutPublicAccessBlockOutput::builder().build()
            },
        );
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&BlockAccountPublicAccess, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(put.num_calls(), 2);
    }
}
