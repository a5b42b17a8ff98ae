//! Why a remediation step failed, classified like every soar error.

use soar_core::error_class::ErrorClass;
use soar_core::{Location, LocationError};

/// A failed remediation step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RemediationError {
    /// An AWS call failed.
    #[error("{operation} failed ({class}): {message}")]
    Aws {
        /// The operation, such as `PutPublicAccessBlock`.
        operation: &'static str,
        /// What kind of failure.
        class: ErrorClass,
        /// The service's code and message.
        message: String,
    },
    /// The finding does not name a resource this control can act on.
    #[error("control {control_id}: {reason}")]
    UnsupportedFinding {
        /// The control.
        control_id: String,
        /// What is missing or wrong.
        reason: String,
    },
    /// The remediation needs a setting that is not configured.
    #[error("control {control_id} needs `{setting}` in the remediation settings")]
    NotConfigured {
        /// The control.
        control_id: String,
        /// The setting.
        setting: &'static str,
    },
    /// The resource is in a state that soar will not change on its own (a
    /// policy it cannot read, a target that would not work): a person must
    /// decide. Found before any write.
    #[error("control {control_id}: {reason}")]
    CannotFix {
        /// The control.
        control_id: String,
        /// What is in the way.
        reason: String,
    },
    /// The finding does not say where its resource is.
    #[error("cannot tell where the resource is: {0}")]
    Location(#[from] LocationError),
    /// No session can be had in the resource's account: no role is
    /// configured for it, or assuming the role was refused.
    #[error("{reason} (the resource is in {location})")]
    NoSession {
        /// Where the resource is.
        location: Location,
        /// Why it cannot be reached.
        reason: String,
    },
    /// A plan is missing what `apply` needs.
    #[error("control {control_id}: invalid plan: {reason}")]
    InvalidPlan {
        /// The control.
        control_id: String,
        /// What is wrong.
        reason: String,
    },
}

impl RemediationError {
    /// An AWS error, classified by its error code.
    pub fn aws<E>(operation: &'static str, error: &E) -> Self
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error,
    {
        let (class, message) = soar_core::error_class::describe_error(error);
        RemediationError::Aws {
            operation,
            class,
            message,
        }
    }

    /// A "not found" that the answer shows rather than an error code says:
    /// a describe call that lists nothing, or a resource that is inactive.
    pub fn not_found(operation: &'static str, message: impl Into<String>) -> Self {
        RemediationError::Aws {
            operation,
            class: ErrorClass::NotFound,
            message: message.into(),
        }
    }

    /// The class of the failure; a session that cannot be had is
    /// `AccessDenied`, and other errors that are not AWS calls are `Other`.
    pub fn class(&self) -> ErrorClass {
        match self {
            RemediationError::Aws { class, .. } => *class,
            RemediationError::NoSession { .. } => ErrorClass::AccessDenied,
            _ => ErrorClass::Other,
        }
    }

    /// Whether the error says the resource does not exist.
    pub fn is_not_found(&self) -> bool {
        self.class() == ErrorClass::NotFound
    }

    /// The error of a call about something other than the finding's
    /// resource (a parameter group, a managed policy, a role): its "not
    /// found" says nothing about the resource, so it becomes a plain
    /// failure, a ticket, and never suppresses the finding. Other errors
    /// are kept as they are.
    ///
    /// ```
    /// use soar_core::error_class::ErrorClass;
    /// use soar_remediate::RemediationError;
    ///
    /// let missing_group = RemediationError::Aws {
    ///     operation: "ModifyDBParameterGroup",
    ///     class: ErrorClass::NotFound,
    ///     message: "DBParameterGroupNotFound: orders-params".to_owned(),
    /// };
    /// let error = missing_group.about_another_resource();
    /// assert!(!error.is_not_found());
    /// assert!(error.to_string().contains("DBParameterGroupNotFound: orders-params"));
    /// ```
    pub fn about_another_resource(self) -> Self {
        match self {
            RemediationError::Aws {
                operation,
                class: ErrorClass::NotFound,
                message,
            } => RemediationError::Aws {
                operation,
                class: ErrorClass::Other,
                message: format!("{message} (not the finding's resource)"),
            },
            other => other,
        }
    }
}

#[cfg(any(
    feature = "s3",
    feature = "ecr",
    feature = "ec2",
    feature = "iam",
    feature = "rds"
))]
/// The AWS error code of an SDK error, if it has one.
pub(crate) fn code_of<E: aws_smithy_types::error::metadata::ProvideErrorMetadata>(
    error: &E,
) -> Option<&str> {
    error.code()
}
