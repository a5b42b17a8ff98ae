//! The `detail` of a native `GuardDuty Finding` event.
//!
//! GuardDuty sends each finding twice: natively, in camelCase, as this
//! event; and as ASFF through Security Hub. This is the native form.

use crate::object::asff_object;
use crate::SeverityLabel;

asff_object! {
    /// A GuardDuty finding in GuardDuty's own format.
    pub struct GuardDutyFinding {
        /// The GuardDuty schema version.
        "schemaVersion" => schema_version: optional<String>,
        /// The account the finding belongs to.
        "accountId" => account_id: optional<String>,
        /// The Region.
        "region" => region: optional<String>,
        /// The partition.
        "partition" => partition: optional<String>,
        /// The finding's ID.
        "id" => id: required<String>,
        /// The finding's ARN.
        "arn" => arn: optional<String>,
        /// The finding type, `ThreatPurpose:ResourceTypeAffected/ThreatFamilyName.DetectionMechanism!Artifact`,
        /// such as `UnauthorizedAccess:EC2/SSHBruteForce`.
        "type" => finding_type: required<String>,
        /// The affected resource.
        "resource" => resource: optional<serde_json::Value>,
        /// What GuardDuty observed.
        "service" => service: optional<serde_json::Value>,
        /// The severity, 1.0 to 10.0 (kept as written: `5` stays `5`).
        "severity" => severity: optional<serde_json::Number>,
        /// When the finding was created.
        "createdAt" => created_at: optional<serde_json::Value>,
        /// When the finding was last updated.
        "updatedAt" => updated_at: optional<serde_json::Value>,
        /// A one-line summary.
        "title" => title: optional<String>,
        /// The full description.
        "description" => description: optional<String>,
    }
}

impl GuardDutyFinding {
    /// The severity label, using GuardDuty's bands: below 4 low, below 7
    /// medium, below 9 high, 9 and above critical.
    pub fn severity_label(&self) -> Option<SeverityLabel> {
        let score = self.severity.as_ref()?.as_f64()?;
        Some(match score {
            s if s >= 9.0 => SeverityLabel::Critical,
            s if s >= 7.0 => SeverityLabel::High,
            s if s >= 4.0 => SeverityLabel::Medium,
            _ => SeverityLabel::Low,
        })
    }

    /// The resource type GuardDuty reports, such as `Instance` or `AccessKey`.
    pub fn resource_type(&self) -> Option<&str> {
        self.resource.as_ref()?.get("resourceType")?.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_bands_follow_guardduty() {
        let mut finding = GuardDutyFinding::default();
        for (score, label) in [
            (2.0, SeverityLabel::Low),
            (4.0, SeverityLabel::Medium),
            (6.9, SeverityLabel::Medium),
            (8.0, SeverityLabel::High),
            (9.0, SeverityLabel::Critical),
        ] {
            finding.severity = serde_json::Number::from_f64(score);
            assert_eq!(finding.severity_label(), Some(label), "{score}");
        }
    }
}
