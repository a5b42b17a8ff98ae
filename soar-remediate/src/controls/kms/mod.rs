//! KMS controls.

mod kms_4;

use crate::remediation::Remediation;

pub(crate) fn all() -> Vec<Box<dyn Remediation>> {
    vec![Box::new(kms_4::RotateKeyAutomatically)]
}
