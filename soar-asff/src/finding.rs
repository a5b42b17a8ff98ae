//! [`Finding`]: the typed `AwsSecurityFinding`.

use std::collections::BTreeMap;

use crate::arn::is_account_id;
use crate::compliance::{Compliance, ComplianceStatus};
use crate::error::Error;
use crate::json::parse_json;
use crate::object::asff_object;
use crate::resource::Resource;
use crate::severity::{Severity, SeverityLabel};
use crate::threat::{
    Action, Malware, Network, NetworkPathComponent, Process, Threat, ThreatIntelIndicator,
};
use crate::vulnerability::{PatchSummary, Vulnerability};
use crate::workflow::{
    Note, RecordState, VerificationState, Workflow, WorkflowState, WorkflowStatus,
};

asff_object! {
    /// One finding in the AWS Security Finding Format.
    ///
    /// Every top-level member of the API's `AwsSecurityFinding` has a field.
    /// The ten members the Security Hub API model requires (`SchemaVersion`,
    /// `Id`, `ProductArn`, `GeneratorId`, `AwsAccountId`, `CreatedAt`,
    /// `UpdatedAt`, `Title`, `Description`, `Resources`) are plain fields;
    /// the rest, `Types` and `Severity` included, are `Option`s, so a member
    /// that is absent stays absent when the finding is written back.
    /// Members this version does not know are kept in `extra`.
    ///
    /// ```
    /// use soar_asff::{Finding, SeverityLabel};
    ///
    /// let json = r#"{
    ///   "SchemaVersion": "2018-10-08", "Id": "f-1",
    ///   "ProductArn": "arn:aws:securityhub:eu-west-1::product/aws/securityhub",
    ///   "GeneratorId": "security-control/S3.2", "AwsAccountId": "111122223333",
    ///   "Types": ["Software and Configuration Checks"],
    ///   "CreatedAt": "2026-01-01T00:00:00Z", "UpdatedAt": "2026-01-01T00:00:00Z",
    ///   "Severity": {"Label": "HIGH"}, "Title": "t", "Description": "d",
    ///   "Resources": [{"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::b"}],
    ///   "NewMemberFromTheFuture": {"kept": true}
    /// }"#;
    /// let mut finding = Finding::from_str(json)?;
    /// assert_eq!(finding.control_id(), Some("S3.2"));
    /// assert_eq!(finding.severity_label(), Some(SeverityLabel::High));
    ///
    /// finding.title = "Block public access".into();
    /// let written: serde_json::Value = serde_json::from_str(&finding.to_json()?)?;
    /// assert_eq!(written["NewMemberFromTheFuture"]["kept"], true);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub struct Finding {
        /// The ASFF schema version, `2018-10-08`.
        "SchemaVersion" => schema_version: required<String>,
        /// The finding's ID, unique per product and Region.
        "Id" => id: required<String>,
        /// The ARN of the product that produced the finding.
        "ProductArn" => product_arn: required<String>,
        /// The product's name.
        "ProductName" => product_name: optional<String>,
        /// The product's company.
        "CompanyName" => company_name: optional<String>,
        /// The Region the finding was produced in.
        "Region" => region: optional<String>,
        /// The rule, check or detector that produced the finding.
        "GeneratorId" => generator_id: required<String>,
        /// The account the finding belongs to.
        "AwsAccountId" => aws_account_id: required<String>,
        /// The finding types, `namespace/category/classifier`.
        "Types" => types: optional<Vec<String>>,
        /// When the issue was first seen.
        "FirstObservedAt" => first_observed_at: optional<String>,
        /// When the issue was last seen.
        "LastObservedAt" => last_observed_at: optional<String>,
        /// When the finding was created.
        "CreatedAt" => created_at: required<String>,
        /// When the finding was last updated.
        "UpdatedAt" => updated_at: required<String>,
        /// How severe the issue is.
        "Severity" => severity: optional<Severity>,
        /// How confident the producer is, 0..=100.
        "Confidence" => confidence: optional<i32>,
        /// How important the resource is, 0..=100.
        "Criticality" => criticality: optional<i32>,
        /// A one-line summary.
        "Title" => title: required<String>,
        /// The full description.
        "Description" => description: required<String>,
        /// How to fix the issue.
        "Remediation" => remediation: optional<Remediation>,
        /// A link to more about the finding in the product.
        "SourceUrl" => source_url: optional<String>,
        /// The product's own string fields, such as `ControlId`.
        "ProductFields" => product_fields: optional<BTreeMap<String, String>>,
        /// Fields set by users and tools; soar records its ticket here.
        "UserDefinedFields" => user_defined_fields: optional<BTreeMap<String, String>>,
        /// Malware related to the finding.
        "Malware" => malware: optional<Vec<Malware>>,
        /// Network traffic related to the finding.
        "Network" => network: optional<Network>,
        /// The network path to the resource.
        "NetworkPath" => network_path: optional<Vec<NetworkPathComponent>>,
        /// A process related to the finding.
        "Process" => process: optional<Process>,
        /// Threats detected in the resource.
        "Threats" => threats: optional<Vec<Threat>>,
        /// Threat intelligence related to the finding.
        "ThreatIntelIndicators" => threat_intel_indicators: optional<Vec<ThreatIntelIndicator>>,
        /// The resources the finding is about.
        "Resources" => resources: required<Vec<Resource>>,
        /// The result of a control check.
        "Compliance" => compliance: optional<Compliance>,
        /// Whether the finding was verified.
        "VerificationState" => verification_state: optional<VerificationState>,
        /// Deprecated workflow state.
        "WorkflowState" => workflow_state: optional<WorkflowState>,
        /// The investigation status.
        "Workflow" => workflow: optional<Workflow>,
        /// Whether the finding is active or archived.
        "RecordState" => record_state: optional<RecordState>,
        /// Related findings.
        "RelatedFindings" => related_findings: optional<Vec<RelatedFinding>>,
        /// A note from a user or tool.
        "Note" => note: optional<Note>,
        /// Vulnerabilities found in the resource.
        "Vulnerabilities" => vulnerabilities: optional<Vec<Vulnerability>>,
        /// Patch compliance of the resource.
        "PatchSummary" => patch_summary: optional<PatchSummary>,
        /// The action that triggered the finding.
        "Action" => action: optional<Action>,
        /// What the producer set originally, kept apart from later updates.
        "FindingProviderFields" => finding_provider_fields: optional<FindingProviderFields>,
        /// Whether this is a sample finding.
        "Sample" => sample: optional<bool>,
        /// The generator of an AI-assisted or custom finding.
        "GeneratorDetails" => generator_details: optional<GeneratorDetails>,
        /// When Security Hub processed the finding.
        "ProcessedAt" => processed_at: optional<String>,
        /// The account's name.
        "AwsAccountName" => aws_account_name: optional<String>,
        /// Attack sequence details (GuardDuty Extended Threat Detection).
        "Detection" => detection: optional<serde_json::Value>,
    }
}

asff_object! {
    /// The `Remediation` member: how to fix the issue.
    pub struct Remediation {
        /// The recommendation.
        "Recommendation" => recommendation: optional<Recommendation>,
    }
}

asff_object! {
    /// A remediation recommendation.
    pub struct Recommendation {
        /// The advice, in words.
        "Text" => text: optional<String>,
        /// A link to more.
        "Url" => url: optional<String>,
    }
}

asff_object! {
    /// A related finding, by ID and product.
    pub struct RelatedFinding {
        /// The related finding's product ARN.
        "ProductArn" => product_arn: required<String>,
        /// The related finding's ID.
        "Id" => id: required<String>,
    }
}

asff_object! {
    /// The values the producer set, which `BatchUpdateFindings` does not change.
    pub struct FindingProviderFields {
        /// The producer's confidence.
        "Confidence" => confidence: optional<i32>,
        /// The producer's criticality.
        "Criticality" => criticality: optional<i32>,
        /// The producer's related findings.
        "RelatedFindings" => related_findings: optional<Vec<RelatedFinding>>,
        /// The producer's severity.
        "Severity" => severity: optional<Severity>,
        /// The producer's types.
        "Types" => types: optional<Vec<String>>,
    }
}

asff_object! {
    /// The generator of a finding, for custom and AI-assisted findings.
    pub struct GeneratorDetails {
        /// The generator's name.
        "Name" => name: optional<String>,
        /// The generator's description.
        "Description" => description: optional<String>,
        /// Labels.
        "Labels" => labels: optional<Vec<String>>,
    }
}

impl Finding {
    /// Parses one finding from JSON bytes.
    ///
    /// # Errors
    /// [`Error::Json`] naming the path of the first member that is missing,
    /// of the wrong type, or not valid JSON.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        parse_json(bytes)
    }

    /// Parses one finding from a JSON string.
    ///
    /// # Errors
    /// As [`Finding::from_slice`].
    #[allow(clippy::should_implement_trait)] // `FromStr` cannot carry the borrowed fast path.
    pub fn from_str(json: &str) -> Result<Self, Error> {
        parse_json(json.as_bytes())
    }

    /// Converts a `serde_json::Value` that holds one finding.
    ///
    /// # Errors
    /// As [`Finding::from_slice`].
    pub fn from_value(value: serde_json::Value) -> Result<Self, Error> {
        crate::json::from_value(value)
    }

    /// The finding as compact JSON.
    ///
    /// # Errors
    /// None in practice: every member serialises. The `Result` is serde's.
    pub fn to_json(&self) -> Result<String, Error> {
        crate::json::to_json(self)
    }

    /// The finding as a `serde_json::Value`.
    ///
    /// # Errors
    /// As [`Finding::to_json`].
    pub fn to_value(&self) -> Result<serde_json::Value, Error> {
        crate::json::to_value(self)
    }

    /// The control this finding checks, such as `S3.2`.
    ///
    /// In order: `Compliance.SecurityControlId` (consolidated control
    /// findings), then `ProductFields.ControlId` (per-standard findings),
    /// then `ProductFields.RuleId` (CIS 1.2.0), then the last part of a
    /// standards `GeneratorId` such as
    /// `aws-foundational-security-best-practices/v/1.0.0/EC2.2` or
    /// `security-control/EC2.2`. `None` for findings that are not control
    /// checks (GuardDuty, Inspector, Access Analyzer, ...).
    pub fn control_id(&self) -> Option<&str> {
        self.view().control_id()
    }

    /// A `ProductFields` entry.
    pub fn product_field(&self, name: &str) -> Option<&str> {
        self.product_fields.as_ref()?.get(name).map(String::as_str)
    }

    /// A `UserDefinedFields` entry.
    pub fn user_defined_field(&self, name: &str) -> Option<&str> {
        self.user_defined_fields
            .as_ref()?
            .get(name)
            .map(String::as_str)
    }

    /// The severity label, derived from `Severity.Normalized` when the label
    /// is missing; `None` without a `Severity`.
    pub fn severity_label(&self) -> Option<SeverityLabel> {
        self.view().severity_label()
    }

    /// The normalized severity (0..=100), derived from the label when the
    /// score is missing; `None` without a `Severity`.
    pub fn normalized_severity(&self) -> Option<i32> {
        self.view().normalized_severity()
    }

    /// The finding types, `namespace/category/classifier`: empty when the
    /// finding has none (`Types` is optional in the API model).
    pub fn types(&self) -> &[String] {
        self.types.as_deref().unwrap_or_default()
    }

    /// `Compliance.Status`, if the finding is a control check.
    pub fn compliance_status(&self) -> Option<ComplianceStatus> {
        self.compliance.as_ref()?.status
    }

    /// `Workflow.Status`.
    pub fn workflow_status(&self) -> Option<WorkflowStatus> {
        self.workflow.as_ref()?.status
    }

    /// The first resource, which is the subject of almost every finding.
    pub fn primary_resource(&self) -> Option<&Resource> {
        self.resources.first()
    }

    /// The account that owns the finding's resource: the account in the
    /// first resource's ARN, or `AwsAccountId` when the ARN has none (an S3
    /// bucket) or the resource ID is not an ARN.
    pub fn resource_account_id(&self) -> &str {
        self.view().resource_account_id()
    }

    /// The Region of the finding's resource: the first resource's `Region`
    /// or ARN Region, then the finding's `Region`, then the Region in the
    /// finding's `ProductArn`.
    pub fn resource_region(&self) -> Option<&str> {
        self.view().resource_region()
    }

    /// Whether `AwsAccountId` is a well-formed 12-digit account ID.
    pub fn has_valid_account_id(&self) -> bool {
        is_account_id(&self.aws_account_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_id_from_each_generator_style() {
        let cases = [
            ("security-control/CloudTrail.2", Some("CloudTrail.2")),
            (
                "aws-foundational-security-best-practices/v/1.0.0/EC2.2",
                Some("EC2.2"),
            ),
            ("pci-dss/v/3.2.1/PCI.KMS.1", Some("PCI.KMS.1")),
            ("cis-aws-foundations-benchmark/v/1.4.0/3.7", Some("3.7")),
            (
                "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/1.3",
                Some("1.3"),
            ),
            (
                "service-managed-aws-control-tower/v/1.0.0/CodeBuild.1",
                Some("CodeBuild.1"),
            ),
            (
                "arn:aws:guardduty:us-east-1:123456789012:detector/abc",
                None,
            ),
            ("Trivy/CVE-2019-1549", None),
        ];
        for (generator, expected) in cases {
            assert_eq!(
                crate::view::control_id_from_generator(generator),
                expected,
                "{generator}"
            );
        }
    }

    fn finding() -> Finding {
        Finding {
            generator_id: "aws-foundational-security-best-practices/v/1.0.0/EC2.2".into(),
            aws_account_id: "111111111111".into(),
            ..Finding::default()
        }
    }

    #[test]
    fn control_id_prefers_compliance_then_product_fields() {
        let mut f = finding();
        assert_eq!(f.control_id(), Some("EC2.2"));
        f.product_fields = Some(BTreeMap::from([("ControlId".into(), "EC2.9".into())]));
        assert_eq!(f.control_id(), Some("EC2.9"));
        f.compliance = Some(Compliance {
            security_control_id: Some("EC2.1".into()),
            ..Compliance::default()
        });
        assert_eq!(f.control_id(), Some("EC2.1"));
    }

    #[test]
    fn resource_account_falls_back_to_finding_account() {
        let mut f = finding();
        f.resources = vec![Resource {
            resource_type: "AwsS3Bucket".into(),
            id: "arn:aws:s3:::bucket".into(),
            ..Resource::default()
        }];
        assert_eq!(f.resource_account_id(), "111111111111");
        f.resources[0].id = "arn:aws:iam::222222222222:role/r".into();
        assert_eq!(f.resource_account_id(), "222222222222");
    }

    #[test]
    fn resource_region_prefers_resource_then_finding_then_product() {
        let mut f = finding();
        f.product_arn = "arn:aws:securityhub:eu-west-3::product/aws/securityhub".into();
        assert_eq!(f.resource_region(), Some("eu-west-3"));
        f.region = Some("eu-west-2".into());
        assert_eq!(f.resource_region(), Some("eu-west-2"));
        f.resources = vec![Resource {
            id: "arn:aws:ec2:eu-west-1:111111111111:instance/i-1".into(),
            ..Resource::default()
        }];
        assert_eq!(f.resource_region(), Some("eu-west-1"));
    }

    #[test]
    fn account_ids_and_resource_tags() {
        let mut f = finding();
        assert!(f.has_valid_account_id());
        f.aws_account_id = "0123456789101".into();
        assert!(!f.has_valid_account_id());
        let resource = Resource {
            tags: Some(BTreeMap::from([("owner".into(), "alice".into())])),
            ..Resource::default()
        };
        assert_eq!(resource.tag("owner"), Some("alice"));
        assert_eq!(resource.tag("team"), None);
        assert_eq!(Resource::default().tag("owner"), None);
    }
}
