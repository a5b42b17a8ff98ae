//! ECR controls, and reading a repository from a finding.

// One `mod` per control file in this directory, and `all()`, from build.rs.
include!(concat!(env!("OUT_DIR"), "/controls/ecr.rs"));

use aws_sdk_ecr::types::Repository;
use soar_asff::Finding;

use crate::controls::resource;
use crate::{Context, ControlMeta, RemediationError};

/// The repository's name: `Details.AwsEcrRepository.RepositoryName`, or
/// what follows `repository/` in its ARN (names may contain `/`).
pub(crate) fn repository_name(
    finding: &Finding,
    meta: &ControlMeta,
) -> Result<String, RemediationError> {
    let repo = resource(finding, meta)?;
    if let Some(name) = repo
        .details
        .as_ref()
        .and_then(|d| d.aws_ecr_repository.as_ref())
        .and_then(|r| r.repository_name.clone())
    {
        return Ok(name);
    }
    let name = soar_asff::Arn::parse(&repo.id)
        .ok()
        .and_then(|arn| arn.resource.strip_prefix("repository/"))
        .unwrap_or(&repo.id);
    Ok(name.to_owned())
}

/// The repository as ECR describes it, in the registry of the context's
/// account. ECR uses the caller's own registry when none is named; naming it
/// means a session in some other account is refused, instead of finding a
/// repository of the same name there.
pub(crate) async fn describe(ctx: &Context, name: &str) -> Result<Repository, RemediationError> {
    let output = ctx
        .ecr()
        .describe_repositories()
        .registry_id(ctx.account_id())
        .repository_names(name)
        .send()
        .await
        .map_err(|e| RemediationError::aws("DescribeRepositories", &e))?;
    output.repositories().first().cloned().ok_or_else(|| {
        RemediationError::not_found(
            "DescribeRepositories",
            format!("repository {name} not found"),
        )
    })
}
