//! KMS.4: turn on automatic rotation of a customer managed symmetric key.

use async_trait::async_trait;
use aws_sdk_kms::types::{KeyManagerType, KeySpec, KeyState};
use soar_asff::Finding;

use crate::controls::{control_id, resource};
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

pub(crate) const META: ControlMeta = ControlMeta {
    ids: &["KMS.4"],
    title: "AWS KMS key rotation is enabled",
    service: Service::Kms,
    resource_type: "AwsKmsKey",
    iam_actions: &[
        "kms:DescribeKey",
        "kms:GetKeyRotationStatus",
        "kms:EnableKeyRotation",
    ],
    destructive: false,
    exemption_tag: None,
};

/// Turns on yearly automatic rotation. AWS managed keys (AWS rotates them),
/// asymmetric and HMAC keys (they cannot rotate) and keys pending deletion
/// are skipped, each with its reason.
pub(crate) struct RotateKeyAutomatically;

fn key_id(finding: &Finding, control: &str) -> Result<String, RemediationError> {
    let key = resource(finding, "AwsKmsKey", control)?;
    let from_details = key
        .details
        .as_ref()
        .and_then(|d| d.aws_kms_key.as_ref())
        .and_then(|k| k.key_id.clone());
    // KMS accepts a key ARN wherever it takes a key ID.
    Ok(from_details
        .filter(|_| !key.id.starts_with("arn:"))
        .unwrap_or_else(|| key.id.clone()))
}

async fn rotation_enabled(ctx: &Context, key: &str) -> Result<bool, RemediationError> {
    let status = ctx
        .kms()
        .get_key_rotation_status()
        .key_id(key)
        .send()
        .await
        .map_err(|e| RemediationError::aws("GetKeyRotationStatus", &e))?;
    Ok(status.key_rotation_enabled())
}

#[async_trait]
impl Remediation for RotateKeyAutomatically {
    fn meta(&self) -> &'static ControlMeta {
        &META
    }

    async fn plan(&self, ctx: &Context, finding: &Finding) -> Result<Plan, RemediationError> {
        let control = control_id(finding, META.ids);
        let key = key_id(finding, control)?;
        let described = ctx
            .kms()
            .describe_key()
            .key_id(&key)
            .send()
            .await
            .map_err(|e| RemediationError::aws("DescribeKey", &e))?;
        let Some(metadata) = described.key_metadata() else {
            return Err(RemediationError::UnsupportedFinding {
                control_id: control.to_owned(),
                reason: format!("KMS returned no metadata for {key}"),
            });
        };
        if metadata.key_manager() == Some(&KeyManagerType::Aws) {
            return Ok(Plan::exempt(
                control,
                key,
                "AWS managed keys are rotated by AWS and cannot be changed",
            ));
        }
        if metadata
            .key_spec()
            .is_some_and(|spec| spec != &KeySpec::SymmetricDefault)
        {
            return Ok(Plan::exempt(
                control,
                key,
                "only symmetric encryption keys support automatic rotation",
            ));
        }
        if metadata.key_state() == Some(&KeyState::PendingDeletion) {
            return Ok(Plan::exempt(control, key, "the key is pending deletion"));
        }
        if rotation_enabled(ctx, &key).await? {
            return Ok(Plan::compliant(control, key));
        }
        let change = Plan::change(
            "kms:EnableKeyRotation",
            format!("turn on yearly automatic rotation of key {key}"),
        );
        Ok(Plan::changes(
            control,
            key,
            vec![change],
            serde_json::Value::Null,
        ))
    }

    async fn apply(&self, ctx: &Context, plan: &Plan) -> Result<Outcome, RemediationError> {
        ctx.kms()
            .enable_key_rotation()
            .key_id(&plan.resource)
            .send()
            .await
            .map_err(|e| RemediationError::aws("EnableKeyRotation", &e))?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Turned on automatic rotation of KMS key {}.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        rotation_enabled(ctx, &key_id(finding, control_id(finding, META.ids))?).await
    }
}

#[cfg(test)]
#[cfg(feature = "testkit")]
mod tests {
    use aws_sdk_kms::operation::describe_key::{DescribeKeyError, DescribeKeyOutput};
    use aws_sdk_kms::operation::enable_key_rotation::{
        EnableKeyRotationError, EnableKeyRotationOutput,
    };
    use aws_sdk_kms::operation::get_key_rotation_status::GetKeyRotationStatusOutput;
    use aws_sdk_kms::types::KeyMetadata;
    use aws_sdk_kms::Client;

    use super::*;
    use crate::testkit::{
        assert_least_privilege, aws_error, finding_for, mock, mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode};

    const KEY: &str = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn finding() -> Finding {
        finding_for("KMS.4", "AwsKmsKey", KEY)
    }

    fn described(manager: KeyManagerType, spec: KeySpec, state: KeyState) -> Rule {
        mock!(Client::describe_key)
            .match_requests(|r| r.key_id() == Some(KEY))
            .then_output(move || {
                DescribeKeyOutput::builder()
                    .key_metadata(
                        KeyMetadata::builder()
                            .key_id(KEY)
                            .key_manager(manager.clone())
                            .key_spec(spec.clone())
                            .key_state(state.clone())
                            .build()
                            .unwrap(),
                    )
                    .build()
            })
    }

    fn customer_key() -> Rule {
        described(
            KeyManagerType::Customer,
            KeySpec::SymmetricDefault,
            KeyState::Enabled,
        )
    }

    fn rotation(before: bool, after: bool) -> Rule {
        mock!(Client::get_key_rotation_status)
            .sequence()
            .output(move || {
                GetKeyRotationStatusOutput::builder()
                    .key_rotation_enabled(before)
                    .build()
            })
            .output(move || {
                GetKeyRotationStatusOutput::builder()
                    .key_rotation_enabled(after)
                    .build()
            })
            .build()
    }

    fn enable() -> Rule {
        mock!(Client::enable_key_rotation)
            .match_requests(|r| r.key_id() == Some(KEY))
            .then_output(|| EnableKeyRotationOutput::builder().build())
    }

    #[tokio::test]
    async fn turns_on_rotation_and_verifies() {
        let (d, s, e) = (customer_key(), rotation(false, true), enable());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &s, &e]);
        let report = remediate(&RotateKeyAutomatically, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(e.num_calls(), 1);
        assert_least_privilege(&META, &recorder);
    }

    #[tokio::test]
    async fn rotating_key_gets_no_write() {
        let (d, s, e) = (customer_key(), rotation(true, true), enable());
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&d, &s, &e]);
        assert_eq!(
            remediate(&RotateKeyAutomatically, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::AlreadyCompliant
        );
        assert_eq!(e.num_calls(), 0);
    }

    #[tokio::test]
    async fn aws_managed_asymmetric_and_pending_deletion_keys_are_skipped_with_a_reason() {
        let cases = [
            (
                KeyManagerType::Aws,
                KeySpec::SymmetricDefault,
                KeyState::Enabled,
                "AWS managed",
            ),
            (
                KeyManagerType::Customer,
                KeySpec::Rsa2048,
                KeyState::Enabled,
                "symmetric",
            ),
            (
                KeyManagerType::Customer,
                KeySpec::SymmetricDefault,
                KeyState::PendingDeletion,
                "pending deletion",
            ),
        ];
        for (manager, spec, state, why) in cases {
            let (d, e) = (described(manager, spec, state), enable());
            let (ctx, _) = mock_context(RuleMode::MatchAny, &[&d, &e]);
            let report = remediate(&RotateKeyAutomatically, &ctx, &finding(), Mode::Apply).await;
            assert!(
                matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains(why)),
                "{report:?}"
            );
            assert_eq!(e.num_calls(), 0);
        }
    }

    #[tokio::test]
    async fn gone_denied_and_throttled() {
        let gone = mock!(Client::describe_key)
            .then_error(|| DescribeKeyError::generic(aws_error("NotFoundException", "gone")));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&gone]);
        assert!(matches!(
            remediate(&RotateKeyAutomatically, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Suppress { .. }
        ));

        let (d, s) = (customer_key(), rotation(false, false));
        let denied = mock!(Client::enable_key_rotation).then_error(|| {
            EnableKeyRotationError::generic(aws_error("AccessDeniedException", "no"))
        });
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&d, &s, &denied]);
        assert!(matches!(
            remediate(&RotateKeyAutomatically, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Ticket { .. }
        ));

        let (d, s) = (customer_key(), rotation(false, true));
        let throttled = mock!(Client::enable_key_rotation)
            .sequence()
            .error(|| EnableKeyRotationError::generic(aws_error("ThrottlingException", "slow")))
            .output(|| EnableKeyRotationOutput::builder().build())
            .build();
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&d, &s, &throttled]);
        assert!(matches!(
            remediate(&RotateKeyAutomatically, &ctx, &finding(), Mode::Apply)
                .await
                .outcome,
            Outcome::Remediated { .. }
        ));
        assert_eq!(throttled.num_calls(), 2);
    }
}
