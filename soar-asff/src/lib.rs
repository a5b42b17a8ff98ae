#![doc = include_str!("../README.md")]
#![warn(missing_docs, unreachable_pub)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod arn;
mod check;
mod compliance;
mod error;
mod event;
mod finding;
mod json;
mod object;
mod resource;
mod severity;
mod threat;
mod view;
mod vulnerability;
mod workflow;

pub mod ocsf;
#[cfg(feature = "sdk")]
pub mod sdk;

#[cfg(feature = "proptest")]
pub mod strategy;

pub use arn::{is_account_id, owner_account, Arn};
pub use compliance::{AssociatedStandard, Compliance, ComplianceStatus, StatusReason};
pub use error::{Error, JsonError, JsonErrorKind, UnknownVariant};
pub use event::{
    AlarmConfiguration, AlarmState, AlarmStateChange, AlarmStateValue, CloudTrailDetail, Envelope,
    Event, EventKind, GuardDutyFinding, SecurityHubDetail, UserIdentity, CLOUDTRAIL_API_CALL,
    CLOUDTRAIL_CONSOLE_SIGN_IN, CLOUDWATCH_ALARM_STATE_CHANGE, GUARDDUTY_FINDING,
    SECURITY_HUB_CUSTOM_ACTION, SECURITY_HUB_IMPORTED, SECURITY_HUB_IMPORTED_V2,
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
pub use view::{
    FindingView, LazyEvent, LazyFinding, ResourceView, PRODUCT_FIELDS, USER_DEFINED_FIELDS,
};
pub use vulnerability::{PatchSummary, Vulnerability};
pub use workflow::{Note, RecordState, VerificationState, Workflow, WorkflowState, WorkflowStatus};
