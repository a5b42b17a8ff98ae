//! Typed AWS Security Finding Format (ASFF) findings and EventBridge
//! envelopes that round-trip losslessly.
//!
//! `soar-asff` is the data layer of [soar], a toolkit for security
//! orchestration, automation and response on AWS. It reads what Security
//! Hub, GuardDuty, CloudWatch and CloudTrail send through EventBridge into
//! Rust types, lets you change them, and writes them back **without losing
//! a member**, including the ones this version does not know about. It
//! makes no AWS calls and has no AWS SDK dependency unless you turn on the
//! `sdk` feature.
//!
//! # Example
//!
//! ```
//! use soar_asff::{ComplianceStatus, Event, SeverityLabel};
//!
//! let bytes = br#"{
//!   "version": "0", "id": "e-1", "detail-type": "Security Hub Findings - Imported",
//!   "source": "aws.securityhub", "account": "111122223333",
//!   "time": "2026-01-01T00:00:00Z", "region": "eu-west-1", "resources": [],
//!   "detail": {"findings": [{
//!     "SchemaVersion": "2018-10-08", "Id": "f-1",
//!     "ProductArn": "arn:aws:securityhub:eu-west-1::product/aws/securityhub",
//!     "GeneratorId": "security-control/S3.2", "AwsAccountId": "111122223333",
//!     "Types": ["Software and Configuration Checks"],
//!     "CreatedAt": "2026-01-01T00:00:00Z", "UpdatedAt": "2026-01-01T00:00:00Z",
//!     "Severity": {"Label": "HIGH", "Normalized": 70}, "Title": "t", "Description": "d",
//!     "Compliance": {"Status": "FAILED", "SecurityControlId": "S3.2"},
//!     "Resources": [{"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::logs", "Region": "eu-west-1"}]
//!   }]}
//! }"#;
//!
//! let mut event = Event::parse(bytes)?;
//! let finding = &mut event.findings_mut()[0];
//! assert_eq!(finding.control_id(), Some("S3.2"));
//! assert_eq!(finding.compliance_status(), Some(ComplianceStatus::Failed));
//! assert_eq!(finding.severity_label(), Some(SeverityLabel::High));
//! assert_eq!(finding.resource_region(), Some("eu-west-1"));
//!
//! // Change a member and write the whole event back.
//! finding.title = "Bucket allows public reads".into();
//! let written = event.to_json()?;
//! assert!(written.contains("Bucket allows public reads"));
//!
//! // Bad input is an error that says where.
//! let err = soar_asff::Finding::from_str(r#"{"Id": 7}"#).unwrap_err();
//! assert_eq!(err.path(), Some("Id"));
//! # Ok::<(), soar_asff::Error>(())
//! ```
//!
//! # What is typed
//!
//! Every top-level member of `AwsSecurityFinding` has a field on
//! [`Finding`]. Severity, Compliance, Workflow, RecordState, Resources,
//! ProductFields, Note, Remediation and FindingProviderFields are typed in
//! full; resource `Details` are typed for the kinds soar's remediations read
//! ([`ResourceDetails`]), and every other kind stays raw JSON. Each struct has
//! an `extra` map for members it does not type, so the round trip
//! `parse -> serialize` gives back a JSON-equal document (member order aside).
//!
//! [`Event::parse`] accepts the five EventBridge envelopes soar acts on, any
//! other EventBridge event (kept verbatim), and a bare ASFF finding.
//!
//! # Errors
//!
//! Parse errors carry the JSON path of the problem, such as
//! `detail.findings[0].Resources[0].Id`, and the line and column. ASFF's
//! required members (`SchemaVersion`, `Id`, `ProductArn`, `GeneratorId`,
//! `AwsAccountId`, `Types`, `CreatedAt`, `UpdatedAt`, `Severity`, `Title`,
//! `Description`, `Resources`) must be present, and enum members must hold
//! one of their ASFF values.
//!
//! # Features
//!
//! - `sdk`: conversions to and from `aws_sdk_securityhub::types::AwsSecurityFinding`,
//!   and builders for `BatchUpdateFindings` identifiers and `BatchImportFindings` input.
//! - `proptest`: [`proptest`](https://docs.rs/proptest) strategies such as
//!   `arb_finding()`, to test your own code with random valid findings.
//!
//! [soar]: https://github.com/soar-rs/soar
#![warn(missing_docs, unreachable_pub)]

mod arn;
mod compliance;
mod error;
mod event;
mod finding;
mod json;
mod object;
mod resource;
mod severity;
mod threat;
mod vulnerability;
mod workflow;

#[cfg(feature = "sdk")]
pub mod sdk;

#[cfg(feature = "proptest")]
pub mod strategy;

pub use arn::{is_account_id, owner_account, Arn};
pub use compliance::{AssociatedStandard, Compliance, ComplianceStatus, StatusReason};
pub use error::{Error, JsonError, JsonErrorKind, UnknownVariant};
pub use event::{
    AlarmConfiguration, AlarmState, AlarmStateChange, AlarmStateValue, CloudTrailDetail,
    Envelope, Event, EventKind, GuardDutyFinding, SecurityHubDetail, UserIdentity,
    CLOUDTRAIL_API_CALL, CLOUDTRAIL_CONSOLE_SIGN_IN, CLOUDWATCH_ALARM_STATE_CHANGE,
    GUARDDUTY_FINDING, SECURITY_HUB_CUSTOM_ACTION, SECURITY_HUB_IMPORTED,
};
pub use finding::{
    Finding, FindingProviderFields, GeneratorDetails, Recommendation, RelatedFinding, Remediation,
};
pub use object::Extra;
pub use resource::{
    AwsDynamoDbTableDetails, AwsEc2InstanceDetails, AwsEc2SecurityGroupDetails,
    AwsEc2SubnetDetails, AwsEc2VolumeDetails, AwsEc2VpcDetails, AwsEcrRepositoryDetails,
    AwsIamAccessKeyDetails, AwsIamUserDetails, AwsKmsKeyDetails, AwsRdsDbClusterDetails,
    AwsRdsDbClusterSnapshotDetails, AwsRdsDbInstanceDetails, AwsRdsDbSnapshotDetails,
    AwsS3BucketDetails, PublicAccessBlockConfiguration, Resource, ResourceDetails,
};
pub use severity::{Severity, SeverityLabel};
pub use threat::{
    Action, Malware, Network, NetworkPathComponent, PortRange, Process, Threat,
    ThreatIntelIndicator,
};
pub use vulnerability::{PatchSummary, Vulnerability};
pub use workflow::{Note, RecordState, VerificationState, Workflow, WorkflowState, WorkflowStatus};
