//! DynamoDB controls, and reading a table from a finding.

mod dynamodb_2;
mod dynamodb_6;

use soar_asff::Finding;

use crate::controls::resource;
use crate::remediation::Remediation;
use crate::RemediationError;

pub(crate) fn all() -> Vec<Box<dyn Remediation>> {
    vec![
        Box::new(dynamodb_2::EnablePointInTimeRecovery),
        Box::new(dynamodb_6::ProtectFromDeletion),
    ]
}

/// The table's name and ARN, from the finding's `AwsDynamoDbTable` resource.
pub(crate) fn table(
    finding: &Finding,
    control_id: &str,
) -> Result<(String, String), RemediationError> {
    let table = resource(finding, "AwsDynamoDbTable", control_id)?;
    let name = match soar_asff::Arn::parse(&table.id) {
        Ok(arn) => arn
            .resource
            .strip_prefix("table/")
            .unwrap_or(arn.resource)
            .to_owned(),
        Err(_) => table.id.clone(),
    };
    Ok((name, table.id.clone()))
}
