#![doc = include_str!("../README.md")]
#![warn(missing_docs, unreachable_pub)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod context;
mod controls;
mod error;
pub mod iam;
mod registry;
mod remediation;
mod run;
#[cfg(feature = "testkit")]
pub mod testkit;

/// The guide "Writing your own remediation" (`docs/writing-a-remediation.md`),
/// included here so that its example is compiled and run as a test.
#[cfg(all(any(doc, doctest), feature = "testkit", feature = "s3"))]
pub mod guide {
    #![doc = include_str!("../docs/writing-a-remediation.md")]
}

pub use context::{Context, ContextFactory, PasswordPolicy, Settings};
pub use error::RemediationError;
pub use registry::{DuplicateControl, Registry, UnknownControls};
pub use remediation::{Change, ControlMeta, Outcome, Plan, PlanState, Remediation, Service};
pub use run::{remediate, remediate_finding, Mode, Report};
