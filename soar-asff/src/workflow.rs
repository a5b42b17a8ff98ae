//! Where a finding is in its life: workflow status, record state,
//! verification state and the analyst's note.

use crate::object::{asff_enum, asff_object};

asff_enum! {
    /// The status of the investigation into a finding (`Workflow.Status`).
    pub enum WorkflowStatus {
        /// Not yet reviewed.
        New = "NEW",
        /// The resource owner was told; soar sets this when it opens a ticket.
        Notified = "NOTIFIED",
        /// Reviewed and resolved; soar sets this after a verified remediation.
        Resolved = "RESOLVED",
        /// Reviewed and needs no action.
        Suppressed = "SUPPRESSED",
    }
}

asff_object! {
    /// The `Workflow` member of a finding.
    pub struct Workflow {
        /// The workflow status.
        "Status" => status: optional<WorkflowStatus>,
    }
}

asff_enum! {
    /// Whether the finding is live (`RecordState`).
    pub enum RecordState {
        /// The finding is current.
        Active = "ACTIVE",
        /// The producer no longer reports it (for example, the resource was deleted).
        Archived = "ARCHIVED",
    }
}

asff_enum! {
    /// How far a finding has been verified (`VerificationState`).
    pub enum VerificationState {
        /// Not verified.
        Unknown = "UNKNOWN",
        /// A real issue.
        TruePositive = "TRUE_POSITIVE",
        /// Not a real issue.
        FalsePositive = "FALSE_POSITIVE",
        /// Real, but expected and harmless.
        BenignPositive = "BENIGN_POSITIVE",
    }
}

asff_enum! {
    /// The deprecated workflow state (`WorkflowState`), kept because Security
    /// Hub still sends it alongside `Workflow.Status`.
    pub enum WorkflowState {
        /// New.
        New = "NEW",
        /// Assigned.
        Assigned = "ASSIGNED",
        /// In progress.
        InProgress = "IN_PROGRESS",
        /// Deferred.
        Deferred = "DEFERRED",
        /// Resolved.
        Resolved = "RESOLVED",
    }
}

asff_object! {
    /// A note added to a finding by a person or a tool.
    pub struct Note {
        /// The note's text.
        "Text" => text: required<String>,
        /// Who added it.
        "UpdatedBy" => updated_by: required<String>,
        /// When it was added.
        "UpdatedAt" => updated_at: required<String>,
    }
}
