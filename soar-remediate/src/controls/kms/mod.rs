//! KMS controls.

mod kms_4;

use crate::remediation::Remediation;

/// The KMS controls.
pub(crate) fn all() -> Vec<Box<dyn Remediation>> {
    vec![Box::new(kms_4::RotateKeyAutomatically)]
}
