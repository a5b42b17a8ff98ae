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
use crate::{error_class::describe_error, ports::PortError};

/// A [`PortError`] from an SDK error, classified by its AWS error code.
#[cfg(any(
    feature = "organizations",
    feature = "securityhub",
    feature = "dynamodb",
    feature = "sts"
))]
pub fn port_error<E>(port: &'static str, operation: &'static str, error: &E) -> PortError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error,
{
    let (class, message) = describe_error(error);
    PortError {
        port,
        operation,
        class,
        message,
    }
}
