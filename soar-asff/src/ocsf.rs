//! OCSF findings, as the current Security Hub emits them.
//!
//! Security Hub (the 2025 relaunch; Security Hub CSPM keeps ASFF) sends
//! findings in the [Open Cybersecurity Schema Framework](https://schema.ocsf.io/)
//! through EventBridge, as `Findings Imported V2` events from
//! `aws.securityhub`, one finding in `detail.findings`. The classes it emits
//! are Detection Finding (`class_uid` 2004: GuardDuty, exposure findings)
//! and Compliance Finding (2003: CSPM controls, coverage); Inspector sends
//! Vulnerability Findings (2002).
//!
//! [`Finding`] types the members every finding class shares and the
//! Compliance and Detection ones, as in OCSF 1.6 (the version Security Hub
//! documents; findings carry 1.4 to 1.9 in `metadata.version`, and none is
//! refused for it). Like the ASFF types, every object keeps the members it
//! does not type in `extra`, so a finding is written back as it was read.
//! Numbers that OCSF enumerates (`severity_id`, `status_id`, ...) stay
//! integers, with methods that map them to soar's ASFF vocabulary, so a
//! value added in a later OCSF version is kept rather than refused.
//!
//! ```
//! use soar_asff::ocsf::{Finding, FindingClass};
//! use soar_asff::{ComplianceStatus, SeverityLabel};
//!
//! let finding = Finding::from_str(r#"{
//!     "activity_id": 1, "category_uid": 2, "class_uid": 2003, "type_uid": 200301,
//!     "severity_id": 4, "time": 1764547200000,
//!     "metadata": {"version": "1.6.0", "product": {"name": "Security Hub",
//!         "uid": "arn:aws:securityhub:eu-west-1::productv2/aws/securityhub"}},
//!     "finding_info": {"uid": "f-1", "title": "S3 buckets should block public access"},
//!     "cloud": {"provider": "AWS", "region": "eu-west-1", "account": {"uid": "111122223333"}},
//!     "compliance": {"control": "S3.8", "status_id": 3},
//!     "resources": [{"type": "AWS::S3::Bucket", "uid": "example-bucket",
//!         "uid_alt": "arn:aws:s3:::example-bucket"}]
//! }"#)?;
//! assert_eq!(finding.class(), FindingClass::Compliance);
//! assert_eq!(finding.severity_label(), Some(SeverityLabel::High));
//! assert_eq!(finding.compliance_status(), Some(ComplianceStatus::Failed));
//! assert_eq!(finding.account_id(), Some("111122223333"));
//! assert_eq!(finding.resource_arn(), Some("arn:aws:s3:::example-bucket"));
//! # Ok::<(), soar_asff::Error>(())
//! ```

use serde_json::Value;

use crate::error::Error;
use crate::json::parse_json;
use crate::object::asff_object;
use crate::{ComplianceStatus, SeverityLabel, WorkflowStatus};

asff_object! {
    /// One OCSF finding: the base event, the finding members, and those of
    /// the Compliance and Detection Finding classes.
    pub struct Finding {
        /// What happened to the finding: 1 Create, 2 Update, 3 Close.
        "activity_id" => activity_id: required<i64>,
        /// The caption of `activity_id`.
        "activity_name" => activity_name: optional<String>,
        /// The category: 2, Findings.
        "category_uid" => category_uid: required<i64>,
        /// The caption of `category_uid`.
        "category_name" => category_name: optional<String>,
        /// The class, such as 2004 (Detection Finding); see [`Finding::class`].
        "class_uid" => class_uid: required<i64>,
        /// The caption of `class_uid`.
        "class_name" => class_name: optional<String>,
        /// `class_uid * 100 + activity_id`.
        "type_uid" => type_uid: required<i64>,
        /// `<class_name>: <activity_name>`.
        "type_name" => type_name: optional<String>,
        /// 0 Unknown, 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical,
        /// 6 Fatal, 99 Other; see [`Finding::severity_label`].
        "severity_id" => severity_id: required<i64>,
        /// The caption of `severity_id`, or the producer's word for 99.
        "severity" => severity: optional<String>,
        /// 0 Unknown, 1 New, 2 In Progress, 3 Suppressed, 4 Resolved,
        /// 5 Archived, 6 Deleted, 99 Other; see [`Finding::workflow_status`].
        "status_id" => status_id: optional<i64>,
        /// The caption of `status_id`.
        "status" => status: optional<String>,
        /// When the finding last changed, in milliseconds since the epoch.
        "time" => time: required<i64>,
        /// `time` as an RFC 3339 string (the `datetime` profile).
        "time_dt" => time_dt: optional<String>,
        /// About the finding's producer and this record.
        "metadata" => metadata: required<Metadata>,
        /// The finding itself: ID, title, types, times.
        "finding_info" => finding_info: required<FindingInfo>,
        /// The account and Region (the `cloud` profile; Security Hub always
        /// sends it).
        "cloud" => cloud: optional<Cloud>,
        /// The resources the finding is about.
        "resources" => resources: optional<Vec<Resource>>,
        /// The control and its result (Compliance Findings).
        "compliance" => compliance: optional<Compliance>,
        /// How to fix it.
        "remediation" => remediation: optional<Remediation>,
        /// What the detection saw (Detection Findings), kept as JSON.
        "evidences" => evidences: optional<Vec<Value>>,
        /// The vulnerabilities found (Vulnerability and Detection Findings),
        /// kept as JSON.
        "vulnerabilities" => vulnerabilities: optional<Vec<Value>>,
        /// The producer's own severity, before Security Hub mapped it.
        "vendor_attributes" => vendor_attributes: optional<Value>,
        /// Producer members that OCSF has no attribute for.
        "unmapped" => unmapped: optional<Value>,
    }
}

asff_object! {
    /// `metadata`: the producer, the schema version, and the record's ID.
    pub struct Metadata {
        /// The OCSF version the finding follows, such as `1.6.0`.
        "version" => version: required<String>,
        /// The product that produced the finding.
        "product" => product: required<Product>,
        /// The record's globally unique ID: what `BatchUpdateFindingsV2`
        /// takes as `MetadataUids`.
        "uid" => uid: optional<String>,
        /// The OCSF profiles the finding uses, such as `cloud` and `datetime`.
        "profiles" => profiles: optional<Vec<String>>,
        /// When Security Hub processed it, in milliseconds since the epoch.
        "processed_time" => processed_time: optional<i64>,
        /// `processed_time` as an RFC 3339 string.
        "processed_time_dt" => processed_time_dt: optional<String>,
    }
}

asff_object! {
    /// `metadata.product`.
    pub struct Product {
        /// Its name, such as `GuardDuty`.
        "name" => name: optional<String>,
        /// Its Security Hub product ARN, such as
        /// `arn:aws:securityhub:us-east-1::productv2/aws/guardduty`.
        "uid" => uid: optional<String>,
        /// Its vendor, such as `AWS`.
        "vendor_name" => vendor_name: optional<String>,
        /// Its version.
        "version" => version: optional<String>,
        /// The product feature that produced it, such as
        /// `{"uid": "security-hub/Coverage"}`.
        "feature" => feature: optional<Value>,
    }
}

asff_object! {
    /// `finding_info`: what the producer says of the finding.
    pub struct FindingInfo {
        /// The producer's finding ID (a GuardDuty finding ARN, a Security Hub
        /// control finding ARN).
        "uid" => uid: required<String>,
        /// Another ID of the finding, such as GuardDuty's own.
        "uid_alt" => uid_alt: optional<String>,
        /// Its title.
        "title" => title: optional<String>,
        /// Its description.
        "desc" => desc: optional<String>,
        /// Its types, such as `Stealth:IAMUser/CloudTrailLoggingDisabled`.
        "types" => types: optional<Vec<String>>,
        /// When the producer created it, in milliseconds since the epoch.
        "created_time" => created_time: optional<i64>,
        /// `created_time` as an RFC 3339 string.
        "created_time_dt" => created_time_dt: optional<String>,
        /// When the producer last changed it, in milliseconds since the epoch.
        "modified_time" => modified_time: optional<i64>,
        /// `modified_time` as an RFC 3339 string.
        "modified_time_dt" => modified_time_dt: optional<String>,
        /// When the behaviour was first seen, in milliseconds since the epoch.
        "first_seen_time" => first_seen_time: optional<i64>,
        /// `first_seen_time` as an RFC 3339 string.
        "first_seen_time_dt" => first_seen_time_dt: optional<String>,
        /// When the behaviour was last seen, in milliseconds since the epoch.
        "last_seen_time" => last_seen_time: optional<i64>,
        /// `last_seen_time` as an RFC 3339 string.
        "last_seen_time_dt" => last_seen_time_dt: optional<String>,
        /// Where the producer shows the finding.
        "src_url" => src_url: optional<String>,
        /// The rule or model that found it, kept as JSON.
        "analytic" => analytic: optional<Value>,
    }
}

asff_object! {
    /// `cloud`: where the finding is.
    pub struct Cloud {
        /// The cloud provider, `AWS`.
        "provider" => provider: required<String>,
        /// The Region.
        "region" => region: optional<String>,
        /// The account.
        "account" => account: optional<Account>,
        /// The partition, such as `aws`.
        "cloud_partition" => cloud_partition: optional<String>,
    }
}

asff_object! {
    /// `cloud.account`.
    pub struct Account {
        /// The account ID.
        "uid" => uid: optional<String>,
        /// The account's name.
        "name" => name: optional<String>,
        /// 10: an AWS account.
        "type_id" => type_id: optional<i64>,
        /// The caption of `type_id`.
        "type" => account_type: optional<String>,
    }
}

asff_object! {
    /// One of `resources`.
    pub struct Resource {
        /// Its ID: an ARN, or a plain ID such as `i-0abc...`, a queue URL or an
        /// access key ID; see [`Resource::arn`].
        "uid" => uid: optional<String>,
        /// Another ID, typically the ARN.
        "uid_alt" => uid_alt: optional<String>,
        /// Its name.
        "name" => name: optional<String>,
        /// Its type, as CloudFormation names it (`AWS::S3::Bucket`).
        "type" => resource_type: optional<String>,
        /// Its Region.
        "region" => region: optional<String>,
        /// Its partition.
        "cloud_partition" => cloud_partition: optional<String>,
        /// Its owner, such as `{"account": {"uid": "111122223333"}}`, kept as JSON.
        "owner" => owner: optional<Value>,
        /// What the producer says of it, kept as JSON.
        "data" => data: optional<Value>,
        /// Its labels.
        "labels" => labels: optional<Vec<String>>,
        /// Its tags (`{"name": ..., "value": ...}`), kept as JSON.
        "tags" => tags: optional<Vec<Value>>,
    }
}

asff_object! {
    /// `compliance`: the control checked and its result.
    pub struct Compliance {
        /// The control, such as `S3.8`.
        "control" => control: optional<String>,
        /// The standards it belongs to.
        "standards" => standards: optional<Vec<String>>,
        /// The requirements of other frameworks it maps to.
        "requirements" => requirements: optional<Vec<String>>,
        /// 0 Unknown, 1 Pass, 2 Warning, 3 Fail, 99 Other; see
        /// [`Finding::compliance_status`].
        "status_id" => status_id: optional<i64>,
        /// The caption of `status_id`.
        "status" => status: optional<String>,
        /// Why, in words.
        "status_details" => status_details: optional<Vec<String>>,
        /// The checks behind the result, kept as JSON.
        "assessments" => assessments: optional<Vec<Value>>,
    }
}

asff_object! {
    /// `remediation`.
    pub struct Remediation {
        /// What to do.
        "desc" => desc: required<String>,
        /// Where it is explained.
        "references" => references: optional<Vec<String>>,
    }
}

asff_object! {
    /// The `detail` of `Findings Imported V2` events.
    pub struct Detail {
        /// The findings (AWS sends one per event).
        "findings" => findings: required<Vec<Finding>>,
    }
}

/// An OCSF finding class, from `class_uid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FindingClass {
    /// 2002: Inspector's vulnerabilities.
    Vulnerability,
    /// 2003: control checks and coverage.
    Compliance,
    /// 2004: threat detections (GuardDuty) and exposure findings.
    Detection,
    /// 2006: sensitive data (Macie).
    DataSecurity,
    /// Any other class, by its `class_uid`.
    Other(i64),
}

impl FindingClass {
    /// The class of a `class_uid`.
    pub const fn from_uid(uid: i64) -> Self {
        match uid {
            2002 => FindingClass::Vulnerability,
            2003 => FindingClass::Compliance,
            2004 => FindingClass::Detection,
            2006 => FindingClass::DataSecurity,
            other => FindingClass::Other(other),
        }
    }
}

/// `activity_id` of a closed finding.
pub const ACTIVITY_CLOSE: i64 = 3;

impl Finding {
    /// Parses one OCSF finding from JSON bytes.
    ///
    /// # Errors
    /// [`Error::Json`] naming the path of the first member that is missing,
    /// of the wrong type, or not valid JSON.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        parse_json(bytes)
    }

    /// Parses one OCSF finding from a JSON string.
    ///
    /// # Errors
    /// As [`Finding::from_slice`].
    #[allow(clippy::should_implement_trait)] // `FromStr` cannot carry the borrowed fast path.
    pub fn from_str(json: &str) -> Result<Self, Error> {
        parse_json(json.as_bytes())
    }

    /// Converts a `serde_json::Value` that holds one OCSF finding.
    ///
    /// # Errors
    /// As [`Finding::from_slice`].
    pub fn from_value(value: Value) -> Result<Self, Error> {
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
    pub fn to_value(&self) -> Result<Value, Error> {
        crate::json::to_value(self)
    }

    /// Its class.
    pub const fn class(&self) -> FindingClass {
        FindingClass::from_uid(self.class_uid)
    }

    /// Its severity as an ASFF label: `severity_id` 1 to 5 by name, 6
    /// (Fatal) as CRITICAL, the highest ASFF has; for 0 (Unknown), 99
    /// (Other) or a newer ID, the `severity` word when it is one of the
    /// five labels.
    pub fn severity_label(&self) -> Option<SeverityLabel> {
        match self.severity_id {
            1 => Some(SeverityLabel::Informational),
            2 => Some(SeverityLabel::Low),
            3 => Some(SeverityLabel::Medium),
            4 => Some(SeverityLabel::High),
            5 | 6 => Some(SeverityLabel::Critical),
            _ => {
                let word = self.severity.as_deref()?.to_ascii_uppercase();
                SeverityLabel::ALL
                    .iter()
                    .copied()
                    .find(|label| label.as_str() == word)
            }
        }
    }

    /// The compliance result as ASFF's: 1 PASSED, 2 WARNING, 3 FAILED;
    /// otherwise the `status` word (`Pass`, `Warning`, `Fail`); `None` for a
    /// finding with no result. Unknown (0) is not ASFF's NOT_AVAILABLE,
    /// which soar suppresses: a result nobody knows must not hide a finding.
    pub fn compliance_status(&self) -> Option<ComplianceStatus> {
        let compliance = self.compliance.as_ref()?;
        match compliance.status_id {
            Some(1) => Some(ComplianceStatus::Passed),
            Some(2) => Some(ComplianceStatus::Warning),
            Some(3) => Some(ComplianceStatus::Failed),
            _ => match compliance.status.as_deref()?.to_ascii_lowercase().as_str() {
                "pass" | "passed" => Some(ComplianceStatus::Passed),
                "warning" => Some(ComplianceStatus::Warning),
                "fail" | "failed" => Some(ComplianceStatus::Failed),
                _ => None,
            },
        }
    }

    /// The workflow status as ASFF's: 1 NEW, 2 (In Progress) NOTIFIED, 3
    /// SUPPRESSED, 4 RESOLVED, 5 (Archived) RESOLVED; `None` for 0, 99,
    /// 6 (Deleted) or no status.
    pub fn workflow_status(&self) -> Option<WorkflowStatus> {
        match self.status_id? {
            1 => Some(WorkflowStatus::New),
            2 => Some(WorkflowStatus::Notified),
            3 => Some(WorkflowStatus::Suppressed),
            4 | 5 => Some(WorkflowStatus::Resolved),
            _ => None,
        }
    }

    /// Whether the producer closed the finding (`activity_id` 3).
    pub const fn is_closed(&self) -> bool {
        self.activity_id == ACTIVITY_CLOSE
    }

    /// The account the finding is in: `cloud.account.uid`, else the first
    /// resource owner's. (An event's own `account` is the account that
    /// received it, such as the delegated administrator.)
    pub fn account_id(&self) -> Option<&str> {
        let cloud = self
            .cloud
            .as_ref()
            .and_then(|cloud| cloud.account.as_ref())
            .and_then(|account| account.uid.as_deref());
        cloud.or_else(|| {
            self.resources()
                .iter()
                .find_map(|resource| resource.owner.as_ref()?.pointer("/account/uid")?.as_str())
        })
    }

    /// The Region the finding is in: `cloud.region`.
    pub fn region(&self) -> Option<&str> {
        self.cloud.as_ref()?.region.as_deref()
    }

    /// The resources, or none.
    pub fn resources(&self) -> &[Resource] {
        self.resources.as_deref().unwrap_or_default()
    }

    /// The ARN of the first resource that has one (see [`Resource::arn`]).
    pub fn resource_arn(&self) -> Option<&str> {
        self.resources().iter().find_map(Resource::arn)
    }

    /// The finding's types (`finding_info.types`), or none.
    pub fn types(&self) -> &[String] {
        self.finding_info.types.as_deref().unwrap_or_default()
    }

    /// The producer's name, such as `GuardDuty`.
    pub fn product_name(&self) -> Option<&str> {
        self.metadata.product.name.as_deref()
    }

    /// Whether the producer is the AWS service `service`, such as
    /// `guardduty`: by its product ARN
    /// (`arn:aws:securityhub:<region>::productv2/aws/<service>`).
    pub fn is_from_aws_service(&self, service: &str) -> bool {
        self.metadata
            .product
            .uid
            .as_deref()
            .and_then(|uid| uid.rsplit_once("/aws/"))
            .is_some_and(|(_, name)| name == service)
    }

    /// The control checked, such as `S3.8` (Compliance Findings).
    pub fn control_id(&self) -> Option<&str> {
        self.compliance.as_ref()?.control.as_deref()
    }
}

impl Resource {
    /// The resource's ARN: `uid_alt` when it is one (Security Hub puts the
    /// ARN there and a plain ID in `uid`), else `uid` when it is one.
    pub fn arn(&self) -> Option<&str> {
        [&self.uid_alt, &self.uid]
            .into_iter()
            .filter_map(|id| id.as_deref())
            .find(|id| id.starts_with("arn:"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> Value {
        serde_json::json!({
            "activity_id": 2, "category_uid": 2, "class_uid": 2004, "type_uid": 200402,
            "severity_id": 99, "time": 1753153354272_i64,
            "metadata": {"version": "1.5.0", "product": {"uid": "arn:aws:securityhub:us-east-1::productv2/aws/guardduty"}},
            "finding_info": {"uid": "f"},
        })
    }

    #[test]
    fn events_are_recognised_in_any_member_order_and_bare() {
        use crate::{Event, EventKind};
        let finding = minimal();
        let detail_first =
            serde_json::json!({"detail": {"findings": [finding]}, "source": "aws.securityhub"});
        let event = Event::from_value(detail_first).unwrap();
        assert_eq!(event.kind(), EventKind::SecurityHubImportedV2);
        assert_eq!(event.ocsf_findings()[0].finding_info.uid, "f");
        assert!(event.findings().is_empty());
        // A bare finding's integer `time` and resource objects are its own,
        // not an envelope's.
        let mut bare = minimal();
        bare["resources"] = serde_json::json!([{"uid": "i-1"}]);
        let event = Event::from_value(bare.clone()).unwrap();
        assert_eq!(event.kind(), EventKind::OcsfFinding);
        let written: Value = serde_json::from_str(&event.to_json().unwrap()).unwrap();
        assert_eq!(written, bare);
        // In an envelope, the typed detail reports the path from the root.
        let mut broken = minimal();
        broken["severity_id"] = "high".into();
        let envelope = serde_json::json!({"detail-type": "Findings Imported V2", "detail": {"findings": [broken]}});
        let error = Event::parse(&serde_json::to_vec(&envelope).unwrap()).unwrap_err();
        assert_eq!(
            error.path(),
            Some("detail.findings[0].severity_id"),
            "{error}"
        );
    }

    #[test]
    fn an_envelope_keeps_its_header_types_and_refuses_duplicates() {
        use crate::Event;
        let detail = serde_json::json!({"findings": [minimal()]});
        let envelope = |header: &str| {
            let text = format!(
                r#"{{"detail-type": "Findings Imported V2", {header}, "detail": {detail}}}"#
            );
            Event::parse(text.as_bytes())
        };
        let error = envelope(r#""time": 5"#).unwrap_err();
        assert_eq!(error.path(), Some("time"), "{error}");
        let error = envelope(r#""resources": [{"uid": "i-1"}]"#).unwrap_err();
        assert_eq!(error.path(), Some("resources"), "{error}");
        for twice in [
            r#""time": "x", "time": 5"#,
            r#""time": 5, "time": "x""#,
            r#""resources": [], "resources": [{}]"#,
        ] {
            let error = envelope(twice).unwrap_err();
            assert!(
                error.to_string().contains("duplicate member"),
                "{twice}: {error}"
            );
        }
        // An explicit null is kept as it was.
        let event = envelope(r#""time": null"#).unwrap();
        let written: Value = serde_json::from_str(&event.to_json().unwrap()).unwrap();
        assert_eq!(written["time"], Value::Null);
    }

    #[test]
    fn the_required_members_are_named_when_missing() {
        for member in [
            "activity_id",
            "class_uid",
            "severity_id",
            "time",
            "metadata",
            "finding_info",
        ] {
            let mut value = minimal();
            value.as_object_mut().unwrap().remove(member);
            let error = Finding::from_value(value).unwrap_err();
            assert_eq!(error.path(), Some(member), "{error}");
            assert!(error.to_string().contains("missing field"), "{error}");
        }
        let mut value = minimal();
        value["finding_info"].as_object_mut().unwrap().remove("uid");
        let error = Finding::from_value(value).unwrap_err();
        assert_eq!(error.path(), Some("finding_info.uid"), "{error}");
    }

    #[test]
    fn a_wrong_type_is_named_at_its_path() {
        let mut value = minimal();
        value["time"] = "2025-07-22T03:02:34Z".into();
        let error = Finding::from_value(value).unwrap_err();
        assert_eq!(error.path(), Some("time"), "{error}");
    }

    #[test]
    fn severity_comes_from_the_id_then_from_the_word() {
        let mut finding = Finding::from_value(minimal()).unwrap();
        assert_eq!(finding.severity_label(), None);
        finding.severity = Some("high".into());
        assert_eq!(finding.severity_label(), Some(SeverityLabel::High));
        for (id, label) in [
            (1, SeverityLabel::Informational),
            (2, SeverityLabel::Low),
            (3, SeverityLabel::Medium),
            (4, SeverityLabel::High),
            (5, SeverityLabel::Critical),
            (6, SeverityLabel::Critical),
        ] {
            finding.severity_id = id;
            assert_eq!(finding.severity_label(), Some(label), "{id}");
        }
    }

    #[test]
    fn statuses_map_to_asff_and_unknown_ids_to_nothing() {
        let mut finding = Finding::from_value(minimal()).unwrap();
        assert_eq!(
            (finding.workflow_status(), finding.compliance_status()),
            (None, None)
        );
        for (id, status) in [
            (1, Some(WorkflowStatus::New)),
            (2, Some(WorkflowStatus::Notified)),
            (3, Some(WorkflowStatus::Suppressed)),
            (4, Some(WorkflowStatus::Resolved)),
            (5, Some(WorkflowStatus::Resolved)),
            (6, None),
            (99, None),
        ] {
            finding.status_id = Some(id);
            assert_eq!(finding.workflow_status(), status, "{id}");
        }
        finding.compliance = Some(Compliance {
            status: Some("Fail".into()),
            ..Compliance::default()
        });
        assert_eq!(finding.compliance_status(), Some(ComplianceStatus::Failed));
        finding.compliance = Some(Compliance {
            status_id: Some(1),
            status: Some("Fail".into()),
            ..Compliance::default()
        });
        assert_eq!(finding.compliance_status(), Some(ComplianceStatus::Passed));
        for (id, status) in [
            (2, Some(ComplianceStatus::Warning)),
            (3, Some(ComplianceStatus::Failed)),
        ] {
            finding.compliance = Some(Compliance {
                status_id: Some(id),
                ..Compliance::default()
            });
            assert_eq!(finding.compliance_status(), status, "{id}");
        }
        // Unknown (0) and Other (99) are not NOT_AVAILABLE: soar suppresses
        // that, and an unknown result must not hide a finding.
        for id in [0, 99] {
            finding.compliance = Some(Compliance {
                status_id: Some(id),
                ..Compliance::default()
            });
            assert_eq!(finding.compliance_status(), None, "{id}");
        }
    }

    #[test]
    fn the_account_falls_back_to_the_resource_owner_and_the_arn_to_uid() {
        let mut value = minimal();
        value["resources"] = serde_json::json!([
            {"uid": "ASIAEXAMPLE", "type": "AWS::IAM::AccessKey"},
            {"uid": "arn:aws:sqs:us-east-1:222233334444:q", "owner": {"account": {"uid": "222233334444"}}},
        ]);
        let finding = Finding::from_value(value).unwrap();
        assert_eq!(finding.account_id(), Some("222233334444"));
        assert_eq!(
            finding.resource_arn(),
            Some("arn:aws:sqs:us-east-1:222233334444:q")
        );
        assert!(finding.is_from_aws_service("guardduty"));
        assert!(!finding.is_from_aws_service("guard"));
        assert_eq!(finding.class(), FindingClass::Detection);
        assert_eq!(FindingClass::from_uid(7), FindingClass::Other(7));
    }
}
