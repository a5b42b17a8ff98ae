//! `Compliance`: the result of a control check, and which control it was.

use crate::object::{asff_enum, asff_object};

asff_enum! {
    /// The result of a security check.
    pub enum ComplianceStatus {
        /// The check passed.
        Passed = "PASSED",
        /// Some information is missing, or the check is not supported by the
        /// configuration.
        Warning = "WARNING",
        /// The check failed.
        Failed = "FAILED",
        /// The check could not complete (a server error, or the resource was
        /// deleted).
        NotAvailable = "NOT_AVAILABLE",
    }
}

asff_object! {
    /// The `Compliance` member of a control finding.
    pub struct Compliance {
        /// The result of the check.
        "Status" => status: optional<ComplianceStatus>,
        /// The requirements of other frameworks that the control maps to.
        "RelatedRequirements" => related_requirements: optional<Vec<String>>,
        /// Why the check has this status.
        "StatusReasons" => status_reasons: optional<Vec<StatusReason>>,
        /// The consolidated control ID, such as `S3.2`. Present on findings
        /// produced with consolidated control findings turned on.
        "SecurityControlId" => security_control_id: optional<String>,
        /// The standards that include the control.
        "AssociatedStandards" => associated_standards: optional<Vec<AssociatedStandard>>,
        /// The control's parameters and their current values.
        "SecurityControlParameters" => security_control_parameters: optional<Vec<serde_json::Value>>,
    }
}

asff_object! {
    /// One reason for a compliance status.
    pub struct StatusReason {
        /// A code such as `CONFIG_EVALUATIONS_EMPTY`.
        "ReasonCode" => reason_code: required<String>,
        /// The reason in words.
        "Description" => description: optional<String>,
    }
}

asff_object! {
    /// A standard that a control belongs to.
    pub struct AssociatedStandard {
        /// The standard's ID, such as `standards/aws-foundational-security-best-practices/v/1.0.0`.
        "StandardsId" => standards_id: optional<String>,
    }
}
