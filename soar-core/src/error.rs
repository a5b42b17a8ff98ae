//! The crate's error type.

use soar_asff::EventKind;

use crate::ports::PortError;

/// Everything that can go wrong in `soar-core`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not a finding or event soar can read.
    #[error(transparent)]
    Asff(#[from] soar_asff::Error),
    /// The event carries no ASFF finding.
    #[error("a {kind} event carries no ASFF finding to process")]
    NoFindings {
        /// The kind of event it was.
        kind: EventKind,
    },
    /// A scratchpad's JSON is wrong.
    #[error("scratchpad {path}: {message}")]
    Scratchpad {
        /// The JSON path of the problem.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A call through a port failed.
    #[error(transparent)]
    Port(#[from] PortError),
}
