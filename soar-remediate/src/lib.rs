#![doc = include_str!("../README.md")]
#![warn(missing_docs, unreachable_pub)]

mod context;
mod controls;
mod error;
pub mod iam;
mod registry;
mod remediation;
mod run;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use context::{Context, Settings};
pub use error::RemediationError;
pub use registry::{DuplicateControl, Registry, UnknownControls};
pub use remediation::{Change, ControlMeta, Outcome, Plan, PlanState, Remediation, Service};
pub use run::{remediate, Mode, Report};
