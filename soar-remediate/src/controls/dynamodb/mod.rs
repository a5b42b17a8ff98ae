//! DynamoDB controls, and reading a table from a finding.

mod dynamodb_2;
mod dynamodb_6;

use soar_asff::Finding;

use crate::controls::resource;
use crate::remediation::Remediation;
use crate::{Context, RemediationError};

/// The DynamoDB controls.
pub(crate) fn all() -> Vec<Box<dyn Remediation>> {
    vec![
        Box::new(dynamodb_2::EnablePointInTimeRecovery),
        Box::new(dynamodb_6::ProtectFromDeletion),
    ]
}

/// The table's name and ARN, from the finding's `AwsDynamoDbTable` resource.
///
/// The resource ID is normally the table's ARN. When the finding names the
/// table only, the name comes from its details (or the ID), and the ARN is
/// built in the context's partition, Region and account: a hard-coded `aws`
/// partition would be wrong in the China and GovCloud partitions.
pub(crate) fn table(
    ctx: &Context,
    finding: &Finding,
    control_id: &str,
) -> Result<(String, String), RemediationError> {
    let table = resource(finding, "AwsDynamoDbTable", control_id)?;
    if let Ok(arn) = soar_asff::Arn::parse(&table.id) {
        let name = arn.resource.strip_prefix("table/").unwrap_or(arn.resource);
        return Ok((name.to_owned(), table.id.clone()));
    }
    let name = table
        .details
        .as_ref()
        .and_then(|d| d.aws_dynamo_db_table.as_ref())
        .and_then(|t| t.table_name.clone())
        .unwrap_or_else(|| table.id.clone());
    let arn = format!(
        "arn:{}:dynamodb:{}:{}:table/{name}",
        ctx.partition(),
        ctx.region(),
        ctx.account_id()
    );
    Ok((name, arn))
}
