//! S3.1: turn on Block Public Access for the whole account.

use async_trait::async_trait;
use aws_sdk_s3control::types::PublicAccessBlockConfiguration;
use soar_asff::Finding;

use super::BLOCK_SETTINGS;
use crate::controls::{control_id, optional};
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

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

/// Turns on the four account-level Block Public Access settings.
pub(crate) struct BlockAccountPublicAccess;

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
        let account = finding.resource_account_id().to_owned();
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

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        Ok(account_settings(ctx, finding.resource_account_id())
            .await?
            .iter()
            .all(|on| *on))
    }
}

#[cfg(test)]
#[cfg(feature = "testkit")]
mod tests {
    use aws_sdk_s3control::operation::get_public_access_block::{
        GetPublicAccessBlockError, GetPublicAccessBlockOutput,
    };
    use aws_sdk_s3control::operation::put_public_access_block::{
        PutPublicAccessBlockError, PutPublicAccessBlockOutput,
    };
    use aws_sdk_s3control::Client;

    use super::*;
    use crate::testkit::{
        assert_least_privilege, aws_error, finding_for, mock, mock_context, RuleMode,
    };
    use crate::{remediate, Mode};

    fn finding() -> Finding {
        finding_for("S3.1", "AwsAccount", "AWS::::Account:111111111111")
    }

    fn on() -> GetPublicAccessBlockOutput {
        let c = PublicAccessBlockConfiguration::builder()
            .block_public_acls(true)
            .ignore_public_acls(true)
            .block_public_policy(true)
            .restrict_public_buckets(true)
            .build();
        GetPublicAccessBlockOutput::builder()
            .public_access_block_configuration(c)
            .build()
    }

    fn none() -> GetPublicAccessBlockError {
        GetPublicAccessBlockError::generic(aws_error(
            "NoSuchPublicAccessBlockConfiguration",
            "none",
        ))
    }

    fn put_for_account(
        r: &aws_sdk_s3control::operation::put_public_access_block::PutPublicAccessBlockInput,
    ) -> bool {
        r.account_id() == Some("111111111111")
            && r.public_access_block_configuration()
                .and_then(|c| c.restrict_public_buckets())
                == Some(true)
    }

    #[tokio::test]
    async fn turns_on_account_block_public_access() {
        let get = mock!(Client::get_public_access_block)
            .sequence()
            .error(none)
            .output(on)
            .build();
        let put = mock!(Client::put_public_access_block)
            .match_requests(put_for_account)
            .then_output(|| PutPublicAccessBlockOutput::builder().build());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        let report = remediate(&BlockAccountPublicAccess, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(report.resource.as_deref(), Some("111111111111"));
        assert_least_privilege(&META, &recorder);
    }

    #[tokio::test]
    async fn already_on_makes_no_write() {
        let get = mock!(Client::get_public_access_block).then_output(on);
        let put = mock!(Client::put_public_access_block)
            .then_output(|| PutPublicAccessBlockOutput::builder().build());
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &put]);
        assert_eq!(
            remediate(&BlockAccountPublicAccess, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::AlreadyCompliant
        );
        assert_eq!(put.num_calls(), 0);
    }

    #[tokio::test]
    async fn denied_throttled_and_dry_run() {
        let get = mock!(Client::get_public_access_block).then_error(none);
        let denied = mock!(Client::put_public_access_block)
            .then_error(|| PutPublicAccessBlockError::generic(aws_error("AccessDenied", "no")));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &denied]);
        assert!(matches!(
            remediate(&BlockAccountPublicAccess, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Ticket { .. }
        ));

        let planned = remediate(&BlockAccountPublicAccess, &ctx, &finding(), Mode::DryRun).await;
        assert_eq!(planned.outcome, Outcome::Planned);
        assert_eq!(planned.changes.len(), 1);
        assert_eq!(denied.num_calls(), 1, "a dry run makes no write");

        let get = mock!(Client::get_public_access_block)
            .sequence()
            .error(none)
            .output(on)
            .build();
        let throttled = mock!(Client::put_public_access_block)
            .sequence()
            .error(|| PutPublicAccessBlockError::generic(aws_error("ThrottlingException", "slow")))
            .output(|| PutPublicAccessBlockOutput::builder().build())
            .build();
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&get, &throttled]);
        assert!(matches!(
            remediate(&BlockAccountPublicAccess, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Remediated { .. }
        ));
        assert_eq!(throttled.num_calls(), 2);
    }
}
