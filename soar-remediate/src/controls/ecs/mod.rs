//! ECS controls, and reading a cluster or service from a finding.
//!
//! ECS answers a lookup of a cluster or service it does not know with a
//! `failures` entry (`MISSING`), not an error; [`missing`] turns that into
//! the not-found error the rest of soar understands, so a deleted resource
//! is suppressed like any other.

// One `mod` per control file in this directory, and `all()`, from build.rs.
include!(concat!(env!("OUT_DIR"), "/controls/ecs.rs"));

use soar_asff::Finding;

use crate::controls::{control_id, resource};
use crate::{ControlMeta, RemediationError};

/// The ARN of the finding's resource of `meta.resource_type`.
pub(crate) fn ecs_arn(finding: &Finding, meta: &ControlMeta) -> Result<String, RemediationError> {
    let resource = resource(finding, meta)?;
    match soar_asff::Arn::parse(&resource.id) {
        Ok(arn) if arn.service == "ecs" => Ok(resource.id.clone()),
        _ => Err(RemediationError::UnsupportedFinding {
            control_id: control_id(finding, meta.ids).to_owned(),
            reason: format!("{:?} is not an ECS ARN", resource.id),
        }),
    }
}

/// The not-found error for an ECS resource that `operation` did not find
/// (a `MISSING` failure, or a resource that is `INACTIVE`: deleted).
pub(crate) fn missing(operation: &'static str, what: &str, arn: &str) -> RemediationError {
    RemediationError::not_found(
        operation,
        format!("{what}NotFoundException: {arn} does not exist or is inactive"),
    )
}
