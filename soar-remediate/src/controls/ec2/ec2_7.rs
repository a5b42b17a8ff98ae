//! EC2.7: turn on EBS encryption by default, in the finding's account and
//! Region.
//!
//! The setting is per Region, so the finding's Region is the one changed;
//! new volumes are encrypted with the Region's default EBS key, which stays
//! whatever it is (the AWS managed `aws/ebs` key unless someone chose
//! another). Existing volumes are not touched: EBS cannot encrypt a volume
//! in place.

use async_trait::async_trait;
use soar_asff::Finding;

use crate::controls::control_id;
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What EC2.7 is and the IAM actions it needs.
pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["EC2.7"],
    title: "EBS default encryption is enabled",
    service: Service::Ec2,
    resource_type: "AwsAccount",
    iam_actions: &["ec2:GetEbsEncryptionByDefault", "ec2:EnableEbsEncryptionByDefault"],
    destructive: false,
    exemption_tag: None,
};

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(EncryptNewVolumesByDefault)
}

/// Turns on EBS encryption by default in the context's Region.
pub(crate) struct EncryptNewVolumesByDefault;

async fn is_on(ctx: &Context) -> Result<bool, RemediationError> {
    let output = ctx
        .ec2()
        .get_ebs_encryption_by_default()
        .send()
        .await
        .map_err(|e| RemediationError::aws("GetEbsEncryptionByDefault", &e))?;
    Ok(output.ebs_encryption_by_default() == Some(true))
}

/// The resource a plan names: the account and Region, since that is what
/// the setting belongs to.
fn scope(ctx: &Context) -> String {
    format!("{}/{}", ctx.account_id(), ctx.region())
}

#[async_trait]
impl Remediation for EncryptNewVolumesByDefault {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        if is_on(ctx).await? {
            return Ok(Plan::compliant(control, scope(ctx)));
        }
        let change = Plan::change(
            "ec2:EnableEbsEncryptionByDefault",
            format!(
                "encrypt every new EBS volume by default in account {} Region {}",
                ctx.account_id(),
                ctx.region()
            ),
        );
        Ok(Plan::changes(
            control,
            scope(ctx),
            vec![change],
            serde_json::Value::Null,
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        ctx.ec2()
            .enable_ebs_encryption_by_default()
            .send()
            .await
            .map_err(|e| RemediationError::aws("EnableEbsEncryptionByDefault", &e))?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Turned on EBS encryption by default in {}.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, _finding: &Finding) -> Result<bool, RemediationError> {
        is_on(ctx).await
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::operation::enable_ebs_encryption_by_default::{
        EnableEbsEncryptionByDefaultError, EnableEbsEncryptionByDefaultOutput,
    };
    use aws_sdk_ec2::operation::get_ebs_encryption_by_default::GetEbsEncryptionByDefaultOutput;
    use aws_sdk_ec2::Client;

    use super::*;
    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, aws_error, finding_for, mock,
        mock_context, Rule, RuleMode, TEST_ACCOUNT, TEST_REGION,
    };
    use crate::{remediate, Mode, Report};

    fn finding() -> Finding {
        finding_for("EC2.7", "AwsAccount", &format!("AWS::::Account:{TEST_ACCOUNT}"))
    }

    fn setting(before: bool, after: bool) -> Rule {
        let read = |on: bool| GetEbsEncryptionByDefaultOutput::builder().ebs_encryption_by_default(on).build();
        mock!(Client::get_ebs_encryption_by_default)
            .sequence()
            .output(move || read(before))
            .output(move || read(after))
            .repeatedly()
            .build()
    }

    fn enable() -> Rule {
        mock!(Client::enable_ebs_encryption_by_default)
            .then_output(|| EnableEbsEncryptionByDefaultOutput::builder().ebs_encryption_by_default(true).build())
    }

    async fn run(rules: &[&Rule]) -> Report {
        let (ctx, _) = mock_context(RuleMode::MatchAny, rules);
        remediate(&EncryptNewVolumesByDefault, &ctx, &finding(), Mode::Apply).await
    }

    #[tokio::test]
    async fn turns_on_default_encryption_in_the_findings_region() {
        let (s, e) = (setting(false, true), enable());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&s, &e]);
        let report = remediate(&EncryptNewVolumesByDefault, &ctx, &finding(), Mode::Apply).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(e.num_calls(), 1);
        assert_eq!(report.resource.as_deref(), Some(format!("{TEST_ACCOUNT}/{TEST_REGION}").as_str()));
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn a_region_already_encrypting_gets_no_write() {
        let (s, e) = (setting(true, true), enable());
        assert_eq!(run(&[&s, &e]).await.outcome, Outcome::AlreadyCompliant);
        assert_eq!(e.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_setting_that_does_not_hold_is_a_ticket() {
        // Nothing can be "gone" here; the nearest failure is a write that
        // answers but does not hold (an SCP-enforced opt-out, say).
        let (s, e) = (setting(false, false), enable());
        let report = run(&[&s, &e]).await;
        assert!(matches!(&report.outcome, Outcome::Ticket { .. }), "{report:?}");
        assert_eq!(e.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_denied_write_is_a_ticket() {
        let s = setting(false, false);
        let denied = mock!(Client::enable_ebs_encryption_by_default).then_error(|| {
            EnableEbsEncryptionByDefaultError::generic(aws_error("UnauthorizedOperation", "no"))
        });
        let report = run(&[&s, &denied]).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("EnableEbsEncryptionByDefault failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn a_throttled_write_is_retried() {
        let s = setting(false, true);
        let throttled = mock!(Client::enable_ebs_encryption_by_default)
            .sequence()
            .error(|| EnableEbsEncryptionByDefaultError::generic(aws_error("RequestLimitExceeded", "slow")))
            .output(|| EnableEbsEncryptionByDefaultOutput::builder().ebs_encryption_by_default(true).build())
            .build();
        let report = run(&[&s, &throttled]).await;
        assert!(matches!(report.outcome, Outcome::Remediated { .. }), "{report:?}");
        assert_eq!(throttled.num_calls(), 2);
    }
}
