//! KMS.4: turn on automatic rotation of a customer managed symmetric key.
//!
//! Only a key whose material KMS itself holds and whose rotation is set on
//! the key itself can be fixed. Every other key is exempt, each with its own
//! reason, so that the finding is suppressed with something a person can
//! check instead of failing on every run:
//!
//! - AWS managed keys: AWS rotates them, and nobody else may change them;
//! - asymmetric and HMAC keys: KMS rotates only symmetric encryption keys;
//! - imported key material (`Origin` `EXTERNAL`): KMS cannot make new
//!   material it does not hold;
//! - keys in a custom key store (`CustomKeyStoreId`, or `Origin`
//!   `AWS_CLOUDHSM` or `EXTERNAL_KEY_STORE`): the material lives outside KMS;
//! - multi-Region replica keys: rotation is a shared property, set on the
//!   primary key only;
//! - keys pending deletion, and disabled keys: whether they are used again
//!   is their owner's decision, and rotating a key nobody can use protects
//!   nothing.

use async_trait::async_trait;
use aws_sdk_kms::types::{
    KeyManagerType, KeyMetadata, KeySpec, KeyState, MultiRegionKeyType, OriginType,
};
use soar_asff::Finding;

use crate::controls::{control_id, resource};
use crate::{Context, ControlMeta, Outcome, Plan, Remediation, RemediationError, Service};

/// What KMS.4 is and the IAM actions it needs.
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

/// This file's control, for the registry (see `build.rs`).
pub(crate) fn remediation() -> Box<dyn crate::Remediation> {
    Box::new(RotateKeyAutomatically)
}

/// The rotation period set: yearly, KMS's own default, written explicitly
/// so that the plan says exactly what changes.
const ROTATION_PERIOD_DAYS: i32 = 365;

/// Turns on yearly automatic rotation of a customer managed symmetric key
/// with key material made by KMS. The keys KMS cannot rotate, or that must
/// not be rotated from here, are exempt with their reason (see the module
/// documentation).
pub(crate) struct RotateKeyAutomatically;

fn key_id(finding: &Finding) -> Result<String, RemediationError> {
    let key = resource(finding, &META)?;
    let from_details = key
        .details
        .as_ref()
        .and_then(|d| d.aws_kms_key.as_ref())
        .and_then(|k| k.key_id.clone());
    // KMS accepts a key ARN wherever it takes a key ID, and an ARN names
    // the account, so it is preferred.
    Ok(from_details
        .filter(|_| !key.id.starts_with("arn:"))
        .unwrap_or_else(|| key.id.clone()))
}

/// Why the key must not be changed by KMS.4, or `None` when it may be.
fn exemption(metadata: &KeyMetadata) -> Option<String> {
    if metadata.key_manager() == Some(&KeyManagerType::Aws) {
        return Some("AWS managed keys are rotated by AWS and cannot be changed".to_owned());
    }
    if metadata
        .key_spec()
        .is_some_and(|spec| spec != &KeySpec::SymmetricDefault)
    {
        return Some(
            "only symmetric encryption keys support automatic rotation; asymmetric and HMAC keys do not"
                .to_owned(),
        );
    }
    let origin = metadata.origin();
    if origin == Some(&OriginType::External) {
        return Some(
            "the key has imported key material (Origin EXTERNAL): KMS does not rotate imported material automatically; its owner rotates it by importing new material"
                .to_owned(),
        );
    }
    let in_key_store = matches!(
        origin,
        Some(OriginType::AwsCloudhsm | OriginType::ExternalKeyStore)
    );
    if in_key_store || metadata.custom_key_store_id().is_some() {
        let store = metadata
            .custom_key_store_id()
            .unwrap_or("a custom key store");
        let origin = origin.map_or("unknown", OriginType::as_str);
        return Some(format!(
            "the key is in custom key store {store} (Origin {origin}): its material is outside KMS, which cannot rotate it automatically"
        ));
    }
    let configuration = metadata.multi_region_configuration();
    if configuration.and_then(|c| c.multi_region_key_type()) == Some(&MultiRegionKeyType::Replica) {
        let primary = configuration
            .and_then(|c| c.primary_key())
            .and_then(|p| p.arn())
            .unwrap_or("its primary key");
        return Some(format!(
            "the key is a multi-Region replica: rotation is set on the primary key ({primary}), and the replica follows it"
        ));
    }
    match metadata.key_state() {
        Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion) => {
            Some("the key is pending deletion".to_owned())
        }
        Some(KeyState::Disabled) => Some(
            "the key is disabled (KeyState Disabled): whether it is enabled again, and rotated, is its owner's decision"
                .to_owned(),
        ),
        _ => None,
    }
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
        let key = key_id(finding)?;
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
        if let Some(reason) = exemption(metadata) {
            return Ok(Plan::exempt(control, key, reason));
        }
        if rotation_enabled(ctx, &key).await? {
            return Ok(Plan::compliant(control, key));
        }
        let change = Plan::change(
            "kms:EnableKeyRotation",
            format!("turn on automatic rotation of key {key} every {ROTATION_PERIOD_DAYS} days"),
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
            .rotation_period_in_days(ROTATION_PERIOD_DAYS)
            .send()
            .await
            .map_err(|e| RemediationError::aws("EnableKeyRotation", &e))?;
        Ok(Outcome::Remediated {
            actions_taken: vec![format!(
                "Turned on automatic rotation of KMS key {} every {ROTATION_PERIOD_DAYS} days.",
                plan.resource
            )],
        })
    }

    async fn verify(&self, ctx: &Context, finding: &Finding) -> Result<bool, RemediationError> {
        rotation_enabled(ctx, &key_id(finding)?).await
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_kms::operation::describe_key::{DescribeKeyError, DescribeKeyOutput};
    use aws_sdk_kms::operation::enable_key_rotation::{
        EnableKeyRotationError, EnableKeyRotationInput, EnableKeyRotationOutput,
    };
    use aws_sdk_kms::operation::get_key_rotation_status::GetKeyRotationStatusOutput;
    use aws_sdk_kms::types::builders::KeyMetadataBuilder;
    use aws_sdk_kms::types::{MultiRegionConfiguration, MultiRegionKey};
    use aws_sdk_kms::Client;

    use super::*;
    use crate::testkit::{
        assert_changes_declared, assert_least_privilege, aws_error, finding_for, mock,
        mock_context, Rule, RuleMode,
    };
    use crate::{remediate, Mode};

    const KEY: &str = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn finding() -> Finding {
        finding_for("KMS.4", "AwsKmsKey", KEY)
    }

    /// A customer managed, enabled, symmetric key with KMS-made material.
    fn customer_key() -> KeyMetadataBuilder {
        aws_sdk_kms::types::KeyMetadata::builder()
            .key_id(KEY)
            .arn(KEY)
            .key_manager(KeyManagerType::Customer)
            .key_spec(KeySpec::SymmetricDefault)
            .key_state(KeyState::Enabled)
            .origin(OriginType::AwsKms)
    }

    /// DescribeKey of [`KEY`] answering `customer_key()` changed by `shape`.
    fn described(shape: fn(KeyMetadataBuilder) -> KeyMetadataBuilder) -> Rule {
        mock!(Client::describe_key)
            .match_requests(|r| r.key_id() == Some(KEY))
            .then_output(move || {
                DescribeKeyOutput::builder()
                    .key_metadata(shape(customer_key()).build().unwrap())
                    .build()
            })
    }

    fn rotatable() -> Rule {
        described(|key| key)
    }

    /// GetKeyRotationStatus of [`KEY`]: `before` for the plan, then `after`
    /// for every verify read.
    fn rotation(before: bool, after: bool) -> Rule {
        let status = |on: bool| {
            move || {
                GetKeyRotationStatusOutput::builder()
                    .key_rotation_enabled(on)
                    .build()
            }
        };
        mock!(Client::get_key_rotation_status)
            .match_requests(|r| r.key_id() == Some(KEY))
            .sequence()
            .output(status(before))
            .output(status(after))
            .repeatedly()
            .build()
    }

    /// The one write KMS.4 makes: yearly rotation of [`KEY`].
    fn enabling(r: &EnableKeyRotationInput) -> bool {
        r.key_id() == Some(KEY) && r.rotation_period_in_days() == Some(ROTATION_PERIOD_DAYS)
    }

    fn enable() -> Rule {
        mock!(Client::enable_key_rotation)
            .match_requests(enabling)
            .then_output(|| EnableKeyRotationOutput::builder().build())
    }

    /// Remediates a key described by `shape`; it must be suppressed with a
    /// reason containing `why`, with no rotation read and no write.
    async fn assert_exempt(shape: fn(KeyMetadataBuilder) -> KeyMetadataBuilder, why: &str) {
        // No GetKeyRotationStatus rule: an exempt key is not read further,
        // and an unmatched request panics.
        let (d, e) = (described(shape), enable());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &e]);
        let report = remediate(&RotateKeyAutomatically, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains(why)),
            "expected a suppression because {why}: {report:?}"
        );
        assert_eq!(e.num_calls(), 0);
        assert_eq!(recorder.actions(), ["kms:DescribeKey"]);
    }

    #[tokio::test]
    async fn turns_on_yearly_rotation_and_verifies() {
        let (d, s, e) = (rotatable(), rotation(false, true), enable());
        let (ctx, recorder) = mock_context(RuleMode::MatchAny, &[&d, &s, &e]);
        let report = remediate(&RotateKeyAutomatically, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(e.num_calls(), 1);
        assert_least_privilege(&META, &recorder);
        assert_changes_declared(&META, &report.changes);
    }

    #[tokio::test]
    async fn a_multi_region_primary_key_is_rotated() {
        let primary = described(|key| {
            key.multi_region(true).multi_region_configuration(
                MultiRegionConfiguration::builder()
                    .multi_region_key_type(MultiRegionKeyType::Primary)
                    .primary_key(
                        MultiRegionKey::builder()
                            .arn(KEY)
                            .region("us-east-1")
                            .build(),
                    )
                    .build(),
            )
        });
        let (s, e) = (rotation(false, true), enable());
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&primary, &s, &e]);
        let report = remediate(&RotateKeyAutomatically, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(e.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_rotating_key_gets_no_write() {
        let (d, s, e) = (rotatable(), rotation(true, true), enable());
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&d, &s, &e]);
        let report = remediate(&RotateKeyAutomatically, &ctx, &finding(), Mode::Apply).await;
        assert_eq!(report.outcome, Outcome::AlreadyCompliant);
        assert_eq!(e.num_calls(), 0);
    }

    #[tokio::test]
    async fn an_aws_managed_key_is_exempt() {
        assert_exempt(
            |key| key.key_manager(KeyManagerType::Aws),
            "AWS managed keys are rotated by AWS",
        )
        .await;
    }

    #[tokio::test]
    async fn asymmetric_and_hmac_keys_are_exempt() {
        assert_exempt(
            |key| key.key_spec(KeySpec::Rsa2048),
            "only symmetric encryption keys",
        )
        .await;
        assert_exempt(
            |key| key.key_spec(KeySpec::Hmac256),
            "only symmetric encryption keys",
        )
        .await;
    }

    #[tokio::test]
    async fn a_key_with_imported_material_is_exempt() {
        assert_exempt(
            |key| key.origin(OriginType::External),
            "imported key material (Origin EXTERNAL)",
        )
        .await;
    }

    #[tokio::test]
    async fn a_key_in_a_custom_key_store_is_exempt() {
        assert_exempt(
            |key| {
                key.origin(OriginType::AwsCloudhsm)
                    .custom_key_store_id("cks-1234567890abcdef0")
            },
            "custom key store cks-1234567890abcdef0 (Origin AWS_CLOUDHSM)",
        )
        .await;
        assert_exempt(
            |key| key.origin(OriginType::ExternalKeyStore),
            "(Origin EXTERNAL_KEY_STORE): its material is outside KMS",
        )
        .await;
        // A key store ID alone is enough, whatever the origin says.
        assert_exempt(
            |key| key.custom_key_store_id("cks-0"),
            "custom key store cks-0",
        )
        .await;
    }

    // moto cannot show this: its ReplicateKey answers PRIMARY for the new
    // replica, and the replica shares one configuration with its primary,
    // so describing the replica turns the primary into a REPLICA too.
    #[tokio::test]
    async fn a_multi_region_replica_is_exempt_and_names_its_primary() {
        assert_exempt(
            |key| {
                key.multi_region(true).multi_region_configuration(
                    MultiRegionConfiguration::builder()
                        .multi_region_key_type(MultiRegionKeyType::Replica)
                        .primary_key(
                            MultiRegionKey::builder()
                                .arn("arn:aws:kms:eu-west-1:111111111111:key/mrk-1")
                                .region("eu-west-1")
                                .build(),
                        )
                        .build(),
                )
            },
            "multi-Region replica: rotation is set on the primary key (arn:aws:kms:eu-west-1:111111111111:key/mrk-1)",
        )
        .await;
    }

    #[tokio::test]
    async fn a_key_pending_deletion_is_exempt() {
        assert_exempt(
            |key| key.key_state(KeyState::PendingDeletion),
            "pending deletion",
        )
        .await;
    }

    #[tokio::test]
    async fn a_disabled_key_is_exempt() {
        assert_exempt(
            |key| key.key_state(KeyState::Disabled),
            "the key is disabled (KeyState Disabled)",
        )
        .await;
    }

    #[tokio::test]
    async fn a_deleted_key_is_suppressed() {
        let gone = mock!(Client::describe_key)
            .then_error(|| DescribeKeyError::generic(aws_error("NotFoundException", "gone")));
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&gone]);
        let report = remediate(&RotateKeyAutomatically, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Suppress { reason } if reason.contains("NotFoundException")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn denied_rotation_is_a_ticket() {
        let (d, s) = (rotatable(), rotation(false, false));
        let denied = mock!(Client::enable_key_rotation).then_error(|| {
            EnableKeyRotationError::generic(aws_error("AccessDeniedException", "no"))
        });
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&d, &s, &denied]);
        let report = remediate(&RotateKeyAutomatically, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(&report.outcome, Outcome::Ticket { reason }
                if reason.contains("EnableKeyRotation failed (access denied)")),
            "{report:?}"
        );
    }

    #[tokio::test]
    async fn throttled_rotation_is_retried() {
        let (d, s) = (rotatable(), rotation(false, true));
        let throttled = mock!(Client::enable_key_rotation)
            .match_requests(enabling)
            .sequence()
            .error(|| EnableKeyRotationError::generic(aws_error("ThrottlingException", "slow")))
            .output(|| EnableKeyRotationOutput::builder().build())
            .build();
        let (ctx, _) = mock_context(RuleMode::MatchAny, &[&d, &s, &throttled]);
        let report = remediate(&RotateKeyAutomatically, &ctx, &finding(), Mode::Apply).await;
        assert!(
            matches!(report.outcome, Outcome::Remediated { .. }),
            "{report:?}"
        );
        assert_eq!(throttled.num_calls(), 2);
    }
}
