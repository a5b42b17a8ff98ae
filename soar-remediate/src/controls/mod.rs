//! The controls, one file each, grouped by service.
//!
//! Adding a control is adding its file, `<service>/<control>.rs`, with its
//! `META`, a type implementing [`Remediation`](crate::Remediation), a
//! `pub(crate) fn remediation()` returning it, and its mock tests. `build.rs`
//! registers every such file; the registry, the IAM policy and the
//! catalogue follow from the registry. A service is a directory, a cargo
//! feature and its line below.

#[cfg(any_service)]
use soar_asff::{Finding, Resource};

#[cfg(any_service)]
use crate::error::RemediationError;
#[cfg(any_service)]
use crate::remediation::ControlMeta;
use crate::remediation::Remediation;

#[cfg(feature = "dynamodb")]
pub(crate) mod dynamodb;
#[cfg(feature = "ec2")]
pub(crate) mod ec2;
#[cfg(feature = "ecr")]
pub(crate) mod ecr;
#[cfg(feature = "ecs")]
pub(crate) mod ecs;
#[cfg(feature = "elbv2")]
pub(crate) mod elbv2;
#[cfg(feature = "iam")]
pub(crate) mod iam;
#[cfg(feature = "kms")]
pub(crate) mod kms;
#[cfg(feature = "rds")]
pub(crate) mod rds;
#[cfg(feature = "s3")]
pub(crate) mod s3;
#[cfg(any(feature = "ec2", feature = "rds"))]
pub(crate) mod service_role;

/// Every control compiled in.
pub(crate) fn all() -> Vec<Box<dyn Remediation>> {
    #[allow(unused_mut)]
    let mut controls: Vec<Box<dyn Remediation>> = Vec::new();
    #[cfg(feature = "s3")]
    controls.extend(s3::all());
    #[cfg(feature = "kms")]
    controls.extend(kms::all());
    #[cfg(feature = "ecr")]
    controls.extend(ecr::all());
    #[cfg(feature = "dynamodb")]
    controls.extend(dynamodb::all());
    #[cfg(feature = "ec2")]
    controls.extend(ec2::all());
    #[cfg(feature = "elbv2")]
    controls.extend(elbv2::all());
    #[cfg(feature = "ecs")]
    controls.extend(ecs::all());
    #[cfg(feature = "iam")]
    controls.extend(iam::all());
    #[cfg(feature = "rds")]
    controls.extend(rds::all());
    controls
}

#[cfg(any_service)]
/// The first resource of the control's `resource_type` in the finding.
pub(crate) fn resource<'a>(
    finding: &'a Finding,
    meta: &ControlMeta,
) -> Result<&'a Resource, RemediationError> {
    finding
        .resources
        .iter()
        .find(|r| r.resource_type == meta.resource_type)
        .ok_or_else(|| RemediationError::UnsupportedFinding {
            control_id: control_id(finding, meta.ids).to_owned(),
            reason: format!("the finding has no {} resource", meta.resource_type),
        })
}

#[cfg(any_service)]
/// The control ID the finding reports, or the remediation's first ID.
pub(crate) fn control_id<'a>(finding: &'a Finding, ids: &'static [&'static str]) -> &'a str {
    finding.control_id().unwrap_or(ids[0])
}

#[cfg(any(feature = "s3", feature = "ecr"))]
/// Reads something that may legitimately not be configured: the error codes
/// in `absent` mean "not configured", a state rather than a failure.
pub(crate) fn optional<T, E>(
    operation: &'static str,
    result: Result<T, E>,
    absent: &[&str],
) -> Result<Option<T>, RemediationError>
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error,
{
    match result {
        Ok(value) => Ok(Some(value)),
        Err(error) if crate::error::code_of(&error).is_some_and(|code| absent.contains(&code)) => {
            Ok(None)
        }
        Err(error) => Err(RemediationError::aws(operation, &error)),
    }
}

#[cfg(any(feature = "s3", feature = "dynamodb", feature = "ec2", feature = "ecs"))]
/// Whether a tag value means "yes".
pub(crate) fn is_true(value: Option<&str>) -> bool {
    value.is_some_and(|v| {
        v.trim().eq_ignore_ascii_case("true") || v.trim().eq_ignore_ascii_case("yes")
    })
}
