//! [`FindingUpdater`] on Security Hub.

use async_trait::async_trait;
use aws_sdk_securityhub::types::{
    AwsSecurityFindingIdentifier, NoteUpdate, SeverityUpdate, WorkflowUpdate,
};
use aws_sdk_securityhub::Client;
use soar_asff::sdk::{import_batches, BATCH_LIMIT};
use soar_asff::Finding;

use super::port_error;
use crate::ports::{
    BatchReport, FailedFinding, FindingRef, FindingUpdate, FindingUpdater, PortError,
};

const PORT: &str = "FindingUpdater";

/// `BatchUpdateFindings` and `BatchImportFindings`, in batches of at most
/// 100.
///
/// Throttled batches are retried by the client's own retry layer (the SDK's
/// standard mode, configured from [`crate::AwsRetry`]); there is no second
/// loop here, so a batch is sent at most the configured number of times.
///
/// A batch that fails for good (access denied, invalid input) does not stop
/// the others: its findings are reported in [`BatchReport::failed`] with the
/// error code, next to the findings Security Hub itself reported as
/// unprocessed. IAM actions: `securityhub:BatchUpdateFindings`,
/// `securityhub:BatchImportFindings`.
#[derive(Debug, Clone)]
pub struct SecurityHubUpdater {
    client: Client,
    updated_by: String,
}

impl SecurityHubUpdater {
    /// An updater that signs notes as `soar`.
    pub fn new(client: Client) -> Self {
        SecurityHubUpdater {
            client,
            updated_by: "soar".to_owned(),
        }
    }

    /// Signs notes with `name` (`Note.UpdatedBy`).
    pub fn updated_by(mut self, name: impl Into<String>) -> Self {
        self.updated_by = name.into();
        self
    }

    async fn update_batch(
        &self,
        update: &FindingUpdate,
        batch: &[FindingRef],
        report: &mut BatchReport,
    ) {
        let identifiers: Vec<_> = batch
            .iter()
            .map(|f| {
                AwsSecurityFindingIdentifier::builder()
                    .id(&f.id)
                    .product_arn(&f.product_arn)
                    .build()
            })
            .collect();
        let result = self
            .client
            .batch_update_findings()
            .set_finding_identifiers(Some(identifiers))
            .set_workflow(
                update
                    .workflow_status
                    .map(|s| WorkflowUpdate::builder().status(s.as_str().into()).build()),
            )
            .set_severity(
                update
                    .severity
                    .map(|l| SeverityUpdate::builder().label(l.as_str().into()).build()),
            )
            .set_note(update.note.as_ref().map(|text| {
                NoteUpdate::builder()
                    .text(text)
                    .updated_by(&self.updated_by)
                    .build()
            }))
            .set_user_defined_fields(
                (!update.user_defined_fields.is_empty())
                    .then(|| update.user_defined_fields.clone().into_iter().collect()),
            )
            .send()
            .await
            .map_err(|e| port_error(PORT, "BatchUpdateFindings", &e));
        match result {
            Ok(output) => {
                report
                    .processed
                    .extend(output.processed_findings().iter().map(finding_ref));
                report
                    .failed
                    .extend(output.unprocessed_findings().iter().map(|u| FailedFinding {
                        finding: u.finding_identifier().map(finding_ref).unwrap_or_else(|| {
                            FindingRef {
                                id: String::new(),
                                product_arn: String::new(),
                            }
                        }),
                        code: u.error_code().unwrap_or("Unknown").to_owned(),
                        message: u.error_message().unwrap_or_default().to_owned(),
                    }));
            }
            Err(error) => fail_all(report, batch.iter().cloned(), &error),
        }
    }
}

fn finding_ref(identifier: &AwsSecurityFindingIdentifier) -> FindingRef {
    FindingRef {
        id: identifier.id().unwrap_or_default().to_owned(),
        product_arn: identifier.product_arn().unwrap_or_default().to_owned(),
    }
}

fn fail_all(
    report: &mut BatchReport,
    findings: impl Iterator<Item = FindingRef>,
    error: &PortError,
) {
    tracing::warn!(%error, "a Security Hub batch failed");
    report.failed.extend(findings.map(|finding| FailedFinding {
        finding,
        code: error.class.to_string(),
        message: error.message.clone(),
    }));
}

#[async_trait]
impl FindingUpdater for SecurityHubUpdater {
    async fn update(&self, update: &FindingUpdate) -> Result<BatchReport, PortError> {
        let mut report = BatchReport::default();
        for batch in update.findings.chunks(BATCH_LIMIT) {
            self.update_batch(update, batch, &mut report).await;
        }
        Ok(report)
    }

    async fn import(&self, findings: &[Finding]) -> Result<BatchReport, PortError> {
        let converted = import_batches(findings);
        if !converted.is_lossless() {
            // BatchImportFindings takes the SDK's types, which cannot carry
            // every ASFF member; say which ones did not make it.
            tracing::warn!(unconverted = ?converted.unconverted, "members not imported");
        }
        let mut report = BatchReport::default();
        for (batch, originals) in converted
            .value
            .into_iter()
            .zip(findings.chunks(BATCH_LIMIT))
        {
            let result = self
                .client
                .batch_import_findings()
                .set_findings(Some(batch))
                .send()
                .await
                .map_err(|e| port_error(PORT, "BatchImportFindings", &e));
            match result {
                Ok(output) => {
                    let failed: Vec<FailedFinding> = output
                        .failed_findings()
                        .iter()
                        .map(|f| {
                            let id = f.id().unwrap_or_default();
                            let product_arn = originals
                                .iter()
                                .find(|o| o.id == id)
                                .map(|o| o.product_arn.clone())
                                .unwrap_or_default();
                            FailedFinding {
                                finding: FindingRef {
                                    id: id.to_owned(),
                                    product_arn,
                                },
                                code: f.error_code().unwrap_or("Unknown").to_owned(),
                                message: f.error_message().unwrap_or_default().to_owned(),
                            }
                        })
                        .collect();
                    report.processed.extend(
                        originals
                            .iter()
                            .filter(|o| !failed.iter().any(|f| f.finding.id == o.id))
                            .map(FindingRef::from),
                    );
                    report.failed.extend(failed);
                }
                Err(error) => fail_all(&mut report, originals.iter().map(FindingRef::from), &error),
            }
        }
        Ok(report)
    }
}
