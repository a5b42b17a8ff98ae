//! Helpers to unit-test code that uses soar's AWS ports, offline, with
//! [`aws_smithy_mocks`] — the same tools soar's own tests use.
//!
//! Turn the `testkit` feature on in `dev-dependencies` only: it enables the
//! SDK crates' `test-util`.
//!
//! ```
//! use soar_core::testkit::{aws_error, aws_smithy_mocks::{mock, mock_client, RuleMode}};
//! use aws_sdk_sts::operation::assume_role::AssumeRoleError;
//!
//! let denied = mock!(aws_sdk_sts::Client::assume_role)
//!     .then_error(|| AssumeRoleError::generic(aws_error("AccessDenied", "not allowed")));
//! let sts = mock_client!(aws_sdk_sts, RuleMode::MatchAny, [&denied]);
//! # let _ = sts;
//! ```

pub use aws_smithy_mocks;
use aws_smithy_types::error::ErrorMetadata;

/// The metadata of an AWS error with this code and message, for
/// `OperationError::generic(..)` in a mock rule. soar classifies errors by
/// code, so this is all a test needs to produce throttling, access denied
/// or not found.
pub fn aws_error(code: &str, message: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(message).build()
}
