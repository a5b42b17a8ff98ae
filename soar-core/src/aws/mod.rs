//! AWS implementations of the ports, each behind its own cargo feature.
//!
//! | Feature | Type | Port |
//! | --- | --- | --- |
//! | `organizations` | [`OrganizationsDirectory`] | [`AccountDirectory`](crate::ports::AccountDirectory) |
//! | `securityhub` | [`SecurityHubUpdater`] | [`FindingUpdater`](crate::ports::FindingUpdater) |
//! | `dynamodb` | [`DynamoRecords`] | [`RecordStore`](crate::ports::RecordStore) |
//! | `sts` | [`AssumeRoleSessions`], [`AmbientSessions`] | [`SessionFactory`] |
//!
//! Each takes an SDK client that you build, so endpoints, retries and
//! credentials stay in your hands (and tests pass a mocked client). Errors
//! become [`PortError`]s classified by the AWS
//! error code.

#[cfg(feature = "dynamodb")]
mod dynamodb;
#[cfg(feature = "organizations")]
mod organizations;
#[cfg(feature = "securityhub")]
mod securityhub;
#[cfg(feature = "sts")]
mod session;

#[cfg(feature = "dynamodb")]
pub use dynamodb::{DynamoRecords, TableNames};
#[cfg(feature = "organizations")]
pub use organizations::OrganizationsDirectory;
#[cfg(feature = "securityhub")]
pub use securityhub::SecurityHubUpdater;
#[cfg(feature = "sts")]
pub use session::{AmbientSessions, AssumeRoleSessions, SessionFactory};

#[cfg(any(
    feature = "organizations",
    feature = "securityhub",
    feature = "dynamodb",
    feature = "sts"
))]
use crate::{
    ports::PortError,
    retry::{classify, ErrorClass},
};

/// A [`PortError`] from an SDK error, classified by its AWS error code.
///
/// Errors without a code (timeouts, connection failures) are `Other`:
/// the SDK client has already retried them by its own retry policy.
#[cfg(any(
    feature = "organizations",
    feature = "securityhub",
    feature = "dynamodb",
    feature = "sts"
))]
pub(crate) fn port_error<E>(port: &'static str, operation: &'static str, error: &E) -> PortError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error,
{
    let class = error.code().map_or(ErrorClass::Other, classify);
    let message = match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => display_chain(error),
    };
    PortError {
        port,
        operation,
        class,
        message,
    }
}

/// The error and its sources, as one line.
#[cfg(any(
    feature = "organizations",
    feature = "securityhub",
    feature = "dynamodb",
    feature = "sts"
))]
fn display_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
