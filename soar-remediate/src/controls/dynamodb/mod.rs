//! DynamoDB controls, and reading a table from a finding.

// One `mod` per control file in this directory, and `all()`, from build.rs.
include!(concat!(env!("OUT_DIR"), "/controls/dynamodb.rs"));

use soar_asff::Finding;

use crate::controls::resource;
use crate::{Context, ControlMeta, RemediationError};

/// The table's name and ARN, from the finding's `AwsDynamoDbTable` resource.
///
/// The resource ID is normally the table's ARN. When the finding names the
/// table only, the name comes from its details (or the ID), and the ARN is
/// built in the context's partition, Region and account: a hard-coded `aws`
/// partition would be wrong in the China and GovCloud partitions.
pub(crate) fn table(
    ctx: &Context,
    finding: &Finding,
    meta: &ControlMeta,
) -> Result<(String, String), RemediationError> {
    let table = resource(finding, meta)?;
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
