//! What kind of failure an AWS error is: throttled, access denied, not
//! found, invalid state, or other.
//!
//! soar decides by class, not by message: a resource that is not found (in
//! the account and Region the finding names) ends the step, access denied
//! and invalid state go to a person, and throttling is the SDK's business.
//! Retrying is not done here: every SDK client retries throttled and
//! transient calls with the standard retry mode, configured once from
//! [`crate::config::AwsRetry`], so there is exactly one retry layer.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What kind of failure an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorClass {
    /// Too many requests; retry later.
    Throttled,
    /// The caller lacks permission.
    AccessDenied,
    /// The resource does not exist (any more).
    NotFound,
    /// The resource is in a state that does not allow the call.
    InvalidState,
    /// Anything else.
    Other,
}

impl ErrorClass {
    /// Whether waiting and trying again can help. The SDK's retry layer
    /// already did that before an error of this class reached soar.
    pub fn is_retryable(self) -> bool {
        self == ErrorClass::Throttled
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorClass::Throttled => "throttled",
            ErrorClass::AccessDenied => "access denied",
            ErrorClass::NotFound => "not found",
            ErrorClass::InvalidState => "invalid state",
            ErrorClass::Other => "other",
        })
    }
}

/// Classifies an AWS error code.
///
/// AWS services name the same failure differently (`ThrottlingException`,
/// `Throttling`, `RequestLimitExceeded`, `SlowDown`; `NoSuchBucket`,
/// `InvalidGroup.NotFound`, `ResourceNotFoundException`), so this matches
/// the known names and the common patterns.
///
/// ```
/// use soar_core::error_class::{classify, ErrorClass};
/// assert_eq!(classify("SlowDown"), ErrorClass::Throttled);
/// assert_eq!(classify("InvalidGroup.NotFound"), ErrorClass::NotFound);
/// assert_eq!(classify("UnauthorizedOperation"), ErrorClass::AccessDenied);
/// ```
pub fn classify(code: &str) -> ErrorClass {
    const THROTTLED: &[&str] = &[
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ProvisionedThroughputExceededException",
        "LimitExceededException",
        "PriorRequestNotComplete",
        "TransactionInProgressException",
        "BandwidthLimitExceeded",
        "EC2ThrottledException",
    ];
    const DENIED: &[&str] = &[
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "AuthorizationError",
        "NotAuthorized",
        "AccountNotInOrganizationException",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
    ];
    const INVALID_STATE: &[&str] = &[
        "IncorrectState",
        "IncorrectInstanceState",
        "InvalidStateException",
        "InvalidDBInstanceState",
        "InvalidDBClusterStateFault",
        "ResourceInUseException",
        "DependencyViolation",
        "OperationAborted",
        "ConflictException",
        "KMSInvalidStateException",
    ];
    if THROTTLED.contains(&code) {
        ErrorClass::Throttled
    } else if DENIED.contains(&code) {
        ErrorClass::AccessDenied
    } else if INVALID_STATE.contains(&code) || code.contains("InvalidState") {
        ErrorClass::InvalidState
    } else if code.contains("NotFound") || code.starts_with("NoSuch") {
        ErrorClass::NotFound
    } else {
        ErrorClass::Other
    }
}

/// The class of an AWS SDK error and a one-line description of it: the
/// error code and message when the service sent them, or the error and its
/// sources (a timeout, a connection failure), which are `Other` because the
/// SDK client has already retried them by its own policy.
pub fn describe_error<E>(error: &E) -> (ErrorClass, String)
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error,
{
    let class = error.code().map_or(ErrorClass::Other, classify);
    let message = match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => {
            let mut text = error.to_string();
            let mut source = error.source();
            while let Some(cause) = source {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                source = cause.source();
            }
            text
        }
    };
    (class, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_classified() {
        let cases = [
            ("ThrottlingException", ErrorClass::Throttled),
            ("TooManyRequestsException", ErrorClass::Throttled),
            ("AccessDenied", ErrorClass::AccessDenied),
            ("AccessDeniedException", ErrorClass::AccessDenied),
            ("NoSuchBucket", ErrorClass::NotFound),
            ("ResourceNotFoundException", ErrorClass::NotFound),
            ("InvalidGroup.NotFound", ErrorClass::NotFound),
            ("InvalidDBInstanceState", ErrorClass::InvalidState),
            ("IncorrectInstanceState", ErrorClass::InvalidState),
            ("ValidationException", ErrorClass::Other),
        ];
        for (code, class) in cases {
            assert_eq!(classify(code), class, "{code}");
        }
    }

    #[test]
    fn sdk_errors_are_described_by_code_and_message() {
        use aws_smithy_types::error::ErrorMetadata;
        let throttled = ErrorMetadata::builder()
            .code("ThrottlingException")
            .message("Rate exceeded")
            .build();
        assert_eq!(
            describe_error(&throttled),
            (
                ErrorClass::Throttled,
                "ThrottlingException: Rate exceeded".to_owned()
            )
        );
        let code_only = ErrorMetadata::builder().code("NoSuchBucket").build();
        assert_eq!(
            describe_error(&code_only),
            (ErrorClass::NotFound, "NoSuchBucket".to_owned())
        );
        let (class, message) = describe_error(&ErrorMetadata::builder().build());
        assert_eq!(class, ErrorClass::Other);
        assert!(!message.is_empty());
    }
}
