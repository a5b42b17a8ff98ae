#![doc = include_str!("../README.md")]
#![warn(missing_docs, unreachable_pub)]

pub mod account;
#[cfg(any(
    feature = "organizations",
    feature = "securityhub",
    feature = "dynamodb",
    feature = "sts"
))]
pub mod aws;
pub mod config;
pub mod decide;
mod error;
pub mod pipeline;
pub mod ports;
pub mod preprocess;
pub mod retry;
pub mod scoring;
pub mod scratchpad;
pub mod suppression;
#[cfg(feature = "testkit")]
pub mod testkit;
mod time;

pub use account::AccountData;
pub use config::{AutoRemediationConfig, Config, ConfigError};
pub use decide::{decide, triage_failed_control, ControlAction, Decision};
pub use error::Error;
pub use pipeline::{Pipeline, Ports, RemediableControls};
pub use scratchpad::Scratchpad;
pub use time::{InvalidTimestamp, Timestamp};
