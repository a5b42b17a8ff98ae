//! Preprocessors: corrections made before a finding is decided on.
//!
//! Both change something Security Hub owns, then stop the run; Security Hub
//! sends the corrected finding again and it is processed from the start. So
//! each preprocessor here only *computes* the correction; the pipeline
//! applies it through the [`FindingUpdater`](crate::ports::FindingUpdater).
//!
//! - [`reclassify_health`]: AWS Health sends operational and security
//!   notifications (maintenance, retirements, "your MX record is verified")
//!   as MEDIUM or HIGH findings. They need reading, not a ticket: they become
//!   INFORMATIONAL. The change only ever lowers severity, so it cannot loop.
//! - [`reassign_account`]: with delegated administration, Access Analyzer,
//!   GuardDuty, Inspector and Detective report findings under the security
//!   account although the resource belongs to a member account, and the
//!   ticket would go to the wrong team. `AwsAccountId` cannot be updated, so
//!   the finding is imported again under the owning account as
//!   `<id>-reassigned-<account>` and the original is suppressed.

use soar_asff::{owner_account, Finding, FindingView, SeverityLabel};

use crate::config::Config;

/// The `ProductArn` suffix of AWS Health findings.
const HEALTH_PRODUCT: &str = ":product/aws/health";

/// The label an AWS Health finding should have, if it must change.
pub fn reclassify_health<'a>(
    finding: impl Into<FindingView<'a>>,
    config: &Config,
) -> Option<SeverityLabel> {
    let finding = finding.into();
    if !finding.product_arn().ends_with(HEALTH_PRODUCT) {
        return None;
    }
    let kept = config
        .health_keep_severity
        .iter()
        .any(|code| code.eq_ignore_ascii_case(finding.generator_id()));
    let above_informational = finding
        .severity_label()
        .is_some_and(|label| label > SeverityLabel::Informational);
    (above_informational && !kept).then_some(SeverityLabel::Informational)
}

/// A finding to import under the owning account, replacing the original.
#[derive(Debug, Clone, PartialEq)]
pub struct Reassignment {
    /// The account that owns the resource.
    pub owner_account: String,
    /// The finding to import.
    pub finding: Finding,
}

/// The marker in the IDs of reassigned findings.
pub const REASSIGNED_MARKER: &str = "-reassigned-";

/// The account that owns the resource according to the finding:
/// `ProductFields.ResourceOwnerAccount` first, then the first resource ARN
/// that names an account.
pub fn resource_owner<'a>(finding: impl Into<FindingView<'a>>) -> Option<&'a str> {
    let finding = finding.into();
    finding
        .product_field("ResourceOwnerAccount")
        .filter(|a| soar_asff::is_account_id(a))
        .or_else(|| finding.resources().find_map(|r| owner_account(r.id())))
}

/// The account a finding must be re-imported into, if its resource is in
/// another account; read from the view alone, so that the finding is built
/// only when it must be copied ([`reassign_account`]).
pub fn reassignment_owner<'a>(finding: impl Into<FindingView<'a>>) -> Option<&'a str> {
    let finding = finding.into();
    if finding.id().contains(REASSIGNED_MARKER) {
        return None;
    }
    resource_owner(finding).filter(|owner| *owner != finding.aws_account_id())
}

/// The reassignment a finding needs, if its resource is in another account.
pub fn reassign_account(finding: &Finding) -> Option<Reassignment> {
    let owner = reassignment_owner(finding)?.to_owned();
    Some(reassigned(finding.clone(), owner))
}

/// `finding`, an owned copy, made into the finding to import under
/// `owner` ([`reassignment_owner`]).
pub fn reassigned(mut finding: Finding, owner: String) -> Reassignment {
    let original_id = std::mem::take(&mut finding.id);
    finding.id = format!("{original_id}{REASSIGNED_MARKER}{owner}");
    let original_account = std::mem::replace(&mut finding.aws_account_id, owner.clone());
    let original_product_arn = finding.product_arn.clone();
    // Findings imported by an account go under its own default product.
    let partition = soar_asff::Arn::parse(&original_product_arn)
        .map(|arn| arn.partition)
        .unwrap_or("aws");
    if let Some(region) = finding.resource_region() {
        finding.product_arn =
            format!("arn:{partition}:securityhub:{region}:{owner}:product/{owner}/default");
    }
    let fields = finding.product_fields.get_or_insert_with(Default::default);
    fields.insert("soar/OriginalFindingId".to_owned(), original_id);
    fields.insert("soar/OriginalAwsAccountId".to_owned(), original_account);
    fields.insert("soar/OriginalProductArn".to_owned(), original_product_arn);
    // The new finding starts its own life.
    finding.workflow = None;
    finding.user_defined_fields = None;
    finding.note = None;
    Reassignment {
        owner_account: owner,
        finding,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use soar_asff::{Resource, Severity};

    use super::*;

    /// A finding of `product`, MEDIUM, as AWS Health imports its events.
    fn finding_of(product: &str, generator_id: &str) -> Finding {
        Finding {
            product_arn: format!("arn:aws:securityhub:us-east-1::product/aws/{product}"),
            generator_id: generator_id.into(),
            severity: Some(Severity::from_label(SeverityLabel::Medium)),
            ..Finding::default()
        }
    }

    #[test]
    fn health_notifications_become_informational() {
        let health = finding_of("health", "AWS_SES_CMF_PENDING_TO_SUCCESS");
        assert_eq!(
            reclassify_health(&health, &Config::default()),
            Some(SeverityLabel::Informational)
        );
    }

    #[test]
    fn health_reclassification_never_raises_and_can_be_kept() {
        let mut health = finding_of("health", "AWS_SES_CMF_PENDING_TO_SUCCESS");
        let keep = Config {
            health_keep_severity: vec![health.generator_id.clone()],
            ..Config::default()
        };
        assert_eq!(reclassify_health(&health, &keep), None);
        health.severity = Some(Severity::from_label(SeverityLabel::Informational));
        assert_eq!(reclassify_health(&health, &Config::default()), None);
        let not_health = finding_of("securityhub", "security-control/S3.8");
        assert_eq!(reclassify_health(&not_health, &Config::default()), None);
    }

    fn delegated(resource_id: &str) -> Finding {
        Finding {
            id: "arn:aws:access-analyzer:eu-west-1:111111111111:analyzer/a/finding/f1".into(),
            product_arn: "arn:aws:securityhub:eu-west-1::product/aws/access-analyzer".into(),
            aws_account_id: "111111111111".into(),
            region: Some("eu-west-1".into()),
            resources: vec![Resource {
                resource_type: "AwsIamRole".into(),
                id: resource_id.into(),
                ..Resource::default()
            }],
            ..Finding::default()
        }
    }

    #[test]
    fn product_field_owner_comes_before_the_arn() {
        let mut finding = delegated("arn:aws:iam::222222222222:role/r");
        finding.product_fields = Some(BTreeMap::from([(
            "ResourceOwnerAccount".into(),
            "333333333333".into(),
        )]));
        let moved = reassign_account(&finding).unwrap();
        assert_eq!(moved.owner_account, "333333333333");
    }

    #[test]
    fn reassigned_finding_has_the_owner_and_a_derived_id() {
        let finding = delegated("arn:aws:iam::222222222222:role/r");
        let moved = reassign_account(&finding).unwrap();
        assert_eq!(moved.owner_account, "222222222222");
        assert_eq!(moved.finding.aws_account_id, "222222222222");
        assert_eq!(
            moved.finding.id,
            format!("{}-reassigned-222222222222", finding.id)
        );
        assert_eq!(
            moved.finding.product_arn,
            "arn:aws:securityhub:eu-west-1:222222222222:product/222222222222/default"
        );
        assert_eq!(
            moved.finding.product_field("soar/OriginalFindingId"),
            Some(finding.id.as_str())
        );
        // Importing it again must not reassign it a second time.
        assert_eq!(reassign_account(&moved.finding), None);
    }

    #[test]
    fn findings_in_their_own_account_or_without_owner_stay() {
        assert_eq!(
            reassign_account(&delegated("arn:aws:iam::111111111111:role/r")),
            None
        );
        assert_eq!(reassign_account(&delegated("arn:aws:s3:::bucket")), None);
        assert_eq!(reassign_account(&delegated("i-0abc")), None);
    }
}
